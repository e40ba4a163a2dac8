"""All configuration in one pydantic-settings class; every field is `LSP_<NAME>` in the environment."""

from __future__ import annotations

from functools import lru_cache
from typing import Literal

from pydantic import field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

# A fixed key for development and tests only; production refuses to start with it.
DEV_ENCRYPTION_KEY = "dev:ZGV2LWtleS1ub3QtZm9yLXByb2R1Y3Rpb24tdXNlISE="


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="LSP_", env_file=".env", extra="ignore")

    env: Literal["development", "test", "production"] = "development"
    database_url: str = "postgresql+asyncpg://lightspeedpay@127.0.0.1:5432/lightspeedpay"
    db_pool_size: int = 20
    db_max_overflow: int = 10
    redis_url: str = "redis://127.0.0.1:6379/0"
    redis_max_connections: int = 64
    queue_prefix: str = "lsp"

    # "kid:base64key[,kid:base64key...]"; the first is used to encrypt, all are tried to decrypt.
    encryption_keys: str = DEV_ENCRYPTION_KEY

    api_host: str = "127.0.0.1"
    api_port: int = 8000
    api_workers: int = 1
    public_base_url: str = "http://127.0.0.1:8000"

    simulator_host: str = "127.0.0.1"
    simulator_port: int = 8900
    simulator_accounts_file: str = ".lsp/simulator-accounts.json"
    receiver_port: int = 8950

    signature_tolerance_seconds: int = 300
    max_body_bytes: int = 64 * 1024
    max_amount: int = 10_000_000_000  # ₹10 crore in paise
    merchant_cache_seconds: float = 5.0

    default_fee_percent: str = "3.50"
    default_suspend_threshold: int = 1_000_000  # ₹10,000
    default_warn_threshold: int = 500_000

    # merchant webhook delivery
    webhook_timeout_seconds: float = 10.0
    webhook_retry_schedule: str = "60,300,1800,7200"  # seconds between attempts
    webhook_allow_private_targets: bool = True

    # outbox and workers
    sweeper_interval_seconds: float = 30.0
    sweeper_grace_seconds: float = 60.0
    job_max_attempts: int = 8
    worker_concurrency: int = 20
    worker_lock_ms: int = 30_000
    psp_timeout_seconds: float = 15.0

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
    transaction_ttl_seconds: float = 3600.0  # then they expire

    log_json: bool = False
    log_level: str = "INFO"
    admin_token: str = "dev-admin-token"

    @field_validator("webhook_retry_schedule")
    @classmethod
    def _schedule(cls, value: str) -> str:
        [float(part) for part in value.split(",") if part.strip()]
        return value

    @property
    def retry_schedule(self) -> list[float]:
        return [float(part) for part in self.webhook_retry_schedule.split(",") if part.strip()]

    @property
    def simulator_url(self) -> str:
        return f"http://{self.simulator_host}:{self.simulator_port}"

    def check_production(self) -> None:
        if self.env == "production" and DEV_ENCRYPTION_KEY.split(":")[1] in self.encryption_keys:
            raise RuntimeError("LSP_ENCRYPTION_KEYS holds the development key; set a real key in production")
        if self.env == "production" and (self.admin_token == "dev-admin-token" or len(self.admin_token) < 24):
            raise RuntimeError("LSP_ADMIN_TOKEN is the development default or shorter than 24 characters; "
                               "set a long random token in production")


@lru_cache
def get_settings() -> Settings:
    return Settings()
