"""HTTP plumbing shared by every sub-application: request context and ids, the access log,
the catch-all for unexpected errors, error handlers, body reading and JSON responses."""

from __future__ import annotations

import functools
import json
import re
import time
from collections.abc import Callable, Coroutine, Mapping
from dataclasses import dataclass, field
from typing import Any

import orjson
import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from fastapi.telemetry import TelemetryConfig
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response
from starlette.routing import Match, Mount, request_response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from orderdesk.platform import metrics
from orderdesk.platform.db import DatabaseUnavailable
from orderdesk.platform.errors import (
    ApiError,
    ErrorProfile,
    MethodNotAllowed,
    PayloadTooLarge,
    RateLimited,
    RouteNotFound,
    profile_for_path,
)
from orderdesk.settings import RateLimit

log = structlog.get_logger("orderdesk.access")

_CLIENT_REQUEST_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")

# FastAPI's native OpenTelemetry layer, off in every app: orderdesk traces requests with its own
# middleware when OTEL_* variables ask for it (platform/tracing.py). Left on, FastAPI looks up the
# global OpenTelemetry providers (os.environ) in every mounted app on every request.
NO_NATIVE_TELEMETRY: TelemetryConfig = {"tracing": False, "metrics": False, "logs": False}


def new_app(*, openapi_url: str | None = None, **options: Any) -> FastAPI:
    """A FastAPI application with the platform's defaults: no framework docs pages (ours are
    installed where wanted), no slash redirects (a wrong path is the product's 404), no native
    telemetry."""
    return FastAPI(
        openapi_url=openapi_url,
        docs_url=None,
        redoc_url=None,
        redirect_slashes=False,
        telemetry=NO_NATIVE_TELEMETRY,
        **options,
    )


@dataclass
class RequestContext:
    """Per-request facts the access log and error handlers need. Lives in scope["orderdesk"].
    The request id and, once authenticated, the partner are also bound to structlog's context
    variables, so every log line the request causes carries them."""

    request_id: str
    profile: ErrorProfile
    client_request_id: str | None = None
    _partner_id: str | None = None
    fields: dict[str, Any] = field(default_factory=dict)
    # Sent on the response whatever its status, once the request was counted against a limit.
    rate_limit_headers: dict[str, str] | None = None

    @property
    def partner_id(self) -> str | None:
        return self._partner_id

    @partner_id.setter
    def partner_id(self, value: str | None) -> None:
        self._partner_id = value
        structlog.contextvars.bind_contextvars(partner_id=value)


async def take_rate_limit(request: Request, key: str, limit: RateLimit | None, now: float, policy: str) -> None:
    """Count the request against `limit` (none: unlimited); the response carries the quota
    left (success or error), and a refusal raises RateLimited (429 with Retry-After)."""
    if limit is None:
        return
    quota = await request.app.state.runtime.rate_limiter.take(key, limit, now)
    context(request).rate_limit_headers = quota.headers(policy)
    if quota.retry_after is not None:
        raise RateLimited(quota.retry_after)


def metrics_product(path: str) -> str:
    """The product a request belongs to in the metrics; health, readiness, metrics, the shared
    mail outbox and unknown paths are the platform's."""
    for prefix, product in (
        ("/ops/v1/auto/", "auto"),
        ("/ops/v1/crypto/", "crypto"),
        ("/auto/", "auto"),
        ("/crypto/", "crypto"),
    ):
        if path.startswith(prefix) or path == prefix[:-1]:
            return product
    return "platform"


def route_template(scope: Scope) -> str:
    """The matched route's path template, mount prefix included (`/auto/v1/orders/{order_id}`);
    `unmatched` for a path no route serves (so ids never become label values)."""
    route = scope.get("route")
    path = getattr(route, "path", None)
    if path is None:
        return "unmatched"
    return str(scope.get("root_path", "")) + path


def context(request: Request) -> RequestContext:
    return request.scope["orderdesk"]


