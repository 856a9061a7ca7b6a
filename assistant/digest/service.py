"""One call that builds, renders, writes and sends a digest — used by ``servicepilot digest``
and by the scheduler in ``servicepilot serve``."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Any


def produce_digest(
    *,
    period: str,
    lang: str,
    fmt: str,
    role: str | None,
    user: str | None = None,
    region: str | None = None,
    to: list[str] | None = None,
    out: Path | None = None,
    config_file: str | None = None,
    today: date | None = None,
    now: datetime | None = None,
    db: str | None = None,
    app: Any = None,
    sleep: Any = None,
) -> dict[str, Any]:
    """Build the digest as ``role`` (``app``: an application to reuse, else one is built over
    ``db``), write it to ``out`` (default without ``to``: ``digest-PERIOD-START.FMT``), send it
    to ``to``. Returns subject, file, sent and failed deliveries."""
    from assistant.app import build_app
    from assistant.digest.build import build_digest
    from assistant.digest.render import render, render_pdf
    from tools.audit import open_ops_store
    from tools.settings import load_settings

    settings = load_settings()
    now = now or datetime.now().replace(microsecond=0)
    own_app = app is None
    if own_app:
        app = build_app(settings, "cli", warehouse=db, today=today, audit=False)
    ops = open_ops_store(settings)
    try:
        # Recipients are checked before the (slow) build, so a typo fails at once.
        channels, config, recipients = _recipients(to or [], config_file, settings)
        digest = build_digest(
            app,
            period=period,  # type: ignore[arg-type]
            language=lang,
            role=role,
            user=user,
            region=region,
            today=today or app.today,
            now=now,
            ops_store=ops,
        )
        page = render(digest, app, inline=True)
        pdf = render_pdf(page.html) if fmt == "pdf" else None
        file = None
        if out is not None or not recipients:
            file = out or Path(f"digest-{period}-{digest.start}.{fmt}")
            file.parent.mkdir(parents=True, exist_ok=True)
            if pdf is not None:
                file.write_bytes(pdf)
            else:
                file.write_text(page.html, encoding="utf-8")
        sent: list[str] = []
        failed: list[str] = []
        if recipients:
            from assistant.digest.send import send_digest
            from tools.notify.store import NotifyStore

            mail_page = render(digest, app, inline=False)  # images as cid: parts
            report = send_digest(
                digest,
                mail_page,
                recipients,
                channels=channels,
                store=NotifyStore(ops),
                now=now,
                retries=config.delivery.retries,
                backoff_s=config.delivery.backoff_s,
                pdf=pdf,
                sleep=sleep,
            )
            sent, failed = report.sent, report.failed
        return {
            "subject": page.subject,
            "file": str(file) if file else None,
            "period": [digest.start.isoformat(), digest.end.isoformat()],
            "sent": sent,
            "failed": failed,
        }
    finally:
        ops.close()
        if own_app:
            app.close()


def _recipients(to: list[str], config_file: str | None, settings: Any) -> tuple[Any, Any, list]:
    if not to:
        return {}, None, []
    from assistant import plugins
    from assistant.digest.send import resolve_recipients
    from tools.notify.channels import build_channel
    from tools.notify.config import load_notify_config

    config = load_notify_config(Path(config_file or settings.resolved_notify_file))
    channels = {c.name: c for c in plugins.notification_channels()}
    channels.update({spec.name: build_channel(spec) for spec in config.channels})
    return channels, config, resolve_recipients(to, channels, config)
