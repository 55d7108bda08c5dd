"""Step 11 refusals of 8.2-8.10 and the code / authorization rules of 8.3 and 8.15."""

from __future__ import annotations

import json
from decimal import Decimal as D

import pytest

from orderdesk.crypto.pricing import (
    Asset,
    Commission,
    Investment,
    Position,
    Settlement,
    dump_quote,
    load_quote,
    needs_partner_authorization,
    quote_buy,
    quote_redeem,
    quote_sell,
    quote_send,
    quote_subscribe,
    quote_swap,
    requires_security_code,
)
from orderdesk.platform.errors import ApiError
from tests.crypto.unit.catalogue import A_ETH_USDC, BTC, ETH, USDC

TOO_SMALL = "The order amount is too small"
COMMISSION_TOO_HIGH = "The commission must be lower than the order amount"


def fixed(value: str) -> Commission:
    return Commission("fixed", D(value))


def pct(value: str, type_: str = "percentage") -> Commission:
    return Commission(type_, D(value))


def refused(call, *args, **kwargs) -> ApiError:  # type: ignore[no-untyped-def]
    with pytest.raises(ApiError) as err:
        call(*args, **kwargs)
    assert err.value.status == 400
    return err.value


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: quote_buy(BTC, Settlement("USD", D("2000000"), D("2000000")), settlement_amount=D("0.01")), TOO_SMALL),
        (
            lambda: quote_buy(BTC, Settlement.usd(BTC), settlement_amount=D("10.00"), commission=fixed("10.00")),
            COMMISSION_TOO_HIGH,
        ),
        (
            lambda: quote_buy(BTC, Settlement.usd(BTC), settlement_amount=D("0.01"), commission=pct("99.9999")),
            COMMISSION_TOO_HIGH,
        ),
        (lambda: quote_sell(BTC, Settlement.usd(BTC), asset_amount=D("0.00000001")), TOO_SMALL),
        (
            lambda: quote_sell(ETH, Settlement.usd(ETH), asset_amount=D("0.5"), commission=fixed("1597.50")),
            COMMISSION_TOO_HIGH,
        ),
        (lambda: quote_swap(BTC, ETH, source_amount=D("0.0001"), commission=fixed("0.0001")), COMMISSION_TOO_HIGH),
        (lambda: quote_swap(USDC, BTC, source_amount=D("0.000001")), TOO_SMALL),
        (
            lambda: quote_send(USDC, network_fee=D("0.1"), asset_amount=D("0.1")),
            "asset.amount must be greater than the network fee plus the commission",
        ),
        (
            lambda: quote_send(USDC, network_fee=D("0.1"), asset_amount=D("1.1"), commission=fixed("1")),
            "asset.amount must be greater than the network fee plus the commission",
        ),
        (
            lambda: quote_subscribe(A_ETH_USDC, USDC, amount=D("5"), token_price=D("1.02"), commission=fixed("5")),
            COMMISSION_TOO_HIGH,
        ),
        (lambda: quote_subscribe(A_ETH_USDC, USDC, amount=D("1.000001"), token_price=D("2000000")), TOO_SMALL),
    ],
)
def test_amount_sanity_sentences(call, message: str) -> None:  # type: ignore[no-untyped-def]
    error = refused(call)
    assert (error.code, error.message) == ("invalid_parameters", message)


def test_commission_may_be_zero() -> None:
    quote = quote_buy(BTC, Settlement.usd(BTC), asset_amount=D("0.01"), commission=fixed("0"))
    assert quote.commission == 0 and quote.settlement_amount == D("650.50")


def test_limit_in_another_currency_speaks_that_currency() -> None:
    # swap.amount in ETH: V is the BTC side, max_amount is its ETH equivalent.
    error = refused(quote_swap, BTC, ETH, destination_amount=D("40"))
    assert error.code == "quote_amount_too_high"
    assert error.extra["requested_amount"] == "40"
    # q_s = ⌈40 × 3205 / 64950⌉ = 1.97382603; V = 128200.0006485; max = ⌊100000 × 40 / V⌋ETH
    assert error.extra["max_amount"] == "31.201247892090411403"


def test_send_limit_uses_the_total_debit() -> None:
    # T = 1.60005, V = 103923.2475, max = ⌊100000 × 1.6 / V⌋BTC
    error = refused(quote_send, BTC, network_fee=D("0.00005"), destination_amount=D("1.6"))
    assert error.extra == {"max_amount": "1.53959776", "requested_amount": "1.6"}


def test_non_usd_settlement_value_converts_at_the_assets_usd_rate() -> None:
    mxn = Settlement("MXN", bid=D("1100000.00"), ask=D("1200000.00"))  # 1 USD ≈ 18.447 MXN on the ask
    quote = quote_buy(BTC, mxn, settlement_amount=D("18447.35"))
    assert quote.value_usd > 0 and abs(quote.value_usd - D("1000")) < D("0.01")
    error = refused(quote_buy, BTC, mxn, settlement_amount=D("2000000.00"))
    assert error.extra == {"max_amount": "1844734.81", "requested_amount": "2000000.00"}


