"""Partner authentication (spec/crypto.md 2.1), the rate limit (3.9) and scopes (2.2): the
first checks of every partner request, in the order of 3.10.

A token is an RS512 JWT whose `iss` is the partner's API key. The API key is stored only as
its SHA-256; the token's signature is checked with the partner's registered public key."""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import jwt
import orjson
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey
from cryptography.hazmat.primitives.serialization import load_pem_public_key
from fastapi import Request

from orderdesk.crypto import errors
from orderdesk.crypto.repositories import partners as repo
from orderdesk.platform.http import context, take_rate_limit
from orderdesk.platform.runtime import Runtime

ALGORITHM = "RS512"
MISSING_BEARER = "Authorization header with a Bearer token is required"
INVALID_TOKEN = "Invalid token"
BAD_IAT = "Token iat is missing or outside the accepted window"
_jws = jwt.PyJWS()
T = TypeVar("T")


@dataclass(frozen=True)
class Partner:
    """The calling partner, as stored."""

    id: str
    name: str
    public_key_pem: str
    scopes: tuple[str, ...]
    settlement_currencies: tuple[str, ...]
    products: tuple[str, ...]
    security_code_operations: tuple[str, ...]
    redemption_commission_enabled: bool
    active: bool

    @classmethod
    def from_row(cls, row: Any) -> Partner:
        return cls(
            id=row["id"],
            name=row["name"],
            public_key_pem=row["public_key_pem"],
            scopes=tuple(orjson.loads(row["scopes"])),
            settlement_currencies=tuple(orjson.loads(row["settlement_currencies"])),
            products=tuple(orjson.loads(row["products"])),
            security_code_operations=tuple(orjson.loads(row["security_code_operations"])),
            redemption_commission_enabled=bool(row["redemption_commission_enabled"]),
            active=bool(row["active"]),
        )


def api_key_hash(api_key: str) -> str:
    return hashlib.sha256(api_key.encode()).hexdigest()


@functools.lru_cache(maxsize=1024)
def public_key(pem: str) -> RSAPublicKey | None:
    try:
        key = load_pem_public_key(pem.encode())
    except (ValueError, TypeError):
        return None
    return key if isinstance(key, RSAPublicKey) else None


def bearer_token(request: Request) -> str:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token or " " in token:
        raise errors.auth_required(MISSING_BEARER)
    return token


def unverified_claims(token: str) -> dict[str, Any]:
    claims = parsed_claims(token)
    if claims is None:
        raise errors.auth_required(INVALID_TOKEN)
    return dict(claims)


@functools.lru_cache(maxsize=4096)
def parsed_claims(token: str) -> dict[str, Any] | None:
    """The claims of an RS512 token with a string `iss`, unverified; None otherwise. Cached
    like `signature_valid` (PyJWT's parsing is a large share of a request's CPU); callers get
    a copy, so the cached dict is never changed."""
    try:
        header = jwt.get_unverified_header(token)
        claims = jwt.decode(token, options={"verify_signature": False})
    except jwt.PyJWTError:
        return None
    if header.get("alg") != ALGORITHM or not isinstance(claims.get("iss"), str):
        return None
    return claims


def verify_signature(token: str, pem: str) -> None:
    if not signature_valid(token, pem):
        raise errors.auth_required(INVALID_TOKEN)


@functools.lru_cache(maxsize=4096)
def signature_valid(token: str, pem: str) -> bool:
    """Whether `token` is signed by the key `pem`. Cached: a partner may reuse one token for
    every request inside its `iat` window, and the answer for a (token, key) pair never
    changes; the partner row (active, current key) is still read on every request."""
    key = public_key(pem)
    if key is None:
        return False
    try:
        _jws.decode_complete(token, key, algorithms=[ALGORITHM])
    except jwt.PyJWTError:
        return False
    return True


def check_times(claims: dict[str, Any], now: float, leeway: float) -> None:
    """`iat` an integer inside the window; `exp` and `nbf` enforced when present."""
    iat = claims.get("iat")
    if type(iat) is not int or abs(int(now) - iat) > leeway:  # whole seconds, like iat itself
        raise errors.auth_required(BAD_IAT)
    exp, nbf = claims.get("exp"), claims.get("nbf")
    if exp is not None and (not _is_number(exp) or now >= exp):
        raise errors.auth_required(INVALID_TOKEN)
    if nbf is not None and (not _is_number(nbf) or now < nbf):
        raise errors.auth_required(INVALID_TOKEN)


def _is_number(value: Any) -> bool:
    return type(value) in (int, float)


@dataclass(frozen=True)
class Presented:
    """A bearer token of the right form, its claims read but not yet trusted."""

    token: str
    claims: dict[str, Any]

    @property
    def digest(self) -> str:
        """What the partner row is looked up by: the SHA-256 of the API key (`iss`)."""
        return api_key_hash(self.claims["iss"])


def presented(request: Request) -> Presented:
    """The checks of step 2 that need no database: the header, the token's form."""
    token = bearer_token(request)
    return Presented(token, unverified_claims(token))


async def admit(request: Request, given: Presented, row: Any) -> Partner:
    """The rest of steps 2 and 3 on the partner row `given` was looked up by (None: unknown):
    active, signature, then `iat`, then the rate limit."""
    runtime: Runtime = request.app.state.runtime
    if row is None or not row["active"]:
        raise errors.auth_required(INVALID_TOKEN)
    verify_signature(given.token, row["public_key_pem"])
    now = runtime.clock.now().timestamp()
    check_times(given.claims, now, runtime.settings.crypto_jwt_leeway)
    partner = Partner.from_row(row)
    context(request).partner_id = partner.id
    await take_rate_limit(request, f"crypto:{partner.id}", runtime.settings.crypto_rate_limit, now, "crypto")
    return partner


async def authenticate(request: Request) -> Partner:
    """Steps 2 and 3 of 3.10: token, then the rate limit. Signature before `iat`, so nothing is
    said about a token's times until it is known to be the partner's own."""
    runtime: Runtime = request.app.state.runtime
    given = presented(request)
    return await admit(request, given, await repo.partner_by_api_key_hash(runtime.db, given.digest))


@dataclass(frozen=True)
class Caller:
    """The caller of a write: authenticated before the use case (`partner`), or on PostgreSQL
    only presented (`given`): the use case's first statement reads its partner row with what
    it reads first, and `admit` runs the checks of `authenticate` on that row."""

    request: Request
    partner: Partner | None = None
    given: Presented | None = None

    async def admit(self, row: Any) -> Partner:
        assert self.given is not None
        return await admit(self.request, self.given, row)


async def caller_then(request: Request, read: Callable[[], Awaitable[T]]) -> tuple[Caller, T]:
    """Steps 2-5 of a write whose partner, on PostgreSQL, is read by its first statement (a
    round trip fewer): the token's form, then `read` (the body). Should `read` refuse, the
    partner lookup and its checks run before its error is raised, so theirs still come
    first. On SQLite: `authenticate`, then `read`."""
    runtime: Runtime = request.app.state.runtime
    if runtime.db.dialect != "postgresql":
        partner = await authenticate(request)
        return Caller(request, partner=partner), await read()
    given = presented(request)
    try:
        value = await read()
    except Exception:
        await admit(request, given, await repo.partner_by_api_key_hash(runtime.db, given.digest))
        raise
    return Caller(request, given=given), value


def require_scope(partner: Partner, scope: str) -> None:
    if scope not in partner.scopes:
        raise errors.forbidden_scope(scope)
