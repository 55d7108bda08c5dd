"""auto: partial indexes for the lifecycle (claims and active orders per vehicle, the sweeps)

Revision ID: auto_0002
"""

from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "auto_0002"
down_revision = "auto_0001"
branch_labels = None
depends_on = None

# Written exactly as repository.py writes them: SQLite uses a partial index only when the
# query repeats the index's condition term for term.
CLAIMING = "status IN ('proceed', 'acquiring', 'secured', 'shipping', 'delivered')"
ACTIVE = "status IN ('proceed', 'acquiring')"
WAITING_AUCTION = "status = 'proceed' AND max_bid_amount_usd IS NOT NULL"


def _partial(where: str) -> dict[str, Any]:
    return {"postgresql_where": sa.text(where), "sqlite_where": sa.text(where)}


def upgrade() -> None:
    # A vehicle's orders that hold it (4.4 steps 5-6) and its active ones (auction start,
    # withdrawal, reschedule, leader): without these a car with a long history is scanned whole.
    op.create_index(
        "auto_orders_vehicle_claiming", "auto_orders", ["vehicle_id", "created_at", "id"], **_partial(CLAIMING)
    )
    op.create_index("auto_orders_vehicle_active", "auto_orders", ["vehicle_id", "created_at", "id"], **_partial(ACTIVE))
    # The auction-start and auction-passed sweeps look for proceed auction orders by date.
    op.create_index(
        "auto_orders_waiting_auction", "auto_orders", ["auction_date", "vehicle_id"], **_partial(WAITING_AUCTION)
    )


def downgrade() -> None:
    op.drop_index("auto_orders_waiting_auction", table_name="auto_orders")
    op.drop_index("auto_orders_vehicle_active", table_name="auto_orders")
    op.drop_index("auto_orders_vehicle_claiming", table_name="auto_orders")
