"""Probe: can several Gradio processes share one port (SO_REUSEPORT) without sticky routing?

Starts ``--processes`` copies of a minimal Gradio app (one API endpoint, the same queue as
ServicePilot's), each binding 127.0.0.1:PORT with SO_REUSEPORT, so the kernel spreads new
connections across them. Then ``--calls`` gradio_client calls, each from a new client (as
separate browser sessions are), and counts the calls that fail. A Gradio call is a join
(POST) followed by a stream of server-sent events (GET): when the two land on different
processes, the second one does not know the event. With ``--processes 1`` every call must
succeed (the control). Every process is stopped by PID.

    .venv/bin/python benchmarks/probe_reuseport.py --processes 2 --calls 40
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import signal
import socket
import sys
import time
from collections import Counter


def serve(port: int) -> None:
    import gradio as gr
    import uvicorn
    from fastapi import FastAPI

    def echo(text: str) -> str:
        time.sleep(0.05)  # long enough that the event stream is read while it runs
        return f"{os.getpid()}:{text}"

    with gr.Blocks() as blocks:
        gr.api(echo, api_name="echo")
    blocks.queue()
    app = gr.mount_gradio_app(FastAPI(), blocks, path="/")
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind(("127.0.0.1", port))
    uvicorn.Server(uvicorn.Config(app, log_level="error")).run(sockets=[sock])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--calls", type=int, default=40)
    args = parser.parse_args()
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=serve, args=(port,), daemon=True) for _ in range(args.processes)]
    for proc in procs:
        proc.start()
    url = f"http://127.0.0.1:{port}/"
    try:
        from gradio_client import Client

        deadline = time.monotonic() + 120
        while True:
            try:
                Client(url, verbose=False)
                break
            except Exception:
                if time.monotonic() > deadline:
                    raise SystemExit("servers did not start") from None
                time.sleep(0.5)
        time.sleep(2)  # every process listening
        outcomes: Counter[str] = Counter()
        served_by: Counter[str] = Counter()
        for n in range(args.calls):
            try:
                got = Client(url, verbose=False).predict(str(n), api_name="/echo")
                pid, _, text = str(got).partition(":")
                outcomes["ok" if text == str(n) else f"wrong answer {got!r}"] += 1
                served_by[pid] += 1
            except Exception as exc:
                outcomes[f"{type(exc).__name__}: {str(exc)[:100]}"] += 1
    finally:
        for proc in procs:
            if proc.pid is not None and proc.is_alive():
                os.kill(proc.pid, signal.SIGTERM)
            proc.join(timeout=10)
    print(f"{args.processes} process(es) on port {port} (SO_REUSEPORT), {args.calls} calls")
    for outcome, count in outcomes.most_common():
        print(f"  {count:4d}  {outcome}")
    print(f"  answers by process: {dict(served_by)}")
    sys.exit(0 if outcomes["ok"] == args.calls else 1)


if __name__ == "__main__":
    main()
