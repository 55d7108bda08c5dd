"""How the crypto product plugs into the application."""

from __future__ import annotations

from fastapi import FastAPI

from orderdesk.platform.errors import CRYPTO
from orderdesk.platform.http import make_subapp
from orderdesk.platform.runtime import Runtime


def mount(root: FastAPI, runtime: Runtime) -> None:
    partner = make_subapp(runtime, CRYPTO, title="Lirium API", openapi_url="/v1/openapi.json",
                          docs_url="/docs")
    ops = make_subapp(runtime, CRYPTO, title="Lirium operator API")
    root.mount("/crypto", partner)
    root.mount("/ops/v1", ops)


def register_jobs(runtime: Runtime) -> None:
    return None


async def on_startup(runtime: Runtime) -> None:
    return None


async def load_demo(runtime: Runtime, base_url: str) -> str:
    """Load demo data; return what to print for a newcomer (keys, a ready-to-paste call)."""
    return ""
