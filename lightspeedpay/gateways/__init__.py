"""The gateway pool: PSP accounts, routing, adapters and the PSP simulator."""
