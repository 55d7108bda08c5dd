"""OpenAPI building blocks every product's documents share: operation pieces (responses with
their error codes and headers, parameters, bodies from models), the finishing of a document
(component schemas and headers, security schemes, canonical key order) and the docs page,
whose Swagger UI assets are served from this package (no CDN: the docs work on a private
network)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any

import orjson
from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.routing import APIRoute
from pydantic import BaseModel
from pydantic.json_schema import models_json_schema
from starlette.responses import Response

from orderdesk.platform.http import LiteralPrefixRoute

COMPONENTS = "#/components/schemas/{model}"
HEADERS = "#/components/headers/"
Finisher = Callable[[dict[str, Any]], None]
# The response headers one answer carries: name → always sent (True) or only sometimes (False).
Sent = Mapping[str, bool]
# Every answer, errors and 204s included (platform.http.RequestContextMiddleware).
REQUEST_ID_SENT: Sent = {"X-Request-Id": True}
# An answer to a request counted against a rate limit (none when the limit is disabled).
COUNTED: Sent = {"RateLimit": False, "RateLimit-Policy": False}


# --------------------------------------------------------------------------- operation pieces


def schema_ref(model: type[BaseModel]) -> dict[str, str]:
    return {"$ref": COMPONENTS.format(model=model.__name__)}


@dataclass(frozen=True)
class ErrorDocs:
    """How a product documents its error codes: each code's HTTP status and example body, the
    envelope model every error answer has, and the headers answers carry: those of a code
    (`headers`, beside the request id) and, on a rate-limited API (`limited`), the rate-limit
    fields on every answer but the codes refused before the request is counted (`uncounted`)."""

    status_of: Callable[[str], int]
    body_of: Callable[[str], dict[str, Any]]
    envelope: type[BaseModel]
    headers: Mapping[str, Sent] = field(default_factory=dict)
    uncounted: tuple[str, ...] = ()
    limited: bool = False

    def sent(self, code: str | None, own: Sent | None = None) -> dict[str, bool]:
        """The headers the answer with error `code` (None: the success) carries, with `own`."""
        sent = dict(REQUEST_ID_SENT)
        if self.limited and code not in self.uncounted:
            sent.update(COUNTED)
        sent.update(self.headers.get(code, {}) if code else {})
        sent.update(own or {})
        return sent


@dataclass(frozen=True)
class HeaderDoc:
    """A response header as a document declares it: its schema, what it says, and the condition
    under which it is sent where some answers of a status lack it ("present only when ...")."""

    schema: dict[str, Any]
    description: str
    present_when: str = ""


def platform_headers(request_id_pattern: str, policy: str) -> dict[str, HeaderDoc]:
    """The headers the platform sends for every product: the request id (`request_id_pattern`:
    the product's form), the rate-limit fields of `policy` and the refusals' Retry-After and
    WWW-Authenticate."""
    return {
        "X-Request-Id": HeaderDoc(
            {"type": "string", "pattern": request_id_pattern},
            "This request's id, also in error bodies as request_id; quote it when reporting a problem.",
        ),
        "RateLimit-Policy": HeaderDoc(
            {"type": "string", "pattern": f'^"{policy}";q=[0-9]+;w=[0-9]+$'},
            "The rate limit (draft-ietf-httpapi-ratelimit-headers): q requests per window of w seconds, "
            "refilled continuously.",
            "the request was counted against the API key's rate limit (a limit is configured, and the "
            "request passed authentication and the IP allowlist)",
        ),
        "RateLimit": HeaderDoc(
            {"type": "string", "pattern": f'^"{policy}";r=[0-9]+;t=[0-9]+$'},
            "The quota now (draft-ietf-httpapi-ratelimit-headers): r requests left, the bucket full again "
            "in t seconds.",
            "the request was counted against the API key's rate limit (a limit is configured, and the "
            "request passed authentication and the IP allowlist)",
        ),
        "Retry-After": HeaderDoc(
            {"type": "integer", "minimum": 1},
            "Whole seconds to wait before retrying.",
            "the answer is a refusal to retry later (429 rate_limited, 409 idempotency_key_in_use, "
            "503 service_unavailable)",
        ),
        "WWW-Authenticate": HeaderDoc({"type": "string", "enum": ["Bearer"]}, "The scheme to authenticate with."),
    }


def declared_headers(answers: Iterable[Sent]) -> dict[str, dict[str, str]]:
    """The `headers` of a response that stands for `answers`: each header one of them sends,
    required when every one of them always sends it, as a reference to components/headers."""
    chosen = list(answers)
    names = sorted({name for sent in chosen for name in sent})
    return {name: header_ref(name, all(sent.get(name, False) for sent in chosen)) for name in names}


def header_ref(name: str, always: bool) -> dict[str, str]:
    return {"$ref": HEADERS + (name if always else f"{name}.conditional")}


def header_components(table: Mapping[str, HeaderDoc], document: dict[str, Any]) -> dict[str, Any]:
    """components/headers for the header references in `document`, from `table` (by name): a
    header always sent is required; the `.conditional` form says when it is present."""
    components: dict[str, Any] = {}
    for key in sorted(refs_under(document.get("paths", {}), HEADERS)):
        name, _, conditional = key.partition(".")
        doc = table[name]
        declared: dict[str, Any] = {"schema": doc.schema, "description": doc.description}
        if conditional:
            declared["description"] += f" Present only when {doc.present_when}."
        else:
            declared["required"] = True
        components[key] = declared
    return components


def refs_under(node: Any, prefix: str) -> set[str]:
    """The names `node` refers to under `prefix` (a components section: `#/components/headers/`)."""
    if isinstance(node, dict):
        target = node.get("$ref")
        found = {target[len(prefix) :]} if isinstance(target, str) and target.startswith(prefix) else set()
        return found.union(*(refs_under(value, prefix) for value in node.values()))
    if isinstance(node, list):
        return set().union(*(refs_under(value, prefix) for value in node))
    return set()


def responses_with_errors(
    status: int,
    example: Any,
    description: str,
    codes: tuple[str, ...],
    errors: ErrorDocs,
    *,
    schema: type[BaseModel] | None = None,
    ref: Callable[[type[BaseModel]], dict[str, str]] = schema_ref,
    headers: Sent | None = None,
) -> dict[int | str, dict[str, Any]]:
    """The success answer with its example (and schema) and headers (`headers`: its own, beside
    those every answer carries), then every error code grouped by HTTP status, each status with
    the envelope schema, one example per code and the headers of its codes. `ref` names a
    model's schema (a product may also note which models its document uses)."""
    success: dict[str, Any] = {"example": example}
    if schema is not None:
        success["schema"] = ref(schema)
    answer: dict[int | str, dict[str, Any]] = {
        status: {
            "description": description,
            "content": {"application/json": success},
            "headers": declared_headers([errors.sent(None, headers)]),
        }
    }
    grouped: dict[int, list[Sent]] = {}
    for code in codes:
        empty = {"schema": ref(errors.envelope), "examples": {}}
        entry = answer.setdefault(errors.status_of(code), {"description": "", "content": {"application/json": empty}})
        entry["content"]["application/json"]["examples"][code] = {"value": errors.body_of(code)}
        entry["description"] = ", ".join(
            name.partition("@")[0] for name in entry["content"]["application/json"]["examples"]
        )
        grouped.setdefault(errors.status_of(code), []).append(errors.sent(code.partition("@")[0]))
    for code_status, answers in grouped.items():
        answer[code_status]["headers"] = declared_headers(answers)
    return answer


def json_request_body(model: type[BaseModel], example: Any) -> dict[str, Any]:
    return {"required": True, "content": {"application/json": {"schema": schema_ref(model), "example": example}}}


def query_parameters(model: type[BaseModel]) -> list[dict[str, Any]]:
    """One optional query parameter per field of `model` (by alias), typed by its schema (a
    default shown when there is one); a list is sent comma-separated (form, not exploded)."""
    properties = model.model_json_schema(by_alias=True)["properties"]
    parameters = []
    for name, schema in properties.items():
        options = [option for option in schema.pop("anyOf", []) if option.get("type") != "null"]
        if options:
            schema = {**options[0], **schema}
        schema.pop("title", None)
        if schema.get("default", 0) is None:
            del schema["default"]
        parameter = {"name": name, "in": "query", "required": False, "schema": schema}
        if "description" in schema:
            parameter["description"] = schema.pop("description")
        if schema.get("type") == "array":
            parameter.update(style="form", explode=False)
        parameters.append(parameter)
    return parameters


def path_parameter(name: str) -> dict[str, Any]:
    return {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}


# --------------------------------------------------------------------------- finishing a document


def _finishers(app: FastAPI) -> list[Finisher]:
    """The steps run once over `app`'s generated document; wraps app.openapi on first use."""
    if not hasattr(app.state, "openapi_finishers"):
        app.state.openapi_finishers = []
        build = app.openapi

        def openapi() -> dict[str, Any]:
            if app.openapi_schema is None:
                document = build()
                _restore_examples(app, document)
                for finish in app.state.openapi_finishers:
                    finish(document)
                app.openapi_schema = canonical(nullable_as_type_list(document))
            return app.openapi_schema

        app.openapi = openapi  # type: ignore[method-assign]
    finishers: list[Finisher] = app.state.openapi_finishers
    return finishers


def _restore_examples(app: FastAPI, document: dict[str, Any]) -> None:
    """Put back the examples as the routes declare them: FastAPI drops null members (its
    document is encoded with exclude_none), which would leave examples that break their schema.
    Covers the app's own routes (added with add_api_route or routes.extend, not include_router)."""
    for route in app.routes:
        if not isinstance(route, APIRoute) or not route.include_in_schema:
            continue
        for method in route.methods or ():
            operation = document.get("paths", {}).get(route.path_format, {}).get(method.lower())
            if operation is None:
                continue
            for status, answer in route.responses.items():
                declared = answer.get("content", {}).get("application/json", {})
                documented = operation["responses"].get(str(status), {}).get("content", {}).get("application/json")
                _copy_examples(declared, documented)
            declared_body = (route.openapi_extra or {}).get("requestBody", {}).get("content", {})
            documented_body = operation.get("requestBody", {}).get("content", {})
            _copy_examples(declared_body.get("application/json", {}), documented_body.get("application/json"))


def _copy_examples(declared: dict[str, Any], documented: dict[str, Any] | None) -> None:
    if documented is None:
        return
    for key in ("example", "examples"):
        if key in declared:
            documented[key] = declared[key]


def install_security_scheme(app: FastAPI, schemes: dict[str, dict[str, Any]]) -> None:
    """Declare `schemes` (name → OpenAPI security scheme object) in `app`'s document."""

    def finish(document: dict[str, Any]) -> None:
        document.setdefault("components", {}).setdefault("securitySchemes", {}).update(schemes)

    _finishers(app).append(finish)


def install_header_components(app: FastAPI, table: Mapping[str, HeaderDoc]) -> None:
    """Declare under components/headers each header `app`'s responses refer to, from `table`."""

    def finish(document: dict[str, Any]) -> None:
        document.setdefault("components", {})["headers"] = header_components(table, document)

    _finishers(app).append(finish)


def install_model_schemas(app: FastAPI, models: Iterable[type[BaseModel]]) -> None:
    """Put the JSON Schema of each model (and of the models they use) under
    components/schemas, where schema_ref points."""
    chosen = list(models)

    def finish(document: dict[str, Any]) -> None:
        _refs, schemas = models_json_schema([(model, "validation") for model in chosen], ref_template=COMPONENTS)
        document.setdefault("components", {}).setdefault("schemas", {}).update(schemas.get("$defs", {}))

    _finishers(app).append(finish)


def nullable_as_type_list(value: Any) -> Any:
    """`{"anyOf": [{"type": T, ...}, {"type": "null"}]}` (how Pydantic writes `T | None`) as
    `{"type": [T, "null"], ...}`: the same set of values, in the OpenAPI 3.1 idiom client
    generators turn into a plain optional field (datamodel-code-generator otherwise makes a root
    model per constrained nullable field that mypy rejects)."""
    if isinstance(value, list):
        return [nullable_as_type_list(item) for item in value]
    if not isinstance(value, dict):
        return value
    value = {key: nullable_as_type_list(item) for key, item in value.items()}
    options = value.get("anyOf")
    if not (isinstance(options, list) and len(options) == 2 and {"type": "null"} in options):
        return value
    other = options[0] if options[1] == {"type": "null"} else options[1]
    if not isinstance(other.get("type"), str) or "const" in other:
        return value
    merged = {**other, **{key: item for key, item in value.items() if key != "anyOf"}, "type": [other["type"], "null"]}
    if "enum" in other:
        merged["enum"] = [*other["enum"], None]
    return merged


def canonical(value: Any) -> Any:
    """`value` with every object's keys sorted, so that a document renders byte-identically."""
    if isinstance(value, dict):
        return {str(key): canonical(value[key]) for key in sorted(value, key=str)}
    if isinstance(value, list):
        return [canonical(item) for item in value]
    return value


def render(document: dict[str, Any]) -> bytes:
    """The published form of a document: sorted keys, two-space indent, UTF-8, final newline."""
    return orjson.dumps(document, option=orjson.OPT_SORT_KEYS | orjson.OPT_INDENT_2) + b"\n"


# --------------------------------------------------------------------------- docs page

SWAGGER_ASSETS = {
    "swagger-ui-bundle.js": "text/javascript",
    "swagger-ui.css": "text/css",
    "favicon-32x32.png": "image/png",
}


@cache
def _asset(name: str) -> bytes:
    return resources.files("orderdesk").joinpath("static", "swagger-ui", name).read_bytes()


def install_docs_page(app: FastAPI, docs_url: str, openapi_url: str, title: str) -> None:
    """A Swagger UI page at `docs_url` for the document at `openapi_url`, its script, style and
    icon served from the package under `docs_url`/."""

    async def page(request: Request) -> Response:
        prefix = request.scope.get("root_path", "")
        assets = f"{prefix}{docs_url}/"
        return get_swagger_ui_html(
            openapi_url=prefix + openapi_url,
            title=f"{title} - docs",
            swagger_js_url=assets + "swagger-ui-bundle.js",
            swagger_css_url=assets + "swagger-ui.css",
            swagger_favicon_url=assets + "favicon-32x32.png",
        )

    app.router.add_api_route(
        docs_url, page, methods=["GET"], include_in_schema=False, route_class_override=LiteralPrefixRoute
    )
    for name, media_type in SWAGGER_ASSETS.items():
        app.router.add_api_route(
            f"{docs_url}/{name}",
            _asset_route(name, media_type),
            methods=["GET"],
            include_in_schema=False,
            route_class_override=LiteralPrefixRoute,
        )


def _asset_route(name: str, media_type: str) -> Callable[[], Any]:
    async def asset() -> Response:
        return Response(_asset(name), media_type=media_type, headers={"Cache-Control": "public, max-age=86400"})

    return asset
