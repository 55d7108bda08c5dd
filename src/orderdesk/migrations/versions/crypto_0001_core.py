"""crypto: partners, catalogue (assets, prices, investments), customers, requirements,
documents, ledger (accounts, postings, entries), orders of every operation, positions,
authorizations, webhook events; seeds the catalogue of spec/crypto.md 4.1

Revision ID: crypto_0001
"""

from datetime import UTC, datetime
from decimal import Decimal

import orjson
import sqlalchemy as sa
from alembic import op

from orderdesk.platform.dbtypes import BigId, Boolean, Money, Timestamp, register_sqlite_types

revision = "crypto_0001"
down_revision = None
branch_labels = ("crypto",)
depends_on = "platform_0001"

ALL_OPERATIONS = ["buy", "sell", "send", "receive", "transfer"]
SEED_ASSETS = [
    # id, decimal_places, networks [(network, send_fee)], (bid, ask) in USD
    ("BTC", 8, [("bitcoin", "0.00005")], ("64950.00", "65050.00")),
    ("ETH", 18, [("ethereum", "0.0005")], ("3195.00", "3205.00")),
    ("USDC", 6, [("ethereum", "1.5"), ("polygon", "0.1")], ("0.9990", "1.0010")),
    ("USDT", 6, [("ethereum", "2"), ("polygon", "0.1")], ("0.9985", "1.0015")),
]


def upgrade() -> None:
    _catalogue()
    _partners_and_customers()
    _ledger()
    _orders()
    _events()
    _seed()


def _catalogue() -> None:
    op.create_table(
        "crypto_assets",
        sa.Column("id", sa.Text(), primary_key=True),
        sa.Column("decimal_places", sa.Integer(), nullable=False),
        sa.Column("allowed_operations", sa.Text(), nullable=False),  # JSON list
        sa.Column("networks", sa.Text(), nullable=False),  # JSON [{"network", "send_fee"}], send_fee canonical text
        sa.Column("max_order_value", Money(), nullable=False),
        sa.Column("created_at", Timestamp(), nullable=False),
        sa.Column("updated_at", Timestamp(), nullable=False),
    )
    op.create_table(
        "crypto_prices",
        sa.Column("currency", sa.Text(), nullable=False),
        sa.Column("quote_currency", sa.Text(), nullable=False),
        sa.Column("bid", Money(), nullable=False),
        sa.Column("ask", Money(), nullable=False),
        sa.Column("updated_at", Timestamp(), nullable=False),
        sa.PrimaryKeyConstraint("currency", "quote_currency", name="crypto_prices_pkey"),
    )
    op.create_table(
        "crypto_investments",
        sa.Column("id", sa.Text(), primary_key=True),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("quote_asset", sa.Text(), nullable=False),
        sa.Column("network", sa.Text(), nullable=False),
        sa.Column("provider_id", sa.Text(), nullable=False),
        sa.Column("enabled", Boolean(), nullable=False),
        sa.Column("decimal_places", sa.Integer(), nullable=False),
        sa.Column("subscription_min", Money(), nullable=False),
        sa.Column("subscription_max", Money(), nullable=False),
        sa.Column("redemption_min", Money(), nullable=False),
        sa.Column("redemption_max", Money(), nullable=False),
        sa.Column("fee_type", sa.Text(), nullable=False),
        sa.Column("fee_value", Money(), nullable=False),
        sa.Column("apy", Money(), nullable=False),
        sa.Column("anchor_price", Money(), nullable=False),  # P_a of spec 4.1
        sa.Column("anchor_at", Timestamp(), nullable=False),  # t_a
        sa.Column("rate_updated_at", Timestamp(), nullable=False),
        sa.Column("created_at", Timestamp(), nullable=False),
        sa.Column("updated_at", Timestamp(), nullable=False),
    )


