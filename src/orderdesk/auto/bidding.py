"""The rules of competing for a car: the order cutoff (spec 4.3) and the leader (spec 4.2)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from orderdesk.auto.timefmt import KST, kst_midnight
from orderdesk.settings import CutoffRule


def order_cutoff(auction_date: datetime, rule: CutoffRule) -> datetime:
    """The last instant before which an auction order may be placed (a POST at or after it is
    refused). `day_before_midnight_kst`: midnight KST starting the day before the auction's
    KST date. `hours_before:N`: N hours before the auction."""
    if rule.hours_before is not None:
        return auction_date - timedelta(hours=rule.hours_before)
    auction_day = auction_date.astimezone(KST).date()
    return kst_midnight(auction_day - timedelta(days=1))


@dataclass(frozen=True)
class Bid:
    """One active auction order as the ranking sees it."""

    order_id: str
    max_bid_usd: int
    created_at: datetime

    def outranks(self, other: Bid) -> bool:
        """Higher ceiling first; ties go to the earliest `created_at`, then the lowest id."""
        return (-self.max_bid_usd, self.created_at, self.order_id) < (
            -other.max_bid_usd,
            other.created_at,
            other.order_id,
        )


def leader_after_new_bid(leader: Bid | None, bid: Bid) -> Bid:
    return bid if leader is None or bid.outranks(leader) else leader


@dataclass(frozen=True)
class Competition:
    """A vehicle's competitive state at one moment: who leads and with what ceiling."""

    leader_id: str | None
    leader_max_bid_usd: int | None

    def is_highest(self, order_id: str) -> bool:
        return order_id == self.leader_id


NO_COMPETITION = Competition(None, None)
