"""The one YAML loader: lines, and hostile files refused fast with file:line."""

from __future__ import annotations

import time
import tracemalloc
from pathlib import Path

import pytest

from assistant.planning.verified import VerifiedQuestionsError, load_verified_questions
from assistant.roles import RoleError, load_roles
from assistant.ui.auth import AuthConfigError, UserDirectory
from evals.cases import CaseFileError, load_cases
from semantic_layer import yaml_load
from semantic_layer.catalog_loader import default_catalog
from semantic_layer.loader import load_spec
from semantic_layer.yaml_load import YamlFileError, parse_yaml, read_yaml
from tools.errors import MappingError
from tools.importers.mapping import load_mapping
from tools.monitoring.rules import RulesError, parse_rules


def billion_laughs(top_key: str) -> str:
    """Nine levels of ten aliases each: 10**9 strings once expanded."""
    lines = [f"{top_key}:", '  a0: &a0 "lol"']
    for level in range(1, 10):
        refs = ", ".join([f"*a{level - 1}"] * 10)
        lines.append(f"  a{level}: &a{level} [{refs}]")
    return "\n".join(lines) + "\n"


def test_lines_of_keys_and_items() -> None:
    doc = parse_yaml("a:\n  b: 1\n  c:\n    - x\n    - y\n", "f.yml")
    assert doc.data == {"a": {"b": 1, "c": ["x", "y"]}}
    assert doc.line_of("a", "c", 1) == 5
    assert doc.line_of("a", "b") == 2
    assert doc.line_of("a", "missing", 3) == 1  # closest ancestor: 'a' is on line 1


def test_yes_no_are_text_and_merge_keys_resolve() -> None:
    doc = parse_yaml("base: &b {k: 1}\nitem:\n  <<: *b\n  flag: yes\n  on: true\n", "f.yml")
    assert doc.data["item"] == {"k": 1, "flag": "yes", "on": True}


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        ("a: 1\nb:\n  c: 2\n  c: 3\n", 4, "key 'c' appears twice"),
        ("a: !!python/object:os.system {}\n", 1, "tag 'tag:yaml.org,2002:python/object"),
        ("a: 1\nb: !custom x\n", 2, "tag '!custom' is not allowed"),
        ("a: &x [1, *x]\n", 1, "anchor refers to itself"),
        ("a:\n  b: [\n", 3, "not valid YAML"),
        ("x: " + "[" * 150 + "]" * 150 + "\n", 1, "nested more than"),
    ],
)
def test_hostile_or_broken_yaml_names_file_and_line(text: str, line: int, words: str) -> None:
    with pytest.raises(YamlFileError) as info:
        parse_yaml(text, "bad.yml")
    assert str(info.value).startswith(f"bad.yml:{line}: ")
    assert words in str(info.value)


def test_billion_laughs_fails_fast_with_bounded_memory() -> None:
    tracemalloc.start()
    started = time.perf_counter()
    with pytest.raises(YamlFileError) as info:
        parse_yaml(billion_laughs("map"), "bomb.yml")
    elapsed = time.perf_counter() - started
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert elapsed < 0.5
    assert peak < 20_000_000
    assert "expands to more than 200,000 values" in str(info.value)
    assert str(info.value).startswith("bomb.yml:")


def test_too_many_aliases(monkeypatch) -> None:
    monkeypatch.setattr(yaml_load, "MAX_ALIASES", 3)
    with pytest.raises(YamlFileError, match=r"^f.yml:1: more than 3 aliases"):
        parse_yaml("a: &a 1\nb: [*a, *a, *a, *a]\n", "f.yml")


