"""Public ids in Razorpay's format: a prefix, an underscore and 14 base62 characters (`pay_G3P9vcIhRs3NV4`)."""

from __future__ import annotations

import re
import secrets

BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
ID_LENGTH = 14


def new_id(prefix: str) -> str:
    return f"{prefix}_" + "".join(secrets.choice(BASE62) for _ in range(ID_LENGTH))


def is_id(prefix: str, value: str) -> bool:
    return bool(re.fullmatch(rf"{prefix}_[0-9A-Za-z]{{{ID_LENGTH}}}", value))
