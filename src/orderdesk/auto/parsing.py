"""Reading partner and operator input: headers, JSON bodies and query strings (spec 2.3, 2.5,
2.6, 2.7). Readers collect every schema issue of a request in one pass; the endpoint raises
them together as one `validation_error`."""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from datetime import date, datetime
from typing import Any, TypeVar

from fastapi import Request
from pydantic import BaseModel, ValidationError

from orderdesk.auto import errors
from orderdesk.auto.errors import Issue, Location
from orderdesk.auto.models import is_valid_vehicle_id
from orderdesk.auto.timefmt import parse_date, parse_timestamp
from orderdesk.platform.errors import ApiError, PayloadTooLarge
from orderdesk.platform.http import loads_json
from orderdesk.platform.ids import is_ulid

Model = TypeVar("Model", bound=BaseModel)
_UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
_QUERY_INTEGER = re.compile(r"^-?[0-9]+$")
_QUERY_INTEGER_DIGITS = 15  # beyond this no filter value can matter, and the database would overflow
_LIMIT = re.compile(r"^[0-9]{1,3}$")


_NUL_ESCAPE = b"\\u0000"
_NUL_MESSAGE = "must not contain NUL characters"


def _nul_issues(value: Any, path: str) -> list[Issue]:
    """Strings holding U+0000 anywhere in a body (keys included): no database text column can
    store or compare them, so they are refused as malformed."""
    if isinstance(value, str):
        return [Issue("body", path, _NUL_MESSAGE)] if "\x00" in value else []
    if isinstance(value, dict):
        items = [(f"{path}.{key}" if path else str(key), key, item) for key, item in value.items()]
        found = [issue for inner, key, item in items for issue in _nul_issues(key, inner) + _nul_issues(item, inner)]
        return found
    if isinstance(value, list):
        return [
            issue
            for index, item in enumerate(value)
            for issue in _nul_issues(item, f"{path}.{index}" if path else str(index))
        ]
    return []


class Issues:
    def __init__(self) -> None:
        self.items: list[Issue] = []

    def add(self, location: Location, path: str, message: str) -> None:
        self.items.append(Issue(location, path, message))

    def raise_if_any(self, status: int = 400) -> None:
        if self.items:
            raise errors.validation_error(self.items, status)

    def __bool__(self) -> bool:
        return bool(self.items)


def is_integer(value: Any) -> bool:
    """A JSON integer: not a float such as 15500.0 or 1e4, not a string, not a boolean."""
    return type(value) is int


# --------------------------------------------------------------------------- headers


def idempotency_key(request: Request) -> str:
    """The Idempotency-Key header, lower-cased (spec 2.3)."""
    value = request.headers.get("idempotency-key", "")
    if not value:
        raise errors.missing_idempotency_key()
    if not _UUID.fullmatch(value):
        raise errors.validation_error(
            [Issue("header", "Idempotency-Key", "must be a UUID (8-4-4-4-12 hexadecimal digits)")]
        )
    return value.lower()


# --------------------------------------------------------------------------- path ids

_PATH_IDS: dict[str, tuple[Callable[[str], bool], Callable[[], ApiError]]] = {
    "order_id": (is_ulid, errors.order_not_found),
    "partner_id": (is_ulid, errors.partner_not_found),
    "key_id": (is_ulid, errors.api_key_not_found),
    "vehicle_id": (is_valid_vehicle_id, errors.vehicle_not_found),
}


def refuse_malformed_ids(request: Request) -> None:
    """Spec 2.4: a malformed path id is answered like an unknown one, without asking the
    database (PostgreSQL cannot even compare text holding a NUL). Routes call this right before
    their use case, so every check of spec 2.13 up to step 7 still comes first."""
    for name, value in request.path_params.items():
        valid, not_found = _PATH_IDS[name]
        if not valid(value):
            raise not_found()


# --------------------------------------------------------------------------- bodies


def refuse_declared_oversize(request: Request, max_bytes: int) -> None:
    """For endpoints that take no body: a body is ignored (never read) unless its Content-Length
    announces more than the limit (spec 2.7)."""
    declared = request.headers.get("content-length", "")
    if declared.isascii() and declared.isdigit() and int(declared) > max_bytes:
        raise PayloadTooLarge(max_bytes)


def _is_json_content_type(header: str | None) -> bool:
    if not header:
        return False
    media_type, _, params = header.partition(";")
    if media_type.strip().lower() != "application/json":
        return False
    for param in params.split(";"):
        name, _, value = param.partition("=")
        if name.strip().lower() == "charset" and value.strip().strip('"').lower() not in ("utf-8", "utf8"):
            return False
    return True


def require_json(request: Request) -> None:
    if not _is_json_content_type(request.headers.get("content-type")):
        raise errors.validation_error([Issue("header", "Content-Type", "must be application/json")])


def json_object(request: Request, body: bytes) -> dict[str, Any]:
    """The body as a JSON object, or 400 `validation_error` (content type, JSON, top level)."""
    require_json(request)
    try:
        data = loads_json(body, refuse_nul=False)  # NULs are reported where they are, below
    except ValueError:
        raise errors.validation_error([Issue("body", "", "must be valid UTF-8 JSON")]) from None
    if not isinstance(data, dict):
        raise errors.validation_error([Issue("body", "", "must be a JSON object")])
    return data


