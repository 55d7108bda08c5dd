"""Everything a request or a job needs, built once per process and shared by every
sub-application (as `app.state.runtime`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from fastapi import Request

from orderdesk.platform import mail
from orderdesk.platform.clock import Clock, SystemClock
from orderdesk.platform.db import Database, open_database
from orderdesk.platform.dispatcher import Dispatcher
from orderdesk.platform.outbound import ClientPool
from orderdesk.platform.ratelimit import RateLimiter, make_rate_limiter
from orderdesk.settings import Settings


@dataclass
class Runtime:
    settings: Settings
    clock: Clock
    db: Database
    rate_limiter: RateLimiter
    dispatcher: Dispatcher
    #: outbound HTTP clients (both products' webhooks), one lent per request in flight (see outbound.ClientPool)
    webhook_clients: ClientPool = field(default_factory=ClientPool)
    #: product-owned singletons (e.g. the crypto webhook signing key), by name
    extras: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def build(cls, settings: Settings, clock: Clock | None = None) -> Runtime:
        clock = clock or SystemClock()
        db = open_database(
            settings.database_url, pool_size=settings.db_pool_size, sqlite_synchronous=settings.sqlite_synchronous
        )
        runtime = cls(
            settings=settings,
            clock=clock,
            db=db,
            rate_limiter=make_rate_limiter(settings.redis_url),
            dispatcher=Dispatcher(
                db, clock, interval=settings.dispatch_interval, lease_seconds=settings.dispatch_lease
            ),
        )
        if settings.smtp_url:
            runtime.dispatcher.register(
                mail.KIND,
                mail.SmtpDelivery(
                    db, settings.smtp_url, settings.mail_from, settings.webhook_retry_schedule, clock.now
                ),
            )
        return runtime

    async def open(self) -> None:
        await self.db.open()

    async def close(self) -> None:
        await self.webhook_clients.aclose()
        await self.rate_limiter.close()
        await self.db.close()


def get_runtime(request: Request) -> Runtime:
    """FastAPI dependency."""
    return request.app.state.runtime
