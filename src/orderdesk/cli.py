"""`orderdesk` command line: serve, worker, db upgrade, demo."""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import shutil
import signal
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from orderdesk import __version__
from orderdesk.settings import Settings, SettingsError, load_settings

if TYPE_CHECKING:
    import socket

    import uvicorn

HELP = (
    "orderdesk: partner order APIs (auto bid orders, crypto orders) on one platform.\n\n"
    "Settings come from ORDERDESK_* environment variables, each with a default: ORDERDESK_DATABASE_URL "
    "(sqlite:///./orderdesk.db or postgresql://...), ORDERDESK_OPS_TOKEN (the operator API's token), "
    "ORDERDESK_REDIS_URL, ORDERDESK_ENVIRONMENT and more. Every setting with its default and meaning: "
    "docs/settings.md (and .env.example)."
)

cli = typer.Typer(add_completion=False, no_args_is_help=True, help=HELP)
db_cli = typer.Typer(no_args_is_help=True, help="Database commands.")
cli.add_typer(db_cli, name="db")


def _show_version(value: bool) -> None:
    if value:
        typer.echo(f"orderdesk {__version__}")
        raise typer.Exit()


@cli.callback()
def _options(
    version: bool = typer.Option(
        False, "--version", callback=_show_version, is_eager=True, help="Print the version and exit."
    ),
) -> None:
    pass


def _settings() -> Settings:
    try:
        return load_settings()
    except SettingsError as exc:
        typer.echo(f"orderdesk: {exc}", err=True)
        raise typer.Exit(2) from None


def _migrate(settings: Settings) -> None:
    from orderdesk.migrate import upgrade

    with _database_errors(settings):
        upgrade(settings.database_url)


def _check_database(settings: Settings) -> None:
    """Open and close one connection, so that a wrong URL stops start-up with one line."""
    from orderdesk.migrate import check_connection

    with _database_errors(settings):
        check_connection(settings.database_url)


@contextlib.contextmanager
def _database_errors(settings: Settings) -> Iterator[None]:
    """A database that is missing or unreachable is a configuration problem: one line naming the
    setting, exit status 2, no traceback."""
    from sqlalchemy.exc import DBAPIError

    try:
        yield
    except DBAPIError as exc:
        typer.echo(
            f"orderdesk: cannot use ORDERDESK_DATABASE_URL={redacted(settings.database_url)}: {first_line(exc.orig)}",
            err=True,
        )
        raise typer.Exit(2) from None


def redacted(url: str) -> str:
    """The URL without its password."""
    return re.sub(r"(://[^:/@]+):[^@/]*@", r"\1:***@", url)


def first_line(error: BaseException | None) -> str:
    """The driver's reason, e.g. `database "x" does not exist` or `Connection refused`."""
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    for line in lines:
        if "FATAL:" in line:
            return line.split("FATAL:", 1)[1].strip()
    text = lines[0] if lines else "cannot connect"
    return text.split(" failed: ")[-1].strip() if " failed: " in text else text


@cli.command()
def serve(
    host: str = typer.Option("127.0.0.1", help="Address to listen on."),
    port: int = typer.Option(8000, help="Port to listen on."),
    workers: int = typer.Option(1, min=1, help="API processes (PostgreSQL only; SQLite has one writer)."),
    no_migrate: bool = typer.Option(False, "--no-migrate", help="Do not apply migrations at start."),
    no_dispatcher: bool = typer.Option(False, "--no-dispatcher", help="API only; run `orderdesk worker` apart."),
) -> None:
    """Run the HTTP API (both products and the operator API), with the background dispatcher."""
    settings = _settings()
    if settings.is_sqlite and workers > 1:
        typer.echo("orderdesk: --workers > 1 needs PostgreSQL (SQLite runs a single writer)", err=True)
        raise typer.Exit(2)
    metrics_dir = _prometheus_multiprocess_dir()  # before anything imports prometheus_client
    try:
        if no_migrate:
            _check_database(settings)
        else:
            _migrate(settings)
        os.environ["ORDERDESK__SERVE_DISPATCHER"] = "0" if no_dispatcher else "1"
        _run_uvicorn(host, port, workers)
    finally:
        if metrics_dir is not None:
            shutil.rmtree(metrics_dir, ignore_errors=True)


