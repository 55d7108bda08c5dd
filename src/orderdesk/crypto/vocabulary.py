"""The crypto contract's fixed value sets, each defined once (spec/crypto.md). The order of
every tuple is the order the contract lists the values in, which is the order of the
`Must be one of: ...` messages and of the published enums. A leaf module: domain modules
and the typed models both import from here."""

from __future__ import annotations

CREATABLE_OPERATIONS = ("buy", "sell", "swap", "send", "subscribe_investment", "redeem_investment")  # 8.2
OPERATIONS = (*CREATABLE_OPERATIONS, "receive")  # 8.1
ORDER_STATES = ("pending", "processing", "completed", "cancelled")  # 8.16
CANCEL_REASONS = (
    "expired",
    "security_code_attempts",
    "authorization_rejected",
    "authorization_expired",
    "send_failed",
    "destination_unable_to_receive",
)
SCOPES = tuple(f"operation_{op}" for op in CREATABLE_OPERATIONS) + ("partner_order_authorization",)  # 2.2
PRODUCTS = ("crypto_buy_sell", "crypto_swap", "crypto_send", "crypto_transfer", "crypto_receive", "investments")
ASSET_OPERATIONS = ("buy", "sell", "send", "receive", "transfer")  # 4.1 allowed_operations
CUSTOMER_TYPES = ("individual", "business")
CUSTOMER_STATES = ("active", "closing", "closed", "banned")
NATIONAL_ID_TYPES = ("passport", "driver_license", "national_id", "other")
DOCUMENT_TYPES = ("id_front", "id_back", "proof_of_address")
FILE_TYPES = ("application/pdf", "image/png", "image/jpeg", "image/gif")
REQUIREMENT_STATUSES = ("pending_submission", "pending_review", "approved", "rejected")
REVIEW_DECISIONS = ("approved", "rejected")
REJECTION_REASONS = ("document_not_readable", "document_expired", "document_does_not_match", "document_invalid")
COMMISSION_TYPES = ("percentage", "fixed")  # 8.4
REDEEM_COMMISSION_TYPES = ("earnings_percentage", "percentage", "fixed")
INVESTMENT_FEE_TYPES = ("earnings_percentage",)
DESTINATION_TYPES = ("crypto_currency_address", "address_book", "lirium_customer")  # 8.8
OWNERSHIP_TYPES = ("self", "third_party")  # 7
AUTHORIZATION_DECISIONS = ("approved", "rejected")  # 8.15
AUTHORIZATION_STATES = ("pending", "approved", "rejected", "expired")
WEBHOOK_ACTIONS = (  # 9.2
    "order-created",
    "order-updated",
    "order-closed",
    "incoming-funds",
    "customer-state-changed",
    "customer-product-changed",
    "customer-requirement-rejected",
)
FIAT_PLACES = 2  # 3.3: settlement (fiat) currencies
