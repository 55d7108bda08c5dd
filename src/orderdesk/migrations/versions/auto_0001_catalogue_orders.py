"""auto: partners, API keys, vehicles, orders, order history, webhook events

Revision ID: auto_0001
"""

from typing import Any

import sqlalchemy as sa
from alembic import op

from orderdesk.platform.dbtypes import BigId, Boolean, Timestamp

revision = "auto_0001"
down_revision = None
branch_labels = ("auto",)
depends_on = "platform_0001"

OPEN_STATUSES = "status IN ('proceed', 'acquiring', 'secured', 'shipping')"
BUY_NOW_HOLDING = "max_bid_amount_usd IS NULL AND status NOT IN ('cancelled', 'failed')"


def _partial(where: str) -> dict[str, Any]:
    return {"postgresql_where": sa.text(where), "sqlite_where": sa.text(where)}


def upgrade() -> None:
    op.create_table(
        "auto_partners",
        sa.Column("id", sa.Text(), primary_key=True),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("environment", sa.Text(), nullable=False),
        sa.Column("ip_allowlist", sa.Text(), nullable=True),  # JSON list of canonical entries
        sa.Column("webhook_url", sa.Text(), nullable=True),
        sa.Column("webhook_secret", sa.Text(), nullable=False),
        sa.Column("created_at", Timestamp(), nullable=False),
    )
    op.create_index("auto_partners_created", "auto_partners", ["created_at", "id"])

    op.create_table(
        "auto_api_keys",
        sa.Column("id", sa.Text(), primary_key=True),
        sa.Column("partner_id", sa.Text(), sa.ForeignKey("auto_partners.id"), nullable=False),
        sa.Column("digest", sa.Text(), nullable=False),  # SHA-256 hex of the whole key
        sa.Column("key_prefix", sa.Text(), nullable=False),
        sa.Column("created_at", Timestamp(), nullable=False),
        sa.Column("revoked_at", Timestamp(), nullable=True),
    )
    op.create_index("auto_api_keys_digest", "auto_api_keys", ["digest"], unique=True)
    op.create_index("auto_api_keys_partner", "auto_api_keys", ["partner_id", "created_at", "id"])

    op.create_table(
        "auto_vehicles",
        sa.Column("id", sa.Text(), primary_key=True),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("make", sa.Text(), nullable=False),
        sa.Column("make_ci", sa.Text(), nullable=False),  # lower-cased for the case-insensitive filter
        sa.Column("model", sa.Text(), nullable=False),
        sa.Column("model_ci", sa.Text(), nullable=False),
        sa.Column("trim", sa.Text(), nullable=True),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("mileage_km", sa.Integer(), nullable=False),
        sa.Column("fuel", sa.Text(), nullable=True),
        sa.Column("transmission", sa.Text(), nullable=True),
        sa.Column("color", sa.Text(), nullable=True),
        sa.Column("engine_cc", sa.Integer(), nullable=True),
        sa.Column("drivetrain", sa.Text(), nullable=True),
        sa.Column("options", sa.Text(), nullable=False),  # JSON list of tokens
        sa.Column("accident_grade", sa.Text(), nullable=True),
        sa.Column("exterior_grade", sa.Text(), nullable=True),
        sa.Column("auction_date", Timestamp(), nullable=True),
        sa.Column("auction_count", sa.Integer(), nullable=True),
        sa.Column("auction_result", sa.Text(), nullable=True),
        sa.Column("listing_usd", sa.BigInteger(), nullable=False),
        sa.Column("vin", sa.Text(), nullable=True),
        sa.Column("license_plate", sa.Text(), nullable=True),
        sa.Column("images", sa.Text(), nullable=False),  # JSON list of URLs
        sa.Column("inspection_report", sa.Text(), nullable=True),  # JSON object as supplied
        sa.Column("body_condition", sa.Text(), nullable=True),
        sa.Column("withdrawn", Boolean(), nullable=False, server_default=sa.false()),
        # The competitive leader among the vehicle's active auction orders (spec 4.2).
        sa.Column("leader_order_id", sa.Text(), nullable=True),
        sa.Column("leader_max_bid_usd", sa.BigInteger(), nullable=True),
        sa.Column("leader_created_at", Timestamp(), nullable=True),
        sa.Column("created_at", Timestamp(), nullable=False),
        sa.Column("updated_at", Timestamp(), nullable=False),
    )
    op.create_index("auto_vehicles_auction_date", "auto_vehicles", ["auction_date", "id"])
    op.create_index("auto_vehicles_price", "auto_vehicles", ["listing_usd", "id"])
    op.create_index("auto_vehicles_year", "auto_vehicles", ["year", "id"])
    op.create_index("auto_vehicles_mileage", "auto_vehicles", ["mileage_km", "id"])
    op.create_index("auto_vehicles_make_model", "auto_vehicles", ["make_ci", "model_ci"])

    op.create_table(
        "auto_orders",
        sa.Column("id", sa.Text(), primary_key=True),
        sa.Column("partner_id", sa.Text(), sa.ForeignKey("auto_partners.id"), nullable=False),
        sa.Column("vehicle_id", sa.Text(), sa.ForeignKey("auto_vehicles.id"), nullable=False),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("max_bid_amount_usd", sa.BigInteger(), nullable=True),
        # Competitive values frozen when an auction order leaves the active set (spec 4.2).
        sa.Column("frozen_is_highest_bid", Boolean(), nullable=True),
        sa.Column("frozen_current_max_bid_usd", sa.BigInteger(), nullable=True),
        sa.Column("purchase_price_usd", sa.BigInteger(), nullable=True),
        sa.Column("auction_fee_usd", sa.BigInteger(), nullable=True),
        sa.Column("auction_date", Timestamp(), nullable=True),
        sa.Column("order_cutoff_at", Timestamp(), nullable=True),
        sa.Column("failure_reason", sa.Text(), nullable=True),
        sa.Column("cancellation_reason", sa.Text(), nullable=True),
        sa.Column("fulfillment_detail", sa.Text(), nullable=True),
        sa.Column("shipment", sa.Text(), nullable=True),  # JSON object with the seven shipment keys
        sa.Column("created_at", Timestamp(), nullable=False),
        sa.Column("updated_at", Timestamp(), nullable=False),
    )
    # Backstops of spec 2.14; the vehicle row lock is what serialises writers.
    op.create_index(
        "auto_orders_one_open_per_partner",
        "auto_orders",
        ["partner_id", "vehicle_id"],
        unique=True,
        **_partial(OPEN_STATUSES),
    )
    op.create_index("auto_orders_one_buy_now", "auto_orders", ["vehicle_id"], unique=True, **_partial(BUY_NOW_HOLDING))
    # Keyset pagination, one index per partner sort (created_asc reads the first backwards).
    op.create_index("auto_orders_partner_created", "auto_orders", ["partner_id", "created_at", "id"])
    op.create_index("auto_orders_partner_updated", "auto_orders", ["partner_id", "updated_at", "id"])
    op.create_index("auto_orders_partner_auction", "auto_orders", ["partner_id", "auction_date", "id"])
    op.create_index("auto_orders_vehicle", "auto_orders", ["vehicle_id", "created_at", "id"])
    op.create_index("auto_orders_created", "auto_orders", ["created_at", "id"])

    op.create_table(
        "auto_order_history",
        sa.Column("id", BigId(), primary_key=True, autoincrement=True),
        sa.Column("order_id", sa.Text(), sa.ForeignKey("auto_orders.id"), nullable=False),
        sa.Column("at", Timestamp(), nullable=False),
        sa.Column("actor", sa.Text(), nullable=False),
        sa.Column("from_status", sa.Text(), nullable=True),
        sa.Column("to_status", sa.Text(), nullable=False),
        sa.Column("from_fulfillment_detail", sa.Text(), nullable=True),
        sa.Column("to_fulfillment_detail", sa.Text(), nullable=True),
        sa.Column("occurred_at", sa.Text(), nullable=True),  # partner pushes: ISO text in the partner's offset
        sa.Column("notes", sa.Text(), nullable=True),
    )
    op.create_index("auto_order_history_order", "auto_order_history", ["order_id", "id"])

    op.create_table(
        "auto_events",
        sa.Column("seq", BigId(), primary_key=True, autoincrement=True),  # creation sequence
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("order_id", sa.Text(), sa.ForeignKey("auto_orders.id"), nullable=False),
        sa.Column("partner_id", sa.Text(), sa.ForeignKey("auto_partners.id"), nullable=False),
        sa.Column("type", sa.Text(), nullable=False),
        sa.Column("payload", sa.LargeBinary(), nullable=False),  # the envelope, serialised once
        sa.Column("delivery_status", sa.Text(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("last_response_code", sa.Integer(), nullable=True),
        sa.Column("last_attempt_at", Timestamp(), nullable=True),
        sa.Column("created_at", Timestamp(), nullable=False),
    )
    op.create_index("auto_events_id", "auto_events", ["id"], unique=True)
    op.create_index("auto_events_order", "auto_events", ["order_id", "seq"])


def downgrade() -> None:
    op.drop_table("auto_events")
    op.drop_table("auto_order_history")
    op.drop_table("auto_orders")
    op.drop_table("auto_vehicles")
    op.drop_table("auto_api_keys")
    op.drop_table("auto_partners")
