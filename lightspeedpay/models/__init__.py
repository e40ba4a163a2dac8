"""Every ORM model, one file per table."""

from lightspeedpay.models.alert import Alert
from lightspeedpay.models.analytics_delta import AnalyticsDelta
from lightspeedpay.models.analytics_failure import AnalyticsFailure
from lightspeedpay.models.analytics_rollup import AnalyticsRollup
from lightspeedpay.models.api_credential import ApiCredential
from lightspeedpay.models.api_credential_secret import ApiCredentialSecret
from lightspeedpay.models.api_usage_daily import ApiUsageDaily
from lightspeedpay.models.archived_transaction import ArchivedTransaction
from lightspeedpay.models.audit_log import AuditLog
from lightspeedpay.models.base import Base
from lightspeedpay.models.client import Client
from lightspeedpay.models.daily_run import DailyRun
from lightspeedpay.models.email import Email
from lightspeedpay.models.gateway import PaymentGateway
from lightspeedpay.models.gateway_attempt import GatewayAttempt
from lightspeedpay.models.health_report import HealthReport
from lightspeedpay.models.idempotency_key import IdempotencyKey
from lightspeedpay.models.job_intent import JobIntent
from lightspeedpay.models.kyc_application import KycApplication
from lightspeedpay.models.kyc_document import KycDocument
from lightspeedpay.models.kyc_requirement import KycRequirement
from lightspeedpay.models.kyc_verification import KycVerification
from lightspeedpay.models.ledger_posting import LedgerPosting
from lightspeedpay.models.merchant_membership import MerchantMembership
from lightspeedpay.models.order import Order
from lightspeedpay.models.platform_entry import PlatformEntry
from lightspeedpay.models.psp_event import PspEvent
from lightspeedpay.models.queue_metric import QueueMetric
from lightspeedpay.models.recovery_code import RecoveryCode
from lightspeedpay.models.refresh_token import RefreshToken
from lightspeedpay.models.refund import Refund
from lightspeedpay.models.scheduled_run import ScheduledRun
from lightspeedpay.models.scheduler_instance import SchedulerInstance
from lightspeedpay.models.settlement import Settlement
from lightspeedpay.models.settlement_line_item import SettlementLineItem
from lightspeedpay.models.slack_message import SlackMessage
from lightspeedpay.models.system_status import SystemStatus
from lightspeedpay.models.transaction import Transaction
from lightspeedpay.models.user import User
from lightspeedpay.models.user_session import UserSession
from lightspeedpay.models.user_token import UserToken
from lightspeedpay.models.wallet import Wallet, WalletEntry
from lightspeedpay.models.webhook_delivery import WebhookDelivery
from lightspeedpay.models.webhook_delivery_attempt import WebhookDeliveryAttempt
from lightspeedpay.models.webhook_endpoint import WebhookEndpoint
from lightspeedpay.models.webhook_event import WebhookEvent
from lightspeedpay.models.whatsapp_notification import WhatsAppNotification
from lightspeedpay.models.whatsapp_provider_token import WhatsAppProviderToken
from lightspeedpay.models.worker_health import WorkerHealth

__all__ = [
    "Alert",
    "Base",
    "Client",
    "GatewayAttempt",
    "JobIntent",
    "PaymentGateway",
    "PspEvent",
    "Transaction",
    "Wallet",
    "WalletEntry",
    "WebhookDeliveryAttempt",
    "WebhookEvent",
    "IdempotencyKey",
    "Order",
    "Refund",
]
__all__ += [
    "AuditLog",
    "LedgerPosting",
    "PlatformEntry",
    "Settlement",
    "SettlementLineItem",
    "WhatsAppNotification",
    "WhatsAppProviderToken",
]
__all__ += ["WebhookDelivery", "WebhookEndpoint"]
__all__ += ["SlackMessage"]
__all__ += ["QueueMetric"]
__all__ += ["ScheduledRun", "SchedulerInstance", "SystemStatus", "WorkerHealth"]
__all__ += ["ArchivedTransaction", "DailyRun", "HealthReport"]
__all__ += ["AnalyticsDelta", "AnalyticsFailure", "AnalyticsRollup"]
__all__ += ["MerchantMembership", "RecoveryCode", "RefreshToken", "User", "UserSession", "UserToken"]
__all__ += ["ApiCredential", "ApiCredentialSecret"]
__all__ += ["KycApplication", "KycDocument", "KycRequirement", "KycVerification"]
__all__ += ["Email"]
__all__ += ["ApiUsageDaily"]
