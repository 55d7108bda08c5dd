"""OpenAPI building blocks every product's documents share: operation pieces (responses with
their error codes, parameters, bodies from models), the finishing of a document (component
schemas, security schemes, canonical key order) and the docs page, whose Swagger UI assets are
served from this package (no CDN: the docs work on a private network)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
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

COMPONENTS = "#/components/schemas/{model}"
Finisher = Callable[[dict[str, Any]], None]


# --------------------------------------------------------------------------- operation pieces


def schema_ref(model: type[BaseModel]) -> dict[str, str]:
    return {"$ref": COMPONENTS.format(model=model.__name__)}


@dataclass(frozen=True)
class ErrorDocs:
    """How a product documents its error codes: each code's HTTP status and example body, and
    the envelope model every error answer has."""

    status_of: Callable[[str], int]
    body_of: Callable[[str], dict[str, Any]]
    envelope: type[BaseModel]


def responses_with_errors(
    status: int,
    example: Any,
    description: str,
    codes: tuple[str, ...],
    errors: ErrorDocs,
    *,
    schema: type[BaseModel] | None = None,
    ref: Callable[[type[BaseModel]], dict[str, str]] = schema_ref,
) -> dict[int | str, dict[str, Any]]:
    """The success answer with its example (and schema), then every error code grouped by HTTP
    status, each status with the envelope schema and one example per code. `ref` names a model's
    schema (a product may also note which models its document uses)."""
    success: dict[str, Any] = {"example": example}
    if schema is not None:
        success["schema"] = ref(schema)
    answer: dict[int | str, dict[str, Any]] = {
        status: {"description": description, "content": {"application/json": success}}
    }
    for code in codes:
        empty = {"schema": ref(errors.envelope), "examples": {}}
        entry = answer.setdefault(errors.status_of(code), {"description": "", "content": {"application/json": empty}})
        entry["content"]["application/json"]["examples"][code] = {"value": errors.body_of(code)}
        entry["description"] = ", ".join(
            name.partition("@")[0] for name in entry["content"]["application/json"]["examples"]
        )
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

    app.add_api_route(docs_url, page, methods=["GET"], include_in_schema=False)
    for name, media_type in SWAGGER_ASSETS.items():
        app.add_api_route(
            f"{docs_url}/{name}", _asset_route(name, media_type), methods=["GET"], include_in_schema=False
        )


def _asset_route(name: str, media_type: str) -> Callable[[], Any]:
    async def asset() -> Response:
        return Response(_asset(name), media_type=media_type, headers={"Cache-Control": "public, max-age=86400"})

    return asset
