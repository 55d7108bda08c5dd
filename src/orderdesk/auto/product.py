"""How the auto product plugs into the application."""

from __future__ import annotations

from fastapi import FastAPI

from orderdesk.platform.errors import AUTO
from orderdesk.platform.http import make_subapp
from orderdesk.platform.runtime import Runtime


def mount(root: FastAPI, runtime: Runtime) -> None:
    partner = make_subapp(runtime, AUTO, title="LMN Auto API", openapi_url="/v1/openapi.json",
                          docs_url="/docs")
    ops = make_subapp(runtime, AUTO, title="LMN Auto operator API")
    root.mount("/ops/v1/auto", ops)
    root.mount("/auto", partner)


def register_jobs(runtime: Runtime) -> None:
    return None


async def on_startup(runtime: Runtime) -> None:
    return None


async def load_demo(runtime: Runtime, base_url: str) -> str:
    """Load demo data; return what to print for a newcomer (keys, a ready-to-paste call)."""
    return ""
