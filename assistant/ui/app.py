"""Build and launch the Gradio app: four tabs, a zh/en switch, login, and API endpoints."""

from __future__ import annotations

import inspect
from typing import Any

import gradio as gr
from starlette.middleware import Middleware

from assistant.roles import get_role
from assistant.ui.auth import ClientAddressMiddleware
from assistant.ui.cases_tab import build_cases_tab
from assistant.ui.catalog_tab import build_catalog_tab
from assistant.ui.chat_tab import build_chat_tab
from assistant.ui.cockpit_tab import build_cockpit_tab
from assistant.ui.context import UIContext
from assistant.ui.drill import DRILL_CSS
from assistant.ui.health import HealthMiddleware, banner_text
from assistant.ui.i18n import Translator, t
from assistant.ui.image_export import MODEBAR_CSS
from assistant.ui.preload import preload_head
from assistant.ui.progress import progress_targets
from assistant.ui.tasks_panel import build_tasks_tab

SET_PAGE_LANG = "(lang) => { document.documentElement.lang = lang === 'zh' ? 'zh-CN' : 'en'; }"
HEALTH_POLL_S = 30  # how often an open page re-checks the warehouse under the server

CSS = (
    """
.sp-kpis {display:flex; flex-wrap:wrap; gap:12px;}
.sp-period {color:#6b7280; margin-bottom:6px;}
"""
    + DRILL_CSS
)


def build_app(ctx: UIContext) -> gr.Blocks:
    lang = ctx.default_language
    tr = Translator(lang)
    with gr.Blocks(title="ServicePilot") as app:
        health_banner = gr.Markdown(visible=False, elem_id="sp-health")
        with gr.Row():
            title = tr.add(gr.Markdown(f"## {t(lang, 'title')}"), "title", "value")
            who = gr.Markdown(elem_id="sp-whoami")
            lang_radio = gr.Radio(
                [("中文", "zh"), ("English", "en")],
                value=lang,
                label=t(lang, "language"),
                elem_id="sp-lang",
                scale=0,
            )
        # Every tab starts hidden; the signed-in role shows its own (role_tabs) on load.
        with gr.Tabs(elem_id="sp-tabs") as tabs:
            with gr.Tab(t(lang, "tab_chat"), id="chat", visible=False) as chat_tab:
                build_chat_tab(ctx, tr, lang_radio)
            with gr.Tab(t(lang, "tab_cases"), id="cases", visible=False) as cases_tab:
                build_cases_tab(ctx, tr, lang_radio)
            with gr.Tab(t(lang, "tab_cockpit"), id="cockpit", visible=False) as cockpit_tab:
                build_cockpit_tab(ctx, tr, lang_radio, cockpit_tab)
            with gr.Tab(t(lang, "tab_catalog"), id="catalog", visible=False) as catalog_tab:
                build_catalog_tab(ctx, tr, lang_radio)
            with gr.Tab(t(lang, "tab_tasks"), id="tasks", visible=False) as tasks_tab:
                build_tasks_tab(ctx, tr, lang_radio, tasks_tab)
        for tab, key in (
            (chat_tab, "tab_chat"),
            (cases_tab, "tab_cases"),
            (cockpit_tab, "tab_cockpit"),
            (catalog_tab, "tab_catalog"),
            (tasks_tab, "tab_tasks"),
        ):
            tr.add(tab, key)
        tr.add(lang_radio, "language")

        def whoami(lang_value: str, request: gr.Request) -> str:
            user, role = ctx.identity(request)
            return t(lang_value, "signed_in", user=user, role=ctx.role_label(role, lang_value))

        def switch(lang_value: str, request: gr.Request) -> list[Any]:
            updates = tr.updates(lang_value)
            updates[0] = gr.update(value=f"## {t(lang_value, 'title')}")  # title keeps its ##
            return [*updates, whoami(lang_value, request)]

        app.load(whoami, lang_radio, who, api_visibility="private")
        tab_list = [chat_tab, cases_tab, cockpit_tab, catalog_tab, tasks_tab]

        def show_tabs(request: gr.Request) -> list[Any]:
            _, role = ctx.identity(request)
            allowed = role_tabs(role)
            shown = [gr.update(visible=tab.id in allowed) for tab in tab_list]
            return [*shown, gr.Tabs(selected=allowed[0])]

        # progress on a leaf, not on the tabs (see progress_targets)
        app.load(
            show_tabs,
            None,
            [*tab_list, tabs],
            api_visibility="private",
            show_progress="hidden",
            show_progress_on=who,
        )
        # The page's lang attribute follows the choice (screen readers, fonts, hyphenation).
        app.load(None, lang_radio, None, js=SET_PAGE_LANG)
        if ctx.warehouse_watch is not None:
            watch = ctx.warehouse_watch

            def health() -> Any:
                text = banner_text(watch.check())
                return gr.update(value=text, visible=bool(text))

            app.load(health, None, health_banner, api_visibility="private")
            gr.Timer(HEALTH_POLL_S).tick(health, None, health_banner, api_visibility="private")
        relabelled = [*tr.components, who]
        lang_radio.change(
            switch,
            lang_radio,
            relabelled,
            api_visibility="private",
            show_progress_on=progress_targets(relabelled),
        )
        lang_radio.change(None, lang_radio, None, js=SET_PAGE_LANG)
        assert tr.items[0][0] is title
        _register_api(ctx)
    return app


