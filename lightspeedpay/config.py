"""All configuration in one pydantic-settings class; every field is `LSP_<NAME>` in the environment."""

from __future__ import annotations

from functools import lru_cache
from typing import Literal

from pydantic import field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

# A fixed key for development and tests only; production refuses to start with it.
DEV_ENCRYPTION_KEY = "dev:ZGV2LWtleS1ub3QtZm9yLXByb2R1Y3Rpb24tdXNlISE="


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="LSP_", env_file=".env", extra="ignore")

    env: Literal["development", "test", "production"] = "development"
    database_url: str = "postgresql+asyncpg://lightspeedpay@127.0.0.1:5432/lightspeedpay"
    db_pool_size: int = 20
    db_max_overflow: int = 10
    # raw asyncpg connections per process for the hot path's one-statement writes (the payment initiation)
    db_hot_pool_size: int = 10
    redis_url: str = "redis://127.0.0.1:6379/0"
    redis_max_connections: int = 64
    # every wait on the shared Redis pool is bounded, so a Redis that accepts connections and stops answering
    # cannot hang a request: a read or a connect gives up after these (BullMQ workers' blocking reads use a
    # connection of their own with a longer timeout)
    redis_socket_timeout_seconds: float = 2.0
    redis_connect_timeout_seconds: float = 2.0
    # the whole hand-over of one job to Redis after a commit (waiting for a pooled connection included); a push
    # that gives up leaves its intent pending for the outbox sweeper
    job_push_timeout_seconds: float = 3.0
    queue_prefix: str = "lsp"

    # "kid:base64key[,kid:base64key...]"; the first is used to encrypt, all are tried to decrypt.
    encryption_keys: str = DEV_ENCRYPTION_KEY

    api_host: str = "127.0.0.1"
    api_port: int = 8000
    api_workers: int = 1
    # longer than clients and proxies keep idle connections, so the server never closes one under a request
    api_keepalive_seconds: int = 65
    public_base_url: str = "http://127.0.0.1:8000"

    simulator_host: str = "127.0.0.1"
    simulator_port: int = 8900
    simulator_accounts_file: str = ".lsp/simulator-accounts.json"
    receiver_port: int = 8950
    shop_port: int = 8970  # the demo merchant shop served by `lightspeedpay up`

    signature_tolerance_seconds: int = 300
    # how long a signed request may wait for the replay check (Redis) before it is refused with a 503
    replay_check_timeout_seconds: float = 2.0
    max_body_bytes: int = 64 * 1024
    max_amount: int = 10_000_000_000  # ₹10 crore in paise
    merchant_cache_seconds: float = 5.0

    default_fee_percent: str = "3.50"
    default_suspend_threshold: int = 1_000_000  # ₹10,000
    default_warn_threshold: int = 500_000

    # merchant webhook delivery
    webhook_timeout_seconds: float = 10.0
    webhook_retry_schedule: str = "60,300,1800,7200"  # seconds between attempts
    # deliver to private, loopback and link-local addresses? unset: yes, except when LSP_ENV=production
    webhook_allow_private_targets: bool | None = None
    webhook_secret_grace_seconds: float = 24 * 3600.0  # after a rotation the old secret also signs this long
    webhook_disable_after_failures: int = 5  # events in a row that end failed before the endpoint is disabled
    webhook_retry_after_max_seconds: float = 3600.0  # a receiver's Retry-After is honoured up to this
    webhook_retention_success_days: float = 7.0  # delivered deliveries (and their attempts) are purged after
    webhook_retention_failed_days: float = 30.0
    webhook_housekeeping_seconds: float = 300.0  # retention purge and stalled-queue repair

    # outbox and workers
    sweeper_interval_seconds: float = 30.0
    sweeper_grace_seconds: float = 60.0
    job_max_attempts: int = 8
    worker_concurrency: int = 20
    worker_lock_ms: int = 30_000
    psp_timeout_seconds: float = 15.0
    # each periodic task of the scheduler runs as its own asyncio task; a run still going after this is
    # cancelled (logged `scheduled_run_timeout`) and started again when next due
    scheduler_task_timeout_seconds: float = 300.0

    # routing
    routing_exploration: float = 0.05  # share of initiations that ignore success rate within a priority tier
    breaker_threshold: int = 5  # consecutive technical failures that make a gateway temp_failed
    failover_max_attempts: int = 3  # gateways tried for one payment before it fails
    success_window_minutes: int = 60
    success_min_sample: int = 10
    routing_refresh_seconds: float = 15.0
    health_probe_seconds: float = 30.0
    janitor_interval_seconds: float = 60.0
    janitor_pending_after_seconds: float = 900.0  # ask the PSP about payments pending this long
    janitor_concurrency: int = 8  # PSP status calls the janitor has in flight at once
    transaction_ttl_seconds: float = 3600.0  # then they expire

    # payments API (issue 4): authorizations not captured in this window are refunded (Razorpay: 5 days)
    capture_window_seconds: float = 5 * 24 * 3600.0
    refund_max_attempts: int = 6  # PSP calls without an answer before a refund is failed
    idempotency_ttl_seconds: float = 24 * 3600.0  # Idempotency-Key lifetime; purged after
    idempotency_lock_seconds: float = 90.0  # a key still running after this belonged to a request that died
    idempotency_wait_seconds: float = 5.0  # a concurrent retry waits this long for the first, then gets 409
    idempotency_purge_seconds: float = 3600.0

    # commission ledger, dues and settlements (issue 5)
    ledger_check_seconds: float = 300.0  # the scheduler's invariant check
    settlement_timezone: str = "Asia/Kolkata"  # a settlement period is one calendar day here
    settlement_check_seconds: float = 300.0  # how often the scheduler looks whether yesterday is settled
    settlement_after_hour: int = 1  # local hour after which the previous day is settled
    dues_notice_interval_hours: float = 24.0  # at most one LOW_BALANCE notice per merchant in this window

    # seed 003's schedules, retention and archive (issue 9): cron expressions in LSP_SCHEDULER_TIMEZONE; each
    # daily task does its work once per IST day however often it runs
    low_balance_reminder_cron: str = "*/15 * * * *"
    commission_payout_cron: str = "0 0 * * *"
    archive_cron: str = "0 2 * * *"
    retention_cron: str = "30 2 * * *"
    health_report_cron: str = "0 6 * * *"
    archive_timeout_seconds: float = 3600.0  # the archive and retention runs may take this long (in batches)
    archive_after_days: float = 90.0  # final payments with nothing pending leave the hot table after this
    archive_batch_size: int = 500  # payments moved per DB transaction
    retention_job_intents_days: float = 7.0  # completed job intents are deleted after this
    retention_psp_events_days: float = 90.0  # processed PSP webhooks are deleted after this
    retention_alerts_days: float = 90.0  # resolved alerts are deleted after this
    retention_batch_blocks: int = 2000  # table pages (8 kB) one batch of a retention purge looks at

    # WhatsApp Cloud API (https://graph.facebook.com in production; the loopback stand-in by default)
    wa_base_url: str = "http://127.0.0.1:8960"
    wa_api_version: str = "v21.0"
    wa_phone_number_id: str = "100000000000001"
    wa_app_id: str = "lsp-dev-app"
    wa_app_secret: str = "dev-wa-app-secret"
    # the long-lived (system user) token that is exchanged for the access tokens stored encrypted
    wa_access_token: str = "dev-wa-system-user-token"
    wa_refresh_before_seconds: float = 24 * 3600.0  # refresh a stored token this long before it expires
    wa_template_low_balance: str = "low_balance_template"
    wa_template_txn_update: str = "transaction_update_template"
    wa_template_language: str = "en"
    wa_timeout_seconds: float = 10.0
    wa_retry_backoff: str = "30,120,600"  # seconds before attempts 2, 3 and 4 (after a 5xx or a timeout)
    wa_standin_port: int = 8960

    # alerts and Slack (issue 9): rules run by the scheduler open one alert per condition and resolve it when the
    # condition clears; an alert is sent to Slack once when opened and once when resolved
    alert_rules_seconds: float = 30.0  # how often the rules run (all but the SLA monitor)
    alert_sla_seconds: float = 300.0  # the SLA monitor (seed 003: every 5 minutes)
    alert_failure_rate_percent: float = 30.0  # failed share of the payments decided in the window
    alert_failure_rate_window_minutes: float = 5.0
    alert_failure_rate_min_sample: int = 20  # fewer decided payments in the window say nothing
    alert_queue_waiting_max: int = 1000  # jobs waiting in one queue
    alert_queue_oldest_waiting_seconds: float = 300.0  # age of the oldest waiting job
    alert_sla_pending_minutes: float = 15.0  # a payment still created/pending after this breaks the SLA
    # Slack incoming webhook (https://hooks.slack.com/services/… in production: a secret, never logged); empty:
    # nothing is sent. The default is the loopback stand-in that `lightspeedpay up` runs.
    slack_webhook_url: str = "http://127.0.0.1:8965/services/TLSPDEV00/BLSPDEV00/dev-slack-webhook-token"
    slack_timeout_seconds: float = 10.0
    slack_retry_backoff: str = "10,60,300,900"  # seconds before attempts 2… (after a 5xx, a 429 or a timeout)
    slack_retry_after_max_seconds: float = 900.0  # Slack's Retry-After (429) is honoured up to this
    slack_standin_port: int = 8965

    # queue control plane (issue 9): the sampler of queue_metrics runs this often (every minute) and keeps
    # this many days of samples; an unpark or a queue-wide retry handles at most this many intents per call
    queue_metrics_seconds: float = 60.0
    queue_metrics_retention_days: int = 30
    queue_admin_batch_limit: int = 10_000

    # workers, scheduler, health and system status (issue 9)
    worker_heartbeat_seconds: float = 10.0  # each worker process writes its worker_health row this often
    worker_down_after_beats: int = 3  # a worker (or scheduler) silent this many beats is down
    worker_health_retention_hours: float = 24.0  # rows of workers stopped or down this long are purged
    scheduler_timezone: str = "Asia/Kolkata"  # cron expressions of the periodic table are read in this zone
    scheduler_heartbeat_seconds: float = 10.0  # leader and standby write their scheduler_instances row
    scheduler_standby_poll_seconds: float = 5.0  # a standby tries to take the leadership this often
    # a cron run missed while no scheduler led (a failover at 02:00) is made up at takeover if this recent
    scheduler_misfire_grace_seconds: float = 3600.0
    scheduler_run_history_days: float = 7.0  # scheduled_runs older than this are purged
    scheduler_run_history_per_task: int = 1000  # and at most this many are kept per task
    health_timeout_seconds: float = 2.0  # /api/health gives each dependency this long to answer
    status_check_cron: str = "*/10 * * * *"  # the system status checker (seed 003: every 10 minutes)
    status_history_days: float = 30.0  # system_status rows are kept this long
    # live streams (issue 9): Server-Sent Events fanned out from Redis pub/sub by one hub per API process
    # events waiting for one client; a client that falls this far behind is dropped
    stream_client_buffer: int = 256
    stream_send_timeout_seconds: float = 30.0  # a client that takes no bytes for this long is disconnected
    # then a `reconnect` event ends the stream (an EventSource reconnects and starts from a snapshot)
    stream_max_lifetime_seconds: float = 900.0
    stream_ping_seconds: float = 15.0  # comment lines that keep proxies from closing an idle stream
    stream_max_connections: int = 2000  # open streams per API process; more get 503 STREAMS_BUSY
    stream_publish_timeout_seconds: float = (
        1.0  # the after-commit publish; an event that misses it is dropped
    )
    stream_queue_sample_seconds: float = 5.0  # the scheduler publishes the queues' overview this often
    stream_snapshot_limit: int = 50  # latest transactions in a transactions stream's snapshot

    # JSON log lines (one object a line, with the request id); unset: JSON when LSP_ENV=production
    log_json: bool | None = None
    log_level: str = "INFO"
    # one line per HTTP request (method, path, status, duration) at INFO, with the request id
    access_log: bool = True
    admin_token: str = "dev-admin-token"

    # audit log and metrics (issue 9)
    # prometheus_client's multiprocess directory, shared by the api, worker and scheduler processes of one host
    # (set as PROMETHEUS_MULTIPROC_DIR before they start); unset: one per platform under the system's temp dir
    metrics_dir: str | None = None
    # the figures /metrics reads at scrape time (queue counts, intents, breakers) are reused this long
    metrics_cache_seconds: float = 5.0
    audit_export_max_rows: int = 1_000_000  # one CSV export streams at most this many rows
    # payment analytics (issue 9): how often the scheduler folds the delta log into the rollups (the analytics
    # API lags the payments by about this much), and how many deltas one fold transaction takes
    analytics_fold_seconds: float = 30.0
    analytics_fold_batch: int = 20_000

    # identity and access (issue 10)
    # HS256 keys for access tokens, "kid:secret[,kid:secret...]": the first signs, all verify (rotate by putting
    # a new key first and dropping the old one after access_token_seconds)
    jwt_keys: str = "dev:dev-jwt-key-not-for-production-use-0000000000"
    access_token_seconds: int = 15 * 60
    refresh_token_days: float = 30.0
    session_cookie: str = "lsp_session"
    session_idle_minutes: float = 30.0  # a browser session unused this long ends
    session_absolute_hours: float = 12.0  # and every session ends this long after login
    support_refund_limit: int = 1_000_000  # paise (₹10,000): a merchant's support role refunds up to this
    reauth_seconds: float = 600.0  # sensitive actions need a login or re-authentication this recent
    # every operator must turn on two-factor authentication (TOTP): one without it can log in, set it up and
    # nothing else. Off by default in development and test so the demo logins work with a password alone;
    # turn it on in production. (Merchants require it for their team with clients.require_2fa.)
    operators_require_2fa: bool = False
    # lockout: this many failed logins in a row lock the account for login_lockout_minutes, and each further
    # failure after a lock ends locks it again for twice as long (at most login_lockout_max_hours); a successful
    # login resets the count. A locked account answers exactly like a wrong password.
    login_max_failures: int = 5
    login_lockout_minutes: float = 15.0
    login_lockout_max_hours: float = 24.0
    totp_issuer: str = "LightSpeedPay"  # the name authenticator apps show next to the code

    # email (issue 10): sent through the outbox by the email-notifications queue to this SMTP server.
    # smtp://[user:password@]host:port (plain), smtp+starttls://… (STARTTLS) or smtps://… (TLS from the start); the
    # URL's password is a secret, never logged. The default is the loopback stand-in that `lightspeedpay up` runs.
    smtp_url: str = "smtp://127.0.0.1:8925"
    smtp_timeout_seconds: float = 10.0
    email_from: str = "LightSpeedPay <no-reply@lightspeedpay.local>"
    email_retry_backoff: str = "10,60,300,900"  # seconds before attempts 2… (connection errors, SMTP 4xx)
    smtp_standin_port: int = 8925  # the loopback SMTP stand-in (devtools/smtp.py): SMTP here
    smtp_standin_http_port: int = 8926  # and its read API (GET /_smtp/messages?to=…) here
    # links in emails open pages under this URL (the consoles); empty: LSP_PUBLIC_BASE_URL
    email_link_base_url: str = ""
    # one-time tokens sent by email: how long each stays valid (each works once)
    verify_email_token_hours: float = 48.0
    reset_password_token_minutes: float = 60.0
    invitation_token_days: float = 7.0
    # a second verification or reset email to one address within this many seconds is not sent (mail bombing)
    email_token_resend_seconds: float = 60.0
    # rate limits (issue 10): a moving window in Redis (ratelimit/limiter.py). Each API credential (and each person
    # acting for a merchant) may make this many requests per window; a merchant's own
    # clients.rate_limit_per_minute overrides it (operators set it through PATCH /api/v1/admin/merchants/{id})
    rate_limit_enabled: bool = True
    rate_limit_per_minute: int = 100
    rate_limit_window_seconds: int = 60  # the window the per-minute limits count in (shorter only in tests)
    # the Redis of the counters (empty: LSP_REDIS_URL); if it does not answer within the timeout the request is
    # served anyway (fail open) and a warning is logged (at most one per LSP_RATE_LIMIT_WARN_SECONDS)
    rate_limit_redis_url: str = ""
    rate_limit_timeout_seconds: float = 0.1
    rate_limit_warn_seconds: float = 60.0
    # login and signup, per caller IP and per account (email), in their own windows
    login_limit_per_ip: int = 30
    login_limit_per_account: int = 10
    login_limit_window_seconds: int = 900
    signup_limit_per_ip: int = 10
    signup_limit_per_account: int = 3
    signup_limit_window_seconds: int = 3600
    # API usage analytics (issue 10): each API process counts requests in memory and adds them to the daily
    # rollup this often (and at shutdown)
    usage_flush_seconds: float = 5.0
    usage_max_range_days: int = 92  # the longest date range GET /api/v1/merchant/usage answers
    # Strict-Transport-Security max-age, sent only when LSP_ENV=production
    hsts_max_age_seconds: int = 31_536_000

    # onboarding and KYC (issue 10)
    # where KYC documents are kept (the local-folder storage; kyc/storage.py describes the S3-compatible seam)
    kyc_storage_dir: str = ".lsp/kyc-documents"
    kyc_max_document_bytes: int = 5 * 1024 * 1024  # larger uploads get 413
    # a penny drop passes when the name at the bank matches the business name at least this well (0-100)
    kyc_name_match_threshold: float = 80.0
    # the penny-drop provider (PayU-style verifyAccount); unset: the PSP simulator's stand-in
    kyc_penny_drop_url: str | None = None
    kyc_penny_drop_token: str = "dev-penny-drop-token"
    kyc_penny_drop_merchant_id: str = "1111594"

    @field_validator("webhook_retry_schedule")
    @classmethod
    def _schedule(cls, value: str) -> str:
        [float(part) for part in value.split(",") if part.strip()]
        return value

    @model_validator(mode="after")
    def _private_targets_default(self) -> Settings:
        if self.webhook_allow_private_targets is None:
            self.webhook_allow_private_targets = self.env != "production"
        if self.log_json is None:
            self.log_json = self.env == "production"
        return self

    @property
    def retry_schedule(self) -> list[float]:
        return [float(part) for part in self.webhook_retry_schedule.split(",") if part.strip()]

    @property
    def wa_backoff(self) -> list[float]:
        return [float(part) for part in self.wa_retry_backoff.split(",") if part.strip()]

    @property
    def slack_backoff(self) -> list[float]:
        return [float(part) for part in self.slack_retry_backoff.split(",") if part.strip()]

    @property
    def email_backoff(self) -> list[float]:
        return [float(part) for part in self.email_retry_backoff.split(",") if part.strip()]

    @property
    def email_link_base(self) -> str:
        return (self.email_link_base_url or self.public_base_url).rstrip("/")

    @property
    def simulator_url(self) -> str:
        return f"http://{self.simulator_host}:{self.simulator_port}"

    def check_production(self) -> None:
        if self.env == "production" and DEV_ENCRYPTION_KEY.split(":")[1] in self.encryption_keys:
            raise RuntimeError("LSP_ENCRYPTION_KEYS holds the development key; set a real key in production")
        if self.env == "production" and (self.admin_token == "dev-admin-token" or len(self.admin_token) < 24):
            raise RuntimeError(
                "LSP_ADMIN_TOKEN is the development default or shorter than 24 characters; "
                "set a long random token in production"
            )
        if self.env == "production" and any(
            part.partition(":")[2] == "dev-jwt-key-not-for-production-use-0000000000" or len(part) < 40
            for part in self.jwt_keys.split(",")
        ):
            raise RuntimeError("LSP_JWT_KEYS holds the development key or a short one; set long random keys")


@lru_cache
def get_settings() -> Settings:
    return Settings()
