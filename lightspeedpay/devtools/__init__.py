"""Loopback stand-ins for the outside world: a merchant's webhook receiver (the PSP simulator lives in
gateways/simulator)."""
