"""Partner authentication (spec 2.1), the IP allowlist (2.2) and the rate limit (2.11): the
first checks of every partner request, in the contract's order."""

from __future__ import annotations

import functools
import hashlib
import ipaddress
import re
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Literal, TypeVar

import orjson
from fastapi import Request

from orderdesk.auto import errors, repository
from orderdesk.platform.db import Database
from orderdesk.platform.http import context, take_rate_limit
from orderdesk.platform.runtime import Runtime

T = TypeVar("T")
Lookup = Callable[[Database, str], Awaitable[tuple["repository.FoundKey | None", T]]]

Environment = Literal["sandbox", "production"]
KEY_PREFIXES: dict[str, str] = {"sandbox": "lmn_stg_", "production": "lmn_prd_"}
KEY_PATTERN = re.compile(r"^lmn_(stg|prd)_[A-Za-z0-9_-]{28}$")
DISPLAY_PREFIX_LENGTH = 12

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Address = ipaddress.IPv4Address | ipaddress.IPv6Address


@dataclass(frozen=True)
class Principal:
    partner_id: str
    key_id: str


# --------------------------------------------------------------------------- keys


def generate_api_key(environment: str) -> str:
    return KEY_PREFIXES[environment] + secrets.token_urlsafe(21)


def key_digest(api_key: str) -> str:
    return hashlib.sha256(api_key.encode()).hexdigest()


def is_well_formed_key(api_key: str) -> bool:
    return KEY_PATTERN.fullmatch(api_key) is not None


def generate_webhook_secret() -> str:
    return "whsec_" + secrets.token_urlsafe(32)


# --------------------------------------------------------------------------- IP allowlist


def canonical_entry(entry: str) -> str:
    """The stored form of one allowlist entry: an address without prefix length, or a range
    with its host bits cleared. ValueError when `entry` is neither."""
    network = ipaddress.ip_network(entry, strict=False)
    if network.num_addresses == 1:
        return str(network.network_address)
    return str(network)


@functools.lru_cache(maxsize=4096)
def _networks(allowlist_json: str) -> tuple[Network, ...]:
    return tuple(ipaddress.ip_network(entry) for entry in orjson.loads(allowlist_json))


def _unmapped(address: Address) -> Address:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def parse_address(text: str) -> Address | None:
    try:
        return _unmapped(ipaddress.ip_address(text.strip()))
    except ValueError:
        return None


def client_address(request: Request, trust_proxy_headers: bool) -> str:
    """The TCP peer, or with trusted proxies the right-most X-Forwarded-For entry when it is an
    IP address. IPv4-mapped IPv6 addresses come back as IPv4."""
    if trust_proxy_headers:
        forwarded = ",".join(request.headers.getlist("x-forwarded-for"))
        if forwarded:
            address = parse_address(forwarded.rsplit(",", 1)[-1])
            if address is not None:
                return str(address)
    peer = request.client.host if request.client else ""
    address = parse_address(peer)
    return str(address) if address is not None else peer


def address_allowed(address: str, allowlist_json: str | None) -> bool:
    if allowlist_json is None:
        return True
    parsed = parse_address(address)
    if parsed is None:
        return False
    return any(parsed in network for network in _networks(allowlist_json))


# --------------------------------------------------------------------------- the check


def presented_key_digest(request: Request, runtime: Runtime) -> str:
    """The SHA-256 digest of the request's API key, once its presence and format are checked."""
    api_key = request.headers.get("x-api-key", "")
    if not api_key:
        raise errors.missing_api_key()
    if not is_well_formed_key(api_key) or not api_key.startswith(KEY_PREFIXES[runtime.settings.environment]):
        raise errors.invalid_api_key()
    return key_digest(api_key)


