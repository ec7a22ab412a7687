"""GET /api/openapi.json describes exactly the /api routes the app serves."""

from __future__ import annotations

import dataclasses
import json
from typing import Any, cast

import schemathesis

from bot.config import Settings
from bot.gateway.openapi import document
from tests.gateway.test_wechat import wechat_settings

METHODS = {"get", "post", "put", "patch", "delete"}


def _registered(app: Any) -> set[tuple[str, str]]:
    routes = set()
    for route in app.router.routes():
        path = route.resource.canonical if route.resource is not None else ""
        method = route.method.lower()
        if path.startswith("/api/") and method in METHODS:  # (aiohttp adds HEAD to every GET)
            routes.add((path, method))
    return routes


def _described(doc: dict[str, Any]) -> set[tuple[str, str]]:
    return {(path, method) for path, item in doc["paths"].items() for method in item if method in METHODS}


async def test_every_api_route_is_described_and_nothing_else(make_client: Any, settings: Settings) -> None:
    # Every optional part on (WeChat/WeCom add no /api routes, but would be caught here).
    client = await make_client(dataclasses.replace(settings, **wechat_settings("http://127.0.0.1:9")))
    response = await client.get("/api/openapi.json")  # public: no token
    assert response.status == 200
    served = await response.json()
    assert served == json.loads(json.dumps(document()))
    registered = _registered(client.app)
    described = _described(served)
    assert registered - described == set(), "routes missing from bot/gateway/openapi.py"
    assert described - registered == set(), "described in bot/gateway/openapi.py but not served"
    assert {("/api/login", "post"), ("/api/cases/{id}", "get"), ("/api/openapi.json", "get")} <= registered


async def test_the_document_is_valid_openapi_and_every_error_is_the_json_error_shape() -> None:
    doc = document()
    schema = schemathesis.openapi.from_dict(doc)
    operations = [cast(Any, result).ok() for result in schema.get_all_operations()]
    assert len(operations) == len(_described(doc))
    for path, item in doc["paths"].items():
        for method, operation in item.items():
            for status, response in operation["responses"].items():
                if status.startswith(("4", "5")):
                    assert response["content"] == {
                        "application/json": {"schema": {"$ref": "#/components/schemas/Error"}}
                    }, (method, path, status)
            if operation.get("security", doc["security"]) != []:  # needs a token: may say 401
                assert "401" in operation["responses"], (method, path)