def test_subscription_limits() -> None:
    error = refused(quote_subscribe, A_ETH_USDC, USDC, amount=D("0.000001"), token_price=D("1.02"))
    assert error.message == "asset.amount is below the minimum subscription amount (1 USDC)"
    error = refused(quote_subscribe, A_ETH_USDC, USDC, amount=D("0.5"), token_price=D("1"))
    assert (error.code, error.message) == (
        "invalid_parameters",
        "asset.amount is below the minimum subscription amount (1 USDC)",
    )
    error = refused(quote_subscribe, A_ETH_USDC, USDC, amount=D("200000.000001"), token_price=D("1"))
    assert error.code == "quote_amount_too_high"
    assert error.extra == {"max_amount": "200000", "requested_amount": "200000.000001"}
    assert quote_subscribe(A_ETH_USDC, USDC, amount=D("200000"), token_price=D("1")).tokens == D("200000")


POSITION = Position(D("975.490196"), D("995"))


def test_redemption_minimum() -> None:
    error = refused(quote_redeem, A_ETH_USDC, USDC, POSITION, token_price=D("1.05"), amount=D("0.99"))
    assert (error.code, error.message) == (
        "invalid_parameters",
        "asset.amount is below the minimum redemption amount (1 USDC)",
    )


def test_redemption_maximum_when_set() -> None:
    capped = Investment("aEthUSDC", 6, D("10"), D("1"), D("0"), D("1"), D("100"))
    error = refused(quote_redeem, capped, USDC, POSITION, token_price=D("1.05"), amount=D("100.5"))
    assert error.code == "quote_amount_too_high"
    assert error.extra == {"max_amount": "100", "requested_amount": "100.5"}


def test_redemption_beyond_the_position_is_insufficient_funds() -> None:
    # the whole position nets 1024.264705 − 2.926471 = 1021.338234
    error = refused(quote_redeem, A_ETH_USDC, USDC, POSITION, token_price=D("1.05"), amount=D("1021.338235"))
    assert (error.code, error.message) == (
        "insufficient_funds",
        "The customer's aEthUSDC balance is insufficient for this order",
    )
    error = refused(quote_redeem, A_ETH_USDC, USDC, Position(D("0"), D("0")), token_price=D("1.05"), full_amount=True)
    assert error.code == "insufficient_funds"


def test_redeeming_everything_by_amount_is_allowed() -> None:
    quote = quote_redeem(A_ETH_USDC, USDC, POSITION, token_price=D("1.05"), amount=D("1021.338234"))
    assert quote.tokens == POSITION.tokens and quote.remaining_tokens == 0


def test_partial_redemption_leaving_dust_requires_full_amount() -> None:
    error = refused(quote_redeem, A_ETH_USDC, USDC, POSITION, token_price=D("1.05"), amount=D("1020.5"))
    assert (error.code, error.message) == (
        "full_amount_required",
        "The remaining position would be below the minimum redemption amount (1 USDC); redeem the full amount",
    )


def test_full_redemption_whose_fees_eat_everything_is_too_small() -> None:
    tiny = Position(D("0.000001"), D("0"))
    error = refused(quote_redeem, A_ETH_USDC, USDC, tiny, token_price=D("1"), full_amount=True)
    assert error.message == TOO_SMALL


def test_redemption_at_a_loss_charges_no_earnings_fee() -> None:
    quote = quote_redeem(
        A_ETH_USDC, USDC, POSITION, token_price=D("1"), full_amount=True, commission=pct("5", "earnings_percentage")
    )
    assert quote.earnings == 0 and quote.house_fee == 0 and quote.commission == 0
    assert quote.amount == quote.gross == D("975.490196")
    assert [fee.amount for fee in quote.fees] == [0, 0]  # entries stay, even at 0


def test_redemption_with_fixed_commission_and_no_house_fee() -> None:
    free = Investment("aEthUSDC", 6, D("0"), D("1"), D("0"), D("1"), D("0"))
    quote = quote_redeem(free, USDC, POSITION, token_price=D("1.05"), amount=D("100"), commission=fixed("2"))
    assert quote.commission == 2 and quote.amount == 100
    assert quote.gross - quote.commission - quote.residue == 100
    assert [(f.source, f.type, f.base_operation, f.base_amount) for f in quote.fees] == [
        ("partner_commission", "fixed", "redemption", quote.gross)
    ]
    assert quote.fees[0].to_json()["value"] == "2"


def test_no_fees_entries_without_house_fee_or_commission() -> None:
    free = Investment("aEthUSDC", 6, D("0"), D("1"), D("0"), D("1"), D("0"))
    assert quote_redeem(free, USDC, POSITION, token_price=D("1.05"), full_amount=True).fees == ()
    assert quote_subscribe(A_ETH_USDC, USDC, amount=D("10"), token_price=D("1")).fees == ()


