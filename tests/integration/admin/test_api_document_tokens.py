"""The OpenAPI document of the admin process says which token each staff and publisher
operation wants, so a generated client sends it and Swagger UI's «Authorize» can try it.

Before, the document declared no security at all: every operation looked open, and a client
built from it met only 401s.
"""

from __future__ import annotations

from pathlib import Path

from tests.integration.admin.harness import running


async def test_each_admin_and_publisher_operation_names_its_bearer_token(
    sqlite_url: str, tmp_path: Path
) -> None:
    async with running(sqlite_url, tmp_path) as h, h.client() as client:
        document = (await client.get("/openapi.json")).json()
    schemes = document["components"]["securitySchemes"]
    assert {name: (s["type"], s["scheme"]) for name, s in schemes.items()} == {
        "adminToken": ("http", "bearer"),
        "publisherToken": ("http", "bearer"),
    }
    wanted = {}
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            if path.startswith("/api/v1/admin/"):
                assert {"401", "403"} <= set(operation["responses"]), (path, method)
            wanted[f"{method.upper()} {path}"] = operation.get("security")
    staff = {k: v for k, v in wanted.items() if " /api/v1/admin/" in k}
    assert len(staff) >= 7 and all(v == [{"adminToken": []}] for v in staff.values()), staff
    publishing = {"POST /api/v1/changes", "POST /api/v1/sources/{source_id}/check"}
    assert all(wanted[k] == [{"publisherToken": []}] for k in publishing), wanted
    # The public API's operations take no token: its links carry their own.
    public = {k: v for k, v in wanted.items() if " /api/v1/admin/" not in k and k not in publishing}
    assert public and all(v is None for v in public.values()), public
