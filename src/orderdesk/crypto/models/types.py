"""Field types of the crypto contract (spec/crypto.md 3.3-3.7): each is a strict Pydantic type
that carries its JSON schema and fails with the contract's own sentence, so one annotation
both validates a request and documents it.

A check that fails raises `contract_failure(message)`; `crypto.contract_errors` copies that
message into the field-error tree as it is. Pydantic's own errors (wrong JSON type, missing,
unknown field) are named there, in one place."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from datetime import date
from typing import Annotated, Any
from urllib.parse import urlsplit

from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey
from cryptography.hazmat.primitives.serialization import load_pem_public_key
from pydantic import AfterValidator, Strict, ValidationInfo, WithJsonSchema
from pydantic_core import PydanticCustomError

from orderdesk.crypto.formats import places_of
from orderdesk.platform.outbound import is_absolute_http_url

CONTRACT = "contract"  # the pydantic error type whose message is already the contract's sentence

AMOUNT_PATTERN = r"^[0-9]+(\.[0-9]+)?$"
TIMESTAMP_PATTERN = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{6}\+00:00$"
HEX32_PATTERN = r"^[0-9a-f]{32}$"
MAX_AMOUNT_CHARS = 40
_AMOUNT = re.compile(AMOUNT_PATTERN)
_PRINTABLE = re.compile(r"^[\x20-\x7e]+$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
PHONE = re.compile(r"^\+[1-9][0-9]{6,14}$")
COUNTRY = re.compile(r"^[A-Z]{2}$")
CURRENCY = re.compile(r"^[A-Z]{3}$")
_DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")

NOT_DECIMAL = "Not a valid decimal."
NOT_POSITIVE = "Must be greater than 0."
NOT_DATE = "Not a valid date."
NOT_PRINTABLE = "Must contain printable ASCII characters only."
AT_LEAST_ONE = "Must contain at least one item."


def contract_failure(message: str) -> PydanticCustomError:
    # The message is passed as context so that braces in it are never read as placeholders.
    return PydanticCustomError(CONTRACT, "{message}", {"message": message})


def one_of(values: Iterable[str]) -> str:
    return "Must be one of: " + ", ".join(values) + "."


def length_message(low: int, high: int) -> str:
    return f"Length must be between {low} and {high}."


def too_many_places(currency: str, places: int) -> str:
    return f"Too many decimal places for {currency} (maximum {places})."


# --------------------------------------------------------------------------- strings


def _text_check(
    low: int, high: int, pattern: re.Pattern[str] | None, pattern_message: str, printable: bool
) -> Callable[[str], str]:
    def check(value: str) -> str:
        if not low <= len(value) <= high:
            raise contract_failure(length_message(low, high))
        if printable and not _PRINTABLE.fullmatch(value):
            raise contract_failure(NOT_PRINTABLE)
        if pattern is not None and not pattern.fullmatch(value):
            raise contract_failure(pattern_message)
        return value

    return check


def text(
    low: int = 1,
    high: int = 255,
    *,
    pattern: re.Pattern[str] | None = None,
    pattern_message: str = "",
    printable: bool = False,
    description: str | None = None,
) -> Any:
    """A string of `low`-`high` characters (then printable ASCII, then `pattern`)."""
    schema: dict[str, Any] = {"type": "string", "minLength": low, "maxLength": high}
    if pattern is not None:
        schema["pattern"] = pattern.pattern
    elif printable:
        schema["pattern"] = _PRINTABLE.pattern
    if description:
        schema["description"] = description
    return Annotated[
        str,
        Strict(),
        AfterValidator(_text_check(low, high, pattern, pattern_message, printable)),
        WithJsonSchema(schema),
    ]


def choice(values: Iterable[str], description: str | None = None) -> Any:
    """A string out of a fixed set; refused with `Must be one of: ...` in the set's order."""
    options = tuple(values)
    message = one_of(options)

    def check(value: str) -> str:
        if value not in options:
            raise contract_failure(message)
        return value

    schema: dict[str, Any] = {"type": "string", "enum": list(options)}
    if description:
        schema["description"] = description
    return Annotated[str, Strict(), AfterValidator(check), WithJsonSchema(schema)]


