"""Where the server's time goes on each hot path: py-spy samples the real server under wrk.

    python -m bench.profile [--engines sqlite,postgres] [--duration 8] [--out bench/results/profiles]

For each scenario, py-spy records the server process (`--format raw`: collapsed stacks,
`--idle` off so only on-CPU samples count) while wrk loads it; the summary prints the
share of samples per leaf function (self time) and per orderdesk / library frame on the
stack (inclusive time). The raw files open in speedscope (https://www.speedscope.app).
"""

from __future__ import annotations

import argparse
import asyncio
import re
import subprocess
import sys
import tempfile
from collections import Counter
from collections.abc import Callable
from pathlib import Path

from bench import auto, crypto, databases, wrk
from bench.__main__ import serve

_FRAME = re.compile(r"^(?P<func>.*) \((?P<file>[^:]*)(?::\d+)?\)$")


def _frame(raw: str) -> str:
    match = _FRAME.match(raw)
    if not match:
        return raw
    path = match.group("file")
    for marker in ("site-packages/", "src/", "lib/python3.11/"):
        if marker in path:
            path = path.split(marker, 1)[1]
            break
    return f"{match.group('func')} ({path})"


def _in(*parts: str) -> Callable[[str], bool]:
    return lambda frame: any(part in frame for part in parts)


# Layers of a request, innermost first: a sample is charged to the first layer that one of its
# frames belongs to, looking from the leaf up (a statement run by the use case is the
# statement's; the use case's own Python is the use case's).
LAYERS: list[tuple[str, Callable[[str], bool]]] = [
    (
        "statements (driver calls, parameter and row conversion)",
        _in(
            "SQLiteConnection.",
            "SQLiteDatabase._alone",
            "SQLiteDatabase.fetch",
            "dbtypes.py",
            "PostgresConnection.",
            "asyncpg/",
        ),
    ),
    (
        "transaction machinery (writer lock, SAVEPOINT/RELEASE, batch, COMMIT hand-off, pool)",
        _in("platform/db.py", "asyncio/locks.py", "asyncio/tasks.py", "concurrent/futures/"),
    ),
    ("idempotency (lock id, record read, answer)", _in("platform/idempotency.py", "auto/idempotent.py")),
    ("auth (key or token, partner lookup's Python, rate limit)", _in("/auth.py", "platform/ratelimit.py", "jwt/")),
    (
        "body and input (read, JSON, validation)",
        _in(
            "read_body",
            "loads_json",
            "parsing.py",
            "inputs.py",
            "http_input.py",
            "validation.py",
            "contract_errors.py",
            "pydantic",
            "starlette/requests.py",
        ),
    ),
    (
        "rendering (serializers, JSON, Response)",
        _in(
            "serializers.py",
            "timefmt.py",
            "crypto/formats.py",
            "orders/view.py",
            "orders/reads.py",
            "json_response",
            "starlette/responses.py",
        ),
    ),
    (
        "events, webhook and outbox rows (Python)",
        _in("auto/events.py", "auto/webhooks.py", "crypto/events.py", "crypto/webhooks.py", "platform/outbox.py"),
    ),
    ("use case (domain Python, ids)", _in("orderdesk/auto/", "orderdesk/crypto/", "platform/ids.py", "ulid/")),
    (
        "request middleware (request id, access log, metrics, mount shortcut)",
        _in(
            "RequestContextMiddleware",
            "MountedAppShortcut",
            "structlog/",
            "platform/metrics.py",
            "prometheus_client/",
            "platform/errors.py",
        ),
    ),
    ("framework (Starlette/FastAPI middleware and routing)", _in("starlette/", "fastapi/")),
    ("uvicorn (HTTP parsing, transport)", _in("uvicorn/protocols/", "httptools")),
]
LOOP_ONLY = "event loop (uvloop callbacks, socket I/O: no Python frame below the loop)"


def layer_of(frames: list[str]) -> str:
    for frame in reversed(frames):
        for name, belongs in LAYERS:
            if belongs(frame):
                return name
    return LOOP_ONLY


