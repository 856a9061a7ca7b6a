"""Agent assist: the suggested resolution (with a reply draft) and the customer 360 view, as
the caller's role may see them. The CLI, the cases tab, the API and MCP all go through
``AgentAssist``.

The reply draft: without an LLM, the template of ``tools.cases.suggest``; with one, the model
writes it from the cited cases and articles only (fenced as data, PII masked), and a draft that
cites anything else, or nothing, is discarded for the template (grounding is checked, not
asked for).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field, replace
from typing import Any

from assistant.authorize import authorize
from assistant.jsonable import json_safe
from assistant.planning.plans import CaseSearch
from assistant.roles import Role

__all__ = ["AgentAssist", "llm_reply", "root_cause_labels"]

_CITATION = re.compile(r"\[([^\[\]]{1,200})\]")


def root_cause_labels(catalog: Any) -> Any:
    """(code, language) -> the root cause's zh/en label from the semantic layer's code list."""
    code_list = catalog.code_lists.get("root_cause") if catalog is not None else None
    labels = {c.code: c.label for c in code_list.codes} if code_list else {}

    def label_of(code: str, language: str) -> str:
        label = labels.get(code)
        if label is None:
            return code
        return label.zh if language == "zh" else label.en

    return label_of


def _material(suggestion: Any) -> str:
    """The cited cases and articles as a JSON block (masked at indexing)."""
    items = [
        {
            "id": h.case_id,
            "complaint": h.text[:600],
            "root_cause": h.root_cause,
            "resolution": h.resolution,
        }
        for h in suggestion.cases[:8]
    ] + [
        {"id": a.case_id, "article": a.metadata.get("title", ""), "text": a.text[:800]}
        for a in suggestion.articles
    ]
    return json.dumps(items, ensure_ascii=False, indent=1)


def llm_reply(suggestion: Any, chat_model: Any) -> tuple[str, str | None]:
    """A reply drafted by ``chat_model`` from the suggestion's cited material: (text, None), or
    (the template draft, why the LLM draft was not used)."""
    from assistant.prompts import render_prompt
    from tools.pii import mask_pii

    prompt = render_prompt(
        "assist_reply",
        language="Chinese (简体中文)" if suggestion.language == "zh" else "English",
        complaint=suggestion.query,
        causes=", ".join(f"{c.label} ({c.confidence:.0%})" for c in suggestion.root_causes) or "-",
        material=_material(suggestion),
    )
    try:
        message = chat_model.invoke(prompt)
    except Exception as exc:  # the endpoint is down or timed out: the template stands
        return suggestion.reply, f"LLM unavailable ({type(exc).__name__})"
    text = str(getattr(message, "content", message) or "").strip()
    allowed = set(suggestion.cited_ids)
    cited = [part.strip() for m in _CITATION.finditer(text) for part in m.group(1).split(",")]
    if not cited:
        return suggestion.reply, "LLM draft cited no case or article"
    unknown = sorted({c for c in cited if c not in allowed})
    if unknown:
        return suggestion.reply, f"LLM draft cited ids it was not given: {', '.join(unknown[:3])}"
    return mask_pii(text), None


@dataclass
class AgentAssist:
    """Suggestions and customer profiles for the support agent, scoped by role. Stores and the
    warehouse are opened on first use (the UI builds this at start without loading a model)."""

    engine: Any = None  # the warehouse (outcomes of cases, customer data); None: without them
    catalog: Any = None
    chat_model: Any = None  # a LangChain chat model, or None: template replies
    collection: str | None = None
    kb_collection: str | None = None
    _stores: dict[str, Any] = field(default_factory=dict, repr=False)

    def _store(self, which: str) -> Any:
        if which not in self._stores:
            from tools.cases.store import open_store
            from tools.errors import CaseCollectionMissing
            from tools.knowledge.store import open_knowledge_store

            if which == "cases":
                self._stores[which] = open_store(self.collection)
            else:
                try:
                    self._stores[which] = open_knowledge_store(self.kb_collection)
                except CaseCollectionMissing:
                    return None  # no knowledge base imported: suggestions cite cases only
        return self._stores[which].refresh()  # a re-index by another process is picked up

    def suggest(
        self,
        text: str,
        role: Role,
        *,
        product_line: str | None = None,
        region: str | None = None,
        k: int = 20,
        exclude_ids: tuple[str, ...] = (),
    ) -> dict[str, Any]:
        """The suggested resolution for complaint ``text`` as JSON, from the resolved cases the
        role may see."""
        from tools.cases.outcomes import warehouse_outcomes
        from tools.cases.search import AccessScope, CaseFilters
        from tools.cases.suggest import suggest_resolution

        authorize(role, CaseSearch(text=text))
        equals: dict[str, Any] = {}
        if product_line:
            equals["product_line"] = product_line
        if region:
            equals["region"] = region
        access = AccessScope.of(**{k: list(v) for k, v in role.row_filters.items()})
        suggestion = suggest_resolution(
            self._store("cases"),
            text,
            k=k,
            filters=CaseFilters.build(equals, resolved_only=True),
            access=access if role.row_filters else None,
            outcomes=warehouse_outcomes(self.engine) if self.engine is not None else None,
            knowledge=self._store("knowledge"),
            label_of=root_cause_labels(self.catalog),
            exclude_ids=exclude_ids,
        )
        if self.chat_model is not None and suggestion.cases:
            reply, why_not = llm_reply(suggestion, self.chat_model)
            suggestion = replace(
                suggestion,
                reply=reply,
                reply_method="template" if why_not else "llm",
                notes=(*suggestion.notes, *((why_not,) if why_not else ())),
            )
        return json_safe(suggestion.to_dict())

    def customer(self, customer_id: str, role: Role, *, ops: Any = None) -> dict[str, Any]:
        """The customer 360 view as JSON: the role's regions limit which customers and tickets
        it shows; free text is PII-masked for every role."""
        from tools.customers.profile import customer_profile
        from tools.errors import WarehouseError

        authorize(role, CaseSearch(text=customer_id))  # the agent's capability: case work
        if self.engine is None:
            raise WarehouseError("The customer view needs the warehouse; start with --db.")
        regions = role.row_filters.get("region")
        return json_safe(
            customer_profile(
                self.engine,
                customer_id.strip(),
                regions=regions if role.row_filters else None,
                ops=ops,
            )
        )