def _amount_check(positive: bool) -> Callable[[str], str]:
    def check(value: str) -> str:
        if len(value) > MAX_AMOUNT_CHARS or not _AMOUNT.fullmatch(value):
            raise contract_failure(NOT_DECIMAL)
        if positive and not any(ch in "123456789" for ch in value):
            raise contract_failure(NOT_POSITIVE)
        return value

    return check


def amount(*, positive: bool = True, description: str | None = None) -> Any:
    """An amount string (3.3): kept as written, since its decimal places are counted as sent."""
    schema: dict[str, Any] = {"type": "string", "pattern": AMOUNT_PATTERN, "maxLength": MAX_AMOUNT_CHARS}
    if description:
        schema["description"] = description
    return Annotated[str, Strict(), AfterValidator(_amount_check(positive)), WithJsonSchema(schema)]


def check_places(value: str | None, currency: str, places: int) -> None:
    """Decimal places as written, against a currency's maximum (3.3)."""
    if value is not None and places_of(value) > places:
        raise contract_failure(too_many_places(currency, places))


def _date_check(value: str, info: ValidationInfo) -> str:
    """`YYYY-MM-DD` between 1900-01-01 and the validation context's `today`."""
    try:
        parsed = date.fromisoformat(value) if _DATE.fullmatch(value) else None
    except ValueError:
        parsed = None
    today = (info.context or {}).get("today")
    if parsed is None or parsed < EARLIEST_BIRTH or (today is not None and parsed > today):
        raise contract_failure(NOT_DATE)
    return value


EARLIEST_BIRTH = date(1900, 1, 1)

Amount = amount()
AmountOrZero = amount(positive=False)
Currency = text(3, 3, pattern=CURRENCY, pattern_message="Not a valid currency code.")


def _country_check(value: str) -> str:
    if not COUNTRY.fullmatch(value):  # whatever its length (5.1)
        raise contract_failure("Not a valid country code.")
    return value


def _currency_check(value: str) -> str:
    if not CURRENCY.fullmatch(value):
        raise contract_failure("Not a valid currency code.")
    return value


# A settlement currency in a list (11.2): judged by its pattern alone, whatever its length.
CurrencyCode = Annotated[
    str, Strict(), AfterValidator(_currency_check), WithJsonSchema({"type": "string", "pattern": CURRENCY.pattern})
]

MIN_KEY_BITS = 2048


def valid_rsa_public_key(pem: str) -> bool:
    try:
        key = load_pem_public_key(pem.encode())
    except (ValueError, TypeError):
        return False
    return isinstance(key, RSAPublicKey) and key.key_size >= MIN_KEY_BITS


def _rsa_check(value: str) -> str:
    if not valid_rsa_public_key(value):
        raise contract_failure("Not a valid RSA public key.")
    return value


RsaPublicKey = Annotated[
    str,
    Strict(),
    AfterValidator(_text_check(1, 16384, None, "", False)),
    AfterValidator(_rsa_check),
    WithJsonSchema({"type": "string", "maxLength": 16384, "description": "RSA public key (PEM), at least 2048 bits"}),
]

Country = Annotated[
    str,
    Strict(),
    AfterValidator(_country_check),
    WithJsonSchema({"type": "string", "pattern": COUNTRY.pattern, "description": "ISO 3166-1 alpha-2"}),
]
Email = text(1, 254, pattern=EMAIL, pattern_message="Not a valid email address.")
Phone = text(1, 16, pattern=PHONE, pattern_message="Not a valid phone number.")
Text = text()
ReferenceId = text(1, 191, printable=True)
BirthDate = Annotated[
    str,
    Strict(),
    AfterValidator(_date_check),
    WithJsonSchema({"type": "string", "format": "date", "description": "YYYY-MM-DD, 1900-01-01 to today"}),
]