def summarize(raw: Path, top: int = 12) -> str:
    """Shares of the event-loop thread's samples (stacks through `orderdesk serve`); samples
    of other threads (COMMIT / checkpoint threads, idle pool threads) are counted apart."""
    self_time: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    layers: Counter[str] = Counter()
    loop = other = on_threads = 0
    for line in raw.read_text().splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack:
            continue
        count = int(count_text)
        frames = [_frame(f) for f in stack.split(";")]
        if not any("orderdesk/cli.py" in frame for frame in frames):
            other += count
            if any("_WorkItem.run" in frame for frame in frames):
                on_threads += count
            continue
        loop += count
        layers[layer_of(frames)] += count
        self_time[frames[-1]] += count
        for frame in set(frames):
            inclusive[frame] += count
    total = max(loop, 1)
    lines = [
        f"{loop} event-loop samples ({other} in other threads, {on_threads} of them running a task:"
        " COMMIT, checkpoint)",
        "  by layer (innermost):",
    ]
    lines += [f"    {n * 100 / total:5.1f}%  {name}" for name, n in layers.most_common()]
    lines.append("  self time (leaf):")
    lines += [f"    {n * 100 / total:5.1f}%  {frame}" for frame, n in self_time.most_common(top)]
    lines.append("  inclusive, orderdesk frames below the route:")
    skip = ("orderdesk/cli.py", "orderdesk/platform/http.py", "/api.py", "/api_")
    interesting = [
        (frame, n)
        for frame, n in inclusive.most_common()
        if "orderdesk/" in frame and not any(key in frame for key in skip)
    ]
    lines += [f"    {n * 100 / total:5.1f}%  {frame}" for frame, n in interesting[:top]]
    return "\n".join(lines)


def record(pid: int, out: Path, duration: int) -> subprocess.Popen[bytes]:
    py_spy = str(Path(sys.executable).with_name("py-spy"))
    args = [py_spy, "record", "--pid", str(pid), "--duration", str(duration), "--format", "raw", "--output", str(out)]
    return subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def profile_engine(engine: str, args: argparse.Namespace, workdir: Path, out_dir: Path) -> None:
    url = databases.fresh(engine, workdir, args.database_name)
    server = serve(url, workdir, "full")
    try:
        assert server.process is not None
        data = asyncio.run(auto.prepare(server, url, workdir, args.deep_orders))
        cdata = asyncio.run(crypto.prepare(server, workdir))
        base = server.base_url
        scenarios = [
            ("auto-post", "auto_post.lua", lambda: [str(data.post_keys)]),
            ("auto-get", "auto_get.lua", lambda: [str(data.get_pairs)]),
            ("auto-list", "get_with_key.lua", lambda: ["x-api-key", data.list_key, data.first_page]),
            ("crypto-create", "crypto_create.lua", lambda: [cdata.token(), str(cdata.customers_file)]),
        ]
        for name, script, env_args in scenarios:
            _one(engine, name, server.process.pid, base, script, env_args(), args, out_dir)
        wrk.run(
            "fill",
            base,
            "crypto_create.lua",
            env_args=[cdata.token(), str(cdata.customers_file)],
            connections=args.connections,
            duration=args.duration,
        )
        pending = asyncio.run(crypto.pending_orders(url, workdir))
        _one(
            engine,
            "crypto-confirm",
            server.process.pid,
            base,
            "crypto_confirm.lua",
            [cdata.token(), str(pending)],
            args,
            out_dir,
        )
    finally:
        server.stop()


def _one(
    engine: str,
    name: str,
    pid: int,
    base: str,
    script: str,
    env_args: list[str],
    args: argparse.Namespace,
    out_dir: Path,
) -> None:
    out = out_dir / f"{engine}-{name}.txt"
    spy = record(pid, out, args.duration)
    result = wrk.run(name, base, script, connections=args.connections, duration=args.duration, env_args=env_args)
    spy.wait()
    print(
        f"\n== {engine} {name}: {result.requests_per_second:.0f} req/s, p50 {result.p50_ms:.1f} ms,"
        f" p99 {result.p99_ms:.1f} ms  ({out})"
    )
    print(summarize(out))


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.profile")
    parser.add_argument("--engines", default="sqlite,postgres")
    parser.add_argument("--duration", type=int, default=8)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--deep-orders", type=int, default=2000)
    parser.add_argument("--database-name", default="orderdesk_bench_profile")
    parser.add_argument("--out", default=str(Path(__file__).parent / "results" / "profiles"))
    args = parser.parse_args()
    wrk.ensure_wrk()
    out_dir = Path(args.out)
    out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="orderdesk-profile-") as tmp:
        for engine in args.engines.split(","):
            profile_engine(engine, args, Path(tmp), out_dir)


if __name__ == "__main__":
    main()
