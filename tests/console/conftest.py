"""Browser fixtures: the app served by uvicorn in a thread on a free port (each engine), and
Debian's Chromium driven by Playwright. Without Chromium or Playwright these tests skip
with the reason."""

from __future__ import annotations

import asyncio
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn

from orderdesk.app import create_app
from orderdesk.platform.clock import ManualClock
from tests.conftest import OPS_TOKEN, settings_for

CHROMIUM = shutil.which("chromium") or ("/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None)
ARTIFACTS = Path(__file__).parent / "artifacts"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
WIDTHS = {"wide": 1280, "narrow": 390}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Served:
    """The app on http://127.0.0.1:<port>, its runtime and clock."""

    def __init__(self, database_url: str, clock: ManualClock) -> None:
        self.clock = clock
        # Sends stay `processing` until the operator acts: no delivery timer fires in the test.
        self.app = create_app(settings_for(database_url, crypto_send_delay="1d"), clock=clock)
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(self.app, host="127.0.0.1", port=self.port, log_level="warning", lifespan="on")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=lambda: asyncio.run(self.server.serve()), daemon=True)

    def __enter__(self) -> Served:
        self.thread.start()
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if httpx.get(self.url + "/readyz", timeout=1).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.05)
        raise RuntimeError("the server did not start")

    def __exit__(self, *exc: Any) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=30)

    def http(self) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=30)


@pytest.fixture
def served(database_url: str, clock: ManualClock) -> Iterator[Served]:
    with Served(database_url, clock) as app:
        yield app


@pytest.fixture
def browser() -> Iterator[Any]:
    """Per test: Playwright's sync API keeps an event loop running in this thread while it is
    started, which the async tests after it could not share."""
    if CHROMIUM is None:
        pytest.skip("Chromium not installed (apt-get install chromium): console browser tests skipped")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.skip("Playwright for Python not installed (pip install -e '.[dev]'): console browser tests skipped")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield launched
        launched.close()


class Console:
    """One browser tab signed in (or not) to the served console; screenshots go to artifacts/."""

    def __init__(self, browser: Any, served: Served, engine: str, width: int = 1280) -> None:
        self.served = served
        self.engine = engine
        self.context = browser.new_context(viewport={"width": width, "height": 900})
        self.page = self.context.new_page()
        self.page.set_default_timeout(15000)
        self.dialogs: list[str] = []
        self.page.on("dialog", lambda dialog: (self.dialogs.append(dialog.message), dialog.dismiss()))

    def goto(self, path: str) -> Any:
        self.page.goto(self.served.url + path)
        return self.page

    def sign_in(self) -> None:
        self.goto("/console/signin")
        self.page.get_by_label("Operator token").fill(OPS_TOKEN)
        self.page.get_by_role("button", name="Sign in").click()
        self.page.wait_for_url("**/console/")

    def shot(self, name: str, *, widths: tuple[str, ...] = ("wide", "narrow")) -> None:
        ARTIFACTS.mkdir(exist_ok=True)
        current = self.page.viewport_size
        for label in widths:
            self.page.set_viewport_size({"width": WIDTHS[label], "height": 900})
            overflow = self.page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
            assert overflow <= 0, f"{name} is {overflow}px wider than {WIDTHS[label]}px"
            self.page.screenshot(path=str(ARTIFACTS / f"{self.engine}-{name}-{label}.png"), full_page=True)
        self.page.set_viewport_size(current)

    def submit(self, form_selector: str, fields: dict[str, str], button: str | None = None) -> None:
        form = self.page.locator(form_selector)
        for label, value in fields.items():
            control = form.get_by_label(label, exact=True)
            if control.evaluate("e => e.tagName") == "SELECT":
                control.select_option(value)
            else:
                control.fill(value)
        (form.get_by_role("button", name=button) if button else form.locator("button[type=submit]")).click()
        self.page.wait_for_load_state("load")

    def flash(self) -> str:
        return str(self.page.locator("#flash").inner_text())

    def close(self) -> None:
        self.context.close()


@pytest.fixture
def console(browser: Any, served: Served, engine: str) -> Iterator[Console]:
    tab = Console(browser, served, engine)
    yield tab
    tab.close()
