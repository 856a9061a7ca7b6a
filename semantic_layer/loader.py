"""Load the YAML spec into frozen models, keeping file and line of every key.

Items are validated one by one, so a broken metric does not hide the problems of the others;
each pydantic error becomes an Issue with the line of the offending key and a fix (did-you-mean
for unknown keys).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from semantic_layer.errors import closest
from semantic_layer.issues import Issue
from semantic_layer.model_errors import fields_at
from semantic_layer.spec import SECTIONS, SemanticSpec
from semantic_layer.yaml_load import PathKey, YamlFileError, read_yaml

DEFINITIONS_DIR = Path(__file__).parent / "definitions"


@dataclass(frozen=True)
class Location:
    """Where one spec item came from; ``lines`` maps a key path inside the item to its line."""

    file: str
    line: int
    lines: dict[PathKey, int] = field(default_factory=dict)

    def line_of(self, *path: str | int) -> int:
        """Line of the deepest known key along ``path`` (falls back to the item's line)."""
        for end in range(len(path), 0, -1):
            if path[:end] in self.lines:
                return self.lines[path[:end]]
        return self.line


@dataclass(frozen=True)
class LoadedSpec:
    spec: SemanticSpec
    locations: dict[tuple[str, str], Location]  # (section, item name) -> Location
    issues: list[Issue]

    def where(self, section: str, name: str, *path: str | int) -> tuple[str, int | None]:
        loc = self.locations.get((section, name))
        return (loc.file, loc.line_of(*path)) if loc else ("", None)


def _issues_from(
    exc: ValidationError,
    cls: type[BaseModel],
    file: str,
    lines: dict[PathKey, int],
    base: PathKey,
    item: str,
) -> list[Issue]:
    issues = []
    for err in exc.errors():
        loc = tuple(err["loc"])
        key_path = (*base, *loc)
        line = next(
            (lines[key_path[:n]] for n in range(len(key_path), 0, -1) if key_path[:n] in lines),
            None,
        )
        dotted = ".".join(str(p) for p in loc) or "(item)"
        if err["type"] == "extra_forbidden":
            valid = sorted(fields_at(cls, loc[:-1]))
            guess = closest(str(loc[-1]), valid)
            hint = f"did you mean '{guess}'? " if guess else ""
            issues.append(
                Issue(
                    "schema",
                    f"Unknown key '{loc[-1]}' at {dotted}.",
                    f"{hint}Valid keys here: {', '.join(valid)}.",
                    file,
                    line,
                    item,
                )
            )
        elif err["type"] == "missing":
            issues.append(
                Issue(
                    "schema",
                    f"Missing required key '{dotted}'.",
                    f"Add `{loc[-1]}:` (see docs/metrics.md for its meaning).",
                    file,
                    line,
                    item,
                )
            )
        else:
            issues.append(
                Issue(
                    "schema",
                    f"Invalid value at {dotted}: {err['msg']}.",
                    "Correct the value (see docs/metrics.md, spec reference).",
                    file,
                    line,
                    item,
                )
            )
    return issues


def spec_files(directory: Path | None = None) -> list[Path]:
    return sorted((directory or DEFINITIONS_DIR).glob("*.yml"))


def load_spec(paths: Iterable[Path] | Path | None = None) -> LoadedSpec:
    """Load every ``*.yml`` (a directory, a list of files, or the packaged definitions)."""
    if paths is None or isinstance(paths, Path) and paths.is_dir():
        files = spec_files(paths if isinstance(paths, Path) else None)
    else:
        files = [paths] if isinstance(paths, Path) else list(paths)
    sections: dict[str, list[Any]] = {name: [] for name in SECTIONS}
    locations: dict[tuple[str, str], Location] = {}
    issues: list[Issue] = []
    for path in files:
        file = path.name
        try:
            doc = read_yaml(path)
        except YamlFileError as exc:
            issues.append(Issue("yaml", exc.problem, "Fix the YAML there.", file, exc.line))
            continue
        if doc.data is None:
            continue
        lines: dict[PathKey, int] = doc.lines
        data = doc.data
        if not isinstance(data, dict):
            issues.append(
                Issue(
                    "yaml",
                    "Top level must be a mapping.",
                    f"Use top-level keys: {', '.join(SECTIONS)}.",
                    file,
                    1,
                )
            )
            continue
        for section, items in data.items():
            cls = SECTIONS.get(section)
            if cls is None:
                guess = closest(str(section), SECTIONS)
                issues.append(
                    Issue(
                        "schema",
                        f"Unknown top-level key '{section}'.",
                        (f"did you mean '{guess}'? " if guess else "")
                        + f"Valid keys: {', '.join(SECTIONS)}.",
                        file,
                        lines.get((section,)),
                    )
                )
                continue
            if not isinstance(items, list):
                issues.append(
                    Issue(
                        "schema",
                        f"'{section}' must be a list.",
                        "Write each item as `- name: ...`.",
                        file,
                        lines.get((section,)),
                    )
                )
                continue
            for i, raw in enumerate(items):
                base = (section, i)
                name = str(raw.get("name", f"#{i}")) if isinstance(raw, dict) else f"#{i}"
                try:
                    obj = cls.model_validate(raw)
                except ValidationError as exc:
                    issues.extend(_issues_from(exc, cls, file, lines, base, name))
                    continue
                key = (section, name)
                if key in locations:
                    first = locations[key]
                    issues.append(
                        Issue(
                            "duplicate-name",
                            f"Duplicate {section[:-1]} '{name}' "
                            f"(first defined at {first.file}:{first.line}).",
                            "Rename one of them or delete the duplicate.",
                            file,
                            lines[base],
                            name,
                        )
                    )
                    continue
                item_lines = {k[2:]: v for k, v in lines.items() if k[:2] == base}
                locations[key] = Location(file, lines[base], item_lines)
                sections[section].append(obj)
    spec = SemanticSpec(**{k: tuple(v) for k, v in sections.items()})
    return LoadedSpec(spec, locations, issues)
