"""`orderdesk` command line: serve, worker, db upgrade, demo."""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import sys
import tempfile

import typer

from orderdesk.settings import Settings, SettingsError, load_settings

cli = typer.Typer(add_completion=False, no_args_is_help=True, help="orderdesk: partner order APIs.")
db_cli = typer.Typer(no_args_is_help=True, help="Database commands.")
cli.add_typer(db_cli, name="db")


def _settings() -> Settings:
    try:
        return load_settings()
    except SettingsError as exc:
        typer.echo(f"orderdesk: {exc}", err=True)
        raise typer.Exit(2) from None


def _migrate(settings: Settings) -> None:
    from orderdesk.migrate import upgrade

    upgrade(settings.database_url)


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
    metrics_dir = _prometheus_multiprocess_dir()
    try:
        if not no_migrate:
            _migrate(settings)
        os.environ["ORDERDESK__SERVE_DISPATCHER"] = "0" if no_dispatcher else "1"
        _run_uvicorn(host, port, workers)
    finally:
        if metrics_dir is not None:
            shutil.rmtree(metrics_dir, ignore_errors=True)


def _prometheus_multiprocess_dir() -> str | None:
    """Every API process writes its metrics into one fresh directory, so /metrics adds up all
    workers whichever answers (prometheus_client's multiprocess mode). Set before any worker
    imports prometheus_client. A directory the operator set is used as it is."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        return None
    path = tempfile.mkdtemp(prefix="orderdesk-metrics-")
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = path
    return path


def _run_uvicorn(host: str, port: int, workers: int) -> None:
    import uvicorn

    uvicorn.run(
        "orderdesk.app:create_app_from_env",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        loop="uvloop",
        http="httptools",
        access_log=False,
        log_level="warning",
        timeout_graceful_shutdown=10,
        # Longer than a load balancer's or a client pool's idle timeout (commonly 60 s): the side
        # that closes an idle kept-alive connection must be the client, or a request sent just
        # as the server closes it dies with a reset (seen in the soak with uvicorn's 5 s).
        timeout_keep_alive=75,
        server_header=False,
        # The client address is the product's decision (ORDERDESK_TRUST_PROXY_HEADERS, auto 2.2):
        # uvicorn's own X-Forwarded-For rewriting (on by default for 127.0.0.1) must not run first.
        proxy_headers=False,
        forwarded_allow_ips="",
    )


@cli.command()
def worker(once: bool = typer.Option(False, "--once", help="Run what is due now, then exit.")) -> None:
    """Run the background dispatcher alone (webhooks, timers, mail)."""
    from orderdesk.platform.logs import configure_logging
    from orderdesk.platform.runtime import Runtime

    settings = _settings()
    configure_logging(settings.log_level)

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
) -> None:
    """Load demo data (partners, vehicles, prices) and print the keys to use."""
    from orderdesk.app import PRODUCTS
    from orderdesk.platform.runtime import Runtime

    settings = _settings()
    _migrate(settings)

    async def main() -> list[str]:
        runtime = Runtime.build(settings)
        await runtime.open()
        try:
            return [await product.load_demo(runtime, base_url) for product in PRODUCTS]
        finally:
            await runtime.close()

    for text in asyncio.run(main()):
        if text:
            typer.echo(text)


def main() -> None:
    try:
        cli()
    except KeyboardInterrupt:
        sys.exit(130)
