"""SQLite when its storage fails: the database's file system full, or remounted read-only
(a small tmpfs the test mounts; skipped where it cannot). Writes answer 503 in the envelope,
reads keep working, nothing is half-written, writes work again once the space or write access
is back, and orderdesk_db_errors_total names the cause."""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import OPS_HEADERS
from tests.e2e.conftest import ServerFactory
from tests.faults.load import auction_car
from tests.faults.observe import scrape

pytestmark = pytest.mark.slow


@pytest.fixture
def small_mount(e2e_database_url: str) -> Iterator[Path]:
    if not e2e_database_url.startswith("sqlite"):
        pytest.skip("the SQLite engine's storage: PostgreSQL's is the server's")
    if os.geteuid() != 0 or shutil.which("mount") is None:
        pytest.skip("needs root to mount a small tmpfs")
    path = Path(tempfile.mkdtemp(prefix="od_faults_fs_"))
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=8m", "tmpfs", str(path)], capture_output=True)
    if mounted.returncode != 0:
        path.rmdir()
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.decode().strip()}")
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], capture_output=True)
        with contextlib.suppress(OSError):
            path.rmdir()


class World:
    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        ops = httpx.Client(base_url=base_url + "/ops/v1/auto", headers=OPS_HEADERS, timeout=30)
        self.ops = ops
        self.key = ops.post("/partners", json={"name": "Harbor"}).json()["api_key"]
        self.vehicles = [f"glovis-{i}" for i in range(40)]
        for vehicle in self.vehicles:
            assert ops.put(f"/vehicles/{vehicle}", json=auction_car()).status_code == 201
        self.client = httpx.Client(base_url=base_url, headers={"x-api-key": self.key}, timeout=30)
        self.refused: list[tuple[str, dict[str, object]]] = []
        self.placed: list[str] = []

    def place(self) -> httpx.Response:
        vehicle = self.vehicles[len(self.placed) + len(self.refused)]
        body = {"vehicle_id": vehicle, "max_bid_amount_usd": 18000}
        key = str(uuid.uuid4())
        response = self.client.post("/auto/v1/orders", json=body, headers={"Idempotency-Key": key})
        if response.status_code == 201:
            self.placed.append(response.json()["id"])
        else:
            self.refused.append((key, body))
        return response

    def reads_work(self) -> None:
        assert self.client.get("/auto/v1/vehicles").status_code == 200
        for order_id in self.placed:
            assert self.client.get(f"/auto/v1/orders/{order_id}").status_code == 200
        assert httpx.get(self.base_url + "/healthz").status_code == 200

    def nothing_half_written(self) -> None:
        orders = self.ops.get("/orders", params={"limit": 200}).json()["data"]
        assert sorted(o["id"] for o in orders) == sorted(self.placed)
        for key, body in self.refused:  # a refused write stored nothing: its key runs afresh
            replay = self.client.post("/auto/v1/orders", json=body, headers={"Idempotency-Key": key})
            assert replay.status_code == 201 and "idempotent-replayed" not in replay.headers, replay.text
            self.placed.append(replay.json()["id"])


def assert_unavailable(response: httpx.Response) -> None:
    assert response.status_code == 503, response.text
    assert response.json()["error"]["code"] == "service_unavailable"
    assert response.headers["retry-after"] == "1"


def serve_on(serve: ServerFactory, mount: Path, sqlite_template: Path) -> World:
    shutil.copyfile(sqlite_template, mount / "orderdesk.db")
    server = serve(ORDERDESK_DATABASE_URL=f"sqlite:///{mount}/orderdesk.db")
    return World(server.base_url)


def test_disk_full(serve: ServerFactory, small_mount: Path, sqlite_template: Path) -> None:
    world = serve_on(serve, small_mount, sqlite_template)
    assert world.place().status_code == 201
    filler = small_mount / "filler"
    with contextlib.suppress(OSError), filler.open("wb", buffering=0) as out:
        while True:
            out.write(b"\0" * 65536)
    before = scrape(world.base_url, "orderdesk_db_errors_total", engine="sqlite", error="disk_full")
    refused = [world.place() for _ in range(5)]
    statuses = [r.status_code for r in refused]
    print(f"\n[sqlite disk full] statuses={statuses}")
    for response in refused:
        if response.status_code != 201:  # a page may still fit; most writes cannot
            assert_unavailable(response)
    assert 503 in statuses
    assert scrape(world.base_url, "orderdesk_db_errors_total", engine="sqlite", error="disk_full") > before
    world.reads_work()
    filler.unlink()
    assert world.place().status_code == 201
    world.nothing_half_written()


def test_read_only(serve: ServerFactory, small_mount: Path, sqlite_template: Path) -> None:
    world = serve_on(serve, small_mount, sqlite_template)
    assert world.place().status_code == 201
    remount = subprocess.run(["mount", "-o", "remount,ro", str(small_mount)], capture_output=True)
    if remount.returncode != 0:  # e.g. EBUSY: the server holds the database open for writing
        pytest.skip(f"cannot remount the file system read-only under the server: {remount.stderr.decode().strip()}")
    try:
        before = scrape(world.base_url, "orderdesk_db_errors_total", engine="sqlite", error="read_only")
        refused = [world.place() for _ in range(3)]
        print(f"\n[sqlite read-only] statuses={[r.status_code for r in refused]}")
        for response in refused:
            assert_unavailable(response)
        assert scrape(world.base_url, "orderdesk_db_errors_total", engine="sqlite", error="read_only") > before
        world.reads_work()
    finally:
        subprocess.run(["mount", "-o", "remount,rw", str(small_mount)], check=True)
    assert world.place().status_code == 201
    world.nothing_half_written()
