"""Reading partner and operator input: headers, JSON bodies and query strings (spec 2.3, 2.5,
2.6, 2.7). Readers collect every schema issue of a request in one pass; the endpoint raises
them together as one `validation_error`."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from functools import cache
from typing import Any, TypeVar

from fastapi import Request
from pydantic import BaseModel, ValidationError
from pydantic_core import PydanticUseDefault

from orderdesk.auto import errors
from orderdesk.auto.errors import Issue
from orderdesk.auto.models import NUL_MESSAGE, is_valid_vehicle_id, query_text
from orderdesk.platform.errors import ApiError, PayloadTooLarge
from orderdesk.platform.http import loads_json
from orderdesk.platform.ids import is_ulid

Model = TypeVar("Model", bound=BaseModel)
_UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")


_NUL_ESCAPE = b"\\u0000"


def _nul_issues(value: Any, path: str) -> list[Issue]:
    """Strings holding U+0000 anywhere in a body (keys included): no database text column can
    store or compare them, so they are refused as malformed."""
    if isinstance(value, str):
        return [Issue("body", path, NUL_MESSAGE)] if "\x00" in value else []
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

# A rule across parameters found an issue: (the last parameter the rule reads, the issue).
RuleIssue = tuple[str, Issue]
Rules = Callable[[Model, frozenset[str]], list[RuleIssue]]


def query(request: Request, model: type[Model], rules: Rules[Model] | None = None) -> Model:
    """The query string validated by `model` (spec 2.7): unknown parameters are ignored, a
    repeated one reaches its field as the list of its values. `rules` check what spans
    parameters, given the valid values and the names given with a usable value; their issues
    follow those of the parameters they read. Every issue at once, as one 400."""
    params = request.query_params
    position = _parameters(model)
    data = {
        name: values[0] if len(values) == 1 else values
        for name in position.keys() & params.keys()
        if (values := params.getlist(name))
    }
    try:
        result, issues = model.model_validate(data), []
    except ValidationError as exc:
        issues = errors.issues_from(exc, "query")
        refused = {issue.path for issue in issues}  # left out, so that the rules see the valid values
        result = model.model_validate({name: value for name, value in data.items() if name not in refused})
    if rules is not None:
        given = frozenset(name for name, value in data.items() if _usable(value))
        ordered = [((position[issue.path], 0), issue) for issue in issues]
        ordered += [((position[after], 1), issue) for after, issue in rules(result, given)]
        issues = [issue for _key, issue in sorted(ordered, key=lambda pair: pair[0])]
    if issues:
        raise errors.validation_error(issues)
    return result


@cache
def _parameters(model: type[BaseModel]) -> dict[str, int]:
    """The query parameters `model` reads (field aliases), each with its position."""
    return {field.alias or name: index for index, (name, field) in enumerate(model.model_fields.items())}


def _usable(value: str | list[str]) -> bool:
    try:
        query_text(value)
    except (ValueError, PydanticUseDefault):
        return False
    return True
