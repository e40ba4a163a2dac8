"""LightSpeedPay: a payment aggregation and orchestration platform."""

__version__ = "0.1.0"
