"""The HTTP API's OpenAPI document is the one source of the frontend's types.

`frontend/openapi.json` is a copy of what the running API serves; the frontend generates
`src/api-schema.ts` from it (openapi-typescript) and `src/types.ts` names those generated types, so
`tsc --strict` checks the app and its fake backend against the real API. This test keeps the copy
true; the frontend tier keeps the generated file true. The same goes for nginx's body limit:
`frontend/nginx/body-limit.conf` is generated here from the API's `MAX_BODY_BYTES`.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from fastapi.testclient import TestClient

from todo.api.body_limit import MAX_BODY_BYTES

FRONTEND = Path(__file__).resolve().parents[2] / "frontend"
SNAPSHOT = FRONTEND / "openapi.json"
BODY_LIMIT_CONF = FRONTEND / "nginx" / "body-limit.conf"
UPDATE = "TODO_UPDATE_API_SCHEMA"


def test_the_frontends_copy_of_the_openapi_document_is_current(client: TestClient) -> None:
    served = json.dumps(client.get("/api/openapi.json").json(), indent=2, sort_keys=True) + "\n"
    if os.environ.get(UPDATE) == "1":
        SNAPSHOT.write_text(served)
    assert SNAPSHOT.exists() and SNAPSHOT.read_text() == served, (
        f"{SNAPSHOT} differs from the API's document: {UPDATE}=1 .venv/bin/python -m pytest "
        "tests/app/test_api_contract.py, then `npm run api-types` in frontend/ and commit both"
    )


def body_limit_conf() -> str:
    """The nginx include that makes the proxy refuse what the API refuses (``todo.api.body_limit``)."""
    return (
        "# Generated from todo.api.body_limit.MAX_BODY_BYTES by tests/app/test_api_contract.py: do not edit\n"
        f"client_max_body_size {MAX_BODY_BYTES};\n"
    )


def test_nginx_refuses_the_body_size_the_api_refuses() -> None:
    if os.environ.get(UPDATE) == "1":
        BODY_LIMIT_CONF.write_text(body_limit_conf())
    assert BODY_LIMIT_CONF.exists() and BODY_LIMIT_CONF.read_text() == body_limit_conf(), (
        f"{BODY_LIMIT_CONF} is not what MAX_BODY_BYTES generates: {UPDATE}=1 .venv/bin/python -m pytest "
        "tests/app/test_api_contract.py, and commit it"
    )
