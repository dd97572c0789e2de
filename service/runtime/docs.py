"""`/docs` without a CDN: Swagger UI's files come from the installed `swagger-ui-bundle` package, so the page
works on an air-gapped intranet. Its one inline script is allowed by hash, not by 'unsafe-inline'."""

from __future__ import annotations

import base64
import hashlib
import re
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from swagger_ui_bundle import swagger_ui_path

from ..settings import Settings
from .limits import BLANK, VISIBLE

ASSETS = "/docs/assets"
_INLINE_SCRIPT = re.compile(r"<script>(.*?)</script>", re.S)


def install(app: FastAPI) -> None:
    """Serve `/docs` and its assets; the app must be created with `docs_url=None, redoc_url=None`."""
    page = get_swagger_ui_html(
        openapi_url=app.openapi_url or "/openapi.json",
        title=f"{app.title} — API",
        swagger_js_url=f"{ASSETS}/swagger-ui-bundle.js",
        swagger_css_url=f"{ASSETS}/swagger-ui.css",
        swagger_favicon_url=f"{ASSETS}/favicon-32x32.png",
    )
    body = bytes(page.body)
    hashes = " ".join(
        f"'sha256-{base64.b64encode(hashlib.sha256(s.encode()).digest()).decode()}'"
        for s in _INLINE_SCRIPT.findall(body.decode())
    )
    # Swagger UI sets style attributes from its scripts and shows its icons as data: images.
    csp = (
        f"default-src 'self'; script-src 'self' {hashes}; style-src 'self' 'unsafe-inline'; "
        "img-src 'self' data:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'"
    )

    @app.get("/docs", include_in_schema=False)
    def docs() -> HTMLResponse:
        return HTMLResponse(body, headers={"Content-Security-Policy": csp})

    app.mount(ASSETS, StaticFiles(directory=swagger_ui_path), name="docs-assets")


_ERROR = {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorOut"}}}
_RETRY_AFTER = {
    "Retry-After": {"description": "seconds to wait before retrying", "schema": {"type": "integer"}}
}
# Answered by the middleware or the error handlers, so FastAPI cannot see them on the routes.
_EDGES: dict[str, dict[str, Any]] = {
    "400": {"description": "the body is not valid JSON in UTF-8", "content": _ERROR},
    "408": {"description": "the body arrived too slowly", "content": _ERROR},
    "413": {"description": "the body is larger than the limit", "content": _ERROR},
}
# The rate limit's state, on every limited response (service/runtime/ratelimit.py).
_RATE_LIMIT = {
    "RateLimit-Limit": {"description": "requests the caller's bucket holds", "schema": {"type": "integer"}},
    "RateLimit-Remaining": {"description": "requests left in it now", "schema": {"type": "integer"}},
    "RateLimit-Reset": {"description": "seconds until it is full again", "schema": {"type": "integer"}},
}
_ANY = {
    "401": {
        "description": "missing or wrong API key (when keys are set)",
        "content": _ERROR,
        "headers": {"WWW-Authenticate": {"schema": {"type": "string"}}},
    },
    "403": {
        "description": "the key lacks the scope this route needs (the detail names it)",
        "content": _ERROR,
    },
    "429": {
        "description": "over the caller's rate limit",
        "content": _ERROR,
        "headers": {**_RETRY_AFTER, **_RATE_LIMIT},
    },
}
_WORK = {
    "422": {
        "description": "input outside the limits: too long, `top_k` out of range, or empty once control "
        "characters are removed",
        "content": _ERROR,
    },
    "503": {
        "description": "busy (too much work queued) or over the request deadline; retry after Retry-After",
        "content": _ERROR,
        "headers": _RETRY_AFTER,
    },
}
_PROBES = ("/healthz", "/readyz")
_WORK_PATHS = ("/search", "/ask", "/v1/chat/completions")


_TEXT_PARAMS = {"q", "passage_id", "symbol", "table_id"}
_OPTIONAL_TEXT_PARAMS = {"doc"}


def _text(max_chars: int) -> dict[str, Any]:
    return {"type": "string", "maxLength": max_chars, "pattern": VISIBLE}


def _state_limits(schema: dict[str, Any], settings: Settings) -> None:
    """The limits `clean_text` and `check_top_k` apply, so a request valid by the schema is one the app takes
    and an invalid one is one it refuses."""
    for operations in schema.get("paths", {}).values():
        for op in operations.values():
            for param in op.get("parameters", []):
                if param.get("name") in _TEXT_PARAMS and param.get("schema", {}).get("type") == "string":
                    param["schema"].update(_text(settings.max_question_chars))
                if param.get("name") in _OPTIONAL_TEXT_PARAMS:
                    for option in param.get("schema", {}).get("anyOf", []):
                        if option.get("type") == "string":
                            option.update(_text(settings.max_question_chars))
                if param.get("name") == "top_k":
                    param["schema"]["maximum"] = settings.max_top_k
    models = schema.get("components", {}).get("schemas", {})
    if "AskRequest" in models:
        models["AskRequest"]["properties"]["question"].update(_text(settings.max_question_chars))
    if "ChatRequest" in models:
        messages = models["ChatRequest"]["properties"]["messages"]
        # A user message is blank (skipped) or within the question limits; at least one is not blank.
        user = {"properties": {"role": {"const": "user"}}, "required": ["role"]}
        messages["items"] = {
            "allOf": [
                messages["items"],
                {
                    "if": user,
                    "then": {
                        "properties": {
                            "content": {
                                "anyOf": [
                                    {"type": "null"},
                                    {"type": "string", "pattern": BLANK},
                                    _text(settings.max_question_chars),
                                ]
                            }
                        }
                    },
                },
            ]
        }
        messages["contains"] = {
            "type": "object",
            "required": ["role", "content"],
            "properties": {"role": {"const": "user"}, "content": {"type": "string", "pattern": VISIBLE}},
        }
    for name in ("AskRequest", "ChatRequest"):
        if "top_k" in models.get(name, {}).get("properties", {}):
            models[name]["properties"]["top_k"]["maximum"] = settings.max_top_k


def document_edges(app: FastAPI, settings: Settings) -> None:
    """Add to the generated schema what the middleware and error handlers answer, the limits in force and the
    event stream."""
    generate = app.openapi

    done: list[dict[str, Any]] = []  # FastAPI caches the schema; amend it once

    def openapi() -> dict[str, Any]:
        schema = generate()
        if any(schema is d for d in done):
            return schema
        done.append(schema)
        _state_limits(schema, settings)
        for path, operations in schema.get("paths", {}).items():
            for op in operations.values():
                responses = op.setdefault("responses", {})
                extra = {} if path in _PROBES else dict(_ANY)
                if "requestBody" in op:
                    extra.update(_EDGES)
                if path in _WORK_PATHS:
                    extra.update(_WORK)
                for status, response in extra.items():
                    responses.setdefault(status, {}).update(response)
                if path == "/v1/chat/completions":
                    # Before OpenAPI 3.2, `schema` of an event stream describes one event.
                    responses["200"].setdefault("content", {})["text/event-stream"] = {
                        "schema": {
                            "type": "object",
                            "required": ["data"],
                            "description": "when `stream` is true: server-sent events, each an OpenAI chat "
                            "completion chunk as JSON, the last one `[DONE]`",
                            "properties": {"data": {"type": "string"}},
                        }
                    }
        return schema

    app.openapi = openapi  # type: ignore[method-assign]
