"""Field readers (spec 3.3-3.7): anchored patterns, amounts, messages, sorted rendering."""

from __future__ import annotations

from decimal import Decimal

import pytest

from orderdesk.crypto import errors
from orderdesk.crypto.validation import EMAIL, Fields, Node
from orderdesk.platform.errors import ApiError


def read_amount(value: object, **kwargs: object) -> tuple[Decimal | None, dict[object, object]]:
    fields = Fields()
    result = fields.amount(Node({"amount": value}, ()), "amount", **kwargs)  # type: ignore[arg-type]
    return result, fields.tree


@pytest.mark.parametrize("text", ["1", "0.5", "10.000", "123456789012345678901234567890.123456789"])
def test_amounts_accepted(text: str) -> None:
    assert read_amount(text) == (Decimal(text), {})


@pytest.mark.parametrize("text", ["1.", ".5", "-1", "+1", "1e3", " 1", "1 ", "1\n", "1,5", "", "١"])
def test_amounts_rejected_as_not_decimal(text: str) -> None:
    assert read_amount(text) == (None, {"amount": ["Not a valid decimal."]})


def test_amount_rules() -> None:
    assert read_amount(1.5) == (None, {"amount": ["Not a valid string."]})
    assert read_amount("0") == (None, {"amount": ["Must be greater than 0."]})
    assert read_amount("0.00", positive=False) == (Decimal("0.00"), {})
    assert read_amount("1" * 41) == (None, {"amount": ["Not a valid decimal."]})
    assert read_amount("10.000", currency="USD", places=2) == (
        None,
        {"amount": ["Too many decimal places for USD (maximum 2)."]},
    )


def test_patterns_are_anchored_at_both_ends() -> None:
    fields = Fields()
    node = Node({"email": "a@b.co\n", "ref": "abc\n"}, ())
    assert fields.string(node, "email", pattern=EMAIL, pattern_message="Not a valid email address.") is None
    assert fields.string(node, "ref", printable=True) is None
    assert fields.tree == {
        "email": ["Not a valid email address."],
        "ref": ["Must contain printable ASCII characters only."],
    }


def test_field_errors_render_sorted_at_every_level() -> None:
    fields = Fields()
    fields.add(("zeta",), "b")
    fields.add(("alpha", "y", 2), "c")
    fields.add(("alpha", "y", 0), "d")
    fields.add(("alpha", "x"), "e")
    with pytest.raises(ApiError) as caught:
        fields.raise_if_any()
    assert caught.value.code == "invalid_parameters"
    assert caught.value.message == "{'alpha': {'x': ['e'], 'y': {0: ['d'], 2: ['c']}}, 'zeta': ['b']}"
    assert errors.render_field_errors({"b": {"d": [1], "c": [2]}, "a": []}) == "{'a': [], 'b': {'c': [2], 'd': [1]}}"
