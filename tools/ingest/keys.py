"""API keys of the ingest endpoint: one per source, stored as SHA-256 hashes.

``<data_dir>/ingest/keys.yml``::

    sources:
      crm: {key_sha256: 9f86d08...}
      callcenter: {key_sha256: 60303ae...}

``servicepilot ingest key SOURCE`` makes a key and prints the line to add. The key names the
source: a caller cannot post as another source.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from pathlib import Path

from semantic_layer.yaml_load import read_yaml
from tools.errors import ConfigError

SOURCE_PATTERN = re.compile(r"^[a-z0-9_-]{1,32}$")


def key_hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def new_key() -> str:
    return "spk_" + secrets.token_urlsafe(24)


class IngestKeys:
    """Source by key; an empty set of keys refuses every post."""

    def __init__(self, hashes: dict[str, str]) -> None:
        self.hashes = hashes

    @classmethod
    def load(cls, path: Path) -> IngestKeys:
        if not path.exists():
            return cls({})
        doc = read_yaml(path)
        sources = doc.data.get("sources") if isinstance(doc.data, dict) else None
        if not isinstance(sources, dict):
            raise ConfigError(
                f"{path}:{doc.line_of()}: expected 'sources:' with one entry per source "
                "(see docs/ingest.md)."
            )
        hashes = {}
        for source, entry in sources.items():
            digest = entry.get("key_sha256") if isinstance(entry, dict) else None
            if not SOURCE_PATTERN.match(str(source)):
                raise ConfigError(
                    f"{path}:{doc.line_of('sources', source)}: source {source!r} must be 1-32 "
                    "lowercase letters, digits, '_' or '-'."
                )
            if not isinstance(digest, str) or not re.fullmatch(r"[0-9a-f]{64}", digest):
                raise ConfigError(
                    f"{path}:{doc.line_of('sources', source)}: source {source!r} needs "
                    "key_sha256 (64 hex digits); `servicepilot ingest key "
                    f"{source}` prints one."
                )
            hashes[str(source)] = digest
        return cls(hashes)

    def source_of(self, key: str | None) -> str | None:
        """The source a key belongs to, or None (compared in constant time)."""
        if not key:
            return None
        digest = key_hash(key)
        found = None
        for source, expected in self.hashes.items():
            if hmac.compare_digest(digest, expected):
                found = source
        return found
