"""Pydantic validation errors of a YAML file as ``file:line: where: what to fix`` lines.

Every config reader that validates a YAML document (read with :mod:`semantic_layer.yaml_load`)
against a pydantic model — alert rules, notification channels, task rules, KPI targets, import
mappings — turns ``ValidationError.errors()`` into messages here, so they all read alike:

    notify.yml:7: channel 'ops', field 'url': required key 'url' is missing; add it.
    rules.yml:12: rule 'csat_drop', field 'threshhold': unknown key. Did you mean 'threshold'? …

* the line is the key's own line, or its closest ancestor's when the key is missing;
* list items are named by their ``name`` (or ``id``), else by number from 1;
* unknown keys get did-you-mean and the keys valid at that place (walking the model, through
  discriminated unions: a channel of ``kind: email`` lists the e-mail channel's keys);
* problems come in file order.
"""

from __future__ import annotations

import types
import typing
from collections.abc import Callable, Iterable, Sequence
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, ValidationError

from semantic_layer.errors import unknown_key
from semantic_layer.yaml_load import YamlDoc, YamlFileError, parse_yaml

Loc = tuple[str | int, ...]
M = TypeVar("M", bound=BaseModel)


def validation_problems(
    exc: ValidationError,
    doc: YamlDoc,
    model: type[BaseModel],
    *,
    base: Loc = (),
    hidden: Iterable[str] = (),
) -> list[str]:
    """Every error of ``exc`` as ``file:line: where: message``, in file order.

    ``base`` is where the validated data sits in ``doc`` (``("cases", 3)`` when one item of a
    list was validated alone); ``hidden`` are fields the reader fills itself (e.g. ``source``),
    never offered as valid keys.
    """
    hidden = frozenset(hidden)
    errors = exc.errors()
    found = []
    for err in errors:
        model_loc = tuple(err["loc"])
        if err["type"] == "too_short" and any(
            len(e["loc"]) > len(model_loc) and tuple(e["loc"][: len(model_loc)]) == model_loc
            for e in errors
        ):
            continue  # "at least 1 item" only because its items failed: those errors say why
        loc = _data_loc(doc.data, base, model_loc)
        kind = err["type"]
        if kind == "extra_forbidden":
            valid = [f for f in fields_at(model, model_loc[:-1]) if f not in hidden]
            message = unknown_key(loc[-1], valid)
        elif kind == "missing":
            message = f"required key '{loc[-1]}' is missing; add it."
            loc = loc[:-1]  # said at the block that lacks it
        elif kind in ("union_tag_invalid", "union_tag_not_found"):
            key = str(err.get("ctx", {}).get("discriminator", "kind")).strip("'")
            tags = ", ".join(_tag_values(model, model_loc, key))
            if kind == "union_tag_invalid":
                message = f"unknown {key} '{err['ctx']['tag']}'. Valid {key}s: {tags}."
            else:
                message = f"missing '{key}:'. Add one of: {tags}."
            loc = (*loc, key)
        else:
            message = err["msg"].removeprefix("Value error, ")
            if not message.endswith((".", "?", ")")):
                message += "."
        found.append((doc.line_of(*base, *loc), where(doc.data, (*base, *loc)), message))
    found.sort(key=lambda p: p[0])  # pydantic lists an item's unknown keys after its other errors
    return [f"{doc.file}:{line}: {place}: {message}" for line, place, message in found]


def parse_config(
    text: str,
    source: str,
    model: type[M],
    error: Callable[[list[str]], Exception],
    expected: str,
) -> tuple[YamlDoc, M]:
    """Parse a config file's ``text`` and validate it as ``model`` (given its ``source``).

    Every problem — YAML syntax, a top level that is not a mapping (``expected`` says what it
    should hold, e.g. "a 'rules:' list"), validation — is raised as ``error(problems)``.
    """
    try:
        doc = parse_yaml(text, source)  # the one loader: file:line, alias and size caps
    except YamlFileError as exc:
        raise error([str(exc)]) from exc
    if not isinstance(doc.data, dict):
        raise error([f"{source}:1: expected a mapping with {expected}"])
    try:
        config = model.model_validate({**doc.data, "source": source})
    except ValidationError as exc:
        raise error(validation_problems(exc, doc, model, hidden=("source",))) from None
    return doc, config


