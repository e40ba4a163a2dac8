"""The hosted checkout page and the embeddable checkout.js SDK."""
