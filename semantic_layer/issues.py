"""A problem found in the spec: where it is (file:line), what is wrong and how to fix it."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Literal


@dataclass(frozen=True)
class Issue:
    rule: str
    message: str
    fix: str
    file: str = ""
    line: int | None = None
    item: str = ""
    severity: Literal["error", "warning"] = "error"

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file or "(spec)"
        item = f" [{self.item}]" if self.item else ""
        return f"{where}{item} {self.message} Fix: {self.fix}"

    def to_dict(self) -> dict[str, object]:
        return asdict(self)
