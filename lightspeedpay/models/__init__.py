"""Every ORM model, one file per table."""

from lightspeedpay.models.base import Base
from lightspeedpay.models.client import Client
from lightspeedpay.models.gateway import PaymentGateway
from lightspeedpay.models.job_intent import JobIntent
from lightspeedpay.models.psp_event import PspEvent
from lightspeedpay.models.transaction import Transaction
from lightspeedpay.models.wallet import Wallet, WalletEntry
from lightspeedpay.models.webhook_event import WebhookDelivery, WebhookEvent

__all__ = ["Base", "Client", "JobIntent", "PaymentGateway", "PspEvent", "Transaction", "Wallet", "WalletEntry",
           "WebhookDelivery", "WebhookEvent"]
