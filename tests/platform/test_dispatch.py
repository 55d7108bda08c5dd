"""The dispatch shortcuts of the hot path must pick what FastAPI's and Starlette's routing would:
LiteralPrefixRoute turns away only paths its pattern cannot match, and MountedAppShortcut hands
a request only to the Mount the root's router would pick."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute
from starlette.routing import Match, Mount

from orderdesk.app import create_app
from orderdesk.platform.http import LiteralPrefixRoute, MountedAppShortcut, _leading_mounts
from tests.conftest import settings_for

PATHS = [
    "/",
    "/healthz",
    "/metrics",
    "/metrics/x",
    "/auto",
    "/auto/",
    "/autox/v1/orders",
    "/auto/v1/orders",
    "/auto/v1/orders/",
    "/auto/v1/orders/01KQ0000000000000000000000",
    "/auto/v1/orders/a\nb",
    "/auto/v1/orders/01KQ0000000000000000000000/events",
    "/auto/v1/orders/01KQ0000000000000000000000/status",
    "/auto/v1/vehicles",
    "/auto/v1/vehicles/facets",
    "/auto/v1/vehicles/v1/orders",
    "/auto/v1/openapi.json",
    "/auto/docs",
    "/auto/docs/",
    "/auto/docs/swagger-ui.css",
    "/auto/auto/v1/orders",
    "/ops/v1/auto",
    "/ops/v1/auto/",
    "/ops/v1/auto/orders",
    "/ops/v1/autos",
    "/ops/v1/mail",
    "/crypto/v1/customers",
    "/crypto/a\nb",
    "/console",
    "/console/",
    "/console/orders",
    "/nothing",
]


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> FastAPI:
    path: Path = tmp_path_factory.mktemp("dispatch") / "app.db"
    return create_app(settings_for(f"sqlite:///{path}"))


def scope_for(path: str, method: str = "GET", root_path: str = "") -> dict[str, Any]:
    return {"type": "http", "method": method, "path": path, "root_path": root_path, "headers": []}


def apps(app: FastAPI) -> list[tuple[str, FastAPI]]:
    """The root and every mounted application, with the root_path a request to it carries."""
    found = [("", app)]
    found += [(route.path, route.app) for route in app.router.routes if isinstance(route, Mount)]
    return [(prefix, sub) for prefix, sub in found if isinstance(sub, FastAPI)]


@pytest.mark.parametrize("method", ["GET", "POST", "DELETE"])
def test_literal_prefix_routes_match_as_fastapi_does(app: FastAPI, method: str) -> None:
    checked = 0
    for prefix, sub in apps(app):
        for route in sub.router.routes:
            if not isinstance(route, LiteralPrefixRoute):
                continue
            for path in PATHS:
                scope = scope_for(path, method, prefix if path.startswith(prefix + "/") else "")
                assert route.matches(scope) == APIRoute.matches(route, scope), (route.path, path)
                checked += 1
    assert checked > 500


def router_pick(app: FastAPI, scope: dict[str, Any]) -> tuple[Any, dict[str, Any]] | None:
    """What the root's router does: the first route that matches fully."""
    for route in app.router.routes:
        match, child_scope = route.matches(scope)
        if match == Match.FULL:
            return route, child_scope
    return None


def test_mount_shortcut_picks_the_routers_mount(app: FastAPI) -> None:
    shortcut = MountedAppShortcut(app.router, app)
    taken = 0
    for path in PATHS:
        scope = scope_for(path)
        mount = shortcut._mount_for(scope)
        picked = router_pick(app, scope_for(path))
        if mount is None:
            assert picked is None or not isinstance(picked[0], Mount), path
            continue
        taken += 1
        assert picked is not None and picked[0] is mount, path
        assert {key: scope[key] for key in picked[1]} == picked[1], path
    assert taken >= 20


def test_mount_shortcut_leaves_a_root_path_to_the_router(app: FastAPI) -> None:
    shortcut = MountedAppShortcut(app.router, app)
    assert shortcut._mount_for(scope_for("/api/auto/v1/orders", root_path="/api")) is None


def test_mounts_behind_a_route_that_could_take_their_paths_are_left_to_the_router() -> None:
    async def endpoint() -> None:
        return None

    root = FastAPI()
    root.add_api_route("/healthz", endpoint)
    root.mount("/a", FastAPI())
    root.add_api_route("/b/literal", endpoint)
    root.mount("/b", FastAPI())  # /b/literal is the route's, not the mount's
    root.mount("/c", FastAPI())
    root.add_api_route("/items/{item_id}", endpoint)
    root.mount("/d", FastAPI())  # after a route with a parameter: the router decides
    assert [prefix for prefix, _mount in _leading_mounts(root.router.routes)] == ["/a/"]