def role_tabs(role: str | None) -> tuple[str, ...]:
    """The tab ids a role sees (``Role.tabs``): executives and managers chat + cockpit,
    agents similar cases, analysts chat + catalog (with the evals)."""
    return get_role(role).tabs()


def _register_api(ctx: UIContext) -> None:
    """Named endpoints for ``gradio_client``, one per shared tool (``assistant.toolset``), with
    the tools' own arguments; the role is the signed-in user's, never an argument."""
    from assistant.api import AppBackend, tools

    def backend(request: gr.Request | None = None) -> AppBackend:
        user, role = ctx.identity(request)
        return AppBackend(ctx.api, role, user)

    for tool in tools():
        gr.api(
            _gradio_endpoint(tool, backend), api_name=tool.name, api_description=tool.description
        )


def _gradio_endpoint(tool: Any, backend: Any) -> Any:
    """Gradio passes an endpoint's arguments by position and injects the request."""
    from assistant.api import tool_endpoint

    endpoint = tool_endpoint(tool, backend)
    names = list(tool.arguments.model_fields)

    def call(*args: Any, **kwargs: Any) -> Any:
        values, request = list(args), kwargs.pop("request", None)
        if values and isinstance(values[-1], gr.Request):  # Gradio passes it last, by position
            request = values.pop()
        return endpoint(request=request, **dict(zip(names, values, strict=False)), **kwargs)

    params = [
        p.replace(kind=inspect.Parameter.POSITIONAL_OR_KEYWORD)
        for p in inspect.signature(endpoint).parameters.values()
    ]
    request = inspect.Parameter(
        "request", inspect.Parameter.POSITIONAL_OR_KEYWORD, default=None, annotation=gr.Request
    )
    returns = inspect.signature(endpoint).return_annotation
    call.__signature__ = inspect.Signature([*params, request], return_annotation=returns)  # type: ignore[attr-defined]
    call.__annotations__ = {**endpoint.__annotations__, "request": gr.Request}
    call.__name__ = call.__qualname__ = tool.name
    call.__doc__ = tool.description
    return call


def launch(ctx: UIContext, *, host: str = "127.0.0.1", port: int = 7860) -> None:
    """Serve until interrupted (blocking)."""
    from assistant import trace

    trace.start_sampler()  # only when SERVICEPILOT_TRACE names a file
    app = build_app(ctx)
    auth = login_check(ctx)
    middleware = [Middleware(ClientAddressMiddleware)]
    if ctx.warehouse_watch is not None:
        middleware.append(Middleware(HealthMiddleware, probe=_probe(ctx.warehouse_watch)))
    middleware.append(ingest_middleware())
    app.queue(default_concurrency_limit=8).launch(
        app_kwargs={"middleware": middleware},
        server_name=host,
        server_port=port,
        auth=auth,
        auth_message="ServicePilot — 请登录 / please sign in",
        ssr_mode=False,
        show_error=True,
        footer_links=["api"],
        theme=gr.themes.Soft(),
        css=CSS + MODEBAR_CSS,
        head=preload_head(),  # the chart library loads while the page is idle
    )


def login_check(ctx: UIContext) -> Any:
    """The auth callable for Gradio: the throttled Gatekeeper's coroutine function (Gradio
    awaits it only if ``inspect.iscoroutinefunction`` holds), else the plain directory check,
    or None without login."""
    if ctx.login is not None:
        return ctx.login.authenticate
    return ctx.users.authenticate if ctx.users is not None else None


def _probe(watch: Any) -> Any:
    return lambda: [watch.check()]


def ingest_middleware() -> Any:
    """``POST /ingest/events`` into the ingest writer's inbox (docs/ingest.md)."""
    from assistant.ui.ingest_api import IngestMiddleware
    from tools.ingest.keys import IngestKeys
    from tools.ingest.writer import Inbox
    from tools.settings import load_settings

    ingest_dir = load_settings().data_dir / "ingest"
    keys = IngestKeys.load(ingest_dir / "keys.yml")
    return Middleware(IngestMiddleware, keys=keys, inbox=Inbox(ingest_dir))
