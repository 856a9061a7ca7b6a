"""The server's health: ``GET /health`` (no login; statuses only, no data) and the banner the
UI shows when the warehouse under it has gone or changed (tools.health.WarehouseWatch)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from tools.health import Check

HEALTH_PATH = "/health"


def health_payload(checks: list[Check]) -> tuple[int, dict[str, Any]]:
    """(HTTP status, body): 503 when a check failed. Details stay in the server log and
    ``servicepilot doctor``: the endpoint answers without a login."""
    failed = any(c.status == "fail" for c in checks)
    body = {"status": "fail" if failed else "ok", "checks": {c.name: c.status for c in checks}}
    return (503 if failed else 200), body


class HealthMiddleware:
    """Answers ``GET /health`` before the app (and its login) sees the request."""

    def __init__(self, app: Any, probe: Callable[[], list[Check]]) -> None:
        self.app = app
        self.probe = probe

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope.get("type") != "http" or scope.get("path") != HEALTH_PATH:
            await self.app(scope, receive, send)
            return
        status, body = health_payload(self.probe())
        payload = json.dumps(body).encode()
        headers = [(b"content-type", b"application/json"), (b"cache-control", b"no-store")]
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": payload})


def banner_text(check: Check) -> str:
    """The UI banner for a failed warehouse check ("" when all is well)."""
    if check.status != "fail":
        return ""
    return (
        f"⚠️ **数据仓库已不可用或已被替换，答案可能不可靠。请联系管理员重启服务。** "
        f"/ **The warehouse has gone or changed under this server; answers may be wrong. "
        f"Ask the operator to restart it.** ({check.detail})"
    )
