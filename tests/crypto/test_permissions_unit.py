"""Customer state and product checks for orders (spec 5.5, 5.7)."""

from __future__ import annotations

import pytest

from orderdesk.crypto import permissions
from orderdesk.platform.errors import ApiError
from orderdesk.settings import Settings

OPEN = Settings(database_url="sqlite:///x.db")
KYC = Settings(database_url="sqlite:///x.db", crypto_require_kyc=True)
ALL = ("crypto_buy_sell", "crypto_swap", "crypto_send", "crypto_transfer", "crypto_receive", "investments")


def customer(state: str = "active", kyc: bool = False) -> dict[str, object]:
    return {"state": state, "kyc": kyc}


@pytest.mark.parametrize(
    ("state", "allowed"),
    [
        ("active", set(permissions.ALL_OPERATIONS)),
        ("closing", {"sell", "send", "redeem_investment"}),
        ("closed", set()),
        ("banned", set()),
    ],
)
def test_states_allow_their_operations(state: str, allowed: set[str]) -> None:
    for operation in permissions.ALL_OPERATIONS:
        if operation in allowed:
            permissions.check_state(customer(state), operation)
        else:
            with pytest.raises(ApiError) as caught:
                permissions.check_state(customer(state), operation)
            assert (caught.value.status, caught.value.code) == (400, "operation_forbidden")
            assert caught.value.message == f"Customer state {state} does not allow {operation} orders"


def test_products_of_each_operation() -> None:
    assert permissions.product_for("buy") == permissions.product_for("sell") == "crypto_buy_sell"
    assert permissions.product_for("swap") == "crypto_swap"
    assert permissions.product_for("send", "crypto_currency_address") == "crypto_send"
    assert permissions.product_for("send", "address_book") == "crypto_send"
    assert permissions.product_for("send", "lirium_customer") == "crypto_transfer"
    assert permissions.product_for("redeem_investment") == "investments"


def test_product_needs_the_partner_and_the_kyc_flag() -> None:
    permissions.check_order_allowed(customer(kyc=False), ALL, "buy", OPEN)
    with pytest.raises(ApiError) as caught:
        permissions.check_order_allowed(customer(kyc=False), ALL, "buy", KYC)
    assert caught.value.message == "Product crypto_buy_sell is not active for this customer"
    permissions.check_order_allowed(customer(kyc=True), ALL, "buy", KYC)
    with pytest.raises(ApiError) as caught:
        permissions.check_order_allowed(customer(), ("crypto_buy_sell",), "send", OPEN, "lirium_customer")
    assert caught.value.message == "Product crypto_transfer is not active for this customer"
    with pytest.raises(ApiError) as caught:  # the state is checked before the product
        permissions.check_order_allowed(customer("banned"), (), "buy", OPEN)
    assert caught.value.message == "Customer state banned does not allow buy orders"


def test_receivers() -> None:
    assert permissions.can_receive(customer(), ALL, OPEN)
    assert not permissions.can_receive(customer("closing"), ALL, OPEN)
    assert not permissions.can_receive(customer(), ("crypto_send",), OPEN)
    assert not permissions.can_receive(customer(kyc=False), ALL, KYC)


def test_missing_scope_is_403_forbidden() -> None:
    from orderdesk.crypto.auth import Partner, require_scope

    partner = Partner(
        id="p",
        name="n",
        public_key_pem="",
        scopes=("operation_buy",),
        settlement_currencies=("USD",),
        products=(),
        security_code_operations=(),
        redemption_commission_enabled=True,
        active=True,
    )
    require_scope(partner, "operation_buy")
    with pytest.raises(ApiError) as caught:
        require_scope(partner, "operation_sell")
    assert (caught.value.status, caught.value.code) == (403, "forbidden")
    assert caught.value.message == "API key lacks the required scope: operation_sell"
