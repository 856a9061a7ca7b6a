"""``POST /ingest/events``: the push way in of live ingest (docs/ingest.md).

Answered before the app (and its login) sees the request; the caller authenticates with its
source's API key (``Authorization: Bearer KEY``). The body is one event object or a list of
them. The events are validated here (the answer lists the rejected ones) and the whole batch
is stored durably (validated) in the writer's inbox before the answer (202), so any number of server
workers can take posts while one writer process applies them; rejected events reach the
quarantine table through the writer.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import orjson

from tools.ingest.events import validate_batch
from tools.ingest.keys import IngestKeys
from tools.ingest.writer import Inbox

INGEST_PATH = "/ingest/events"
MAX_BODY_BYTES = 10 << 20
MAX_REJECTED_SHOWN = 100


async def _read_body(receive: Any) -> bytes | None:
    """The request body, or None when it exceeds MAX_BODY_BYTES."""
    chunks, size = [], 0
    while True:
        message = await receive()
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            return None
        chunks.append(chunk)
        if not message.get("more_body"):
            return b"".join(chunks)


def handle(keys: IngestKeys, inbox: Inbox, key: str | None, body: bytes | None) -> tuple[int, dict]:
    """(HTTP status, JSON answer) for one post."""
    source = keys.source_of(key)
    if source is None:
        return 401, {
            "ok": False,
            "error": "missing or unknown API key; send 'Authorization: Bearer KEY' with your "
            "source's key (servicepilot ingest key SOURCE makes one).",
        }
    if body is None:
        return 413, {
            "ok": False,
            "error": f"body over {MAX_BODY_BYTES >> 20} MB; send smaller batches.",
        }
    try:
        raw = orjson.loads(body)
    except orjson.JSONDecodeError:
        try:  # json also reads NaN and lone surrogates (the events are then quarantined)
            raw = json.loads(body.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            return 400, {"ok": False, "error": f"the body is not UTF-8 JSON: {exc}"}
    events, problems = validate_batch(raw)
    if not events and not problems:
        return 400, {"ok": False, "error": "no events in the body (send an object or a list)."}
    if problems and problems[0].field == "(batch)":
        return 413, {"ok": False, "error": problems[0].reason}
    batch_id = inbox.put(source, raw, validated=(events, problems))
    return 202, {
        "ok": True,
        "batch_id": batch_id,
        "source": source,
        "accepted": len(events),
        "rejected": len({p.seq for p in problems}),
        "problems": [p.message() for p in problems[:MAX_REJECTED_SHOWN]],
    }


class IngestMiddleware:
    """Routes ``POST /ingest/events`` to ``handle``; everything else to the app."""

    def __init__(self, app: Any, keys: IngestKeys, inbox: Inbox) -> None:
        self.app = app
        self.keys = keys
        self.inbox = inbox

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope.get("type") != "http" or scope.get("path") != INGEST_PATH:
            await self.app(scope, receive, send)
            return
        if scope.get("method") != "POST":
            status, answer = 405, {"ok": False, "error": f"use POST {INGEST_PATH}"}
        else:
            headers = dict(scope.get("headers") or [])
            auth = headers.get(b"authorization", b"").decode("latin-1")
            key = auth[7:].strip() if auth.lower().startswith("bearer ") else None
            key = key or headers.get(b"x-api-key", b"").decode("latin-1") or None
            body = await _read_body(receive)
            # validation and the fsync'd write run off the event loop
            status, answer = await asyncio.to_thread(handle, self.keys, self.inbox, key, body)
        payload = json.dumps(answer, ensure_ascii=False).encode()
        response_headers = [(b"content-type", b"application/json"), (b"cache-control", b"no-store")]
        await send({"type": "http.response.start", "status": status, "headers": response_headers})
        await send({"type": "http.response.body", "body": payload})
