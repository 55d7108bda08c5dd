"""crypto: webhook subscriptions, per-subscription deliveries, the stored webhook signing
key (spec/crypto.md 9), address-book entries (7)

Revision ID: crypto_0002
"""

import sqlalchemy as sa
from alembic import op

from orderdesk.platform.dbtypes import BigId, Timestamp

revision = "crypto_0002"
down_revision = "crypto_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    _webhooks()
    _address_book()


def _webhooks() -> None:
    op.create_table(
        "crypto_webhook_subscriptions",
        sa.Column("seq", BigId(), primary_key=True, autoincrement=True),  # creation order (oldest first)
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("partner_id", sa.Text(), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("events", sa.Text(), nullable=False),  # JSON list of actions, in the order given
        sa.Column("created_at", Timestamp(), nullable=False),
    )
    op.create_index("crypto_webhook_subscriptions_id", "crypto_webhook_subscriptions", ["id"], unique=True)
    op.create_index("crypto_webhook_subscriptions_partner", "crypto_webhook_subscriptions", ["partner_id", "seq"])
    op.create_table(
        "crypto_webhook_deliveries",
        sa.Column("id", sa.Text(), primary_key=True),  # the outbox row's ref
        sa.Column("event_id", sa.Text(), nullable=False),
        sa.Column("subscription_id", sa.Text(), nullable=False),  # kept after the subscription is deleted
        sa.Column("state", sa.Text(), nullable=False),  # pending | delivered | failed | dropped
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_response_code", sa.Integer(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("last_attempt_at", Timestamp(), nullable=True),
        sa.Column("created_at", Timestamp(), nullable=False),
    )
    op.create_index("crypto_webhook_deliveries_subscription", "crypto_webhook_deliveries", ["subscription_id", "state"])
    op.create_index("crypto_webhook_deliveries_event", "crypto_webhook_deliveries", ["event_id"])
    op.create_table(
        "crypto_webhook_keys",
        sa.Column("name", sa.Text(), primary_key=True),  # one row, 'webhook'; the first process to insert wins
        sa.Column("private_key_pem", sa.Text(), nullable=False),
        sa.Column("created_at", Timestamp(), nullable=False),
    )


def _address_book() -> None:
    op.create_table(
        "crypto_address_book",
        sa.Column("seq", BigId(), primary_key=True, autoincrement=True),  # creation order (lists: newest first)
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("customer_id", sa.Text(), nullable=False),
        sa.Column("address", sa.Text(), nullable=False),
        sa.Column("address_key", sa.Text(), nullable=False),  # addresses.address_key: the duplicate rule
        sa.Column("network", sa.Text(), nullable=False),
        sa.Column("label", sa.Text(), nullable=True),
        sa.Column("ownership_type", sa.Text(), nullable=True),
        sa.Column("beneficiary_full_name", sa.Text(), nullable=True),
        sa.Column("created", Timestamp(), nullable=False),
        sa.Column("last_used", Timestamp(), nullable=True),
    )
    op.create_index("crypto_address_book_id", "crypto_address_book", ["id"], unique=True)
    op.create_index(
        "crypto_address_book_unique", "crypto_address_book", ["customer_id", "network", "address_key"], unique=True
    )
    op.create_index("crypto_address_book_customer", "crypto_address_book", ["customer_id", "seq"])


def downgrade() -> None:
    for table in (
        "crypto_address_book",
        "crypto_webhook_keys",
        "crypto_webhook_deliveries",
        "crypto_webhook_subscriptions",
    ):
        op.drop_table(table)
