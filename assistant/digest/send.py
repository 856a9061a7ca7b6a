"""Deliver a digest through the notification channels (``tools.notify``): masked for personal
data, retried with backoff, every attempt recorded in ``sp_delivery`` (to whom, when, status,
attempts, the last error) like the alerts' messages. A recipient is a channel name from the
notify config (its own recipients) or an e-mail address (sent through the config's first
e-mail channel)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from assistant.digest.build import Digest
from assistant.digest.render import Rendered
from assistant.errors import AssistantError


class DigestRecipientError(AssistantError):
    """A ``--to`` that names no configured channel, or an address with no e-mail channel."""

    exit_code = 2  # a configuration problem, as an invalid notify file


@dataclass
class DeliveryReport:
    sent: list[str] = field(default_factory=list)  # "channel -> recipients"
    failed: list[str] = field(default_factory=list)  # "channel: error"


def topic(digest: Digest) -> str:
    """The digest's identity in ``sp_delivery``: period, start, role and scope."""
    scope = ",".join(f"{k}={v}" for k, v in sorted(digest.scope.items())) or "all"
    return f"digest:{digest.period}:{digest.start}:{digest.role.name}:{scope}"[:64]


def resolve_recipients(
    to: list[str], channels: dict[str, Any], config: Any
) -> list[tuple[str, tuple[str, ...]]]:
    """(channel name, e-mail addresses) per ``--to``; addresses go through the first e-mail
    channel. Refuses unknown names at once, naming the channels there are."""
    from tools.notify.config import EmailSpec

    mail = next((c.name for c in config.channels if isinstance(c, EmailSpec)), None)
    out: list[tuple[str, tuple[str, ...]]] = []
    for target in to:
        if "@" in target:
            if mail is None:
                raise DigestRecipientError(
                    f"Cannot send to {target}: the notify config has no e-mail channel "
                    "(add one with kind: email under channels:)."
                )
            out.append((mail, (target,)))
        elif target in channels:
            out.append((target, ()))
        else:
            from semantic_layer.errors import closest

            hint = closest(target, list(channels))
            raise DigestRecipientError(
                f"Unknown channel '{target}'.{f' Did you mean {hint!r}?' if hint else ''} "
                f"Channels: {', '.join(sorted(channels)) or 'none'} (notify config), or give "
                "an e-mail address."
            )
    return out


def send_digest(
    digest: Digest,
    rendered: Rendered,
    recipients: list[tuple[str, tuple[str, ...]]],
    *,
    channels: dict[str, Any],
    store: Any,
    now: datetime,
    retries: int,
    backoff_s: float,
    pdf: bytes | None = None,
    sleep: Any = None,
) -> DeliveryReport:
    """Send ``rendered`` (built with ``inline=False``: images as ``cid:``) to each recipient;
    the PDF, when given, rides along as an attachment of e-mails."""
    from tools.notify.channels import Message, deliver

    report = DeliveryReport()
    data = {
        "event": "digest",
        "period": digest.period,
        "start": digest.start.isoformat(),
        "end": digest.end.isoformat(),
        "role": digest.role.name,
        "scope": digest.scope,
        "kpis": [
            {"metric": k.name, "value": k.value, "previous": k.previous, "change": k.change}
            for k in digest.kpis
        ],
    }
    attachments = ()
    if pdf is not None:
        name = f"servicepilot-{digest.period}-{digest.start}.pdf"
        attachments = ((name, "application/pdf", pdf),)
    for name, addresses in recipients:
        message = Message(
            subject=rendered.subject,
            text=rendered.text,
            html=rendered.html,
            data=data,
            to=addresses,
            images=rendered.images,
            attachments=attachments,
        )
        extra = {"sleep": sleep} if sleep is not None else {}
        outcome = deliver(channels[name], message, retries=retries, backoff_s=backoff_s, **extra)
        store.record_delivery(
            now,
            topic=topic(digest),
            event="digest",
            owner=digest.user or digest.role.name,
            channel=name,
            recipients=", ".join(addresses),
            subject=message.subject,
            body=message.masked().text,
            status=outcome.status,
            attempts=outcome.attempts,
            error=outcome.error,
        )
        who = f"{name} -> {', '.join(addresses)}" if addresses else name
        if outcome.status == "sent":
            report.sent.append(who)
        else:
            report.failed.append(f"{who}: {outcome.error}")
    return report
