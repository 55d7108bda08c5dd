"""Every worked example of spec/crypto.md 8.3-8.10, digit for digit, one test each."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal as D

import pytest

from orderdesk.crypto import postings
from orderdesk.crypto.amounts import format_amount
from orderdesk.crypto.pricing import (
    Commission,
    Position,
    Settlement,
    fees_json,
    needs_partner_authorization,
    quote_buy,
    quote_redeem,
    quote_sell,
    quote_send,
    quote_subscribe,
    quote_swap,
    requires_security_code,
    token_price,
)
from orderdesk.crypto.vocabulary import FIAT_PLACES
from orderdesk.platform.errors import ApiError
from tests.crypto.unit.catalogue import A_ETH_USDC, BTC, ETH, USDC

CODE_THRESHOLD = D("1000")
AUTH_THRESHOLD = D("10000")
SEND_ONLY = frozenset({"send"})
CUSTOMER, PARTNER, RECEIVER = "c" * 32, "p" * 32, "r" * 32


def pct(value: str) -> Commission:
    return Commission("percentage", D(value))


def code_needed(operation: str, value: D, destination_type: str | None = None) -> bool:
    return requires_security_code(
        operation=operation,
        value_usd=value,
        threshold_usd=CODE_THRESHOLD,
        code_operations=SEND_ONLY,
        destination_type=destination_type,
    )


def balanced(entries: list[postings.Entry]) -> bool:
    return bool(entries) and postings.is_balanced(entries)


def test_8_3_buy_asset_amount_above_max_order_value() -> None:
    with pytest.raises(ApiError) as err:
        quote_buy(BTC, Settlement.usd(BTC), asset_amount=D("2"))
    assert (err.value.status, err.value.code) == (400, "quote_amount_too_high")
    assert err.value.message == "The requested amount exceeds the maximum allowed for one order"
    assert err.value.extra == {"max_amount": "1.53727901", "requested_amount": "2"}


def test_8_3_buy_settlement_amount_above_max_order_value() -> None:
    with pytest.raises(ApiError) as err:
        quote_buy(BTC, Settlement.usd(BTC), settlement_amount=D("150000.00"))
    assert err.value.code == "quote_amount_too_high"
    assert err.value.extra == {"max_amount": "100000.00", "requested_amount": "150000.00"}


def test_8_3_settlement_amount_at_the_limit_passes_whatever_the_commission() -> None:
    quote = quote_buy(BTC, Settlement.usd(BTC), settlement_amount=D("100000.00"), commission=pct("99"))
    assert quote.value_usd == D("100000.00")


def test_8_5_buy_asset_amount_with_percentage_commission() -> None:
    quote = quote_buy(BTC, Settlement.usd(BTC), asset_amount=D("0.015"), commission=pct("1"))
    assert format_amount(quote.house_amount, FIAT_PLACES, fiat=True) == "975.75"  # gross
    assert format_amount(quote.commission, FIAT_PLACES, fiat=True) == "9.76"
    assert format_amount(quote.settlement_amount, FIAT_PLACES, fiat=True) == "985.51"
    assert quote.value_usd == D("975.75")
    assert not code_needed("buy", quote.value_usd)
    assert balanced(postings.buy_confirmed(quote, customer_id=CUSTOMER, partner_id=PARTNER))


def test_8_5_buy_settlement_amount_with_percentage_commission() -> None:
    quote = quote_buy(BTC, Settlement.usd(BTC), settlement_amount=D("10000.00"), commission=pct("1.5"))
    assert format_amount(quote.commission, FIAT_PLACES, fiat=True) == "147.79"
    assert format_amount(quote.house_amount, FIAT_PLACES, fiat=True) == "9852.21"
    assert format_amount(quote.asset_amount, 8) == "0.15145595"
    assert format_amount(quote.settlement_amount, FIAT_PLACES, fiat=True) == "10000.00"
    assert quote.value_usd == D("10000.00")
    assert code_needed("buy", quote.value_usd)
    entries = postings.buy_confirmed(quote, customer_id=CUSTOMER, partner_id=PARTNER)
    assert balanced(entries)
    assert {e.label: e.amount for e in entries} == {
        f"settlement:{PARTNER}:USD": D("-10000.00"),
        "house:trading:USD": D("9852.21"),
        f"commission:{PARTNER}:USD": D("147.79"),
        "house:trading:BTC": D("-0.15145595"),
        f"customer:{CUSTOMER}:BTC": D("0.15145595"),
    }


def test_8_6_sell_asset_amount_with_fixed_commission() -> None:
    quote = quote_sell(ETH, Settlement.usd(ETH), asset_amount=D("0.5"), commission=Commission("fixed", D("5.00")))
    assert format_amount(quote.gross, FIAT_PLACES, fiat=True) == "1597.50"
    assert format_amount(quote.settlement_amount, FIAT_PLACES, fiat=True) == "1592.50"
    assert format_amount(quote.asset_amount, 18) == "0.5"
    assert quote.value_usd == D("1597.50")
    assert code_needed("sell", quote.value_usd)
    assert balanced(postings.sell_confirmed(quote, customer_id=CUSTOMER, partner_id=PARTNER))


def test_8_6_sell_settlement_amount_with_percentage_commission() -> None:
    quote = quote_sell(ETH, Settlement.usd(ETH), settlement_amount=D("200.00"), commission=pct("2"))
    assert format_amount(quote.commission, FIAT_PLACES, fiat=True) == "4.09"
    assert format_amount(quote.asset_amount, 18) == "0.06387793427230047"
    assert balanced(postings.sell_confirmed(quote, customer_id=CUSTOMER, partner_id=PARTNER))


def test_8_7_swap_source_amount_with_percentage_commission() -> None:
    quote = quote_swap(BTC, ETH, source_amount=D("0.01"), commission=pct("0.5"))
    assert format_amount(quote.commission, 8) == "0.00005"
    assert format_amount(quote.net, 8) == "0.00995"
    assert format_amount(quote.destination_amount, 18) == "0.201638845553822152"
    assert quote.value_usd == D("649.50")
    assert not code_needed("swap", quote.value_usd)
    assert balanced(postings.swap_confirmed(quote, customer_id=CUSTOMER, partner_id=PARTNER))


def test_8_7_swap_destination_amount_with_percentage_commission() -> None:
    quote = quote_swap(ETH, USDC, destination_amount=D("500"), commission=pct("1"))
    assert format_amount(quote.net, 18) == "0.156651017214397497"
    assert format_amount(quote.commission, 18) == "0.001582333507216137"
    assert format_amount(quote.source_amount, 18) == "0.158233350721613634"
    assert format_amount(quote.destination_amount, 6) == "500"
    assert balanced(postings.swap_confirmed(quote, customer_id=CUSTOMER, partner_id=PARTNER))


def test_8_8_send_destination_amount_on_polygon_with_percentage_commission() -> None:
    quote = quote_send(USDC, network_fee=D("0.1"), destination_amount=D("250"), commission=pct("1"))
    assert format_amount(quote.commission, 6) == "2.5"
    assert format_amount(quote.total, 6) == "252.6"
    assert format_amount(quote.network_fee, 6) == "0.1"
    assert format_amount(quote.destination_amount, 6) == "250"
    assert quote.value_usd == D("252.3474")
    assert code_needed("send", quote.value_usd, "crypto_currency_address")
    assert not needs_partner_authorization(operation="send", value_usd=quote.value_usd, threshold_usd=AUTH_THRESHOLD)
    to_transit = postings.send_to_transit(quote, customer_id=CUSTOMER)
    delivered = postings.send_delivered(quote, partner_id=PARTNER)
    assert balanced(to_transit) and balanced(delivered)
    assert {e.label: e.amount for e in delivered} == {
        "house:in_transit:USDC": D("-252.6"),
        "external:USDC": D("250"),
        "house:fees:USDC": D("0.1"),
        f"commission:{PARTNER}:USDC": D("2.5"),
    }


def test_8_8_send_asset_amount_with_fixed_commission() -> None:
    quote = quote_send(
        BTC, network_fee=D("0.00005"), asset_amount=D("0.01"), commission=Commission("fixed", D("0.0001"))
    )
    assert format_amount(quote.destination_amount, 8) == "0.00985"
    assert format_amount(quote.total, 8) == "0.01"


def test_8_8_send_asset_amount_on_ethereum_with_percentage_commission() -> None:
    quote = quote_send(USDC, network_fee=D("1.5"), asset_amount=D("300"), commission=pct("1"))
    assert format_amount(quote.commission, 6) == "2.955446"
    assert format_amount(quote.destination_amount, 6) == "295.544554"


def test_8_8_send_above_authorization_threshold() -> None:
    quote = quote_send(BTC, network_fee=D("0.00005"), asset_amount=D("0.2"))
    assert format_amount(quote.destination_amount, 8) == "0.19995"
    assert quote.value_usd == D("12990.00")
    assert needs_partner_authorization(operation="send", value_usd=quote.value_usd, threshold_usd=AUTH_THRESHOLD)
    refund = postings.send_refunded(quote, customer_id=CUSTOMER)
    assert balanced(refund)
    assert {e.label: e.amount for e in refund} == {
        "house:in_transit:BTC": D("-0.2"),
        f"customer:{CUSTOMER}:BTC": D("0.2"),
    }


def test_8_8_internal_send_has_no_fee_and_no_code() -> None:
    quote = quote_send(ETH, network_fee=D("0"), asset_amount=D("0.2"))
    assert format_amount(quote.network_fee, 18) == "0"
    assert format_amount(quote.destination_amount, 18) == "0.2"
    assert quote.value_usd == D("639.00")
    assert not code_needed("send", quote.value_usd, "lirium_customer")
    entries = postings.internal_send_completed(
        quote, sender_id=CUSTOMER, receiver_id=RECEIVER, partner_id=PARTNER, from_transit=False
    )
    assert {e.label: e.amount for e in entries} == {
        f"customer:{CUSTOMER}:ETH": D("-0.2"),
        f"customer:{RECEIVER}:ETH": D("0.2"),
    }


def test_8_9_subscribe_with_percentage_commission() -> None:
    quote = quote_subscribe(A_ETH_USDC, USDC, amount=D("1000"), token_price=D("1.02"), commission=pct("0.5"))
    assert format_amount(quote.commission, 6) == "5"
    assert format_amount(quote.net, 6) == "995"
    assert format_amount(quote.tokens, 6) == "975.490196"
    assert quote.value_usd == D("999.00")
    assert not code_needed("subscribe_investment", quote.value_usd)
    assert fees_json(quote.fees) == [
        {
            "source": "partner_commission",
            "type": "percentage",
            "value": "0.5",
            "mode": "deducted",
            "base_amount": "1000",
            "base_operation": "subscription",
            "amount": "5",
        }
    ]
    assert balanced(postings.subscribe_confirmed(quote, customer_id=CUSTOMER, partner_id=PARTNER))


def test_8_10_redeem_full_amount_with_earnings_percentage_commission() -> None:
    quote = quote_redeem(
        A_ETH_USDC,
        USDC,
        Position(D("975.490196"), D("995")),
        token_price=D("1.05"),
        full_amount=True,
        commission=Commission("earnings_percentage", D("5")),
    )
    assert format_amount(quote.gross, 6) == "1024.264705"
    assert format_amount(quote.earnings, 6) == "29.264705"
    assert format_amount(quote.house_fee, 6) == "2.926471"
    assert format_amount(quote.commission, 6) == "1.463236"
    assert format_amount(quote.amount, 6) == "1019.874998"
    assert format_amount(quote.tokens, 6) == "975.490196"
    assert code_needed("redeem_investment", quote.value_usd)  # ≈ 1018.86 > 1000
    assert fees_json(quote.fees) == [
        {
            "source": "lirium_commission",
            "type": "earnings_percentage",
            "value": "10",
            "mode": "deducted",
            "base_amount": "29.264705",
            "base_operation": "earnings",
            "amount": "2.926471",
        },
        {
            "source": "partner_commission",
            "type": "earnings_percentage",
            "value": "5",
            "mode": "deducted",
            "base_amount": "29.264705",
            "base_operation": "earnings",
            "amount": "1.463236",
        },
    ]
    assert balanced(postings.redeem_confirmed(quote, customer_id=CUSTOMER, partner_id=PARTNER))


def test_8_10_redeem_partial_with_percentage_commission() -> None:
    quote = quote_redeem(
        A_ETH_USDC,
        USDC,
        Position(D("975.490196"), D("995")),
        token_price=D("1.05"),
        amount=D("500"),
        commission=pct("0.5"),
    )
    assert format_amount(quote.tokens, 6) == "479.961604"
    assert format_amount(quote.gross, 6) == "503.959684"
    assert format_amount(quote.principal, 6) == "489.560836"
    assert format_amount(quote.earnings, 6) == "14.398848"
    assert format_amount(quote.house_fee, 6) == "1.439885"
    assert format_amount(quote.commission, 6) == "2.519799"
    assert quote.amount == D("500") and quote.residue == 0
    assert format_amount(quote.remaining_tokens, 6) == "495.528592"
    assert fees_json(quote.fees)[1]["base_operation"] == "redemption"  # type: ignore[index]
    assert fees_json(quote.fees)[1]["base_amount"] == "503.959684"  # type: ignore[index]
    assert balanced(postings.redeem_confirmed(quote, customer_id=CUSTOMER, partner_id=PARTNER))


def test_4_1_token_price_after_half_a_year_at_4_percent() -> None:
    anchor = datetime(2025, 3, 2, 12, 0, tzinfo=UTC)
    price = token_price(
        anchor_price=D("1"), apy=D("4.00"), anchor_at=anchor, at=anchor + timedelta(seconds=31536000 // 2)
    )
    assert str(price) == "1.019803902718556966"


def test_4_1_token_price_re_anchors_without_a_jump() -> None:
    anchor = datetime(2025, 1, 1, tzinfo=UTC)
    assert token_price(anchor_price=D("1"), apy=D("4"), anchor_at=anchor, at=anchor) == D("1")
    one_year = anchor + timedelta(days=365)
    assert token_price(anchor_price=D("1"), apy=D("4"), anchor_at=anchor, at=one_year) == D("1.04")
    assert token_price(anchor_price=D("1.04"), apy=D("0"), anchor_at=one_year, at=one_year + timedelta(days=100)) == D(
        "1.04"
    )
