"""Live streams (Server-Sent Events): a snapshot, then the changes published after commit, per API process."""
