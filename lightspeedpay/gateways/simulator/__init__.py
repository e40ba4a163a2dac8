"""A loopback PSP simulator: each PSP's wire format, hosted pages and signed webhooks, with test modes."""