def _prometheus_multiprocess_dir() -> str | None:
    """Every API process writes its metrics into one fresh directory, so /metrics adds up all
    workers whichever answers (prometheus_client's multiprocess mode). A directory the operator
    set is used as it is."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        return None
    path = tempfile.mkdtemp(prefix="orderdesk-metrics-")
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = path
    return path


def _run_uvicorn(host: str, port: int, workers: int) -> None:
    import uvicorn

    options: dict[str, Any] = {
        "factory": True,
        "host": host,
        "port": port,
        "workers": workers,
        # One process: uvloop accepting pending connections in batches (libuv takes one per loop
        # iteration: under load a pool's last connections waited seconds for their first
        # request). Workers sharing a socket keep libuv's accept (platform/listener.py: why).
        "loop": BATCH_ACCEPT_LOOP if workers == 1 else "uvloop",
        "http": "httptools",
        "access_log": False,
        "log_level": "warning",
        "timeout_graceful_shutdown": 10,
        # Longer than a load balancer's or a client pool's idle timeout (commonly 60 s): the side
        # that closes an idle kept-alive connection must be the client, or a request sent just
        # as the server closes it dies with a reset (seen in the soak with uvicorn's 5 s).
        "timeout_keep_alive": 75,
        "server_header": False,
        # The client address is the product's decision (ORDERDESK_TRUST_PROXY_HEADERS, auto 2.2):
        # uvicorn's own X-Forwarded-For rewriting (on by default for 127.0.0.1) must not run first.
        "proxy_headers": False,
        "forwarded_allow_ips": "",
    }
    address = f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"
    if workers > 1:  # uvicorn's supervisor binds the socket and starts the processes
        typer.echo(f"orderdesk {__version__}: listening on {address} ({workers} workers)", err=True)
        uvicorn.run(APP_FACTORY, **options)
        return
    _announcing_server(uvicorn.Config(APP_FACTORY, **options), address).run()


APP_FACTORY = "orderdesk.app:create_app_from_env"
BATCH_ACCEPT_LOOP = "orderdesk.platform.listener:new_event_loop"


def _announcing_server(config: uvicorn.Config, address: str) -> uvicorn.Server:
    """uvicorn's server, saying where it listens once the socket is bound and the app started."""
    import uvicorn

    class Server(uvicorn.Server):
        async def startup(self, sockets: list[socket.socket] | None = None) -> None:
            await super().startup(sockets)
            if self.started:
                typer.echo(f"orderdesk {__version__}: listening on {address}", err=True)

    return Server(config)


@cli.command()
def worker(once: bool = typer.Option(False, "--once", help="Run what is due now, then exit.")) -> None:
    """Run the background dispatcher alone (webhooks, timers, mail)."""
    from orderdesk.platform.logs import configure_logging
    from orderdesk.platform.runtime import Runtime

    settings = _settings()
    configure_logging(settings.log_level)
    _check_database(settings)

    async def main() -> None:
        from orderdesk.app import PRODUCTS

        runtime = Runtime.build(settings)
        for product in PRODUCTS:
            product.register_jobs(runtime)
        await runtime.open()
        try:
            for product in PRODUCTS:
                await product.on_startup(runtime)
            if once:
                await runtime.dispatcher.drain()
                return
            stop = asyncio.Event()
            loop = asyncio.get_running_loop()
            for sig in (signal.SIGINT, signal.SIGTERM):
                loop.add_signal_handler(sig, stop.set)
            await runtime.dispatcher.run_forever(stop)
        finally:
            await runtime.close()

    asyncio.run(main())


@db_cli.command("upgrade")
def db_upgrade() -> None:
    """Apply every pending migration."""
    settings = _settings()
    _migrate(settings)
    typer.echo("database is up to date")


@cli.command()
def demo(
    base_url: str = typer.Option("http://127.0.0.1:8000", help="Where the server will listen (for the printed calls)."),
    key_file: Path | None = typer.Option(
        None,
        "--key-file",
        help="Where to write the crypto partner's private key (default: demo-keys/<database>/crypto-partner.pem).",
    ),
) -> None:
    """Load demo data (partners, vehicles, prices) and print the keys to use and where they were written."""
    from orderdesk.app import PRODUCTS
    from orderdesk.platform.runtime import Runtime

    settings = _settings()
    _migrate(settings)

    async def main() -> list[str]:
        runtime = Runtime.build(settings)
        await runtime.open()
        try:
            return [await product.load_demo(runtime, base_url, key_file=key_file) for product in PRODUCTS]
        finally:
            await runtime.close()

    for text in asyncio.run(main()):
        if text:
            typer.echo(text)
    typer.echo(_next_steps(base_url.rstrip("/"), settings))


def _next_steps(base_url: str, settings: Settings) -> str:
    ops = settings.ops_token or "<set ORDERDESK_OPS_TOKEN on the server: the operator API answers 401 without it>"
    return f"""
Every walkthrough in docs/ starts from these two variables (paste them into your shell):

export BASE={base_url}
export OPS={ops}

The orderdesk command is .venv/bin/orderdesk (or run `source .venv/bin/activate` once).
Next: docs/walkthrough-auto.md, docs/walkthrough-crypto.md, and GET {base_url}/ for the index.
"""


def main() -> None:
    try:
        cli()
    except KeyboardInterrupt:
        sys.exit(130)
