"""A llama.cpp OpenAI-compatible server for a local GGUF file, run as a subprocess.

Why a subprocess and not an in-process ``BaseChatModel`` around ``llama_cpp.Llama``:

* one code path: every provider (OpenAI, vLLM, Ollama, llama.cpp server, local GGUF) is reached
  through ``ChatOpenAI``, so tool calling and structured output behave the same everywhere and
  the end-to-end test of the local path also tests the remote one;
* isolation: a native crash or out-of-memory in llama.cpp cannot take down the UI or API
  process, and a hung generation can be abandoned by the HTTP timeout;
* one model load per process tree, shared by every session, on 127.0.0.1 only.

``LlamaServer(path).start()`` picks a free port, starts ``python -m llama_cpp.server``, waits
until ``/v1/models`` answers and returns the base URL; ``stop()`` terminates it by PID.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

from assistant.errors import AssistantError
from tools.errors import ConfigError

MODEL_ALIAS = "local-gguf"
DEFAULT_CONTEXT = 8192
DEFAULT_STARTUP_TIMEOUT_S = 120.0


class LocalServerError(AssistantError):
    """The local llama.cpp server could not be started."""

    exit_code = 3


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def llama_cpp_available() -> bool:
    import importlib.util

    return importlib.util.find_spec("llama_cpp") is not None


class LlamaServer:
    """One ``llama_cpp.server`` subprocess serving ``model_path`` on 127.0.0.1."""

    def __init__(
        self,
        model_path: Path | str,
        *,
        port: int | None = None,
        n_ctx: int = DEFAULT_CONTEXT,
        n_threads: int | None = None,
        cache: bool = True,
        startup_timeout_s: float = DEFAULT_STARTUP_TIMEOUT_S,
    ) -> None:
        self.model_path = Path(model_path).expanduser()
        self.host = "127.0.0.1"
        self.port = port
        self.n_ctx = n_ctx
        self.n_threads = n_threads or max(1, (os.cpu_count() or 2) // 2)
        self.cache = cache  # keep evaluated prompt prefixes (the system prompt) across calls
        self.startup_timeout_s = startup_timeout_s
        self.process: subprocess.Popen[bytes] | None = None
        self.log_path: Path | None = None

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}/v1"

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process else None

    def command(self) -> list[str]:
        cmd = [
            sys.executable, "-m", "llama_cpp.server",
            "--model", str(self.model_path),
            "--model_alias", MODEL_ALIAS,
            "--host", self.host,
            "--port", str(self.port),
            "--n_ctx", str(self.n_ctx),
        ]  # fmt: skip
        cmd += ["--n_threads", str(self.n_threads), "--n_threads_batch", str(self.n_threads)]
        if self.cache:
            cmd += ["--cache", "True"]
        return cmd

    def start(self) -> str:
        """Start the server and wait until it answers; return its base URL."""
        if self.process is not None and self.process.poll() is None:
            return self.base_url
        if not self.model_path.is_file():
            raise ConfigError(
                f"GGUF model file {self.model_path} does not exist. Set "
                "SERVICEPILOT_LLM_GGUF_PATH (or llm_gguf_path in servicepilot.toml) to a "
                ".gguf file."
            )
        if not llama_cpp_available():
            raise ConfigError(
                "llm_provider=gguf needs llama-cpp-python with its server extra: "
                "pip install 'llama-cpp-python[server]'."
            )
        self.port = self.port or free_port(self.host)
        fd, log = tempfile.mkstemp(prefix="servicepilot-llama-", suffix=".log")
        self.log_path = Path(log)
        with os.fdopen(fd, "wb") as out:
            self.process = subprocess.Popen(
                self.command(), stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL
            )
        self._wait_ready()
        return self.base_url

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + self.startup_timeout_s
        assert self.process is not None
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise LocalServerError(
                    f"The llama.cpp server exited with code {self.process.returncode} while "
                    f"loading {self.model_path}:\n{self.log_tail()}"
                )
            try:
                with urllib.request.urlopen(f"{self.base_url}/models", timeout=2) as resp:
                    if resp.status == 200:
                        return
            except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
                pass
            time.sleep(0.2)
        self.stop()
        raise LocalServerError(
            f"The llama.cpp server did not answer within {self.startup_timeout_s:g}s "
            f"(model {self.model_path}):\n{self.log_tail()}"
        )

    def log_tail(self, lines: int = 20) -> str:
        if self.log_path is None or not self.log_path.exists():
            return "(no log)"
        text = self.log_path.read_text(encoding="utf-8", errors="replace")
        return "\n".join(text.splitlines()[-lines:])

    def stop(self) -> None:
        """Terminate the server by PID (kill after 10 s) and remove its log."""
        process, self.process = self.process, None
        if process is not None and process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)
        if self.log_path is not None:
            with contextlib.suppress(OSError):
                self.log_path.unlink()

    def __enter__(self) -> LlamaServer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


_SHARED: dict[tuple[str, int], LlamaServer] = {}
_LOCK = threading.Lock()


def shared_server(model_path: Path | str, *, n_ctx: int = DEFAULT_CONTEXT) -> LlamaServer:
    """One running server per (model, context) in this process, stopped at exit."""
    key = (str(Path(model_path).expanduser().resolve()), n_ctx)
    with _LOCK:
        server = _SHARED.get(key)
        if server is None:
            server = LlamaServer(model_path, n_ctx=n_ctx)
            _SHARED[key] = server
            atexit.register(server.stop)
        server.start()
        return server


def stop_shared_servers() -> None:
    """Stop every server ``shared_server`` started (also done at interpreter exit)."""
    with _LOCK:
        servers = list(_SHARED.values())
        _SHARED.clear()
    for server in servers:
        server.stop()
