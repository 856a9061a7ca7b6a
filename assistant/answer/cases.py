"""CaseSearch -> the most similar resolved cases, within the asker's access scope.

``CaseSearcher`` is the application's one similar-case capability (the chat, the API, MCP and
the cases tab use it); heavy imports (Chroma, the embedding model) happen on first use."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from assistant.answer.base import AnswerContext, Reply, t
from assistant.authorize import authorize
from assistant.errors import AccessDenied
from assistant.jsonable import json_safe
from assistant.planning.plans import CaseSearch
from assistant.roles import Role

PLAN = CaseSearch
INDEX_MISSING = {
    "zh": "相似案例索引尚未建立。请运行：`servicepilot cases index --from-warehouse`",
    "en": "The similar-case index is missing. Build it with: "
    "`servicepilot cases index --from-warehouse`",
}
INDEX_BUSY = {
    "zh": "相似案例索引正在写入（索引任务运行中），暂时无法检索。请在索引完成后重试。",
    "en": "The similar-case index is being written by an indexing run and cannot be searched "
    "right now. Try again when indexing has finished.",
}


@dataclass
class CaseSearcher:
    """Similar-case search over the Chroma index (tools.cases), scoped by the caller's role."""

    collection: str | None = None
    _store: Any = field(default=None, repr=False)
    ready: bool = False  # set once warm() has loaded the index and the model

    def store(self) -> Any:
        if self._store is None:
            from tools.cases.store import open_store

            self._store = open_store(self.collection)
        return self._store.refresh()  # a re-index by another process is picked up

    def warm(self) -> None:
        """Open the index and load the embedding model and BM25 index now (seconds), so the
        first search does not wait for them; the server calls this in the background."""
        from tools.cases.embedding import encode
        from tools.cases.lexical import load_lexical_index
        from tools.cases.onnx_embedding import try_export_onnx

        store = self.store()
        load_lexical_index(store.collection, store.target.label, store.revision, store.cache_dir)
        try_export_onnx(store.model_dir, store.cache_dir)  # once; older indexes have none
        encode(["warm up"], store.model_dir, onnx_cache=store.cache_dir)
        self.ready = True

    def search(
        self,
        text: str,
        role: Role,
        *,
        k: int = 10,
        product_line: str | None = None,
        region: str | None = None,
        resolved_only: bool = False,
        date_from: date | str | None = None,
        date_to: date | str | None = None,
        equals: dict[str, Any] | None = None,
    ) -> list[dict[str, Any]]:
        """Hits as JSON; ``equals`` maps any case field to allowed values (the tools' filters),
        ``product_line``/``region`` are the UI's single-value pickers."""
        from tools.cases.search import AccessScope, CaseFilters, search_cases

        authorize(role, CaseSearch(text=text))
        equals = dict(equals or {})
        if product_line:
            equals["product_line"] = product_line
        if region:
            equals["region"] = region
        filters = CaseFilters.build(
            equals,
            resolved_only=resolved_only,
            date_from=date_from or None,
            date_to=date_to or None,
        )
        access = AccessScope.of(**{k: list(v) for k, v in role.row_filters.items()})
        hits = search_cases(
            self.store(), text, k=k, filters=filters, access=access if role.row_filters else None
        )
        return [json_safe(h.to_dict()) for h in hits]


def handle(plan: CaseSearch, ctx: AnswerContext) -> Reply:
    from tools.errors import CaseCollectionMissing, CaseIndexBusy, CaseIndexError

    language, searcher = ctx.language, ctx.services.cases
    if searcher is None:
        return Reply(
            t(
                language,
                "相似案例索引尚未建立：请先运行 `servicepilot cases index`。",
                "The similar-case index is not available: run `servicepilot cases index`.",
            )
        )
    equals = {f.field: f.values[0] for f in plan.filters if f.op == "=" and f.values}
    try:
        hits = searcher.search(
            plan.text,
            ctx.role,
            k=5,
            product_line=equals.get("product_line"),
            region=equals.get("region"),
            resolved_only=True,
        )
    except CaseCollectionMissing:
        return Reply(INDEX_MISSING[language])
    except CaseIndexBusy:
        return Reply(INDEX_BUSY[language])
    except CaseIndexError as exc:  # e.g. the Chroma server is down: say so, not "build it"
        return Reply(str(exc))
    except AccessDenied as exc:
        return Reply(exc.text(language))
    if not hits:
        return Reply(t(language, "没有找到相似案例。", "No similar cases found."))

    def cause_label(code: str) -> str:
        return ctx.services.lexicon.value_label("root_cause", code, language)

    lines = [
        f"{h['rank']}. {h['case_id']} — {(h['resolution'] or '-')[:120]}"
        + (f" ({cause_label(h['root_cause'])})" if h.get("root_cause") else "")
        for h in hits
    ]
    head = t(language, "最相似的已解决案例：", "Most similar resolved cases:")
    return Reply(head + "\n" + "\n".join(lines), payload={"hits": hits})
