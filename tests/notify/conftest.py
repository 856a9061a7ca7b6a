"""Real local receivers on 127.0.0.1: an HTTP server that records JSON POSTs (webhook and
group-robot endpoints) and an aiosmtpd SMTP server that records mail; both closed in teardown."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest


@dataclass
class HttpReceiver:
    url: str
    posts: list[tuple[str, Any]] = field(default_factory=list)  # (path with query, JSON body)
    # path -> how many more requests to refuse with HTTP 503 (to exercise retries)
    failures: dict[str, int] = field(default_factory=dict)

    def bodies(self, path: str) -> list[Any]:
        return [body for p, body in self.posts if p.split("?")[0] == path]


@pytest.fixture
def http_receiver() -> Iterator[HttpReceiver]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), BaseHTTPRequestHandler)
    receiver = HttpReceiver(url=f"http://127.0.0.1:{server.server_address[1]}")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - http.server's name
            path = self.path.split("?")[0]
            if receiver.failures.get(path, 0) > 0:
                receiver.failures[path] -= 1
                self.send_response(503)
                self.end_headers()
                return
            length = int(self.headers.get("Content-Length", 0))
            receiver.posts.append((self.path, json.loads(self.rfile.read(length))))
            answer = json.dumps({"errcode": 0, "errmsg": "ok"}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, *args: object) -> None:
            pass

    server.RequestHandlerClass = Handler
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


@dataclass
class SmtpReceiver:
    port: int
    mails: list[EmailMessage] = field(default_factory=list)
    envelopes: list[tuple[str, list[str]]] = field(default_factory=list)


@pytest.fixture
def smtp_receiver() -> Iterator[SmtpReceiver]:
    controller_mod = pytest.importorskip(
        "aiosmtpd.controller", reason="aiosmtpd (dev extra) runs the local SMTP server"
    )
    with socket.socket() as probe:  # a free port (aiosmtpd checks readiness by connecting)
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    receiver = SmtpReceiver(port=port)

    class Handler:
        async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
            receiver.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
            receiver.mails.append(message_from_bytes(envelope.content, policy=policy.default))
            return "250 Message accepted"

    controller = controller_mod.Controller(Handler(), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield receiver
    finally:
        controller.stop()
