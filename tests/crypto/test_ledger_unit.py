"""The ledger's balancing rule and net changes, without a database (spec 6.2)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from orderdesk.crypto import ledger, postings
from orderdesk.crypto.postings import Entry

D = Decimal


def test_a_balanced_posting_keeps_its_non_zero_entries() -> None:
    entries = postings.deposit(customer_id="c1", currency="USDC", amount=D("1500"), fee=D("0"))
    kept = ledger.check_balanced(entries)
    assert [e.label for e in kept] == ["external:USDC", "customer:c1:USDC"]


def test_every_currency_must_sum_to_zero_on_its_own() -> None:
    entries = [
        postings.customer("c1", "BTC", D("1")),
        postings.house(postings.HOUSE_TRADING, "BTC", D("-1")),
        postings.customer("c1", "USD", D("5")),
        postings.house(postings.HOUSE_TRADING, "ETH", D("-5")),
    ]
    with pytest.raises(ledger.UnbalancedPosting) as caught:
        ledger.check_balanced(entries)
    assert caught.value.sums == {"USD": D("5"), "ETH": D("-5")}


def test_one_smallest_unit_off_is_unbalanced() -> None:
    entries = [
        postings.customer("c1", "ETH", D("0.000000000000000001")),
        postings.house(postings.EXTERNAL, "ETH", D("0")),
    ]
    assert ledger.unbalanced_currencies(entries) == {"ETH": D("0.000000000000000001")}


def test_trailing_zeros_do_not_matter() -> None:
    entries = [postings.customer("c1", "USDC", D("1.500000")), postings.house(postings.EXTERNAL, "USDC", D("-1.5"))]
    assert ledger.unbalanced_currencies(entries) == {}


def test_net_changes_merge_entries_of_one_account() -> None:
    entries = [
        Entry("customer", "c1", "BTC", D("1")),
        Entry("customer", "c1", "BTC", D("-0.25")),
        Entry("external", None, "BTC", D("-0.75")),
    ]
    changes = ledger.net_changes(entries)
    assert {label: change for label, (_, change) in changes.items()} == {
        "customer:c1:BTC": D("0.75"),
        "external:BTC": D("-0.75"),
    }


def test_labels_name_kind_owner_and_currency() -> None:
    assert postings.customer("abc", "BTC", D(1)).label == "customer:abc:BTC"
    assert Entry(postings.SETTLEMENT, "p1", "USD", D(1)).label == "settlement:p1:USD"
    assert postings.house(postings.HOUSE_FEES, "USDC", D(1)).label == "house:fees:USDC"


def test_deposit_entries_split_the_fee() -> None:
    entries = postings.deposit(customer_id="c1", currency="USDC", amount=D("100"), fee=D("2.5"))
    assert [(e.label, e.amount) for e in entries] == [
        ("external:USDC", D("-100")),
        ("customer:c1:USDC", D("97.5")),
        ("house:fees:USDC", D("2.5")),
    ]
    assert ledger.unbalanced_currencies(entries) == {}
