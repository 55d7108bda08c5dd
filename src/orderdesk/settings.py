"""All configuration, read once from ORDERDESK_* environment variables.

Every setting has an embedded default so `orderdesk serve` runs with nothing set.
An invalid value stops start-up with a message that names the setting.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BeforeValidator, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

_DURATION = re.compile(r"^\s*(\d+)\s*([smhd]?)\s*$")
_UNIT_SECONDS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}
_RATE = re.compile(r"^\s*(\d+)\s*/\s*(second|minute|hour)\s*$")
_PERIOD_SECONDS = {"second": 1, "minute": 60, "hour": 3600}


def parse_duration(value: object) -> float:
    """`<integer><unit>` with unit s, m, h or d; a bare integer means seconds."""
    if isinstance(value, bool):
        raise ValueError("expected a duration such as 30s, 2m, 1h or 1d")
    if isinstance(value, int | float):
        return float(value)
    match = _DURATION.match(str(value))
    if not match:
        raise ValueError("expected a duration such as 30s, 2m, 1h or 1d")
    return float(int(match.group(1)) * _UNIT_SECONDS[match.group(2)])


def parse_schedule(value: object) -> tuple[float, ...]:
    if isinstance(value, tuple | list):
        return tuple(parse_duration(v) for v in value)
    text = str(value).strip()
    if not text:
        return ()
    return tuple(parse_duration(part) for part in text.split(","))


@dataclass(frozen=True)
class RateLimit:
    """A token bucket: `capacity` tokens, refilled continuously over `period` seconds."""

    capacity: int
    period: float

    @property
    def seconds_per_token(self) -> float:
        return self.period / self.capacity


def parse_rate_limit(value: object) -> RateLimit | None:
    if value is None or isinstance(value, RateLimit):
        return value
    text = str(value).strip()
    if not text:
        return None
    match = _RATE.match(text)
    if not match or int(match.group(1)) < 1:
        raise ValueError("expected <N>/second, <N>/minute or <N>/hour with N >= 1, or empty to disable")
    return RateLimit(int(match.group(1)), float(_PERIOD_SECONDS[match.group(2)]))


@dataclass(frozen=True)
class CutoffRule:
    """`day_before_midnight_kst`, or `hours_before:N` (hours_before set)."""

    hours_before: int | None = None


def parse_cutoff_rule(value: object) -> CutoffRule:
    if isinstance(value, CutoffRule):
        return value
    text = str(value).strip()
    if text == "day_before_midnight_kst":
        return CutoffRule()
    match = re.fullmatch(r"hours_before:(\d{1,3})", text)
    if match and 0 <= int(match.group(1)) <= 168:
        return CutoffRule(hours_before=int(match.group(1)))
    raise ValueError("expected day_before_midnight_kst or hours_before:N with N from 0 to 168")


Duration = Annotated[float, BeforeValidator(parse_duration)]
Schedule = Annotated[tuple[float, ...], NoDecode, BeforeValidator(parse_schedule)]
OptionalRateLimit = Annotated[RateLimit | None, NoDecode, BeforeValidator(parse_rate_limit)]
Cutoff = Annotated[CutoffRule, NoDecode, BeforeValidator(parse_cutoff_rule)]


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ORDERDESK_", extra="ignore", frozen=True)

    # shared (design.md)
    database_url: str = "sqlite:///./orderdesk.db"
    redis_url: str | None = None
    environment: Literal["sandbox", "production"] = "sandbox"
    ops_token: str | None = None
    max_body_bytes: int = 1_048_576
    dispatch_interval: Duration = 1.0
    # How long a claimed outbox row stays with its dispatcher before another may take it over
    # (a crashed one's rows run again after this); longer than any handler's timeout.
    dispatch_lease: Duration = 120.0
    log_level: Literal["debug", "info", "warning", "error"] = "info"
    smtp_url: str | None = None
    mail_from: str = "orderdesk <no-reply@orderdesk.local>"
    db_pool_size: int = 10
    # `full` makes every commit durable on power loss; `normal` only on process crash.
    sqlite_synchronous: Literal["full", "normal"] = "full"

    # auto (spec/auto.md section 10)
    rate_limit: OptionalRateLimit = RateLimit(50, 1.0)
    trust_proxy_headers: bool = False
    auto_auctions: bool = True
    auction_passed_after: Duration = 86400.0
    webhook_retry_schedule: Schedule = (30, 120, 600, 1800, 3600, 10800, 21600, 43200, 86400)
    webhook_timeout: Duration = 10.0
    order_cutoff_rule: Cutoff = CutoffRule()

    # crypto (spec/crypto.md section 13)
    crypto_jwt_leeway: Duration = 300.0
    crypto_rate_limit: OptionalRateLimit = RateLimit(1000, 1.0)
    crypto_quote_ttl: Duration = 60.0
    crypto_code_threshold_usd: Decimal = Decimal("1000")
    crypto_code_max_attempts: int = 5
    crypto_code_max_resends: int = 5
    crypto_send_delay: Duration = 5.0
    crypto_send_auth_threshold_usd: Decimal = Decimal("10000")
    crypto_send_auth_ttl: Duration = 86400.0
    crypto_default_max_order_value_usd: Decimal = Decimal("100000")
    crypto_require_kyc: bool = False
    crypto_kyc_preapproval: bool = True
    crypto_kyc_grace_days: int = 15
    crypto_document_max_bytes: int = 2_097_152
    crypto_webhook_private_key: str | None = None
    crypto_webhook_timeout: Duration = 30.0
    crypto_webhook_retry_schedule: Schedule = (30, 120, 600, 1800, 3600, 10800, 21600, 43200, 86400)

    # operator console (issue 12): how long a sign-in lasts
    console_session_ttl: Duration = 28800.0

    @field_validator("ops_token", "redis_url", "smtp_url", "crypto_webhook_private_key", mode="before")
    @classmethod
    def _empty_is_unset(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("database_url")
    @classmethod
    def _known_database(cls, value: str) -> str:
        if not value.startswith(("sqlite:///", "postgresql://", "postgres://")):
            raise ValueError("expected sqlite:///PATH or postgresql://...")
        return value

    @field_validator("max_body_bytes", "db_pool_size", "crypto_code_max_attempts", "crypto_document_max_bytes")
    @classmethod
    def _positive(cls, value: int) -> int:
        if value < 1:
            raise ValueError("must be at least 1")
        return value

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite:")


class SettingsError(Exception):
    """Start-up configuration problem; the message names the ORDERDESK_* setting."""


def load_settings(**overrides: object) -> Settings:
    from pydantic import ValidationError

    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            name = "ORDERDESK_" + str(error["loc"][0]).upper() if error["loc"] else "ORDERDESK_?"
            problems.append(f"{name}: {error['msg']}")
        raise SettingsError("invalid configuration: " + "; ".join(problems)) from None