class KeyPartners:
    """Which partner a key digest belongs to, as this process last read it: a key never moves
    to another partner, so this may be known before the key is read again (it says nothing
    about the key being valid: every request still reads the key). Bounded: emptied when full."""

    limit = 10_000

    def __init__(self) -> None:
        self._partners: dict[str, str] = {}

    def get(self, digest: str) -> str | None:
        return self._partners.get(digest)

    def note(self, digest: str, partner_id: str) -> None:
        if len(self._partners) >= self.limit:
            self._partners.clear()
        self._partners[digest] = partner_id


def key_partners(runtime: Runtime) -> KeyPartners:
    found = runtime.extras.get("auto.key_partners")
    if found is None:
        found = runtime.extras["auto.key_partners"] = KeyPartners()
    assert isinstance(found, KeyPartners)
    return found


async def admit_key(request: Request, runtime: Runtime, found: repository.FoundKey | None) -> Principal:
    """The checks after the key lookup: known and not revoked, IP allowlist, rate limit."""
    if found is None or found.revoked:
        raise errors.invalid_api_key()
    context(request).partner_id = found.partner_id
    if found.ip_allowlist is not None:
        address = client_address(request, runtime.settings.trust_proxy_headers)
        if not address_allowed(address, found.ip_allowlist):
            raise errors.ip_not_allowed(address)
    await take_rate_limit(request, found.key_id, runtime.settings.rate_limit, runtime.clock.now().timestamp(), "auto")
    return Principal(found.partner_id, found.key_id)


async def authenticate(request: Request) -> Principal:
    """Key → IP allowlist → rate limit (spec 2.13 steps 2–4). Raises the contract's error."""
    runtime: Runtime = request.app.state.runtime
    digest = presented_key_digest(request, runtime)
    found = await repository.find_api_key(runtime.db, digest)
    if found is not None:
        key_partners(runtime).note(digest, found.partner_id)
    return await admit_key(request, runtime, found)


@dataclass(frozen=True)
class Caller:
    """The caller of a write: authenticated before the use case (`principal`), or on
    PostgreSQL only presented (`digest`), with the partner its key belongs to when this
    process has read the key before (`partner_hint`): then the use case's first statement
    reads the key, and `admit` runs the checks that follow the lookup on what it found."""

    request: Request
    principal: Principal | None = None
    digest: str | None = None
    partner_hint: str | None = None

    async def admit(self, found: repository.FoundKey | None) -> Principal:
        return await admit_key(self.request, self.request.app.state.runtime, found)

    async def authenticate(self) -> Principal:
        """`authenticate` for a presented key (the lookup on its own)."""
        assert self.digest is not None
        runtime: Runtime = self.request.app.state.runtime
        found = await repository.find_api_key(runtime.db, self.digest)
        if found is not None:
            key_partners(runtime).note(self.digest, found.partner_id)
        return await self.admit(found)


async def caller_then(request: Request, read: Callable[[], Awaitable[T]]) -> tuple[Caller, T]:
    """Steps 2-7 of a write whose key, on PostgreSQL, may be looked up by its first statement
    (a round trip fewer): the key's presence and format, then `read` (body, Idempotency-Key,
    input). Should `read` refuse, the key lookup and its checks run before its error is
    raised, so theirs still come first. On SQLite: `authenticate`, then `read`."""
    runtime: Runtime = request.app.state.runtime
    if runtime.db.dialect != "postgresql":
        principal = await authenticate(request)
        return Caller(request, principal=principal), await read()
    digest = presented_key_digest(request, runtime)
    caller = Caller(request, digest=digest, partner_hint=key_partners(runtime).get(digest))
    try:
        value = await read()
    except Exception:
        await caller.authenticate()
        raise
    return caller, value


async def authenticate_with(request: Request, lookup: Lookup[T]) -> tuple[Principal, T]:
    """`authenticate`, with the key read by `lookup` together with what the endpoint needs next
    (one round trip). What it read is looked at only once the key checks have passed."""
    runtime: Runtime = request.app.state.runtime
    digest = presented_key_digest(request, runtime)
    found, extra = await lookup(runtime.db, digest)
    return await admit_key(request, runtime, found), extra
