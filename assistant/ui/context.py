"""What the UI needs at run time, built once at startup by ``servicepilot serve``."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import gradio as gr

from assistant.api import ServicePilotAPI
from assistant.roles import get_role
from assistant.ui.auth import Gatekeeper, UserDirectory
from assistant.ui.result_cache import ResultCache
from semantic_layer.catalog import Catalog
from semantic_layer.catalog_loader import default_catalog, load_catalog
from tools.feedback import FeedbackStore
from tools.health import WarehouseWatch
from tools.monitoring.targets import Targets, load_targets

EvalRunner = Callable[[], dict[str, Any]]
CATALOG_ADMIN_ROLES = frozenset({"analyst"})


def reload_default_catalog() -> Catalog:
    """Re-read the YAML definitions (raises SpecError listing every problem)."""
    catalog = load_catalog()
    default_catalog.cache_clear()
    return catalog


@dataclass
class UIContext:
    api: ServicePilotAPI
    users: UserDirectory | None = None  # None: no login, everyone is ``default_role``
    default_role: str | None = None
    feedback: FeedbackStore | None = None
    eval_runner: EvalRunner | None = None
    catalog_loader: Callable[[], Catalog] = reload_default_catalog
    default_language: str = "zh"
    login: Gatekeeper | None = None  # throttled, audited login check (None: users.authenticate)
    warehouse_watch: WarehouseWatch | None = None  # the warehouse the server started on
    # cockpit targets (analysts' targets.yml), checked against the app's catalog: a bad
    # packaged file fails at start-up
    targets: Targets | None = None
    # the cockpit's certified results per (role, query, data version): back and repeated
    # drills answer from memory, never after new data
    results: ResultCache | None = None

    def __post_init__(self) -> None:
        if self.targets is None:
            self.targets = load_targets(None, self.api.catalog)
        if self.results is None:
            self.results = ResultCache.over(self.api)

    def identity(self, request: gr.Request | None) -> tuple[str, str | None]:
        """(username, role) of the caller; the role comes from the users file only."""
        username = getattr(request, "username", None) if request is not None else None
        if self.users is None:
            return username or "local", self.default_role
        role = self.users.role_of(username)
        if role is None:
            raise PermissionError("Not signed in.")
        return str(username), role

    def role_label(self, role: str | None, lang: str) -> str:
        label = get_role(role).label
        return label.zh if lang == "zh" else label.en
