"""HTTP plumbing shared by every sub-application: request context and ids, the access log,
the catch-all for unexpected errors, error handlers, body reading and JSON responses."""

from __future__ import annotations

import re
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import orjson
import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response
from starlette.routing import Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from orderdesk.platform import metrics
from orderdesk.platform.errors import (
    ApiError,
    ErrorProfile,
    MethodNotAllowed,
    PayloadTooLarge,
    RouteNotFound,
    profile_for_path,
)

log = structlog.get_logger("orderdesk.access")

_CLIENT_REQUEST_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


@dataclass
class RequestContext:
    """Per-request facts the access log and error handlers need. Lives in scope["orderdesk"]."""

    request_id: str
    profile: ErrorProfile
    client_request_id: str | None = None
    partner_id: str | None = None
    fields: dict[str, Any] = field(default_factory=dict)


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
                message["headers"] = [*message.get("headers", []), request_id_header]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except Exception as exc:  # the last line of defence: log it, answer 500 if we still can
            log.exception("unhandled_error", request_id=ctx.request_id, error=repr(exc))
            if not response_started:
                status = 500
                error = profile.to_api_error(exc)
                await send_with_id(
                    {"type": "http.response.start", "status": 500, "headers": [(b"content-type", b"application/json")]}
                )
                await send({"type": "http.response.body", "body": profile.body(error, ctx.request_id)})
        finally:
            duration_ms = round((time.perf_counter() - started) * 1000, 3)
            route = scope.get("route")
            metrics.observe_request(
                profile.name, scope["method"], getattr(route, "path", "unmatched"), status, duration_ms / 1000
            )
            log.info(
                "request",
                request_id=ctx.request_id,
                client_request_id=ctx.client_request_id,
                method=scope["method"],
                path=scope["path"],
                status=status,
                duration_ms=duration_ms,
                partner_id=ctx.partner_id,
                **ctx.fields,
            )


def _client_request_id(scope: Scope) -> str | None:
    for name, value in scope["headers"]:
        if name == b"x-request-id":
            text = value.decode("latin-1")
            return text if _CLIENT_REQUEST_ID.match(text) else None
    return None


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
    envelope. Mount it on the root app; it shares the process-wide runtime."""
    app = FastAPI(
        title=title,
        version=version,
        description=description,
        openapi_url=openapi_url,
        docs_url=docs_url,
        redoc_url=None,
        redirect_slashes=False,
    )
    app.state.runtime = runtime
    install_error_handlers(app, profile)
    return app
