"""Schema fuzzing (Schemathesis) of the crypto partner API and the crypto operator API against
the real app, on both engines: every generated request (valid by the published document, and
a share of invalid ones) must answer without a 5xx, with a documented status code, content
type and headers (those required present, each as its schema says) and a body that conforms to
the documented schema.

Partner requests carry a fresh RS512 JWT each; operator requests the bearer token. Path ids
are, half of the time, real ones (a customer with orders, an address-book entry, a
subscription), so answers other than 404 are exercised too. The example count is bounded per
operation (EXAMPLES) so that one engine's run stays around a minute."""

from __future__ import annotations

import time
from collections import Counter, defaultdict
from typing import Any

import jwt
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from starlette.testclient import TestClient

from orderdesk.app import create_app
from orderdesk.crypto.openapi import operator_document, partner_document
from tests.conftest import OPS_HEADERS, settings_for
from tests.contract.checks import CHECKS
from tests.crypto.conftest import customer_body, rsa_key, signing_key

EXAMPLES = 12  # per operation and generation mode
SENT: Counter[str] = Counter()
STATUSES: defaultdict[str, Counter[int]] = defaultdict(Counter)


class World:
    """A partner with real resources, made through the API before fuzzing."""

    def __init__(self, client: TestClient) -> None:
        self.client = client
        private, public = rsa_key(0)
        created = client.post(
            "/ops/v1/crypto/partners", headers=OPS_HEADERS, json={"name": "Fuzz", "public_key_pem": public}
        )
        assert created.status_code == 201, created.text
        self.api_key = created.json()["api_key"]
        self.partner_id = created.json()["id"]
        self.private = private
        customer = self.partner("POST", "/customers", json=customer_body())
        assert customer.status_code == 201, customer.text
        self.customer_id = customer.json()["id"]
        deposit = client.post(
            f"/ops/v1/crypto/customers/{self.customer_id}/deposits",
            headers=OPS_HEADERS,
            json={"currency": "USDC", "amount": "1500", "network": "polygon"},
        )
        assert deposit.status_code == 201, deposit.text
        order = self.partner(
            "POST",
            f"/customers/{self.customer_id}/orders",
            json={"operation": "buy", "asset": {"currency": "BTC", "amount": "0.0001"}},
        )
        assert order.status_code == 201, order.text
        entry = self.partner(
            "POST",
            f"/customers/{self.customer_id}/address_book",
            json={"address": "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq", "network": "bitcoin"},
        )
        subscription = self.partner("POST", "/webhooks/subscriptions", json={"url": "https://bank.example.com/hook"})
        self.ids = {
            "customer_id": self.customer_id,
            "order_id": order.json()["id"],
            "entry_id": entry.json()["id"],
            "subscription_id": subscription.json()["id"],
            "partner_id": self.partner_id,
            "currency": "BTC",
            "investment_id": "aEthUSDC",
            "requirement_id": "document_id_front",
        }

    def token(self) -> str:
        return jwt.encode({"iss": self.api_key, "iat": int(time.time())}, signing_key(self.private), algorithm="RS512")

    def partner(self, method: str, path: str, **kwargs: Any) -> Any:
        headers = {"Authorization": f"Bearer {self.token()}"}
        return self.client.request(method, "/crypto/v1" + path, headers=headers, **kwargs)


def _multipart(body: Any) -> dict[str, Any]:
    """The document form as httpx sends it: `file` as a file part, the other parts as text."""
    if not isinstance(body, dict):
        return {"content": repr(body).encode(), "headers": {"Content-Type": "multipart/form-data; boundary=x"}}
    files: dict[str, Any] = {}
    for key, value in body.items():
        raw = value if isinstance(value, bytes) else str(value).encode()
        files[key] = ("document.pdf", raw) if key == "file" else (None, raw)
    return {"files": files}


def _send(client: TestClient, case: Any, prefix: str, headers: dict[str, str]) -> Any:
    if case.media_type and case.media_type.startswith("multipart/"):
        extra = _multipart(case.body)
        url = "http://testserver" + prefix + case.formatted_path
        response = client.request(
            case.method, url, params=case.query, headers={**headers, **extra.pop("headers", {})}, **extra
        )
        response.request.read()
        return response
    kwargs = case.as_transport_kwargs(base_url="http://testserver" + prefix, headers=headers)
    kwargs.pop("cookies", None)
    method, url = kwargs.pop("method"), kwargs.pop("url")
    if "data" in kwargs and not isinstance(kwargs["data"], dict):
        kwargs["content"] = kwargs.pop("data")
    response = client.request(method, url, **kwargs)
    response.request.read()  # a multipart body is streamed; the checks read it back
    return response


def _fuzz(client: TestClient, document: dict[str, Any], prefix: str, world: World, label: str) -> None:
    def check(case: Any, real: bool) -> None:
        if real and case.path_parameters:
            case.path_parameters = {k: world.ids.get(k, v) for k, v in case.path_parameters.items()}
        headers = {"Authorization": f"Bearer {world.token()}"} if prefix == "/crypto" else dict(OPS_HEADERS)
        response = _send(client, case, prefix, headers)
        SENT[label] += 1
        STATUSES[label][response.status_code] += 1
        case.validate_response(response, checks=CHECKS)

    schema = schemathesis.openapi.from_dict(document)
    for result in schema.get_all_operations():
        operation = result.ok()
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            try:
                _run(operation.as_strategy(generation_mode=mode), EXAMPLES, check)
            except Unsatisfiable:  # nothing to make invalid (no parameters and no body)
                assert mode is GenerationMode.NEGATIVE, operation.label
        for strategy in schema.get_strategies_from_examples(operation):  # the documented examples, as sent
            _run(strategy, 1, check)


def _run(strategy: Any, examples: int, check: Any) -> None:
    @settings(
        max_examples=examples,
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=strategy, real=st.booleans() if examples > 1 else st.just(True))
    def run(case: Any, real: bool) -> None:
        check(case, real)

    run()


@pytest.fixture
def app_client(database_url: str) -> Any:
    # A limit on, so that answers carry the rate-limit fields the document declares; never reached.
    app = create_app(settings_for(database_url, crypto_rate_limit="1000000/second"))
    with TestClient(app) as client:
        yield client


def test_partner_api_conforms_to_its_document(app_client: TestClient, engine: str) -> None:
    world = World(app_client)
    before = SENT[f"partner/{engine}"]
    _fuzz(app_client, partner_document(app_client.app), "/crypto", world, f"partner/{engine}")  # type: ignore[arg-type]
    print(f"\nschemathesis: crypto partner API on {engine}: {SENT[f'partner/{engine}'] - before} requests")
    print(sorted(STATUSES[f"partner/{engine}"].items()))


def test_operator_api_conforms_to_its_document(app_client: TestClient, engine: str) -> None:
    world = World(app_client)
    before = SENT[f"operator/{engine}"]
    _fuzz(app_client, operator_document(app_client.app), "/ops/v1", world, f"operator/{engine}")  # type: ignore[arg-type]
    print(f"\nschemathesis: crypto operator API on {engine}: {SENT[f'operator/{engine}'] - before} requests")
    print(sorted(STATUSES[f"operator/{engine}"].items()))
