"""Rendering, flash messages, security headers and the sign-in guard of the console pages."""

from __future__ import annotations

import base64
import mimetypes
from collections.abc import Awaitable, Callable
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import jinja2
import orjson
import structlog
from fastapi import Request
from starlette.datastructures import FormData
from starlette.responses import HTMLResponse, RedirectResponse, Response

from orderdesk.auto.timefmt import KST
from orderdesk.console import session
from orderdesk.platform.errors import ApiError
from orderdesk.platform.runtime import Runtime

HERE = Path(__file__).parent
STATIC = HERE / "static"
FLASH = "od_console_flash"
ACTOR = "operator"
log = structlog.get_logger("orderdesk.console")

SECURITY_HEADERS = {
    # No inline script at all: a partner string that slipped through escaping still could not run.
    "Content-Security-Policy": "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:;"
    " form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}


def _when(value: Any) -> str:
    """Timestamps as KST, to the second (the auto contract's zone); text passes through."""
    if value is None or value == "":
        return "—"
    if isinstance(value, datetime):
        return value.astimezone(KST).strftime("%Y-%m-%d %H:%M:%S KST")
    return str(value)


def _plain(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, dict | list):
        return orjson.dumps(value).decode()
    return str(value)


templates = jinja2.Environment(
    loader=jinja2.FileSystemLoader(HERE / "templates"),
    autoescape=True,  # every partner-supplied string is HTML-escaped
    trim_blocks=True,
    lstrip_blocks=True,
)
templates.filters["when"] = _when
templates.filters["plain"] = _plain
templates.filters["pretty"] = lambda value: orjson.dumps(value, option=orjson.OPT_INDENT_2).decode()


def runtime_of(request: Request) -> Runtime:
    return request.app.state.runtime


def secure(response: Response) -> Response:
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    return response


def render(request: Request, name: str, status: int = 200, **context: Any) -> Response:
    """A page; `sess` gives the forms their CSRF token (None on the sign-in page)."""
    flash = _read_flash(request)
    sess = getattr(request.state, "console_session", None)
    html = templates.get_template(name).render(
        path=request.url.path,
        flash=flash,
        csrf_field=session.CSRF_FIELD,
        csrf=sess.csrf if sess is not None else "",
        signed_in=sess is not None,
        **context,
    )
    response = HTMLResponse(html, status_code=status)
    if flash is not None:
        response.delete_cookie(FLASH, path="/console")
    return secure(response)


def _read_flash(request: Request) -> dict[str, Any] | None:
    raw = request.cookies.get(FLASH)
    if not raw:
        return None
    try:
        value = orjson.loads(base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)))
    except (ValueError, orjson.JSONDecodeError):
        return None
    return value if isinstance(value, dict) else None


def redirect(url: str, flash: dict[str, Any] | None = None) -> Response:
    response = RedirectResponse(url, status_code=303)
    if flash is not None:
        encoded = base64.urlsafe_b64encode(orjson.dumps(flash)).rstrip(b"=").decode()
        response.set_cookie(FLASH, encoded, max_age=120, path="/console", httponly=True, samesite="strict")
    return secure(response)


def error_flash(error: ApiError) -> dict[str, Any]:
    """The contract's own words: code, message and any field issues."""
    issues = [
        f"{issue.get('location', '')} {issue.get('path', '')}: {issue.get('message', '')}".strip()
        for issue in error.details.get("issues", [])
        if isinstance(issue, dict)
    ]
    return {"kind": "error", "code": error.code, "status": error.status, "text": error.message, "issues": issues}


def done(text: str, **extra: Any) -> dict[str, Any]:
    return {"kind": "done", "text": text, **extra}


async def page(request: Request, build: Callable[[], Awaitable[Response]]) -> Response:
    """A page behind the session (a missing or expired one → redirect to sign-in)."""
    sess = session.current(request)
    request.state.console_session = sess
    return await build()


async def act(
    request: Request,
    name: str,
    target: str,
    run: Callable[[FormData], Awaitable[Any]],
    back: str,
    success: Callable[[Any], tuple[str, dict[str, Any]]] | None = None,
) -> Response:
    """A form post: session and CSRF token first, then the use case; its ApiError is shown
    on the page it came from. Every action is logged with actor `operator` (the audit trail;
    the auto use cases also write actor `operator` into each order's history)."""
    sess = session.current(request)
    form = await request.form()
    token = form.get(session.CSRF_FIELD)
    session.check_csrf(sess, token if isinstance(token, str) else None)
    try:
        result = await run(form)
    except ApiError as error:
        log.info("console_action", actor=ACTOR, action=name, target=target, outcome=error.code)
        return redirect(back, error_flash(error))
    log.info("console_action", actor=ACTOR, action=name, target=target, outcome="ok")
    if success is None:
        return redirect(back, done(f"{name}: done"))
    url, flash = success(result)
    return redirect(url, flash)


def static_file(name: str) -> Response:
    path = (STATIC / name).resolve()
    if path.parent != STATIC.resolve() or not path.is_file():
        return secure(Response("Not found", status_code=404, media_type="text/plain"))
    media_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    response = Response(path.read_bytes(), media_type=media_type)
    response.headers["Cache-Control"] = "public, max-age=86400"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
