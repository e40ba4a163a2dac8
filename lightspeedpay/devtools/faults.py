"""The fault switch the loopback stand-ins share (WhatsApp, Slack): a mode that applies to the next `count`
requests, or until cleared."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class CountedFault:
    mode: str | None = None
    status: int = 503
    count: int | None = None  # how many requests the fault applies to; None: until cleared
    seconds: float = 15.0  # how long a "timeout" hangs

    def take(self) -> str | None:
        """The fault for this request (None: answer normally), counting it down."""
        if self.mode is None:
            return None
        mode = self.mode
        if self.count is not None:
            self.count -= 1
            if self.count <= 0:
                self.mode, self.count = None, None
        return mode
