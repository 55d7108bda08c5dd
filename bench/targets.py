"""The rows of issue 10's target table: scenario names, targets and the verdict of one run."""

from __future__ import annotations

from dataclasses import dataclass, field

from bench.invariants import Invariant
from bench.memory import MemoryResult
from bench.wrk import LoadResult

AUTO_POST = "auto: POST /v1/orders"
AUTO_GET = "auto: GET /v1/orders/{id}"
AUTO_LIST = "auto: GET /v1/orders first page"
HOT_CAR = "auto: hot car, 64 connections bid on one"
CRYPTO_CREATE = "crypto: POST orders (buy)"
CRYPTO_CONFIRM = "crypto: POST orders/{id}/confirm (buy)"
MINIMAL_INSERT = "minimal FastAPI insert"
MINIMAL_GET = "minimal FastAPI GET by primary key"

# scenario → (yardstick, minimum ratio on PostgreSQL, on SQLite)
RATIOS = {
    AUTO_POST: (MINIMAL_INSERT, 0.6, 0.7),
    CRYPTO_CREATE: (MINIMAL_INSERT, 0.6, 0.8),
    CRYPTO_CONFIRM: (MINIMAL_INSERT, 0.5, 0.6),
    AUTO_GET: (MINIMAL_GET, 0.8, 0.8),
    AUTO_LIST: (MINIMAL_GET, 0.4, 0.4),
}
TAIL = 4.0  # p99 at most 4x p50, every scenario
HOT_CAR_BIDS = 300.0
WORKERS_SCALE = 0.8  # N workers: at least 0.8 N times one worker (1.6x for 2)
MEMORY_GROWTH = 1.2


def workers_row(workers: int) -> str:
    return f"auto: POST /v1/orders, serve --workers {workers}"


@dataclass
class EngineRun:
    engine: str
    results: list[LoadResult] = field(default_factory=list)
    workers: list[LoadResult] = field(default_factory=list)
    memory: MemoryResult | None = None
    invariants: list[Invariant] = field(default_factory=list)


@dataclass(frozen=True)
class Verdict:
    name: str
    measured: str
    target: str
    met: bool

    @property
    def verdict(self) -> str:
        return "met" if self.met else "MISSED"


def _ratios(run: EngineRun, by_name: dict[str, LoadResult]) -> list[Verdict]:
    rows = []
    for name, (yardstick, on_pg, on_sqlite) in RATIOS.items():
        if name in by_name and yardstick in by_name:
            ratio = by_name[name].requests_per_second / by_name[yardstick].requests_per_second
            want = on_pg if run.engine == "postgres" else on_sqlite
            short = "insert" if yardstick == MINIMAL_INSERT else "GET"
            rows.append(Verdict(name, f"{ratio:.2f}x minimal {short}", f">= {want:.1f}x", ratio >= want))
    return rows


def _hot_car(run: EngineRun, by_name: dict[str, LoadResult]) -> list[Verdict]:
    if HOT_CAR not in by_name:
        return []
    rate = by_name[HOT_CAR].requests_per_second
    leader = next((i for i in run.invariants if i.name.startswith("auto: hot car")), None)
    one = leader is not None and leader.holds
    return [
        Verdict(
            HOT_CAR,
            f"{rate:.0f} bids/s, {'one leader' if one else 'leader WRONG'}",
            f">= {HOT_CAR_BIDS:.0f}/s",
            rate >= HOT_CAR_BIDS and one,
        )
    ]


def _workers(run: EngineRun) -> list[Verdict]:
    if len(run.workers) < 2:
        return []
    one, many = run.workers[0], run.workers[-1]
    n = int(many.name.rsplit(" ", 1)[1])
    ratio = many.requests_per_second / one.requests_per_second
    return [
        Verdict(
            f"scale-out: POST orders, {n} workers / 1",
            f"{ratio:.2f}x ({many.requests_per_second:.0f}/{one.requests_per_second:.0f})",
            f">= {WORKERS_SCALE * n:.1f}x",
            ratio >= WORKERS_SCALE * n,
        )
    ]


def _memory(run: EngineRun) -> list[Verdict]:
    if run.memory is None:
        return []
    m = run.memory
    return [
        Verdict(
            f"memory: RSS {m.large_orders:,} / {m.small_orders:,} orders",
            f"{m.ratio:.2f}x ({m.large_rss_mb:.0f}/{m.small_rss_mb:.0f} MB)",
            f"<= {MEMORY_GROWTH:.1f}x",
            m.ratio <= MEMORY_GROWTH,
        )
    ]


def verdicts(run: EngineRun) -> list[Verdict]:
    by_name = {r.name: r for r in run.results + run.workers}
    rows = _ratios(run, by_name)
    for result in run.results + run.workers:
        if result.name in (MINIMAL_INSERT, MINIMAL_GET):
            continue
        tail = result.p99_ms / max(result.p50_ms, 0.001)
        rows.append(Verdict(f"tail: {result.name}", f"p99/p50 {tail:.1f}", f"<= {TAIL:.0f}", tail <= TAIL))
    rows += _hot_car(run, by_name) + _workers(run) + _memory(run)
    rows += [
        Verdict(f"invariant: {i.name}", "holds" if i.holds else "BROKEN", "holds", i.holds) for i in run.invariants
    ]
    return rows
