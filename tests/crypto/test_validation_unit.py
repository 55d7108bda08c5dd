"""Field errors (spec 3.3-3.7): collected by path, rendered sorted."""

from __future__ import annotations

import pytest

from orderdesk.crypto import errors
from orderdesk.crypto.validation import Fields
from orderdesk.platform.errors import ApiError


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
