"""Operator bearer-token check, shared by the operator APIs of both products."""

from __future__ import annotations

import hmac

from fastapi import Request

from orderdesk.platform.errors import OpsUnauthorized


def require_operator(request: Request) -> None:
    """FastAPI dependency: `Authorization: Bearer <ORDERDESK_OPS_TOKEN>`, constant-time."""
    expected = request.app.state.runtime.settings.ops_token
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if not expected or scheme.lower() != "bearer" or not token:
        raise OpsUnauthorized()
    if not hmac.compare_digest(token.strip().encode(), expected.encode()):
        raise OpsUnauthorized()
