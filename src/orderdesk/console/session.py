"""Console sessions: sign-in with the operator token, a signed cookie, a CSRF token per session.

The cookie is `<payload>.<mac>`: payload is base64url JSON `{"exp": <unix>, "csrf": <hex>}`,
mac is HMAC-SHA256 under a key derived from the operator token, so changing the token ends
every session. Nothing is stored server-side.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass

import orjson
from fastapi import Request
from starlette.responses import Response

from orderdesk.settings import Settings

COOKIE = "od_console"
CSRF_FIELD = "csrf_token"


@dataclass(frozen=True)
class Session:
    expires_at: int
    csrf: str


class SignInRequired(Exception):
    """No valid session: the console answers with a redirect to the sign-in page."""


class CsrfRefused(Exception):
    """A form post without the session's CSRF token."""


def _key(settings: Settings) -> bytes:
    token = settings.ops_token or ""
    return hmac.new(token.encode(), b"orderdesk console session v1", hashlib.sha256).digest()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def token_matches(settings: Settings, given: str) -> bool:
    """Constant-time comparison with ORDERDESK_OPS_TOKEN; no token configured: no sign-in."""
    expected = settings.ops_token
    return bool(expected) and hmac.compare_digest(given.strip().encode(), (expected or "").encode())


def encode(settings: Settings, session: Session) -> str:
    payload = _b64(orjson.dumps({"exp": session.expires_at, "csrf": session.csrf}))
    mac = _b64(hmac.new(_key(settings), payload.encode(), hashlib.sha256).digest())
    return f"{payload}.{mac}"


def decode(settings: Settings, value: str, now: float) -> Session | None:
    if not settings.ops_token or value.count(".") != 1:
        return None
    payload, mac = value.split(".")
    expected = _b64(hmac.new(_key(settings), payload.encode(), hashlib.sha256).digest())
    if not hmac.compare_digest(mac.encode(), expected.encode()):
        return None
    try:
        data = orjson.loads(_unb64(payload))
        session = Session(int(data["exp"]), str(data["csrf"]))
    except (ValueError, KeyError, TypeError, orjson.JSONDecodeError):
        return None
    return session if session.expires_at > now else None


def new_session(settings: Settings, now: float) -> Session:
    return Session(int(now + settings.console_session_ttl), secrets.token_hex(16))


def set_cookie(response: Response, settings: Settings, session: Session) -> None:
    response.set_cookie(
        COOKIE,
        encode(settings, session),
        max_age=int(settings.console_session_ttl),
        path="/console",
        httponly=True,
        samesite="strict",
        secure=settings.environment == "production",
    )


def clear_cookie(response: Response, settings: Settings) -> None:
    response.delete_cookie(
        COOKIE, path="/console", httponly=True, samesite="strict", secure=settings.environment == "production"
    )


def current(request: Request) -> Session:
    """The request's session, or SignInRequired."""
    settings: Settings = request.app.state.runtime.settings
    now = request.app.state.runtime.clock.now().timestamp()
    session = decode(settings, request.cookies.get(COOKIE, ""), now)
    if session is None:
        raise SignInRequired()
    return session


def check_csrf(session: Session, given: str | None) -> None:
    if not given or not hmac.compare_digest(given.encode(), session.csrf.encode()):
        raise CsrfRefused()
