"""PostgreSQL away under load: the app's connections cut (pg_terminate_backend on the backends
named `orderdesk` in this database) and a full restart of a private cluster. Requests in
flight answer 503 in the product's envelope, /readyz answers 503 while the database is away,
the process serves again by itself, no acknowledged write is lost, the dispatcher resumes
and loses no job, and orderdesk_db_errors_total shows the fault."""

from __future__ import annotations

import time
from collections import Counter
from pathlib import Path

import httpx
import psycopg
import pytest

from tests.e2e.conftest import ServerFactory
from tests.e2e.test_webhook_crash import ThreadedReceiver
from tests.faults.load import Attempt, CryptoClient, World, build_world, run_load
from tests.faults.observe import log_lines, scrape
from tests.faults.processes import PrivatePostgres, readyz, wait_until
from tests.faults.test_kill9 import verify

pytestmark = pytest.mark.slow

TERMINATE = (
    "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
    " WHERE application_name = 'orderdesk' AND datname = current_database() AND pid <> pg_backend_pid()"
)


def fault_summary(attempts: list[Attempt]) -> Counter[str]:
    summary: Counter[str] = Counter()
    for attempt in attempts:
        if attempt.error and attempt.error.startswith("bad_body"):
            print("not the envelope:", attempt.error)
            summary["bad_bodies"] += 1
        else:
            summary["socket_errors" if attempt.error else f"status_{attempt.status}"] += 1
    return summary


def unhandled(server: object) -> list[str]:
    """Errors the server logged as unexpected (each one a 500 a partner saw)."""
    lines = [line for line in log_lines(server.log_path) if line.get("event") == "unhandled_error"]  # type: ignore[attr-defined]
    return [str(line.get("exception", line.get("error")))[-800:] for line in lines]


def db_errors(base_url: str) -> float:
    return scrape(base_url, "orderdesk_db_errors_total", engine="postgresql")


def test_connections_cut_mid_load(serve: ServerFactory, e2e_database_url: str) -> None:
    if e2e_database_url.startswith("sqlite"):
        pytest.skip("PostgreSQL connections: SQLite has none to cut")
    server = serve()
    world = build_world(server.base_url, vehicles=80)
    before = db_errors(server.base_url)
    cut = Counter[str]()

    def cut_connections() -> None:
        with psycopg.connect(e2e_database_url, autocommit=True) as conn:
            for _ in range(8):
                time.sleep(0.25)
                cut["terminated"] += conn.execute(TERMINATE).fetchone()[0]  # type: ignore[index]

    attempts = run_load(world, 1.0, stop_early=cut_connections)
    summary = fault_summary(attempts)
    print(
        f"\n[postgres connections cut] terminated={cut['terminated']} "
        + ", ".join(f"{k}={v}" for k, v in sorted(summary.items()))
    )
    assert cut["terminated"] > 0
    assert not unhandled(server), unhandled(server)[:3]
    assert summary["socket_errors"] == 0, summary
    assert set(summary) <= {"status_200", "status_201", "status_503"}, summary
    assert db_errors(server.base_url) > before  # the operator sees it
    assert readyz(server.base_url) == 200
    result = verify(world, attempts)
    print("[postgres connections cut] " + ", ".join(f"{k}={v}" for k, v in sorted(result.items())))
    assert result["auto_lost"] == result["crypto_lost"] == result["auto_doubled"] == result["crypto_doubled"] == 0


def test_postgres_restarted_mid_load(serve: ServerFactory, e2e_database_url: str, tmp_path: Path) -> None:
    if not e2e_database_url.startswith("sqlite"):
        pytest.skip("runs once, against its own private cluster (under the sqlite parameter)")
    postgres = PrivatePostgres(tmp_path).init().start()
    receiver = ThreadedReceiver()
    try:
        server = serve(
            ORDERDESK_DATABASE_URL=postgres.url,
            ORDERDESK_CRYPTO_WEBHOOK_RETRY_SCHEDULE=",".join(["1s"] * 20),
            ORDERDESK_DISPATCH_LEASE="20s",
        )
        world = build_world(server.base_url, vehicles=60)
        subscribe(world, receiver.receiver.url)
        before = db_errors(server.base_url)
        away: dict[str, object] = {}

        def restart() -> None:
            time.sleep(1.0)
            postgres.stop("immediate")
            time.sleep(0.5)
            away["readyz"] = httpx.get(server.base_url + "/readyz", timeout=10)
            time.sleep(1.0)
            postgres.start()
            started = time.monotonic()
            assert wait_until(lambda: readyz(server.base_url) == 200, timeout=15)
            away["recovered_after"] = round(time.monotonic() - started, 2)

        attempts = run_load(world, 1.5, stop_early=restart)
        summary = fault_summary(attempts)
        print(
            f"\n[postgres restart] recovered_after={away['recovered_after']}s "
            + ", ".join(f"{k}={v}" for k, v in sorted(summary.items()))
        )
        ready = away["readyz"]
        assert isinstance(ready, httpx.Response) and ready.status_code == 503
        assert ready.json()["error"]["code"] == "database_unavailable"
        assert not unhandled(server), unhandled(server)[:3]
        assert summary["status_503"] > 0 and summary["socket_errors"] == 0, summary
        assert set(summary) <= {"status_200", "status_201", "status_503"}, summary
        assert db_errors(server.base_url) > before
        result = verify(world, attempts)
        print("[postgres restart] " + ", ".join(f"{k}={v}" for k, v in sorted(result.items())))
        assert result["auto_lost"] == result["crypto_lost"] == result["auto_doubled"] == result["crypto_doubled"] == 0
        assert_every_delivery_done(postgres.url, receiver)
    finally:
        receiver.close()
        postgres.remove()


def subscribe(world: World, url: str) -> None:
    for api_key, pem, _ in world.crypto:
        response = CryptoClient(world.base_url, api_key, pem).call("POST", "/webhooks/subscriptions", json={"url": url})
        assert response.status_code == 201, response.text


def assert_every_delivery_done(url: str, receiver: ThreadedReceiver) -> None:
    """The dispatcher resumed by itself: every webhook delivery made before, during or after the
    outage ends delivered, and the receiver saw each one."""

    def undelivered() -> int:
        with psycopg.connect(url) as conn:
            return int(
                conn.execute("SELECT count(*) FROM crypto_webhook_deliveries WHERE state <> 'delivered'").fetchone()[0]
            )  # type: ignore[index]

    assert wait_until(lambda: undelivered() == 0, timeout=60), undelivered()
    with psycopg.connect(url) as conn:
        expected = {
            row[0]
            for row in conn.execute(
                "SELECT e.id FROM crypto_webhook_deliveries d JOIN crypto_events e ON e.id = d.event_id"
            )
        }
    seen = {r.json.get("id") for r in receiver.receiver.received}
    assert expected and expected <= seen, len(expected - seen)
    print(f"[postgres restart] webhook deliveries={len(expected)} all delivered")
