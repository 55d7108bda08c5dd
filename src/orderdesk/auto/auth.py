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
    return await admit_key(request, runtime, await repository.find_api_key(runtime.db, digest))


async def authenticate_with(request: Request, lookup: Lookup[T]) -> tuple[Principal, T]:
    """`authenticate`, with the key read by `lookup` together with what the endpoint needs next
    (one round trip). What it read is looked at only once the key checks have passed."""
    runtime: Runtime = request.app.state.runtime
    digest = presented_key_digest(request, runtime)
    found, extra = await lookup(runtime.db, digest)
    return await admit_key(request, runtime, found), extra
