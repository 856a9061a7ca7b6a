"""A stand-in for a llama.cpp server that loads, answers ``/v1/models``, then segfaults on the
first chat completion (what a CPU-specific llama.cpp build did). Run as a script:
``python crashing_server.py --port N`` (extra llama_cpp.server arguments are ignored)."""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
from http.server import BaseHTTPRequestHandler, HTTPServer

LOG_LINE = "llama_decode: failed to decode the batch (stand-in for a native crash)"


class Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        body = json.dumps({"object": "list", "data": [{"id": "local-gguf"}]}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self) -> None:  # noqa: N802
        print(LOG_LINE, file=sys.stderr, flush=True)
        os.kill(os.getpid(), signal.SIGSEGV)

    def log_message(self, *args: object) -> None:
        pass


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    args, _ = parser.parse_known_args()
    print("model loaded; listening", file=sys.stderr, flush=True)
    HTTPServer(("127.0.0.1", args.port), Handler).serve_forever()
