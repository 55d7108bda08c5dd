"""Who may create and confirm which order (spec/crypto.md 5.5, 5.7; 8.2 step 9, 8.12 step 8).
Pure checks over a customer row and its partner's products; each raises the contract's
400 `operation_forbidden`."""

from __future__ import annotations

from typing import Any

from orderdesk.crypto import errors
from orderdesk.crypto.customers import kyc_flag
from orderdesk.crypto.vocabulary import CREATABLE_OPERATIONS
from orderdesk.settings import Settings

ALL_OPERATIONS = CREATABLE_OPERATIONS
STATE_ALLOWS: dict[str, tuple[str, ...]] = {
    "active": ALL_OPERATIONS,
    "closing": ("sell", "send", "redeem_investment"),  # funds must be withdrawn before closing
    "closed": (),
    "banned": (),
}


def product_for(operation: str, destination_type: str | None = None) -> str:
    """The product an order needs (5.7)."""
    if operation in ("buy", "sell"):
        return "crypto_buy_sell"
    if operation == "swap":
        return "crypto_swap"
    if operation == "send":
        return "crypto_transfer" if destination_type == "lirium_customer" else "crypto_send"
    if operation in ("subscribe_investment", "redeem_investment"):
        return "investments"
    raise ValueError(f"no product for operation {operation!r}")


def product_active(customer: Any, partner_products: tuple[str, ...], product: str, settings: Settings) -> bool:
    return product in partner_products and kyc_flag(customer, settings)


def check_state(customer: Any, operation: str) -> None:
    state = customer["state"]
    if operation not in STATE_ALLOWS.get(state, ()):
        raise errors.operation_forbidden(f"Customer state {state} does not allow {operation} orders")


def check_product(customer: Any, partner_products: tuple[str, ...], product: str, settings: Settings) -> None:
    if not product_active(customer, partner_products, product, settings):
        raise errors.operation_forbidden(f"Product {product} is not active for this customer")


def check_order_allowed(
    customer: Any,
    partner_products: tuple[str, ...],
    operation: str,
    settings: Settings,
    destination_type: str | None = None,
) -> None:
    """Customer state, then the product (the order of 8.2 step 9)."""
    check_state(customer, operation)
    check_product(customer, partner_products, product_for(operation, destination_type), settings)


def can_receive(receiver: Any, receiver_partner_products: tuple[str, ...], settings: Settings) -> bool:
    """An internal transfer's receiver: `active` with an active `crypto_receive` (8.8)."""
    return receiver["state"] == "active" and product_active(
        receiver, receiver_partner_products, "crypto_receive", settings
    )
