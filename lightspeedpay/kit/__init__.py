"""Small shared pieces: money, crypto, signatures, pagination, logging."""
