"""Every job handler: importing this module registers each domain's @task handlers (and so their queues).
Imported by each process that enqueues or runs jobs (app.py, the worker, the scheduler, the CLIs), so that
`jobs` itself imports no domain."""

from lightspeedpay.kyc import tasks as kyc
from lightspeedpay.mail import tasks as mail
from lightspeedpay.notifications import tasks as notifications
from lightspeedpay.payments import tasks as payments
from lightspeedpay.psp_events import tasks as psp_events
from lightspeedpay.refunds import tasks as refunds
from lightspeedpay.settlements import tasks as settlements
from lightspeedpay.webhooks import tasks as webhooks

__all__ = ["kyc", "mail", "notifications", "payments", "psp_events", "refunds", "settlements", "webhooks"]
