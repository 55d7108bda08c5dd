"""Blockchain address formats per network (spec/crypto.md 7, 8.8). Shape checks only: no
checksum is verified.

- `bitcoin`: bech32 `^(bc1|tb1|bcrt1)[ac-hj-np-z02-9]{11,71}$` (case-insensitive) or base58
  `^[13mn2][a-km-zA-HJ-NP-Z1-9]{25,34}$`;
- EVM networks (`ethereum`, `polygon`, `arbitrum`, `optimism`, `base`, `bsc`, `avalanche`):
  `^0x[0-9a-fA-F]{40}$`;
- any other network: 1-128 non-whitespace characters.
"""

from __future__ import annotations

import re

from orderdesk.platform.errors import ApiError

BITCOIN = "bitcoin"
EVM_NETWORKS = frozenset({"ethereum", "polygon", "arbitrum", "optimism", "base", "bsc", "avalanche"})

# re.ASCII: without it IGNORECASE lets look-alikes such as the Kelvin sign (U+212A) match "k".
_BECH32 = re.compile(r"(?:bc1|tb1|bcrt1)[ac-hj-np-z02-9]{11,71}", re.IGNORECASE | re.ASCII)
_BASE58 = re.compile(r"[13mn2][a-km-zA-HJ-NP-Z1-9]{25,34}", re.ASCII)
_EVM = re.compile(r"0x[0-9a-fA-F]{40}", re.ASCII)
_ANY = re.compile(r"\S{1,128}")


def is_valid_address(network: str, address: str) -> bool:
    """Whether `address` has the shape of an address on `network` (whole string, no
    surrounding whitespace or trailing newline)."""
    if network == BITCOIN:
        return bool(_BECH32.fullmatch(address) or _BASE58.fullmatch(address))
    if network in EVM_NETWORKS:
        return bool(_EVM.fullmatch(address))
    return bool(_ANY.fullmatch(address))


def check_address(network: str, address: str) -> None:
    """400 `invalid_crypto_currency_address` unless `address` fits `network`."""
    if not is_valid_address(network, address):
        raise ApiError(400, "invalid_crypto_currency_address", f"Invalid address for network {network}")


def address_key(network: str, address: str) -> str:
    """The form two address-book entries are compared in: EVM and bech32 addresses ignore
    case; base58 and other networks' addresses are case-sensitive."""
    if network in EVM_NETWORKS or (network == BITCOIN and _BECH32.fullmatch(address)):
        return address.lower()
    return address