def _partners_and_customers() -> None:
    op.create_table(
        "crypto_partners",
        sa.Column("id", sa.Text(), primary_key=True),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("api_key_hash", sa.Text(), nullable=False),  # SHA-256 hex of the API key
        sa.Column("public_key_pem", sa.Text(), nullable=False),
        sa.Column("scopes", sa.Text(), nullable=False),  # JSON lists from here on
        sa.Column("settlement_currencies", sa.Text(), nullable=False),
        sa.Column("products", sa.Text(), nullable=False),
        sa.Column("security_code_operations", sa.Text(), nullable=False),
        sa.Column("redemption_commission_enabled", Boolean(), nullable=False),
        sa.Column("active", Boolean(), nullable=False),
        sa.Column("created_at", Timestamp(), nullable=False),
        sa.Column("updated_at", Timestamp(), nullable=False),
    )
    op.create_index("crypto_partners_api_key", "crypto_partners", ["api_key_hash"], unique=True)

    op.create_table(
        "crypto_customers",
        sa.Column("id", sa.Text(), primary_key=True),
        sa.Column("partner_id", sa.Text(), sa.ForeignKey("crypto_partners.id"), nullable=False),
        sa.Column("type", sa.Text(), nullable=False),
        sa.Column("reference_id", sa.Text(), nullable=False),
        sa.Column("reference_id_ci", sa.Text(), nullable=False),  # lower-cased: unique ignoring case
        sa.Column("state", sa.Text(), nullable=False),
        sa.Column("profile", sa.Text(), nullable=False),  # JSON object, every key of the type
        sa.Column("email", sa.Text(), nullable=False),
        sa.Column("cellphone", sa.Text(), nullable=True),
        sa.Column("kyc", Boolean(), nullable=False),  # the KYC flag of spec 5.7
        sa.Column("kyc_deadline", Timestamp(), nullable=True),
        sa.Column("created_at", Timestamp(), nullable=False),
        sa.Column("last_updated_at", Timestamp(), nullable=False),
    )
    op.create_index("crypto_customers_reference", "crypto_customers", ["partner_id", "reference_id_ci"], unique=True)
    op.create_index("crypto_customers_newest", "crypto_customers", ["partner_id", "created_at", "id"])
    op.create_index(
        "crypto_customers_kyc_deadline",
        "crypto_customers",
        ["kyc_deadline"],
        postgresql_where=sa.text("kyc_deadline IS NOT NULL"),
        sqlite_where=sa.text("kyc_deadline IS NOT NULL"),
    )

    op.create_table(
        "crypto_requirements",
        sa.Column("customer_id", sa.Text(), sa.ForeignKey("crypto_customers.id"), nullable=False),
        sa.Column("id", sa.Text(), nullable=False),  # document_<document_type>
        sa.Column("document_type", sa.Text(), nullable=False),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("rejection_reason", sa.Text(), nullable=True),
        sa.Column("created", Timestamp(), nullable=False),
        sa.Column("submitted_at", Timestamp(), nullable=True),
        sa.Column("last_updated_at", Timestamp(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("customer_id", "id", name="crypto_requirements_pkey"),
    )
    op.create_table(
        "crypto_documents",
        sa.Column("id", sa.Text(), primary_key=True),
        sa.Column("customer_id", sa.Text(), sa.ForeignKey("crypto_customers.id"), nullable=False),
        sa.Column("document_type", sa.Text(), nullable=False),
        sa.Column("file_type", sa.Text(), nullable=False),
        sa.Column("filename", sa.Text(), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.Text(), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", Timestamp(), nullable=False),
    )
    op.create_index("crypto_documents_customer", "crypto_documents", ["customer_id", "document_type"])


def _ledger() -> None:
    op.create_table(
        "crypto_accounts",
        sa.Column("id", sa.Text(), primary_key=True),  # the label, e.g. customer:<id>:BTC
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("owner", sa.Text(), nullable=True),
        sa.Column("currency", sa.Text(), nullable=False),
        sa.Column("balance", Money(), nullable=False),
        sa.Column("created_at", Timestamp(), nullable=False),
        sa.Column("updated_at", Timestamp(), nullable=False),
    )
    op.create_index("crypto_accounts_owner", "crypto_accounts", ["kind", "owner", "currency"])
    op.create_table(
        "crypto_postings",
        sa.Column("id", sa.Text(), primary_key=True),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("order_id", sa.Text(), nullable=True),
        sa.Column("created_at", Timestamp(), nullable=False),
    )
    op.create_index("crypto_postings_order", "crypto_postings", ["order_id"])
    op.create_table(
        "crypto_entries",
        sa.Column("id", BigId(), primary_key=True, autoincrement=True),
        sa.Column("posting_id", sa.Text(), sa.ForeignKey("crypto_postings.id"), nullable=False),
        sa.Column("account_id", sa.Text(), sa.ForeignKey("crypto_accounts.id"), nullable=False),
        sa.Column("currency", sa.Text(), nullable=False),
        sa.Column("amount", Money(), nullable=False),
    )
    op.create_index("crypto_entries_posting", "crypto_entries", ["posting_id"])
    op.create_index("crypto_entries_account", "crypto_entries", ["account_id"])


def _orders() -> None:
    op.create_table(
        "crypto_orders",
        sa.Column("id", sa.Text(), primary_key=True),
        sa.Column("partner_id", sa.Text(), sa.ForeignKey("crypto_partners.id"), nullable=False),
        sa.Column("customer_id", sa.Text(), sa.ForeignKey("crypto_customers.id"), nullable=False),
        sa.Column("reference_id", sa.Text(), nullable=True),  # unique per partner (spec 8.17)
        sa.Column("operation", sa.Text(), nullable=False),
        sa.Column("state", sa.Text(), nullable=False),
        sa.Column("cancel_reason", sa.Text(), nullable=True),
        sa.Column("asset_currency", sa.Text(), nullable=False),
        sa.Column("asset_amount", Money(), nullable=False),
        # buy / sell: the fiat side
        sa.Column("settlement_currency", sa.Text(), nullable=True),
        sa.Column("settlement_amount", Money(), nullable=True),
        # swap destination, investment id, send destination currency are in `node`
        sa.Column("counter_currency", sa.Text(), nullable=True),
        sa.Column("counter_amount", Money(), nullable=True),
        sa.Column("commission_type", sa.Text(), nullable=True),
        sa.Column("commission_value", Money(), nullable=True),
        sa.Column("commission_currency", sa.Text(), nullable=True),
        sa.Column("commission_amount", Money(), nullable=True),
        sa.Column("fee_amount", Money(), nullable=True),  # network fee (send), house fee (redeem)
        sa.Column("usd_value", Money(), nullable=True),  # V of spec 8.3
        sa.Column("quote", sa.Text(), nullable=True),  # JSON: locked prices, token price, maths inputs
        sa.Column("node", sa.Text(), nullable=False),  # JSON: the operation node as answered (8.5-8.11)
        sa.Column("customer_currency", sa.Text(), nullable=True),  # `customer` echoed exactly as sent
        sa.Column("customer_amount", sa.Text(), nullable=True),
        sa.Column("expires_at", Timestamp(), nullable=True),  # null for receive
        sa.Column("requires_confirmation_code", Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("code_hash", sa.Text(), nullable=True),  # SHA-256 of "<order_id>:<code>"
        sa.Column("code_attempts", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("code_resends", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("tx_hash", sa.Text(), nullable=True),  # deposit tx hash / delivered send tx id
        sa.Column("network", sa.Text(), nullable=True),
        sa.Column("created_at", Timestamp(), nullable=False),
        sa.Column("last_updated_at", Timestamp(), nullable=False),
        sa.Column("submitted_at", Timestamp(), nullable=True),
    )
    op.create_index("crypto_orders_reference", "crypto_orders", ["partner_id", "reference_id"], unique=True)
    op.create_index("crypto_orders_customer", "crypto_orders", ["customer_id", "created_at", "id"])
    op.create_index(
        "crypto_orders_pending_expiry",
        "crypto_orders",
        ["expires_at"],
        postgresql_where=sa.text("state = 'pending'"),
        sqlite_where=sa.text("state = 'pending'"),
    )
    op.create_table(
        "crypto_deposit_hashes",
        sa.Column("currency", sa.Text(), nullable=False),
        sa.Column("network", sa.Text(), nullable=False),
        sa.Column("tx_hash", sa.Text(), nullable=False),
        sa.Column("order_id", sa.Text(), sa.ForeignKey("crypto_orders.id"), nullable=False),
        sa.PrimaryKeyConstraint("currency", "network", "tx_hash", name="crypto_deposit_hashes_pkey"),
    )
    op.create_table(
        "crypto_authorizations",
        sa.Column("id", sa.Text(), primary_key=True),
        sa.Column("order_id", sa.Text(), sa.ForeignKey("crypto_orders.id"), nullable=False),
        sa.Column("state", sa.Text(), nullable=False),
        sa.Column("expires_at", Timestamp(), nullable=False),
        sa.Column("signed_at", Timestamp(), nullable=True),
        sa.Column("created_at", Timestamp(), nullable=False),
    )
    op.create_index("crypto_authorizations_order", "crypto_authorizations", ["order_id"])
    op.create_table(
        "crypto_positions",
        sa.Column("customer_id", sa.Text(), sa.ForeignKey("crypto_customers.id"), nullable=False),
        sa.Column("investment_id", sa.Text(), nullable=False),
        sa.Column("principal", Money(), nullable=False),  # W of spec 8.10
        sa.Column("updated_at", Timestamp(), nullable=False),
        sa.PrimaryKeyConstraint("customer_id", "investment_id", name="crypto_positions_pkey"),
    )


def _events() -> None:
    op.create_table(
        "crypto_events",
        sa.Column("seq", BigId(), primary_key=True, autoincrement=True),
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("partner_id", sa.Text(), nullable=False),
        sa.Column("action", sa.Text(), nullable=False),
        sa.Column("body", sa.LargeBinary(), nullable=False),  # compact UTF-8 JSON, fixed at creation
        sa.Column("created_at", Timestamp(), nullable=False),
    )
    op.create_index("crypto_events_id", "crypto_events", ["id"], unique=True)
    op.create_index("crypto_events_partner", "crypto_events", ["partner_id", "seq"])


def _seed() -> None:
    register_sqlite_types()  # Decimal and aware datetime adapters, as the application stores them
    now = datetime.now(UTC)
    assets = sa.table(
        "crypto_assets",
        sa.column("id"),
        sa.column("decimal_places"),
        sa.column("allowed_operations"),
        sa.column("networks"),
        sa.column("max_order_value", Money()),
        sa.column("created_at", Timestamp()),
        sa.column("updated_at", Timestamp()),
    )
    prices = sa.table(
        "crypto_prices",
        sa.column("currency"),
        sa.column("quote_currency"),
        sa.column("bid", Money()),
        sa.column("ask", Money()),
        sa.column("updated_at", Timestamp()),
    )
    op.bulk_insert(
        assets,
        [
            {
                "id": code,
                "decimal_places": places,
                "allowed_operations": orjson.dumps(ALL_OPERATIONS).decode(),
                "networks": orjson.dumps([{"network": n, "send_fee": fee} for n, fee in networks]).decode(),
                "max_order_value": Decimal("100000.00"),
                "created_at": now,
                "updated_at": now,
            }
            for code, places, networks, _ in SEED_ASSETS
        ],
    )
    op.bulk_insert(
        prices,
        [
            {"currency": code, "quote_currency": "USD", "bid": Decimal(bid), "ask": Decimal(ask), "updated_at": now}
            for code, _, _, (bid, ask) in SEED_ASSETS
        ],
    )
    investments = sa.table(
        "crypto_investments",
        *(
            sa.column(name)
            for name in ("id", "name", "quote_asset", "network", "provider_id", "enabled", "decimal_places", "fee_type")
        ),
        *(
            sa.column(name, Money())
            for name in (
                "subscription_min",
                "subscription_max",
                "redemption_min",
                "redemption_max",
                "fee_value",
                "apy",
                "anchor_price",
            )
        ),
        *(sa.column(name, Timestamp()) for name in ("anchor_at", "rate_updated_at", "created_at", "updated_at")),
    )
    op.bulk_insert(
        investments,
        [
            {
                "id": "aEthUSDC",
                "name": "Aave Ethereum USDC",
                "quote_asset": "USDC",
                "network": "ethereum",
                "provider_id": "aave",
                "enabled": True,
                "decimal_places": 6,
                "fee_type": "earnings_percentage",
                "subscription_min": Decimal("1"),
                "subscription_max": Decimal("200000"),
                "redemption_min": Decimal("1"),
                "redemption_max": Decimal("0"),
                "fee_value": Decimal("10"),
                "apy": Decimal("4.00"),
                "anchor_price": Decimal("1"),
                "anchor_at": now,
                "rate_updated_at": now,
                "created_at": now,
                "updated_at": now,
            }
        ],
    )


def downgrade() -> None:
    for table in (
        "crypto_events",
        "crypto_positions",
        "crypto_authorizations",
        "crypto_deposit_hashes",
        "crypto_orders",
        "crypto_entries",
        "crypto_postings",
        "crypto_accounts",
        "crypto_documents",
        "crypto_requirements",
        "crypto_customers",
        "crypto_partners",
        "crypto_investments",
        "crypto_prices",
        "crypto_assets",
    ):
        op.drop_table(table)
