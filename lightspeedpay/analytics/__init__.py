"""Payment analytics: rollups kept incrementally from the transactions, and the questions asked of them."""