def _non_empty(items: list[Any]) -> list[Any]:
    if not items:
        raise contract_failure(AT_LEAST_ONE)
    return items


NonEmpty = AfterValidator(
    _non_empty
)  # Annotated[list[X], NonEmpty, Field(min_length=1)]: `Must contain at least one item.`


def is_http_url(value: str) -> bool:
    """An absolute http(s) URL with a host, printable ASCII only (percent-encode the rest)."""
    if not all("\x21" <= ch <= "\x7e" for ch in value):
        return False
    return is_absolute_http_url(value)


def _url_check(value: str, info: ValidationInfo) -> str:
    """9.1: an absolute http(s) URL; https only in production (validation context)."""
    if not is_http_url(value):
        raise contract_failure("Not a valid URL.")
    if (info.context or {}).get("production") and urlsplit(value).scheme != "https":
        raise contract_failure("Must use https.")
    return value


MAX_URL_LENGTH = 2048
WebhookUrl = Annotated[
    str,
    Strict(),
    AfterValidator(_text_check(1, MAX_URL_LENGTH, None, "", False)),
    AfterValidator(_url_check),
    WithJsonSchema({"type": "string", "format": "uri", "maxLength": MAX_URL_LENGTH}),
]


def _network_check(value: str, info: ValidationInfo) -> str:
    """A network of some catalogue asset (the validation context's current `networks`)."""
    networks = (info.context or {}).get("networks")
    if networks is not None and value not in networks:
        raise contract_failure(one_of(networks))
    return value


CatalogueNetwork = Annotated[
    str, Strict(), AfterValidator(_network_check), WithJsonSchema({"type": "string", "description": "e.g. bitcoin"})
]


def bounded_int(low: int, high: int) -> Any:
    """A JSON integer (not a boolean) within `low`-`high`: `Must be between <low> and <high>.`"""

    def check(value: int) -> int:
        if not low <= value <= high:
            raise contract_failure(f"Must be between {low} and {high}.")
        return value

    return Annotated[
        int, Strict(), AfterValidator(check), WithJsonSchema({"type": "integer", "minimum": low, "maximum": high})
    ]


_QUERY_INTEGER = re.compile(r"^-?[0-9]{1,18}$")


def query_integer(low: int, high: int | None, range_message: str, *, default: int) -> Any:
    """An integer query parameter (text on the wire): `Not a valid integer.`, then the range."""

    def check(value: str) -> int:
        if not _QUERY_INTEGER.fullmatch(value):
            raise contract_failure("Not a valid integer.")
        number = int(value)
        if number < low or (high is not None and number > high):
            raise contract_failure(range_message)
        return number

    schema: dict[str, Any] = {"type": "integer", "minimum": low, "default": default}
    if high is not None:
        schema["maximum"] = high
    return Annotated[str, Strict(), AfterValidator(check), WithJsonSchema(schema)]


# Output-only annotations: what a response field looks like (never used to read input).
OutAmount = Annotated[str, WithJsonSchema({"type": "string", "pattern": AMOUNT_PATTERN})]
OutSignedAmount = Annotated[str, WithJsonSchema({"type": "string", "pattern": r"^-?[0-9]+(\.[0-9]+)?$"})]
OutTimestamp = Annotated[
    str, WithJsonSchema({"type": "string", "pattern": TIMESTAMP_PATTERN, "description": "UTC, six fractional digits"})
]
Hex32 = Annotated[str, WithJsonSchema({"type": "string", "pattern": HEX32_PATTERN})]


def out_choice(values: Iterable[str]) -> Any:
    return Annotated[str, WithJsonSchema({"type": "string", "enum": list(values)})]
