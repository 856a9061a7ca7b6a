"""The server's real ``POST /ingest/events`` (``assistant.ui.app.ingest_middleware``: API keys,
validation, durable inbox) on an otherwise empty app, for ``bench_ingest.py --via http``:

    uvicorn benchmarks.ingest_endpoint:app --factory --workers 2

The keys and the inbox come from ``SERVICEPILOT_DATA_DIR``/ingest, as in ``servicepilot serve``.
"""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from assistant.ui.app import ingest_middleware


def app() -> Starlette:
    return Starlette(
        routes=[Route("/", lambda request: PlainTextResponse("ingest endpoint only"))],
        middleware=[ingest_middleware()],
    )
