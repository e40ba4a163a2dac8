"""WhatsApp notices to merchants (dues, transaction updates) through the WhatsApp Cloud API."""
