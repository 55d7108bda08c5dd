"""platform: idempotency records, outbox, mail messages

Revision ID: platform_0001
"""

import sqlalchemy as sa
from alembic import op

from orderdesk.platform.dbtypes import BigId, Timestamp

revision = "platform_0001"
down_revision = None
branch_labels = ("platform",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "idempotency_records",
        sa.Column("scope", sa.Text(), nullable=False),
        sa.Column("idem_key", sa.Text(), nullable=False),
        sa.Column("endpoint", sa.Text(), nullable=False),
        sa.Column("fingerprint", sa.Text(), nullable=False),
        sa.Column("status", sa.Integer(), nullable=False),
        sa.Column("body", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", Timestamp(), nullable=False),
        sa.PrimaryKeyConstraint("scope", "idem_key", name="idempotency_records_pkey"),
    )
    op.create_table(
        "outbox",
        sa.Column("id", BigId(), primary_key=True, autoincrement=True),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("ref", sa.Text(), nullable=False),
        sa.Column("fifo_key", sa.Text(), nullable=True),
        sa.Column("due_at", Timestamp(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("state", sa.Text(), nullable=False),
        sa.Column("leased_until", Timestamp(), nullable=True),
        sa.Column("lease_token", sa.Text(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", Timestamp(), nullable=False),
        sa.Column("updated_at", Timestamp(), nullable=False),
    )
    op.create_index(
        "outbox_due",
        "outbox",
        ["due_at", "id"],
        postgresql_where=sa.text("state = 'pending'"),
        sqlite_where=sa.text("state = 'pending'"),
    )
    op.create_index(
        "outbox_fifo",
        "outbox",
        ["fifo_key", "id"],
        postgresql_where=sa.text("state = 'pending' AND fifo_key IS NOT NULL"),
        sqlite_where=sa.text("state = 'pending' AND fifo_key IS NOT NULL"),
    )
    op.create_index("outbox_ref", "outbox", ["kind", "ref"])
    op.create_table(
        "mail_messages",
        sa.Column("id", sa.Text(), primary_key=True),
        sa.Column("to_address", sa.Text(), nullable=False),
        sa.Column("to_lower", sa.Text(), nullable=False),
        sa.Column("subject", sa.Text(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("sent_at", Timestamp(), nullable=False),
        sa.Column("delivered_at", Timestamp(), nullable=True),
    )
    op.create_index("mail_messages_to", "mail_messages", ["to_lower", "sent_at"])
    op.create_index("mail_messages_sent", "mail_messages", ["sent_at", "id"])


def downgrade() -> None:
    op.drop_table("mail_messages")
    op.drop_table("outbox")
    op.drop_table("idempotency_records")
