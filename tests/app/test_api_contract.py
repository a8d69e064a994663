"""The HTTP API's OpenAPI document is the one source of the frontend's types.

`frontend/openapi.json` is a copy of what the running API serves; the frontend generates
`src/api-schema.ts` from it (openapi-typescript) and `src/types.ts` names those generated types, so
`tsc --strict` checks the app and its fake backend against the real API. This test keeps the copy
true; the frontend tier keeps the generated file true.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from fastapi.testclient import TestClient

SNAPSHOT = Path(__file__).resolve().parents[2] / "frontend" / "openapi.json"
UPDATE = "TODO_UPDATE_API_SCHEMA"


def test_the_frontends_copy_of_the_openapi_document_is_current(client: TestClient) -> None:
    served = json.dumps(client.get("/api/openapi.json").json(), indent=2, sort_keys=True) + "\n"
    if os.environ.get(UPDATE) == "1":
        SNAPSHOT.write_text(served)
    assert SNAPSHOT.exists() and SNAPSHOT.read_text() == served, (
        f"{SNAPSHOT} differs from the API's document: {UPDATE}=1 .venv/bin/python -m pytest "
        "tests/app/test_api_contract.py, then `npm run api-types` in frontend/ and commit both"
    )
