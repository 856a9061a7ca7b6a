"""Knowledge-base documents (SOPs, FAQs, policies) read into heading-aware chunks.

Formats: Markdown (``.md``), HTML (``.html``/``.htm``, standard library parser), PDF (``.pdf``,
needs ``pypdf``) and Word (``.docx``, needs ``python-docx``): ``pip install
'servicepilot[documents]'``. A Markdown file may start with a YAML front matter (``title``,
``language``, ``product_line``, ``tags``).

A chunk is the text under one heading, cut at paragraph boundaries to at most ``MAX_CHARS``;
its text starts with the heading path ("Title > Section > Subsection") so both retrievers see
what it is about. A chunk's id is derived from its heading path and content, so a changed
document keeps the ids of its unchanged chunks (and the index skips them).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import yaml

from tools.cases.text import content_hash, is_chinese
from tools.errors import KnowledgeError

__all__ = ["Chunk", "Document", "SUFFIXES", "chunk_document", "read_document"]

MAX_CHARS = 600
SUFFIXES = (".md", ".markdown", ".html", ".htm", ".pdf", ".docx")
_FRONT = re.compile(r"\A---\s*\n(.*?)\n---\s*\n", re.S)
_MD_HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*#*\s*$")


@dataclass(frozen=True)
class Section:
    headings: tuple[str, ...]  # the heading path, outermost first (without the title)
    text: str


@dataclass(frozen=True)
class Document:
    doc_id: str  # the path relative to the imported folder, '/'-separated
    title: str
    language: str
    sections: tuple[Section, ...]
    version: str  # hash of the file's bytes
    metadata: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Chunk:
    chunk_id: str
    doc_id: str
    heading: str  # "Title > Section > Subsection"
    text: str  # heading path + body: what is embedded and shown


# ----------------------------------------------------------------------------- readers


def _markdown(text: str) -> tuple[str | None, list[Section]]:
    title: str | None = None
    stack: list[tuple[int, str]] = []
    sections: list[Section] = []
    body: list[str] = []
    in_code = False

    def flush() -> None:
        joined = "\n".join(body).strip()
        if joined:
            sections.append(Section(tuple(h for _, h in stack), joined))
        body.clear()

    for line in text.splitlines():
        if line.strip().startswith("```"):
            in_code = not in_code
        m = None if in_code else _MD_HEADING.match(line)
        if m is None:
            body.append(line)
            continue
        flush()
        level, heading = len(m.group(1)), m.group(2).strip()
        if level == 1 and title is None and not sections:
            title = heading
            continue
        while stack and stack[-1][0] >= level:
            stack.pop()
        stack.append((level, heading))
    flush()
    return title, sections


class _HTML(HTMLParser):
    """Headings and block text of an HTML page (script/style/nav dropped)."""

    _BLOCKS = {"p", "li", "div", "td", "th", "br", "tr", "section", "article", "pre", "dd", "dt"}
    _SKIP = {"script", "style", "nav", "head", "noscript"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.items: list[tuple[int, str]] = []  # (heading level or 0 for text, text)
        self.title: str | None = None
        self._buf: list[str] = []
        self._level = 0
        self._skip = 0
        self._in_title = False

    def _flush(self) -> None:
        text = re.sub(r"\s+", " ", "".join(self._buf)).strip()
        if text:
            self.items.append((self._level, text))
        self._buf = []

    def handle_starttag(self, tag: str, attrs: Any) -> None:
        if tag in self._SKIP:
            self._skip += 1
        if tag == "title":
            self._in_title = True
        if re.fullmatch(r"h[1-6]", tag):
            self._flush()
            self._level = int(tag[1])
        elif tag in self._BLOCKS:
            self._flush()

    def handle_endtag(self, tag: str) -> None:
        if tag in self._SKIP:
            self._skip = max(0, self._skip - 1)
        if tag == "title":
            self._in_title = False
        if re.fullmatch(r"h[1-6]", tag):
            self._flush()
            self._level = 0
        elif tag in self._BLOCKS:
            self._flush()

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self.title = (self.title or "") + data.strip()
        elif not self._skip:
            self._buf.append(data)


def _html(text: str) -> tuple[str | None, list[Section]]:
    parser = _HTML()
    parser.feed(text)
    parser.close()
    parser._flush()
    lines = []
    for level, item in parser.items:  # back to Markdown-like lines, one reader for both
        lines.append(f"{'#' * level} {item}" if level else item)
        lines.append("")
    title, sections = _markdown("\n".join(lines))
    return parser.title or title, sections


def _pdf(path: Path) -> tuple[str | None, list[Section]]:
    try:
        from pypdf import PdfReader
    except ImportError as exc:
        raise KnowledgeError(_missing(path, "pypdf")) from exc
    try:
        reader = PdfReader(str(path))
        pages = [(page.extract_text() or "").strip() for page in reader.pages]
    except Exception as exc:
        raise KnowledgeError(f"{path}: not a readable PDF ({exc}).") from exc
    title = (reader.metadata.title if reader.metadata else None) or None
    return title, [Section((f"p.{i}",), t) for i, t in enumerate(pages, start=1) if t]


def _docx(path: Path) -> tuple[str | None, list[Section]]:
    try:
        import docx
    except ImportError as exc:
        raise KnowledgeError(_missing(path, "python-docx")) from exc
    try:
        document = docx.Document(str(path))
    except Exception as exc:
        raise KnowledgeError(f"{path}: not a readable Word .docx file ({exc}).") from exc
    lines = []
    for para in document.paragraphs:
        style = (para.style.name if para.style is not None else "") or ""
        m = re.match(r"(?:Heading|标题)\s*(\d)", style)
        if style == "Title":
            lines.append(f"# {para.text}")
        elif m:
            lines.append(f"{'#' * min(6, int(m.group(1)) + 1)} {para.text}")
        else:
            lines.append(para.text)
    return _markdown("\n".join(lines))


def _missing(path: Path, package: str) -> str:
    return (
        f"{path}: reading {path.suffix} files needs the {package} package, which is not "
        f"installed. Install it with `pip install 'servicepilot[documents]'`, or convert the "
        "file to Markdown or HTML."
    )


def read_document(path: Path, doc_id: str) -> Document:
    """Read one document; raises KnowledgeError naming the file and how to fix it."""
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        raise KnowledgeError(
            f"{path}: unsupported format {suffix or '(none)'}; use one of {', '.join(SUFFIXES)}."
        )
    raw = path.read_bytes()
    meta: dict[str, Any] = {}
    if suffix in (".pdf", ".docx"):
        title, sections = _pdf(path) if suffix == ".pdf" else _docx(path)
    else:
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise KnowledgeError(f"{path}: not UTF-8 text ({exc}); save it as UTF-8.") from exc
        front = _FRONT.match(text) if suffix in (".md", ".markdown") else None
        if front:
            try:
                meta = yaml.safe_load(front.group(1)) or {}
            except yaml.YAMLError as exc:
                raise KnowledgeError(f"{path}: invalid front matter: {exc}") from exc
            if not isinstance(meta, dict):
                raise KnowledgeError(f"{path}: the front matter must be key: value lines.")
            text = text[front.end() :]
        title, sections = _html(text) if suffix in (".html", ".htm") else _markdown(text)
    title = str(meta.pop("title", None) or title or path.stem)
    body = " ".join(s.text for s in sections)
    language = str(meta.pop("language", None) or ("zh" if is_chinese(title + body) else "en"))
    return Document(
        doc_id=doc_id,
        title=title,
        language=language,
        sections=tuple(sections),
        version=content_hash(raw),
        metadata={k: v for k, v in meta.items() if isinstance(v, str | int | float | bool)}
        | (
            {"tags": ",".join(map(str, meta["tags"]))} if isinstance(meta.get("tags"), list) else {}
        ),
    )


# ----------------------------------------------------------------------------- chunks


def _pieces(text: str, limit: int) -> list[str]:
    """``text`` cut at blank lines (then lines) into pieces of at most ~``limit`` chars."""
    paragraphs = [p.strip() for p in re.split(r"\n\s*\n", text) if p.strip()]
    out: list[str] = []
    current = ""
    for para in paragraphs:
        parts = [para] if len(para) <= limit else [ln for ln in para.splitlines() if ln.strip()]
        for part in parts:
            if current and len(current) + len(part) + 1 > limit:
                out.append(current)
                current = ""
            current = f"{current}\n{part}" if current else part
    if current:
        out.append(current)
    return out


def chunk_document(document: Document, max_chars: int = MAX_CHARS) -> list[Chunk]:
    """The document's chunks, in reading order, each starting with its heading path."""
    chunks: list[Chunk] = []
    seen: dict[str, int] = {}
    for section in document.sections:
        heading = " > ".join((document.title, *section.headings))
        for piece in _pieces(section.text, max_chars):
            key = content_hash(heading, piece)[:12]
            seen[key] = seen.get(key, 0) + 1
            suffix = "" if seen[key] == 1 else f"-{seen[key]}"
            chunks.append(
                Chunk(
                    chunk_id=f"kb:{document.doc_id}#{key}{suffix}",
                    doc_id=document.doc_id,
                    heading=heading,
                    text=f"{heading}\n{piece}",
                )
            )
    return chunks
