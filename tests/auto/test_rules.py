"""Unit tests of the dense rules: cutoffs, leader ranking, keys, IP allowlists, timestamps and
cursor keys."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta, timezone

import pytest

from orderdesk.auto import auth
from orderdesk.auto.bidding import Bid, leader_after_new_bid, order_cutoff
from orderdesk.auto.inputs import ORDER_SORTS, VEHICLE_SORTS
from orderdesk.auto.keyset import Sort
from orderdesk.auto.timefmt import KST, kst, parse_timestamp
from orderdesk.platform import cursors
from orderdesk.settings import CutoffRule, parse_cutoff_rule

DAY_BEFORE = parse_cutoff_rule("day_before_midnight_kst")


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


# --------------------------------------------------------------------------- cutoff (spec 4.3)


@pytest.mark.parametrize(
    ("auction", "cutoff"),
    [
        ("2026-05-12T13:30:00+09:00", "2026-05-11T00:00:00+09:00"),  # the spec's examples
        ("2026-05-12T00:10:00+09:00", "2026-05-11T00:00:00+09:00"),
        ("2026-05-12T00:00:00+09:00", "2026-05-11T00:00:00+09:00"),  # midnight exactly is still day D
        ("2026-05-11T23:59:59+09:00", "2026-05-10T00:00:00+09:00"),
        ("2026-05-11T15:10:00+00:00", "2026-05-11T00:00:00+09:00"),  # 00:10 KST on the 12th, written in UTC
        ("2026-05-11T14:59:59+00:00", "2026-05-10T00:00:00+09:00"),  # 23:59:59 KST on the 11th
        ("2026-03-01T09:00:00+09:00", "2026-02-28T00:00:00+09:00"),  # month boundary
        ("2026-01-01T09:00:00+09:00", "2025-12-31T00:00:00+09:00"),  # year boundary
    ],
)
def test_day_before_midnight_kst(auction: str, cutoff: str) -> None:
    assert kst(order_cutoff(at(auction), DAY_BEFORE)) == cutoff


@pytest.mark.parametrize(
    ("rule", "auction", "cutoff"),
    [
        ("hours_before:0", "2026-05-12T13:30:00+09:00", "2026-05-12T13:30:00+09:00"),
        ("hours_before:1", "2026-05-12T13:30:00+09:00", "2026-05-12T12:30:00+09:00"),
        ("hours_before:24", "2026-05-12T00:10:00+09:00", "2026-05-11T00:10:00+09:00"),
        ("hours_before:168", "2026-05-12T13:30:00+09:00", "2026-05-05T13:30:00+09:00"),
        ("hours_before:2", "2026-05-12T01:00:00+00:00", "2026-05-12T08:00:00+09:00"),  # written in +09:00
    ],
)
def test_hours_before(rule: str, auction: str, cutoff: str) -> None:
    assert kst(order_cutoff(at(auction), parse_cutoff_rule(rule))) == cutoff


@pytest.mark.parametrize(
    "bad", ["hours_before:169", "hours_before:-1", "hours_before:", "midnight", "hours_before:1.5"]
)
def test_cutoff_rule_values_are_checked(bad: str) -> None:
    with pytest.raises(ValueError):
        parse_cutoff_rule(bad)


def test_cutoff_rule_default_is_day_before() -> None:
    assert CutoffRule(hours_before=None) == DAY_BEFORE


# --------------------------------------------------------------------------- leader (spec 4.2)

T0 = datetime(2026, 5, 6, 0, 0, tzinfo=UTC)


def test_higher_ceiling_leads() -> None:
    low, high = Bid("01B", 17900, T0), Bid("01C", 18200, T0 + timedelta(seconds=5))
    assert high.outranks(low) and not low.outranks(high)
    assert leader_after_new_bid(low, high) == high
    assert leader_after_new_bid(high, low) == high


def test_tie_goes_to_the_earliest_then_the_lowest_id() -> None:
    first, later = Bid("01Z", 18200, T0), Bid("01A", 18200, T0 + timedelta(microseconds=1))
    assert first.outranks(later)
    assert leader_after_new_bid(first, later) == first
    same_time_low, same_time_high = Bid("01A", 18200, T0), Bid("01B", 18200, T0)
    assert leader_after_new_bid(same_time_high, same_time_low) == same_time_low
    assert leader_after_new_bid(same_time_low, same_time_high) == same_time_low


def test_first_bid_leads() -> None:
    bid = Bid("01A", 17400, T0)
    assert leader_after_new_bid(None, bid) == bid


# --------------------------------------------------------------------------- API keys (spec 2.1)


@pytest.mark.parametrize("environment", ["sandbox", "production"])
def test_generated_keys_have_the_contract_format(environment: str) -> None:
    keys = {auth.generate_api_key(environment) for _ in range(50)}
    assert len(keys) == 50
    for key in keys:
        assert len(key) == 36 and auth.is_well_formed_key(key)
        assert key.startswith(auth.KEY_PREFIXES[environment])


@pytest.mark.parametrize(
    "key",
    [
        "lmn_stg_E2I8nUigVahfNbA03U7uapnvxFMJ",
        "lmn_prd_E2I8nUigVahfNbA03U7uapnvxFM-",
        "lmn_stg_____________________________",
    ],
)
def test_well_formed_keys(key: str) -> None:
    assert auth.is_well_formed_key(key)


@pytest.mark.parametrize(
    "key",
    [
        "lmn_stg_E2I8nUigVahfNbA03U7uapnvxFM",
        "lmn_stg_E2I8nUigVahfNbA03U7uapnvxFMJX",
        "lmn_dev_E2I8nUigVahfNbA03U7uapnvxFMJ",
        "LMN_STG_E2I8nUigVahfNbA03U7uapnvxFMJ",
        "lmn_stg_E2I8nUigVahfNbA03U7uapnvx+MJ",
        "lmn_stg_E2I8nUigVahfNbA03U7uapnvxFMJ\n",
    ],
)
def test_malformed_keys(key: str) -> None:
    assert not auth.is_well_formed_key(key)


def test_digest_is_sha256_hex_of_the_whole_key() -> None:
    assert (
        auth.key_digest("lmn_stg_E2I8nUigVahfNbA03U7uapnvxFMJ")
        == hashlib.sha256(b"lmn_stg_E2I8nUigVahfNbA03U7uapnvxFMJ").hexdigest()
    )


def test_webhook_secret_format() -> None:
    secret = auth.generate_webhook_secret()
    assert secret.startswith("whsec_") and len(secret) == 6 + 43


# --------------------------------------------------------------------------- IP allowlist (spec 2.2)


@pytest.mark.parametrize(
    ("entry", "canonical"),
    [
        ("203.0.113.7", "203.0.113.7"),
        ("203.0.113.7/32", "203.0.113.7"),
        ("198.51.100.77/24", "198.51.100.0/24"),
        ("2001:DB8::10", "2001:db8::10"),
        ("2001:db8:0:0::10/128", "2001:db8::10"),
        ("2001:db8::1/32", "2001:db8::/32"),
        ("0.0.0.0/0", "0.0.0.0/0"),
    ],
)
def test_allowlist_entries_are_canonical(entry: str, canonical: str) -> None:
    assert auth.canonical_entry(entry) == canonical


@pytest.mark.parametrize("entry", ["", "example.com", "203.0.113.300", "203.0.113.0/33", "2001:db8::/129", "1.2.3.4/x"])
def test_allowlist_entries_that_are_not_networks(entry: str) -> None:
    with pytest.raises(ValueError):
        auth.canonical_entry(entry)


ALLOWLIST = '["203.0.113.7", "198.51.100.0/24", "2001:db8::/32"]'


@pytest.mark.parametrize(
    ("address", "allowed"),
    [
        ("203.0.113.7", True),
        ("203.0.113.8", False),
        ("198.51.100.255", True),
        ("198.51.101.1", False),
        ("::ffff:203.0.113.7", True),
        ("::ffff:198.51.100.9", True),
        ("::ffff:203.0.113.8", False),
        ("2001:db8:1::5", True),
        ("2001:db9::1", False),
        ("not-an-ip", False),
    ],
)
def test_allowlist_matching(address: str, allowed: bool) -> None:
    assert auth.address_allowed(address, ALLOWLIST) is allowed


def test_null_allowlist_allows_everyone() -> None:
    assert auth.address_allowed("192.0.2.1", None)


# --------------------------------------------------------------------------- timestamps (spec 2.5)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-06-20T08:15:00+01:00", datetime(2026, 6, 20, 8, 15, tzinfo=timezone(timedelta(hours=1)))),
        ("2026-06-20T08:15:00+00:00", datetime(2026, 6, 20, 8, 15, tzinfo=UTC)),
        (
            "2026-06-20T08:15:00.987654-05:30",
            datetime(2026, 6, 20, 8, 15, tzinfo=timezone(-timedelta(hours=5, minutes=30))),
        ),
    ],
)
def test_timestamps_with_offset(text: str, expected: datetime) -> None:
    parsed = parse_timestamp(text)
    assert parsed == expected and parsed is not None and parsed.utcoffset() == expected.utcoffset()
    assert parsed.microsecond == 0


@pytest.mark.parametrize(
    "text",
    [
        "2026-06-20T08:15:00Z",
        "2026-06-20T08:15:00",
        "2026-06-20",
        "2026-06-20 08:15:00+01:00",
        "2026-02-30T08:15:00+09:00",
        "2026-06-20T25:15:00+09:00",
        "2026-06-20T08:15:00+0900",
        "2026-06-20T08:15:00+24:00",
        "yesterday",
        "",
        "2026-06-20T08:15:00+09:00\n",
        "٢٠٢٦-06-20T08:15:00+09:00",
    ],
)
def test_timestamps_refused(text: str) -> None:
    assert parse_timestamp(text) is None


def test_output_is_kst_whole_seconds_truncated() -> None:
    assert kst(datetime(2026, 5, 6, 0, 14, 27, 999999, tzinfo=UTC)) == "2026-05-06T09:14:27+09:00"
    assert kst(datetime(2026, 5, 6, 9, 14, 27, tzinfo=KST)) == "2026-05-06T09:14:27+09:00"


# --------------------------------------------------------------------------- cursor keys (spec 2.8)


def test_nullable_sort_keys() -> None:
    sort = ORDER_SORTS["auction_date_asc"]
    row = {"auction_date": datetime(2026, 5, 12, 4, 30, tzinfo=UTC), "id": "01KQXA5KNRPQNMCMYXC47R2PCT"}
    assert sort.key_of(row) == [False, "2026-05-12T04:30:00+00:00", "01KQXA5KNRPQNMCMYXC47R2PCT"]
    assert sort.key_of({"auction_date": None, "id": "01A"}) == [True, None, "01A"]
    assert sort.parse_key([False, "2026-05-12T04:30:00+00:00", "01KQ"]) == (
        False,
        datetime(2026, 5, 12, 4, 30, tzinfo=UTC),
        "01KQ",
    )
    assert sort.parse_key([True, None, "01A"]) == (True, None, "01A")


def test_microseconds_survive_in_timestamp_keys() -> None:
    sort = ORDER_SORTS["created_desc"]
    created = datetime(2026, 5, 6, 0, 14, 27, 123456, tzinfo=UTC)
    key = sort.key_of({"created_at": created, "id": "01A"})
    assert key == ["2026-05-06T00:14:27.123456+00:00", "01A"]
    assert sort.parse_key(key) == (False, created, "01A")


@pytest.mark.parametrize(
    ("sort", "key"),
    [
        (ORDER_SORTS["created_desc"], ["2026-05-06T00:14:27+00:00"]),
        (ORDER_SORTS["created_desc"], ["2026-05-06T00:14:27", "01A"]),  # naive
        (ORDER_SORTS["created_desc"], ["yesterday", "01A"]),
        (ORDER_SORTS["created_desc"], [12, "01A"]),
        (ORDER_SORTS["created_desc"], ["2026-05-06T00:14:27+00:00", 5]),
        (ORDER_SORTS["auction_date_asc"], ["2026-05-06T00:14:27+00:00", "01A"]),
        (ORDER_SORTS["auction_date_asc"], [True, "2026-05-06T00:14:27+00:00", "01A"]),
        (ORDER_SORTS["auction_date_asc"], ["no", "2026-05-06T00:14:27+00:00", "01A"]),
        (VEHICLE_SORTS["price_asc"], ["17400", "x"]),
        (VEHICLE_SORTS["price_asc"], [True, "x"]),
        (VEHICLE_SORTS["year_desc"], [17400.5, "x"]),
    ],
)
def test_keys_of_the_wrong_shape_are_refused(sort: Sort, key: list) -> None:
    assert sort.parse_key(key) is None


def test_each_sort_has_its_own_cursor_space() -> None:
    digest = cursors.filters_hash({})
    token = cursors.encode("created_desc", digest, ["2026-05-06T00:14:27+00:00", "01A"])
    for name in ("created_asc", "auction_date_asc", "updated_desc"):
        with pytest.raises(cursors.InvalidCursor):
            cursors.decode(token, name, digest)
    with pytest.raises(cursors.InvalidCursor):
        cursors.decode(token, "created_desc", cursors.filters_hash({"status": "proceed"}))
    assert cursors.decode(token, "created_desc", digest) == ["2026-05-06T00:14:27+00:00", "01A"]
