"""Prompts, one file each in this folder, behind one loader.

``load_prompt("planner_system")`` returns the text of ``planner_system.md``; a missing file is a
``PromptNotFoundError`` that lists the prompts that exist. Templates mark their slots as
``{{name}}`` (not ``str.format``: prompts contain JSON braces); ``render_prompt`` fills them and
refuses a slot left empty or a value with no slot, so a renamed placeholder fails loudly.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

from assistant.errors import AssistantError

PROMPT_DIR = Path(__file__).resolve().parent
_SLOT = re.compile(r"\{\{\s*([a-z_][a-z0-9_]*)\s*\}\}")


class PromptNotFoundError(AssistantError):
    """A prompt file that does not exist (a typo, or a file left out of the package)."""

    exit_code = 2


def available_prompts() -> list[str]:
    return sorted(p.stem for p in PROMPT_DIR.glob("*.md"))


@lru_cache(maxsize=32)
def load_prompt(name: str) -> str:
    """The text of ``assistant/prompts/<name>.md``."""
    path = PROMPT_DIR / f"{name}.md"
    if not re.fullmatch(r"[a-z0-9_]+", name) or not path.is_file():
        raise PromptNotFoundError(
            f"No prompt named '{name}' (looked for {path}). Available prompts: "
            f"{', '.join(available_prompts()) or '(none)'}. Add the file or fix the name; "
            "prompt files must be packaged (pyproject package-data includes *.md)."
        )
    return path.read_text(encoding="utf-8").strip() + "\n"


def prompt_slots(name: str) -> set[str]:
    return set(_SLOT.findall(load_prompt(name)))


def render_prompt(name: str, **values: object) -> str:
    """``load_prompt(name)`` with every ``{{slot}}`` replaced by ``values[slot]``."""
    text = load_prompt(name)
    slots = set(_SLOT.findall(text))
    missing, extra = slots - set(values), set(values) - slots
    if missing or extra:
        raise ValueError(
            f"Prompt '{name}' has slots {sorted(slots)}; missing values for {sorted(missing)}, "
            f"no slot for {sorted(extra)}."
        )
    return _SLOT.sub(lambda m: str(values[m.group(1)]), text)
