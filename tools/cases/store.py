"""Where case indexes live: Chroma, embedded (persistent directory) or as a server.

Settings: ``chroma_dir`` (default ``<data_dir>/chroma``) for the embedded store, or
``chroma_host`` + ``chroma_port`` for a Chroma server (``chroma run``). Several indexes live
side by side as collections (``--collection NAME``). Each collection remembers the embedding
model it was built with, and a ``revision`` that changes whenever its content does (the
lexical index cache is keyed by it).

An embedded Chroma client caches what it read (segments, collection metadata) for the life of
the process, so a long-running reader (``serve``) would keep answering from, or failing on, the
index as it was before another process re-indexed. Every change therefore also writes a new
*generation* id into ``<chroma_dir>/servicepilot-generation``; a reader that sees another
generation drops its client and reopens (``CaseStore.refresh``, called before each search).
"""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import chromadb
from chromadb.config import Settings as ChromaSettings
from chromadb.errors import InternalError as ChromaInternalError

from semantic_layer.errors import did_you_mean
from tools.cases.embedding import CaseEmbeddingFunction, default_model_dir, model_identity
from tools.errors import CaseCollectionMissing, CaseIndexBusy, CaseIndexError
from tools.settings import Settings, load_settings

__all__ = ["CaseStore", "ChromaTarget", "open_store", "read_index"]

T = TypeVar("T")

# How Chroma's embedded readers fail while another process writes the same collection (an
# indexing run): an InternalError from its executor ("Error finding id", "Error creating hnsw
# segment reader: Nothing found on disk", seen with a real concurrent writer), or SQLite's lock.
_TRANSIENT_READ_ERRORS = ("hnsw segment reader", "nothing found on disk", "database is locked")

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{1,510}[A-Za-z0-9]$")


@dataclass(frozen=True)
class ChromaTarget:
    """An embedded Chroma directory or a Chroma server."""

    path: Path | None = None
    host: str | None = None
    port: int = 8000

    @classmethod
    def from_settings(cls, settings: Settings) -> ChromaTarget:
        if settings.chroma_host:
            return cls(host=settings.chroma_host, port=settings.chroma_port)
        return cls(path=settings.resolved_chroma_dir)

    @property
    def label(self) -> str:
        return f"http://{self.host}:{self.port}" if self.host else str(self.path)

    def cache_dir(self, data_dir: Path) -> Path:
        """A local directory for derived data (the lexical index cache) of this store."""
        if self.path is not None:
            return self.path / "servicepilot-cache"
        return data_dir / "chroma-cache" / f"{self.host}_{self.port}"


GENERATION_FILE = "servicepilot-generation"

# target -> (client, the index generation it was opened at)
_CLIENTS: dict[ChromaTarget, tuple[Any, str]] = {}


def index_generation(target: ChromaTarget) -> str:
    """The generation id of an embedded store ("" before the first change; a Chroma server
    serves every client the current data itself, so it has none)."""
    if target.path is None:
        return ""
    try:
        return (target.path / GENERATION_FILE).read_text(encoding="utf-8").strip()
    except OSError:  # none yet (or unreadable): readers keep what they opened
        return ""


def _new_generation(target: ChromaTarget) -> str:
    """Record that this process changed the store: a fresh id, written atomically (a reader
    never sees half a file)."""
    generation = uuid.uuid4().hex
    if target.path is not None:
        tmp = target.path / f".{GENERATION_FILE}.{uuid.uuid4().hex[:8]}"
        tmp.write_text(generation, encoding="utf-8")
        tmp.replace(target.path / GENERATION_FILE)
        if target in _CLIENTS:  # this process's client wrote the change: it is current
            _CLIENTS[target] = (_CLIENTS[target][0], generation)
    return generation


def _forget_client(target: ChromaTarget) -> None:
    """Drop the cached client and Chroma's shared system of ``target`` so the next client reads
    the files afresh. The old system is not stopped: a search still running on it in another
    thread finishes; it is released when the last reference goes."""
    from chromadb.api.shared_system_client import SharedSystemClient

    _CLIENTS.pop(target, None)
    if target.path is not None:
        key = str(target.path)
        SharedSystemClient._identifier_to_system.pop(key, None)
        SharedSystemClient._identifier_to_refcount.pop(key, None)


def _client(target: ChromaTarget) -> Any:
    generation = index_generation(target)
    if target in _CLIENTS:
        client, opened_at = _CLIENTS[target]
        if opened_at == generation:
            return client
        _forget_client(target)  # another process re-indexed since this client was opened
    settings = ChromaSettings(anonymized_telemetry=False, allow_reset=False)
    try:
        if target.host:
            client = chromadb.HttpClient(host=target.host, port=target.port, settings=settings)
            client.heartbeat()
        else:
            assert target.path is not None
            target.path.mkdir(parents=True, exist_ok=True)
            client = chromadb.PersistentClient(path=str(target.path), settings=settings)
    except CaseIndexError:
        raise
    except Exception as exc:
        raise CaseIndexError(
            f"Cannot open the Chroma store at {target.label}: {exc}. For a server, start it "
            "with `chroma run --host HOST --port PORT` and set SERVICEPILOT_CHROMA_HOST/"
            "SERVICEPILOT_CHROMA_PORT; for an embedded store, check SERVICEPILOT_CHROMA_DIR is "
            "a writable directory."
        ) from exc
    _CLIENTS[target] = (client, generation)
    return client


