"""The knowledge base: document chunks in their own Chroma collection, indexed and searched by
the similar-case machinery (``tools.cases``: PII masking, embedding, BM25, hybrid fusion).

Versioned import: each document's chunks carry the document id and version (a hash of the
file). Re-importing a folder embeds only new or changed chunks (the case indexer skips a chunk
whose content hash is unchanged), deletes the chunks a changed document no longer has, and
with ``prune`` the chunks of documents that left the folder.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tools.cases.indexer import index_cases
from tools.cases.records import CaseRecord
from tools.cases.search import CaseHit, search_cases
from tools.cases.store import CaseStore, open_store
from tools.errors import KnowledgeError
from tools.knowledge.documents import SUFFIXES, Document, chunk_document, read_document
from tools.settings import Settings

__all__ = [
    "DEFAULT_COLLECTION",
    "DocumentChange",
    "KnowledgeImport",
    "import_knowledge",
    "open_knowledge_store",
    "search_knowledge",
]

DEFAULT_COLLECTION = "knowledge"


def open_knowledge_store(
    collection: str | None = None, *, settings: Settings | None = None, create: bool = False
) -> CaseStore:
    """The knowledge-base collection (default ``knowledge``); CaseCollectionMissing when it has
    not been imported yet."""
    return open_store(collection or DEFAULT_COLLECTION, settings=settings, create=create)


@dataclass(frozen=True)
class DocumentChange:
    doc_id: str
    title: str
    version: str
    chunks: int
    embedded: int  # new or changed chunks
    removed: int  # chunks the document no longer has
    status: str  # new | changed | unchanged | removed

    def to_dict(self) -> dict[str, Any]:
        return self.__dict__.copy()


@dataclass(frozen=True)
class KnowledgeImport:
    collection: str
    documents: tuple[DocumentChange, ...]
    total_chunks: int
    seconds: float

    def to_dict(self) -> dict[str, Any]:
        return {
            "collection": self.collection,
            "documents": [d.to_dict() for d in self.documents],
            "embedded": sum(d.embedded for d in self.documents),
            "removed": sum(d.removed for d in self.documents),
            "total_chunks": self.total_chunks,
            "seconds": round(self.seconds, 2),
        }


def _files(folder: Path) -> list[Path]:
    if folder.is_file():
        return [folder]
    if not folder.is_dir():
        raise KnowledgeError(f"{folder} does not exist; give a folder of documents or a file.")
    return sorted(p for p in folder.rglob("*") if p.is_file() and p.suffix.lower() in SUFFIXES)


def _records(document: Document) -> list[CaseRecord]:
    meta = {
        "source": "kb",
        "document": document.doc_id,
        "title": document.title,
        "language": document.language,
        "doc_version": document.version,
        **document.metadata,
    }
    return [
        CaseRecord(c.chunk_id, c.text, None, {**meta, "heading": c.heading})
        for c in chunk_document(document)
    ]


def import_knowledge(store: CaseStore, folder: Path, *, prune: bool = False) -> KnowledgeImport:
    """Import every supported document under ``folder`` (all are read before anything is
    written: one unreadable file changes nothing)."""
    started = time.perf_counter()
    files = _files(folder)
    if not files:
        raise KnowledgeError(
            f"No documents in {folder}: supported formats are {', '.join(SUFFIXES)}."
        )
    root = folder if folder.is_dir() else folder.parent
    documents = [read_document(p, p.relative_to(root).as_posix()) for p in files]
    col = store.collection
    stored = col.get(where={"source": "kb"}, include=["metadatas"])
    old_ids: dict[str, set[str]] = {}
    old_version: dict[str, str] = {}
    for cid, meta in zip(stored["ids"], stored["metadatas"], strict=True):
        doc = str((meta or {}).get("document", ""))
        old_ids.setdefault(doc, set()).add(cid)
        old_version[doc] = str((meta or {}).get("doc_version", ""))
    changes: list[DocumentChange] = []
    for document in documents:
        records = _records(document)
        new_ids = {r.case_id for r in records}
        stale = sorted(old_ids.get(document.doc_id, set()) - new_ids)
        report = index_cases(store, records)
        if stale:
            col.delete(ids=stale)
            store.bump_revision()
        previous = old_version.get(document.doc_id)
        changes.append(
            DocumentChange(
                doc_id=document.doc_id,
                title=document.title,
                version=document.version[:12],
                chunks=len(records),
                embedded=report.embedded,  # a new doc_version on a kept chunk is no re-embed
                removed=len(stale),
                status="new"
                if previous is None
                else ("unchanged" if previous == document.version else "changed"),
            )
        )
    if prune:
        present = {d.doc_id for d in documents}
        for doc_id, ids in sorted(old_ids.items()):
            if doc_id not in present:
                col.delete(ids=sorted(ids))
                store.bump_revision()
                changes.append(DocumentChange(doc_id, "", "", 0, 0, len(ids), "removed"))
    return KnowledgeImport(store.name, tuple(changes), store.count(), time.perf_counter() - started)


def search_knowledge(store: CaseStore, text: str, *, k: int = 5) -> list[CaseHit]:
    """The knowledge-base chunks most similar to ``text`` (the cases' hybrid search)."""
    return search_cases(store, text, k=k)
