"""PSP adapters by provider name."""

from __future__ import annotations

from lightspeedpay.gateways.adapters.base import PspAdapter
from lightspeedpay.gateways.adapters.payu import PayUAdapter
from lightspeedpay.gateways.adapters.phonepe import PhonePeAdapter
from lightspeedpay.gateways.adapters.razorpay import RazorpayAdapter
from lightspeedpay.gateways.adapters.sandbox import SandboxAdapter

_ADAPTERS: dict[str, PspAdapter] = {
    adapter.provider: adapter
    for adapter in (SandboxAdapter(), RazorpayAdapter(), PayUAdapter(), PhonePeAdapter())
}


def register(adapter: PspAdapter) -> None:
    _ADAPTERS[adapter.provider] = adapter


def get_adapter(provider: str) -> PspAdapter:
    try:
        return _ADAPTERS[provider]
    except KeyError:
        raise LookupError(f"no adapter for provider {provider!r}") from None


def providers() -> list[str]:
    return sorted(_ADAPTERS)