def json_body(request: Request, body: bytes, model: type[Model]) -> Model:
    """The body (content type, JSON, schema) validated by `model` straight from its bytes."""
    require_json(request)
    if _NUL_ESCAPE in body:  # rare: take the path that can say where the NUL is
        return validated(model, json_object(request, body))
    try:
        return model.model_validate_json(body, strict=True)
    except ValidationError as exc:
        raise errors.validation_error(errors.issues_from(exc)) from None


def validated(
    model: type[Model],
    data: Mapping[str, Any],
    *,
    context: dict[str, Any] | None = None,
    more: Iterable[Issue] = (),
    order: Sequence[str] | None = None,
) -> Model:
    """`data` validated by `model`, with `more` issues found by rules the model cannot express
    (consistency across fields, per-item uniqueness). Issues come in one list ordered like the
    fields (`order`, default the model's), path parameters and unknown top-level fields first,
    as a single 400."""
    try:
        result: Model | None = model.model_validate(data, strict=True, context=context)
        issues: list[Issue] = []
    except ValidationError as exc:
        result, issues = None, errors.issues_from(exc)
    issues += more
    try:
        issues += _nul_issues(data, "")
    except RecursionError:  # the model has already refused what is nested this deep
        issues = issues or [Issue("body", "", "must not be nested this deeply")]
    if issues:
        names = list(order or model.model_fields)
        position = {name: index for index, name in enumerate(names)}
        issues.sort(key=lambda issue: (issue.location != "path", position.get(issue.path.split(".")[0], -1)))
        raise errors.validation_error(issues)
    assert result is not None
    return result


# --------------------------------------------------------------------------- query strings


class QueryReader:
    """Typed access to query parameters (spec 2.7): unknown ones are ignored, a known one given
    twice is an issue, an empty value counts as absent."""

    def __init__(self, request: Request, issues: Issues) -> None:
        self.params = request.query_params
        self.issues = issues

    def problem(self, name: str, message: str) -> None:
        self.issues.add("query", name, message)

    def raw(self, name: str) -> str | None:
        """The value as sent ('' kept), None when absent, repeated or holding a NUL (an issue)."""
        values = self.params.getlist(name)
        if not values:
            return None
        if len(values) > 1:
            self.problem(name, "must be given at most once")
            return None
        if "\x00" in values[0]:
            self.problem(name, _NUL_MESSAGE)
            return None
        return values[0]

    def text(self, name: str) -> str | None:
        return self.raw(name) or None

    def integer(self, name: str, *, minimum: int | None = None) -> int | None:
        value = self.text(name)
        if value is None:
            return None
        if not _QUERY_INTEGER.fullmatch(value):
            self.problem(name, "must be an integer")
            return None
        if len(value.lstrip("-")) > _QUERY_INTEGER_DIGITS:
            self.problem(name, "is out of range")
            return None
        number = int(value)
        if minimum is not None and number < minimum:
            self.problem(name, f"must be at least {minimum}")
            return None
        return number

    def enum(self, name: str, allowed: Collection[str]) -> str | None:
        value = self.text(name)
        if value is not None and value not in allowed:
            self.problem(name, "must be one of: " + ", ".join(allowed))
            return None
        return value

    def csv(self, name: str) -> list[str] | None:
        """Items split on commas, trimmed, empty ones dropped, duplicates merged (first kept)."""
        value = self.raw(name)
        if value is None:
            return None
        return list(dict.fromkeys(item.strip() for item in value.split(",") if item.strip()))

    def csv_enum(self, name: str, allowed: Collection[str], *, fold_upper: bool = False) -> list[str] | None:
        items = self.csv(name)
        if not items:
            return None
        if fold_upper:
            items = list(dict.fromkeys(item.upper() for item in items))
        unknown = [item for item in items if item not in allowed]
        if unknown:
            self.problem(name, f"unknown value {unknown[0]!r}; allowed: " + ", ".join(allowed))
            return None
        return sorted(items)

    def timestamp(self, name: str) -> datetime | None:
        value = self.text(name)
        if value is None:
            return None
        if len(value) >= 6 and value[-6] == " ":  # an unencoded "+" arrives as a space
            value = value[:-6] + "+" + value[-5:]
        parsed = parse_timestamp(value)
        if parsed is None:
            self.problem(
                name, "must be an ISO 8601 date-time with an explicit offset, e.g. 2026-05-12T13:30:00%2B09:00"
            )
        return parsed

    def date(self, name: str) -> date | None:
        value = self.text(name)
        if value is None:
            return None
        parsed = parse_date(value)
        if parsed is None:
            self.problem(name, "must be a calendar date YYYY-MM-DD")
        return parsed

    def limit(self) -> int:
        value = self.text("limit")
        if value is None:
            return 50
        if not _LIMIT.fullmatch(value) or not 1 <= int(value) <= 200:
            self.problem("limit", "must be an integer from 1 to 200")
            return 50
        return int(value)