def test_file_size_is_capped_before_reading(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(yaml_load, "MAX_BYTES", 100)
    path = tmp_path / "big.yml"
    path.write_text("a: " + "x" * 200 + "\n", encoding="utf-8")
    with pytest.raises(YamlFileError, match=r"big.yml:1: the file is 204 bytes; .* limited to 100"):
        read_yaml(path)


# Every reader of a product YAML file refuses the bomb with its own error type, file:line.
def _mapping(path: Path) -> None:
    load_mapping(path)


def _spec(path: Path) -> None:
    issues = load_spec([path]).issues
    assert issues and issues[0].rule == "yaml", issues
    raise YamlFileError(issues[0].file, issues[0].line or 0, issues[0].message)


def _rules(path: Path) -> None:
    parse_rules(path.read_text(encoding="utf-8"), str(path), default_catalog())


def _roles(path: Path) -> None:
    load_roles.cache_clear()
    load_roles(path)


def _cases(path: Path) -> None:
    load_cases(path.parent)


READERS = [
    ("name", _mapping, MappingError),
    ("metrics", _spec, YamlFileError),
    ("rules", _rules, RulesError),
    ("roles", _roles, RoleError),
    ("questions", lambda p: load_verified_questions(p), VerifiedQuestionsError),
    ("users", lambda p: UserDirectory.load(p), AuthConfigError),
    ("cases", _cases, CaseFileError),
]


@pytest.mark.parametrize(("key", "read", "error"), READERS, ids=[r[0] for r in READERS])
def test_every_reader_refuses_alias_bomb(tmp_path: Path, key, read, error) -> None:
    path = tmp_path / "bomb.yml"
    path.write_text(billion_laughs(key), encoding="utf-8")
    started = time.perf_counter()
    with pytest.raises(error) as info:
        read(path)
    assert time.perf_counter() - started < 1.0
    assert "bomb.yml:" in str(info.value)
    assert "alias bomb" in str(info.value)


@pytest.mark.parametrize(
    ("text", "reader", "path", "message"),
    [
        ("fees: []\n", "texts", ("fees",), r"^bad\.yml:1: fees must be a non-empty list"),
        (
            "fees:\n  - '30'\n  - 50\n",
            "texts",
            ("fees",),
            r"^bad\.yml:1: fees must be a non-empty list of quoted texts",
        ),
        (
            "durations:\n  zh: ['3天']\n",
            "texts",
            ("durations", "en"),
            r"^bad\.yml:1: durations needs the key 'en'\. Add it\.",
        ),
        (
            "root_causes:\n  x:\n    desc_zh: ['a']\n",
            "text_lines",
            ("root_causes", "x", "desc_zh"),
            r"^bad\.yml:3: root_causes\.x\.desc_zh must be a block of texts.*desc_zh: \|",
        ),
    ],
)
def test_data_file_readers_name_file_line_and_fix(text, reader, path, message) -> None:
    with pytest.raises(YamlFileError, match=message):
        getattr(parse_yaml(text, "bad.yml"), reader)(*path)


def test_data_file_readers_return_what_is_there() -> None:
    doc = parse_yaml("a:\n  b: ['x', '']\n  c: |\n    one\n\n     two \n", "ok.yml")
    assert doc.texts("a", "b") == ("x", "")
    assert doc.text_lines("a", "c") == ("one", "two")
    assert doc.value("a", "b") == ["x", ""]


# -- the parse cache (read_yaml(..., cached=True)): a CLI question reads its packaged YAML without
# PyYAML; what it returns is what a parse returns, and errors always come from the text.


def test_cached_parse_equals_a_fresh_parse_and_misses_on_an_edit(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("SERVICEPILOT_CACHE_DIR", str(tmp_path / "cache"))
    file = tmp_path / "words.yml"
    file.write_text("a: &x\n  b: 2026-11-22\n  c: [yes, true]\nd:\n  <<: *x\n", encoding="utf-8")
    fresh = read_yaml(file)
    first = read_yaml(file, cached=True)  # parsed and stored
    assert len(list((tmp_path / "cache").glob("yaml-*.pickle"))) == 1
    second = read_yaml(file, cached=True)  # read back
    assert first == fresh and second == fresh and second.data is not first.data
    assert second.data["d"] == {"b": fresh.data["a"]["b"], "c": ["yes", True]}
    file.write_text("a: 2\n", encoding="utf-8")
    assert read_yaml(file, cached=True).data == {"a": 2}  # the edit is read, not the old parse
    assert len(list((tmp_path / "cache").glob("yaml-*.pickle"))) == 2


def test_cached_parse_reports_errors_from_the_text_every_time(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("SERVICEPILOT_CACHE_DIR", str(tmp_path / "cache"))
    file = tmp_path / "bad.yml"
    file.write_text("a: 1\na: 2\n", encoding="utf-8")
    for _ in range(2):
        with pytest.raises(YamlFileError, match=r"bad\.yml:2: key 'a' appears twice"):
            read_yaml(file, cached=True)
    assert not list((tmp_path / "cache").glob("yaml-*.pickle"))  # nothing stored


def test_a_corrupt_or_disabled_cache_parses_the_text(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("SERVICEPILOT_CACHE_DIR", str(tmp_path / "cache"))
    file = tmp_path / "f.yml"
    file.write_text("a: [1, 2]\n", encoding="utf-8")
    read_yaml(file, cached=True)
    (stored,) = (tmp_path / "cache").glob("yaml-*.pickle")
    stored.write_bytes(b"not a pickle")
    assert read_yaml(file, cached=True).data == {"a": [1, 2]}
    monkeypatch.setenv("SERVICEPILOT_CACHE_DIR", "off")
    assert read_yaml(file, cached=True).line_of("a") == 1
