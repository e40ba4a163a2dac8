"""Every ORM model, one file per table."""

from lightspeedpay.models.alert import Alert
from lightspeedpay.models.base import Base
from lightspeedpay.models.client import Client
from lightspeedpay.models.gateway import PaymentGateway
from lightspeedpay.models.gateway_attempt import GatewayAttempt
from lightspeedpay.models.job_intent import JobIntent
from lightspeedpay.models.psp_event import PspEvent
from lightspeedpay.models.transaction import Transaction
from lightspeedpay.models.wallet import Wallet, WalletEntry
from lightspeedpay.models.webhook_event import WebhookDelivery, WebhookEvent

__all__ = ["Alert", "Base", "Client", "GatewayAttempt", "JobIntent", "PaymentGateway", "PspEvent", "Transaction", "Wallet", "WalletEntry",
           "WebhookDelivery", "WebhookEvent"]
