"""crypto: append-only balance deltas of the accounts that may go negative (house:*,
settlement, commission, external). A posting adds its change to them here instead of locking
and updating their shared row; the dispatcher folds the deltas into `crypto_accounts.balance`.
An account's balance is its stored balance plus its pending deltas.

Revision ID: crypto_0003
"""

import sqlalchemy as sa
from alembic import op

from orderdesk.platform.dbtypes import BigId, Money

revision = "crypto_0003"
down_revision = "crypto_0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "crypto_balance_deltas",
        sa.Column("id", BigId(), primary_key=True, autoincrement=True),
        sa.Column("account_id", sa.Text(), sa.ForeignKey("crypto_accounts.id"), nullable=False),
        sa.Column("amount", Money(), nullable=False),
    )
    op.create_index("crypto_balance_deltas_account", "crypto_balance_deltas", ["account_id"])


def downgrade() -> None:
    # Pending deltas must be folded first (the dispatcher's roll-up) or their amounts are lost.
    op.drop_index("crypto_balance_deltas_account", table_name="crypto_balance_deltas")
    op.drop_table("crypto_balance_deltas")