@dataclass
class CaseStore:
    """One case collection in Chroma, with the embedding model it was built with."""

    target: ChromaTarget
    name: str
    collection: Any
    model_dir: Path
    cache_dir: Path
    batch_size: int = 128
    embedding_function: Any = None
    generation: str = ""  # the index generation ``collection`` was read at
    _identity: dict[str, Any] = field(default_factory=dict)

    @property
    def revision(self) -> str:
        meta = self.collection.metadata or {}
        return str(meta.get("revision", "0"))

    def bump_revision(self) -> str:
        revision = uuid.uuid4().hex[:12]
        meta = {k: v for k, v in (self.collection.metadata or {}).items() if ":" not in k}
        meta["revision"] = revision
        self.collection.modify(metadata=meta)
        self.generation = _new_generation(self.target)
        return revision

    def refresh(self) -> CaseStore:
        """Reopen the collection when another process changed the store since it was read
        (see the module docstring); cheap otherwise (one small file read)."""
        generation = index_generation(self.target)
        if generation != self.generation:
            try:
                self.collection = _client(self.target).get_collection(
                    self.name, embedding_function=self.embedding_function
                )
                self.generation = generation
            except Exception as exc:  # deleted by the other process, or caught mid-write
                raise CaseIndexBusy(
                    f"The similar-case index {self.name!r} changed on disk and could not be "
                    f"reopened ({exc}). Try again when the indexing run has finished."
                ) from exc
        return self

    def count(self) -> int:
        return int(read_index(self.collection.count))


def read_index(read: Callable[[], T], *, attempts: int = 4, pause_s: float = 0.25) -> T:
    """Run ``read`` against the index, retrying briefly (0.25, 0.5, 1 s) when it fails the way
    a reader does while another process writes the collection; then raise CaseIndexBusy, which
    callers turn into "unavailable right now" instead of an internal error. Other errors pass
    through unchanged."""
    for attempt in range(attempts):
        try:
            return read()
        except Exception as exc:
            transient = isinstance(exc, ChromaInternalError) or any(
                s in str(exc).lower() for s in _TRANSIENT_READ_ERRORS
            )
            if not transient:
                raise
            if attempt == attempts - 1:
                raise CaseIndexBusy(
                    "The similar-case index is being written by another process (an indexing "
                    f"run) and could not be read just now ({exc}). Try again when the indexing "
                    "run has finished."
                ) from exc
            time.sleep(pause_s * 2**attempt)
    raise AssertionError("unreachable")  # pragma: no cover


def list_collections(target: ChromaTarget) -> list[str]:
    return sorted(c.name for c in _client(target).list_collections())


def open_store(
    collection: str | None = None,
    *,
    settings: Settings | None = None,
    create: bool = False,
    target: ChromaTarget | None = None,
) -> CaseStore:
    """Open (or with ``create``, create) a case collection.

    Raises CaseIndexError naming the collection, the existing ones, and how to build it, or
    when the collection was built with another embedding model.
    """
    settings = settings or load_settings()
    name = collection or settings.cases_collection
    if not _NAME.match(name):
        raise CaseIndexError(
            f"Invalid collection name {name!r}: use 3-512 characters from letters, digits, "
            "'.', '_' and '-', starting and ending with a letter or digit."
        )
    target = target or ChromaTarget.from_settings(settings)
    generation = index_generation(target)
    client = _client(target)
    model_dir = default_model_dir(settings.embedding_model_dir)
    ef = CaseEmbeddingFunction(str(model_dir), settings.embedding_batch_size)
    existing = list_collections(target)
    if name not in existing:
        if not create:
            hint = did_you_mean(name, existing)
            raise CaseCollectionMissing(
                f"Case collection {name!r} does not exist in {target.label}.{hint} "
                f"Existing: {', '.join(existing) or '(none)'}. Build it with "
                f"`servicepilot cases index --from-warehouse --collection {name}`."
            )
        identity = model_identity(model_dir)
        col = client.create_collection(
            name,
            embedding_function=ef,
            configuration={"hnsw": {"space": "cosine", "ef_construction": 200, "ef_search": 100}},
            metadata={**identity, "revision": "0", "created_by": "servicepilot"},
        )
    else:
        col = client.get_collection(name, embedding_function=ef)
        meta = col.metadata or {}
        built_with = meta.get("embedding_model")
        if built_with is not None and built_with != model_dir.name:
            raise CaseIndexError(
                f"Collection {name!r} was built with embedding model {built_with!r} "
                f"({meta.get('embedding_dim')} dims), but the configured model is "
                f"{model_dir.name!r} ({model_dir}). Set SERVICEPILOT_EMBEDDING_MODEL_DIR back, "
                "or index into a new collection with --collection NAME."
            )
    return CaseStore(
        target=target,
        name=name,
        collection=col,
        model_dir=model_dir,
        cache_dir=target.cache_dir(settings.data_dir),
        batch_size=settings.embedding_batch_size,
        embedding_function=ef,
        generation=generation,
    )
