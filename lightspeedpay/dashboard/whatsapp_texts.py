"""What a WhatsApp notice says, for both consoles: the names of its types and delivery states, and the text the
merchant reads, built from the template's parameters (the template's own words live at the provider)."""

from __future__ import annotations

from lightspeedpay.dashboard import i18n
from lightspeedpay.models import WhatsAppNotification
from lightspeedpay.models.whatsapp_notification import WhatsAppNotificationStatus, WhatsAppNotificationType


def _(message: str) -> str:
    return message  # marks a message for extraction; translated where it is shown


TYPES: dict[str, str] = {
    WhatsAppNotificationType.LOW_BALANCE: _("Dues reminder"),
    WhatsAppNotificationType.TXN_UPDATE: _("Payment update"),
}
STATUSES: dict[str, str] = {
    WhatsAppNotificationStatus.QUEUED: _("Queued"),
    WhatsAppNotificationStatus.SENT: _("Delivered to WhatsApp"),
    WhatsAppNotificationStatus.FAILED: _("Failed"),
}
TEXTS: dict[str, str] = {
    WhatsAppNotificationType.LOW_BALANCE: _(
        "%(p1)s: your commission dues are %(p2)s; payments stop at %(p3)s. Please pay your dues."
    ),
    WhatsAppNotificationType.TXN_UPDATE: _("Payment for order %(p1)s of %(p2)s is now %(p3)s."),
}


def text_of(n: WhatsAppNotification) -> str:
    params = [str(p) for p in (n.payload_json or {}).get("parameters", [])]
    template = TEXTS.get(n.type)
    if template is None or len(params) < 3:
        return " · ".join(params)
    return i18n.gettext(template) % {"p1": params[0], "p2": params[1], "p3": params[2]}


def masked_phone(phone: str | None) -> str:
    if not phone:
        return "—"
    return phone[:3] + "•" * max(len(phone) - 7, 0) + phone[-4:] if len(phone) > 7 else phone