class RequestContextMiddleware:
    """Outermost layer: gives every request an id (sent back in X-Request-Id), writes one
    JSON log line per request, and turns anything that escaped into a 500 envelope."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        profile = profile_for_path(scope["path"])
        ctx = RequestContext(request_id=profile.new_request_id(), profile=profile)
        structlog.contextvars.clear_contextvars()
        structlog.contextvars.bind_contextvars(request_id=ctx.request_id, partner_id=None)
        if profile.name == "auto":
            ctx.client_request_id = _client_request_id(scope)
        scope["orderdesk"] = ctx
        started = time.perf_counter()
        status = 500
        response_started = False
        request_id_header = (b"x-request-id", ctx.request_id.encode())

        async def send_with_id(message: Message) -> None:
            nonlocal status, response_started
            if message["type"] == "http.response.start":
                response_started = True
                status = message["status"]
                message["headers"] = [*message.get("headers", []), request_id_header, *_encoded(ctx.rate_limit_headers)]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except Exception as exc:  # the last line of defence: log it, answer 500 (503) if we still can
            if isinstance(exc, DatabaseUnavailable):
                log.warning("database_unavailable", error=str(exc))
            else:
                log.exception("unhandled_error", error=repr(exc))
            if not response_started:
                error = profile.to_api_error(exc)
                status = error.status
                headers = [(b"content-type", b"application/json")]
                headers += [(name.lower().encode(), value.encode()) for name, value in error.headers.items()]
                await send_with_id({"type": "http.response.start", "status": error.status, "headers": headers})
                await send({"type": "http.response.body", "body": profile.body(error, ctx.request_id)})
        finally:
            duration_ms = round((time.perf_counter() - started) * 1000, 3)
            metrics.observe_request(
                metrics_product(scope["path"]), scope["method"], route_template(scope), status, duration_ms / 1000
            )
            log.info(
                "request",
                client_request_id=ctx.client_request_id,
                method=scope["method"],
                path=scope["path"],
                status=status,
                duration_ms=duration_ms,
                **ctx.fields,
            )


class MountedAppShortcut:
    """Innermost layer of the root application: a request for a mounted application (every
    product API) is handed to its Mount directly. Below the request context the root would run
    its exception middleware and exit stack (the mounted application has its own and answers
    every error itself; what it re-raises passes the root's unhandled) and then try its routes
    in order until that Mount matches: ~8% of a GET by id. The Mount is found as the root's
    router finds it (first match in route order, its own `matches`); a path no mount takes, the
    root's own routes and requests under a root_path take the full stack."""

    def __init__(self, app: ASGIApp, root: FastAPI) -> None:
        self.app = app
        self.root = root
        self._mounts: list[tuple[str, Mount]] | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        mount = self._mount_for(scope)
        if mount is None:
            await self.app(scope, receive, send)
            return
        scope.setdefault("router", self.root.router)
        await mount.handle(scope, receive, send)

    def _mount_for(self, scope: Scope) -> Mount | None:
        """The Mount the root's router would pick, with its child scope applied; None when the
        full stack must decide."""
        if scope["type"] != "http" or scope.get("root_path"):
            return None
        if self._mounts is None:
            self._mounts = _leading_mounts(self.root.router.routes)
        path = scope["path"]
        for prefix, mount in self._mounts:
            if path.startswith(prefix):
                match, child_scope = mount.matches(scope)
                if match != Match.FULL:
                    return None
                scope.update(child_scope)
                return mount
        return None


def _leading_mounts(routes: list[Any]) -> list[tuple[str, Mount]]:
    """The mounts (with their path prefix) that only other mounts and literal paths come before:
    for a path under such a mount's prefix, the earlier mounts' prefixes decide, as no literal
    route can match it."""
    mounts: list[tuple[str, Mount]] = []
    literals: list[str] = []
    for route in routes:
        path = getattr(route, "path", None)
        if isinstance(route, Mount) and path and "{" not in path:
            prefix = path + "/"
            if not any(literal.startswith(prefix) for literal in literals):
                mounts.append((prefix, route))
                continue
        if not isinstance(path, str) or "{" in path or isinstance(route, Mount):
            break
        literals.append(path)
    return mounts


def _encoded(headers: dict[str, str] | None) -> list[tuple[bytes, bytes]]:
    return [(name.lower().encode(), value.encode()) for name, value in (headers or {}).items()]


def _client_request_id(scope: Scope) -> str | None:
    for name, value in scope["headers"]:
        if name == b"x-request-id":
            text = value.decode("latin-1")
            return text if _CLIENT_REQUEST_ID.match(text) else None
    return None


# --------------------------------------------------------------------------- routes


class LiteralPrefixRoute(APIRoute):
    """A route that turns away, without FastAPI's matching, a path that cannot be its own. A
    request is tried against each route of its application in turn (a GET by id against ~11
    before its own, ~1.2 µs each). The path a route's pattern is matched against is
    scope["path"] or a suffix of it (a mount's prefix removed), so a path that does not contain
    the pattern's literal start (`/v1/orders/` of `/v1/orders/{order_id}`) cannot match."""

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        if self._literal_start not in scope["path"]:
            return Match.NONE, {}
        return super().matches(scope)

    @functools.cached_property
    def _literal_start(self) -> str:
        return self.path.partition("{")[0]


class RequestRoute(LiteralPrefixRoute):
    """A partner API route: its endpoint takes only the Request and returns a Response (it
    parses its own input). FastAPI's handler would solve dependencies, look up telemetry data and
    inspect the return value on every call with nothing to do; this route awaits the endpoint
    directly. The OpenAPI document is built from the route as before.

    Its ASGI app is Starlette's request/response wrapper (route-level exception handlers, as
    FastAPI's) without FastAPI's two per-request exit stacks, which only serve dependencies."""

    def __init__(self, path: str, endpoint: Callable[..., Any], **options: Any) -> None:
        super().__init__(path, endpoint, **options)
        if self.max_body_size is None:  # FastAPI's per-route body limit wraps its own app: keep it
            self.app = request_response(self.get_route_handler())

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        dependant = self.dependant
        declared = (
            dependant.path_params,
            dependant.query_params,
            dependant.header_params,
            dependant.cookie_params,
            dependant.body_params,
            dependant.dependencies,
        )
        if any(declared) or dependant.request_param_name is None:
            raise TypeError(f"{self.name}: a RequestRoute endpoint takes only the request")
        endpoint: Callable[[Request], Coroutine[Any, Any, Response]] = self.endpoint
        return endpoint


# --------------------------------------------------------------------------- responses


def json_response(data: Any, status: int = 200, headers: Mapping[str, str] | None = None) -> Response:
    return Response(orjson.dumps(data), status_code=status, headers=headers, media_type="application/json")


def raw_json_response(body: bytes, status: int = 200, headers: Mapping[str, str] | None = None) -> Response:
    return Response(body, status_code=status, headers=headers, media_type="application/json")


def error_response(request: Request, error: ApiError) -> Response:
    ctx = context(request)
    return Response(
        ctx.profile.body(error, ctx.request_id),
        status_code=error.status,
        headers=error.headers,
        media_type="application/json",
    )


# --------------------------------------------------------------------------- bodies


def refuse_declared_oversize(request: Request, max_bytes: int) -> None:
    """413 when the announced Content-Length is over `max_bytes` (also for bodies never read)."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.strip().isdigit() and int(declared) > max_bytes:
        raise PayloadTooLarge(max_bytes)


async def read_body(request: Request, max_bytes: int) -> bytes:
    """The whole request body, refusing more than `max_bytes` whether the client announced
    it in Content-Length or just sent it."""
    refuse_declared_oversize(request, max_bytes)
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > max_bytes:
            raise PayloadTooLarge(max_bytes)
        chunks.append(chunk)
    return b"".join(chunks)


def loads_json(body: bytes, *, refuse_nul: bool = True) -> Any:
    """Parse a request body as UTF-8 JSON; ValueError when it is not.

    orjson refuses numbers a double cannot hold (`1e400`, an integer of 400 digits) although
    they are valid JSON: those bodies are parsed again by the standard library (integers kept
    exact, huge floats as infinity), so the field that holds them gets the field's own error
    instead of the whole body being called invalid. NaN and Infinity literals stay invalid.
    Strings holding NUL are refused on both engines: PostgreSQL text cannot store them (a caller
    that names the field holding the NUL itself passes `refuse_nul=False`).
    """
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        if "number" not in str(exc):
            raise ValueError(str(exc)) from None
        try:
            data = json.loads(body, parse_constant=_refuse_constant)
            # The standard library accepts lone surrogates (a \ud800 escape); UTF-8 cannot carry them.
            json.dumps(data, ensure_ascii=False).encode()
        except (ValueError, RecursionError) as exc:
            raise ValueError(str(exc)) from None
    try:
        if refuse_nul and b"\\u0000" in body and _holds_nul(data):
            raise ValueError("strings must not contain NUL characters")
    except RecursionError:
        raise ValueError("nested too deeply") from None
    return data


def _holds_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_holds_nul(key) or _holds_nul(item) for key, item in value.items())
    if isinstance(value, list):
        return any(_holds_nul(item) for item in value)
    return False


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


# --------------------------------------------------------------------------- handlers


def install_error_handlers(app: FastAPI, profile: ErrorProfile) -> None:
    """Make every failure inside `app` answer in `profile`'s envelope."""

    async def api_error(request: Request, exc: Exception) -> Response:
        return error_response(request, profile.to_api_error(exc))

    async def http_exception(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, StarletteHTTPException)
        if exc.status_code == 405:
            return error_response(request, profile.to_api_error(MethodNotAllowed(allowed_methods(request))))
        if exc.status_code == 404:
            return error_response(request, profile.to_api_error(RouteNotFound()))
        return error_response(request, ApiError(exc.status_code, "http_error", str(exc.detail)))

    async def validation(request: Request, exc: Exception) -> Response:
        # Endpoints parse their own input; this only guards against a declared parameter slipping in.
        code = "validation_error" if profile.nested else "invalid_parameters"
        return error_response(request, ApiError(400, code, "Request validation failed"))

    async def unexpected(request: Request, exc: Exception) -> Response:
        return error_response(request, profile.to_api_error(exc))

    for exc_class in (ApiError, RouteNotFound, MethodNotAllowed, PayloadTooLarge):
        app.add_exception_handler(exc_class, api_error)
    from orderdesk.platform.errors import OpsUnauthorized, RateLimited

    app.add_exception_handler(RateLimited, api_error)
    app.add_exception_handler(OpsUnauthorized, api_error)
    app.add_exception_handler(StarletteHTTPException, http_exception)
    app.add_exception_handler(RequestValidationError, validation)
    app.add_exception_handler(Exception, unexpected)


_PROBED_METHODS = ("DELETE", "GET", "PATCH", "POST", "PUT")


def allowed_methods(request: Request) -> list[str]:
    """Every method some route of this app serves at the request's path. Each method is probed
    because a route may be a whole included router (FastAPI's include_router) that names no
    methods of its own."""
    methods: set[str] = set()
    for route in request.app.router.routes:
        for method in _PROBED_METHODS:
            match, _ = route.matches({**request.scope, "method": method})
            if match == Match.FULL:
                methods.add(method)
    return sorted(methods)


def mount_subapp(root: FastAPI, path: str, app: ASGIApp) -> None:
    """Mount `app` at `path`, matching any path below it. Starlette's mount pattern (`.*`) stops
    at a newline, so `/prefix/items/a%0Ab` would miss the sub-application and answer the root's
    route_not_found instead of the endpoint's own answer for a malformed id."""
    root.mount(path, app)
    mounted = root.router.routes[-1]
    assert isinstance(mounted, Mount) and mounted.path == path
    mounted.path_regex = re.compile(mounted.path_regex.pattern, re.DOTALL)


def make_subapp(
    runtime: Any,
    profile: ErrorProfile,
    *,
    title: str,
    version: str = "1",
    openapi_url: str | None = None,
    docs_url: str | None = None,
    description: str = "",
) -> FastAPI:
    """A FastAPI application for one product surface, answering errors in `profile`'s
    envelope. Mount it on the root app; it shares the process-wide runtime. Its docs page (when
    `docs_url` and `openapi_url` are given) loads Swagger UI from this package, not a CDN."""
    app = new_app(title=title, version=version, description=description, openapi_url=openapi_url)
    app.state.runtime = runtime
    install_error_handlers(app, profile)
    if docs_url and openapi_url:
        from orderdesk.platform.openapi import install_docs_page

        install_docs_page(app, docs_url, openapi_url, title)
    return app
