"""Pydantic's validation errors in the crypto contract's words (spec/crypto.md 3.5, 3.7): the
one place that names them. A model validates a body after the checks that come before it
(3.10); what it refuses becomes one `invalid_parameters` field-error tree.

| pydantic error                       | leaf message                                              |
|--------------------------------------|-----------------------------------------------------------|
| missing; a wrong type given `null`   | This field is required but was not found in the request.  |
| extra_forbidden                      | Unknown field.                                            |
| string / bool / int / model / list   | Not a valid string. / boolean. / integer. / object. / list.|
| contract (our field types)           | the sentence the type raised, as it is                    |

`null` on an optional field is absent (the models declare `X | None = None`), so only a
required field sees `null`, and the contract calls that missing. A `null` list item is a
wrong type like any other."""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import TypeAdapter, ValidationError
from pydantic_core import ErrorDetails

from orderdesk.crypto import errors
from orderdesk.crypto.errors import REQUIRED, UNKNOWN_FIELD
from orderdesk.crypto.models.types import CONTRACT

T = TypeVar("T")

NOT_STRING = "Not a valid string."
NOT_BOOLEAN = "Not a valid boolean."
NOT_INTEGER = "Not a valid integer."
NOT_OBJECT = "Not a valid object."
NOT_LIST = "Not a valid list."

TYPE_MESSAGES = {
    "string_type": NOT_STRING,
    "bool_type": NOT_BOOLEAN,
    "int_type": NOT_INTEGER,
    "model_type": NOT_OBJECT,
    "dict_type": NOT_OBJECT,
    "model_attributes_type": NOT_OBJECT,
    "list_type": NOT_LIST,
}


def message_of(error: ErrorDetails) -> str:
    kind = error["type"]
    if kind == CONTRACT:
        return str((error.get("ctx") or {})["message"])
    if kind == "missing":
        return REQUIRED
    if kind == "extra_forbidden":
        return UNKNOWN_FIELD
    if kind in TYPE_MESSAGES:
        loc = error["loc"]
        if error["input"] is None and loc and isinstance(loc[-1], str):
            return REQUIRED
        return TYPE_MESSAGES[kind]
    raise ValueError(f"no contract message for pydantic error {kind!r} at {error['loc']}")  # a model bug


def add(tree: dict[Any, Any], path: tuple[Any, ...], message: str) -> None:
    """Record `message` at `path`, once; a path under a leaf that already holds a message
    (its parent was refused as a whole) adds nothing."""
    node = tree
    for key in path[:-1]:
        child = node.setdefault(key, {})
        if not isinstance(child, dict):
            return
        node = child
    leaf = node.setdefault(path[-1], [])
    if isinstance(leaf, list) and message not in leaf:
        leaf.append(message)


def has_errors_under(tree: dict[Any, Any], path: tuple[Any, ...]) -> bool:
    """Whether `path` (or a field under it) already holds a message."""
    node: Any = tree
    for key in path:
        if not isinstance(node, dict) or key not in node:
            return False
        node = node[key]
    return True


def tree_of(exc: ValidationError) -> dict[Any, Any]:
    tree: dict[Any, Any] = {}
    for error in exc.errors(include_url=False):
        add(tree, tuple(error["loc"]), message_of(error))
    return tree


def validate(adapter: TypeAdapter[T], data: Any, context: dict[str, Any] | None = None) -> T:
    """The parsed model, or 400 `invalid_parameters` with every field error at once."""
    try:
        return adapter.validate_python(data, context=context)
    except ValidationError as exc:
        raise errors.field_errors(tree_of(exc)) from None


def collect(
    adapter: TypeAdapter[T],
    data: Any,
    tree: dict[Any, Any],
    context: dict[str, Any] | None = None,
    at: tuple[Any, ...] = (),
) -> T | None:
    """Like `validate`, but the errors join `tree` (under the path `at`), for checks that
    report together with others; None when there were errors."""
    try:
        return adapter.validate_python(data, context=context)
    except ValidationError as exc:
        for error in exc.errors(include_url=False):
            add(tree, (*at, *error["loc"]), message_of(error))
        return None