def test_amount_and_full_amount_are_exclusive() -> None:
    with pytest.raises(ValueError):
        quote_redeem(A_ETH_USDC, USDC, POSITION, token_price=D("1"), amount=D("1"), full_amount=True)
    with pytest.raises(ValueError):
        quote_buy(BTC, Settlement.usd(BTC), asset_amount=D("1"), settlement_amount=D("1"))


@pytest.mark.parametrize(
    ("operation", "destination", "value", "expected"),
    [
        ("send", "crypto_currency_address", D("1"), True),
        ("send", "address_book", D("1"), True),
        ("send", "lirium_customer", D("1000"), False),
        ("send", "lirium_customer", D("1000.01"), True),
        ("buy", None, D("1000"), False),
        ("buy", None, D("1000.000000001"), True),
    ],
)
def test_security_code_rule(operation: str, destination: str | None, value: D, expected: bool) -> None:
    assert (
        requires_security_code(
            operation=operation,
            value_usd=value,
            threshold_usd=D("1000"),
            code_operations=["send"],
            destination_type=destination,
        )
        is expected
    )


def test_security_code_for_a_configured_operation() -> None:
    assert requires_security_code(
        operation="buy", value_usd=D("1"), threshold_usd=D("1000"), code_operations={"buy", "send"}
    )


def test_authorization_threshold_is_strictly_above() -> None:
    assert not needs_partner_authorization(operation="send", value_usd=D("10000"), threshold_usd=D("10000"))
    assert needs_partner_authorization(operation="send", value_usd=D("10000.01"), threshold_usd=D("10000"))
    assert not needs_partner_authorization(operation="buy", value_usd=D("99999"), threshold_usd=D("10000"))


def test_huge_amounts_stay_exact() -> None:
    whale = Asset("WHALE", 18, D("0.000000000000000001"), D("0.000000000000000002"), max_order_value=D("1E+40"))
    quote = quote_buy(whale, Settlement.usd(whale), asset_amount=D("9" * 39))
    # 57 significant digits: a precision-50 context would have rounded V and the ceiling.
    assert str(quote.value_usd) == "1999999999999999999999.999999999999999998"
    assert str(quote.settlement_amount) == "2000000000000000000000.00"


def test_redemption_search_is_quick_when_tokens_have_more_decimals_than_the_quote_asset() -> None:
    # The gross only moves every 10^18 token units here: a unit-by-unit walk would never end.
    whole = Asset("WHOLE", 0, D("1"), D("1"))
    fine = Investment("FINE", 18, D("10"), D("1"), D("0"), D("1"), D("0"))
    quote = quote_redeem(fine, whole, Position(D("1000"), D("900")), token_price=D("1.5"), amount=D("100"))
    assert quote.amount == 100 and quote.gross - quote.house_fee - quote.residue == 100
    # r = 70: g = 105, b = 63, e = 42, l = ⌈4.2⌉ = 5, net = 100; any fewer tokens gross 104 at most.
    assert quote.tokens == 70 and (quote.gross, quote.principal, quote.earnings, quote.house_fee) == (105, 63, 42, 5)


def test_limits_finer_than_the_quote_asset_are_shown_with_their_own_digits() -> None:
    # Found by the property test: a whole-unit quote asset and a redemption minimum of 0.000001.
    whole = Asset("STB", 0, D("1"), D("1"))
    fine = Investment("inv", 0, D("0"), D("0.000001"), D("0"), D("0.000001"), D("0"))
    error = refused(quote_redeem, fine, whole, Position(D("3"), D("1")), token_price=D("0.9"), amount=D("1"))
    assert error.code == "full_amount_required"
    assert error.message == (
        "The remaining position would be below the minimum redemption amount (0.000001 STB); redeem the full amount"
    )


def test_a_locked_quote_survives_storage_as_json() -> None:
    quotes = [
        quote_buy(BTC, Settlement.usd(BTC), settlement_amount=D("10000.00"), commission=pct("1.5")),
        quote_sell(ETH, Settlement.usd(ETH), settlement_amount=D("200.00"), commission=pct("2")),
        quote_swap(ETH, USDC, destination_amount=D("500"), commission=pct("1")),
        quote_send(BTC, network_fee=D("0.00005"), asset_amount=D("0.01"), commission=fixed("0.0001")),
        quote_subscribe(A_ETH_USDC, USDC, amount=D("1000"), token_price=D("1.02"), commission=pct("0.5")),
        quote_redeem(A_ETH_USDC, USDC, POSITION, token_price=D("1.05"), amount=D("500"), commission=pct("0.5")),
    ]
    for quote in quotes:
        stored = json.loads(json.dumps(dump_quote(quote)))
        loaded = load_quote(stored)
        assert loaded == quote
        assert all(str(getattr(loaded, name)) == str(getattr(quote, name)) for name in vars(quote))