def problem(doc: YamlDoc, loc: Loc, message: str) -> str:
    """A reader's own (non-pydantic) problem at ``loc`` in the same format."""
    return f"{doc.file}:{doc.line_of(*loc)}: {where(doc.data, loc)}: {message}"


def where(data: Any, loc: Loc) -> str:
    """``rule 'csat_drop', field 'threshold'``, ``channel #2``, or ``field 'delivery.retries'``."""
    if len(loc) >= 2 and isinstance(loc[0], str) and isinstance(loc[1], int):
        items = data.get(loc[0]) if isinstance(data, dict) else None
        item = items[loc[1]] if isinstance(items, list) and loc[1] < len(items) else None
        name = (item.get("name") or item.get("id")) if isinstance(item, dict) else None
        noun = loc[0].removesuffix("s")
        label = f"{noun} '{name}'" if name else f"{noun} #{loc[1] + 1}"
        field = ".".join(str(p) for p in loc[2:])
        return f"{label}, field '{field}'" if field else label
    return "field '" + ".".join(str(p) for p in loc) + "'" if loc else "the file"


def fields_at(model: type[BaseModel], loc: Sequence[str | int]) -> list[str]:
    """Keys valid at ``loc`` inside ``model`` (aliases where set), in declaration order.

    Follows pydantic's error locations: a step naming a union member's tag (``email``) or
    class picks that member.
    """
    classes = _models_at(model, loc)
    return list(dict.fromkeys(f.alias or n for c in classes for n, f in c.model_fields.items()))


def _models_at(model: type[BaseModel], loc: Sequence[str | int]) -> list[type[BaseModel]]:
    classes: list[type[BaseModel]] = [model]
    for step in loc:
        if isinstance(step, int):
            continue
        picked = [c for c in classes if step == c.__name__ or step in _tags(c)]
        if picked:
            classes = picked
            continue
        infos = [
            f for c in classes for name, f in c.model_fields.items() if (f.alias or name) == step
        ]
        if not infos:
            continue  # a key of a dict field (a table name): its values are these models
        classes = [m for info in infos for m in models_in(info.annotation)]
        if not classes:
            return []
    return classes


def _tag_values(model: type[BaseModel], loc: Loc, key: str) -> list[str]:
    """The values the discriminator ``key`` may take at ``loc`` (the union members' tags)."""
    values = []
    for member in _models_at(model, loc):
        info = member.model_fields.get(key)
        if info is not None and typing.get_origin(info.annotation) is Literal:
            values.extend(str(v) for v in typing.get_args(info.annotation))
    return list(dict.fromkeys(values))


def models_in(annotation: Any) -> list[type[BaseModel]]:
    """The pydantic models inside a field's annotation (through Optional, unions, tuples...)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    if isinstance(annotation, str | types.NoneType):
        return []
    return [m for arg in typing.get_args(annotation) for m in models_in(arg)]


def _tags(model: type[BaseModel]) -> set[object]:
    """Literal values of the model's fields: the tags a discriminated union selects it by."""
    return {
        value
        for info in model.model_fields.values()
        if typing.get_origin(info.annotation) is Literal
        for value in typing.get_args(info.annotation)
    }


def _data_loc(data: Any, base: Loc, model_loc: Loc) -> Loc:
    """The error's location in the data: steps pydantic adds for a union member (its tag or
    class name, which are not keys in the file) are dropped."""
    node = data
    for step in base:
        node = node[step] if _has(node, step) else None
    out: list[str | int] = []
    for i, step in enumerate(model_loc):
        last = i == len(model_loc) - 1
        if not last and isinstance(node, dict) and not _has(node, step):
            continue  # a union member's tag or class name
        out.append(step)
        node = node[step] if _has(node, step) else None
    return tuple(out)


def _has(node: Any, step: str | int) -> bool:
    if isinstance(node, dict):
        return step in node
    return isinstance(node, list) and isinstance(step, int) and 0 <= step < len(node)
