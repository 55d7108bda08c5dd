from __future__ import annotations

from decimal import Decimal

import pytest

from orderdesk.settings import (
    CutoffRule,
    RateLimit,
    SettingsError,
    load_settings,
    parse_cutoff_rule,
    parse_duration,
    parse_rate_limit,
    parse_schedule,
)


@pytest.mark.parametrize(("text", "seconds"), [("30s", 30), ("2m", 120), ("24h", 86400), ("1d", 86400), ("45", 45)])
def test_durations(text: str, seconds: float) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["", "1.5s", "-3s", "10w", "s", "true"])
def test_bad_durations(text: str) -> None:
    with pytest.raises(ValueError):
        parse_duration(text)


def test_retry_schedule_and_empty_schedule() -> None:
    assert parse_schedule("30s,2m,10m") == (30, 120, 600)
    assert parse_schedule("") == ()


def test_rate_limits() -> None:
    assert parse_rate_limit("50/second") == RateLimit(50, 1)
    assert parse_rate_limit("3/minute") == RateLimit(3, 60)
    assert parse_rate_limit("1000/hour").seconds_per_token == 3.6
    assert parse_rate_limit("") is None
    for bad in ("50", "0/second", "5/day", "x/second"):
        with pytest.raises(ValueError):
            parse_rate_limit(bad)


def test_cutoff_rules() -> None:
    assert parse_cutoff_rule("day_before_midnight_kst") == CutoffRule()
    assert parse_cutoff_rule("hours_before:0") == CutoffRule(0)
    assert parse_cutoff_rule("hours_before:168") == CutoffRule(168)
    for bad in ("hours_before:169", "hours_before:-1", "midnight"):
        with pytest.raises(ValueError):
            parse_cutoff_rule(bad)


def test_defaults_need_nothing_set(monkeypatch: pytest.MonkeyPatch) -> None:
    settings = load_settings()
    assert settings.database_url == "sqlite:///./orderdesk.db"
    assert settings.rate_limit == RateLimit(50, 1)
    assert settings.webhook_retry_schedule == (30, 120, 600, 1800, 3600, 10800, 21600, 43200, 86400)
    assert settings.crypto_code_threshold_usd == Decimal("1000")
    assert settings.ops_token is None


def test_environment_overrides(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ORDERDESK_WEBHOOK_RETRY_SCHEDULE", "")
    monkeypatch.setenv("ORDERDESK_RATE_LIMIT", "")
    monkeypatch.setenv("ORDERDESK_ORDER_CUTOFF_RULE", "hours_before:6")
    monkeypatch.setenv("ORDERDESK_OPS_TOKEN", "")
    settings = load_settings()
    assert settings.webhook_retry_schedule == ()
    assert settings.rate_limit is None
    assert settings.order_cutoff_rule == CutoffRule(6)
    assert settings.ops_token is None


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("ORDERDESK_AUCTION_PASSED_AFTER", "soon"),
        ("ORDERDESK_RATE_LIMIT", "fast"),
        ("ORDERDESK_ENVIRONMENT", "staging"),
        ("ORDERDESK_DATABASE_URL", "mysql://x"),
        ("ORDERDESK_ORDER_CUTOFF_RULE", "hours_before:200"),
    ],
)
def test_invalid_value_names_the_setting(monkeypatch: pytest.MonkeyPatch, name: str, value: str) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError, match=name):
        load_settings()
