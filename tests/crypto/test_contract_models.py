"""The typed models read requests in the contract's words (spec/crypto.md 3.7): cases found
while moving validation onto the models, kept as regressions."""

from __future__ import annotations

import pytest
from pydantic import TypeAdapter

from orderdesk.crypto.contract_errors import tree_of, validate
from orderdesk.crypto.models.partner import NewOrder
from orderdesk.platform.errors import ApiError
from tests.crypto.conftest import Partner, customer_body, invalid


@pytest.mark.parametrize(
    ("kind", "message"),
    [
        ([], "{'type': ['Not a valid string.']}"),  # unhashable: must not reach the profile lookup
        ({}, "{'type': ['Not a valid string.']}"),
        ("", "{'type': ['Must be one of: individual, business.']}"),
        (False, "{'type': ['Not a valid string.']}"),
    ],
)
async def test_a_customer_type_that_is_not_one_of_the_two_is_refused_alone(
    partner: Partner, kind: object, message: str
) -> None:
    invalid(await partner.post("/customers", json=customer_body(type=kind)), message)


def test_every_refusal_of_a_whole_order_body_has_a_contract_message() -> None:
    body = {
        "operation": "buy",
        "asset": {"currency": 5, "amount": "1.", "x": None},
        "reference_id": "\u00e9",
        "buy": {"settlement": [], "commission": {"type": "pct", "value": -1}},
        "extra": 1,
    }
    with pytest.raises(ApiError) as refused:
        validate(TypeAdapter(NewOrder), body)
    assert refused.value.message == (
        "{'asset': {'amount': ['Not a valid decimal.'], 'currency': ['Not a valid string.'], 'x': ['Unknown field.']},"
        " 'buy': {'commission': {'type': ['Must be one of: percentage, fixed.'], 'value': ['Not a valid string.']},"
        " 'settlement': ['Not a valid object.']}, 'extra': ['Unknown field.'],"
        " 'reference_id': ['Must contain printable ASCII characters only.']}"
    )


def test_a_null_required_field_is_missing_but_a_null_list_item_is_a_wrong_type() -> None:
    from pydantic import ValidationError

    from orderdesk.crypto.models.partner import NewSubscription

    with pytest.raises(ValidationError) as refused:
        NewSubscription.model_validate({"url": None, "events": [None]})
    assert tree_of(refused.value) == {
        "url": ["This field is required but was not found in the request."],
        "events": {0: ["Not a valid string."]},
    }
