"""The built-in channel kinds and the one sending path (mask, send, retry with backoff).

Robot bodies follow each vendor's documented group-robot format:
企业微信 ``{"msgtype": "markdown", "markdown": {"content": ...}}``; 钉钉
``{"msgtype": "markdown", "markdown": {"title", "text"}}`` (signed: ``timestamp`` and ``sign``
= base64 HMAC-SHA256 of "timestamp\\nsecret" in the query); 飞书 ``{"msg_type": "text",
"content": {"text": ...}}`` (signed: ``timestamp`` and ``sign`` in the body). A robot answers
HTTP 200 with a non-zero ``errcode``/``code`` when it refuses a message, so both are checked.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import smtplib
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from email.message import EmailMessage
from typing import Any, Protocol

from tools.errors import ServicePilotError
from tools.notify.config import EmailSpec, RobotSpec, WebhookSpec
from tools.pii import mask_pii


class DeliveryError(ServicePilotError):
    """A channel could not deliver a message (after its retries)."""


@dataclass(frozen=True)
class Message:
    """One outbound message: ``text`` is markdown-light plain text (robots, webhook), ``html``
    the e-mail body, ``data`` structured fields for webhooks; ``to`` e-mail recipients;
    ``images`` (content id, PNG bytes) the HTML shows as ``<img src="cid:ID">`` (e-mail sends
    them as inline parts); ``attachments`` (file name, MIME type, bytes), e.g. a digest PDF."""

    subject: str
    text: str
    html: str = ""
    data: dict[str, Any] = field(default_factory=dict)
    to: tuple[str, ...] = ()
    images: tuple[tuple[str, bytes], ...] = ()
    attachments: tuple[tuple[str, str, bytes], ...] = ()

    def masked(self) -> Message:
        """Personal data masked in every text the message carries (not the addresses)."""
        return replace(
            self,
            subject=mask_pii(self.subject),
            text=mask_pii(self.text),
            html=mask_pii(self.html),
            data=_mask_json(self.data),
        )


def _mask_json(value: Any) -> Any:
    if isinstance(value, str):
        return mask_pii(value)
    if isinstance(value, dict):
        return {k: _mask_json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_mask_json(v) for v in value]
    return value


class Channel(Protocol):
    name: str

    def send(self, message: Message) -> None: ...


def _post_json(url: str, body: dict[str, Any], headers: dict[str, str], timeout: float) -> Any:
    request = urllib.request.Request(
        url,
        data=json.dumps(body, ensure_ascii=False).encode("utf-8"),
        headers={"Content-Type": "application/json; charset=utf-8", **headers},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            payload = response.read()
    except urllib.error.HTTPError as exc:
        raise DeliveryError(f"HTTP {exc.code} from {_host(url)}") from exc
    except (urllib.error.URLError, OSError) as exc:
        raise DeliveryError(f"cannot reach {_host(url)}: {getattr(exc, 'reason', exc)}") from exc
    try:
        return json.loads(payload) if payload else None
    except ValueError:
        return None


def _host(url: str) -> str:
    # Robot URLs carry their access token in the query: never echo it into an error.
    parts = urllib.parse.urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}{parts.path}"


@dataclass(frozen=True)
class WebhookChannel:
    spec: WebhookSpec

    @property
    def name(self) -> str:
        return self.spec.name

    def send(self, message: Message) -> None:
        body = {"subject": message.subject, "text": message.text, "data": message.data}
        _post_json(self.spec.url, body, self.spec.headers, self.spec.timeout_s)


@dataclass(frozen=True)
class RobotChannel:
    spec: RobotSpec
    clock: Callable[[], float] = time.time

    @property
    def name(self) -> str:
        return self.spec.name

    def body(self, message: Message) -> tuple[str, dict[str, Any]]:
        """The URL (signed for 钉钉) and the JSON body in the robot's format."""
        kind, url = self.spec.kind, self.spec.url
        secret = os.environ.get(self.spec.secret_env) if self.spec.secret_env else None
        if self.spec.secret_env and not secret:
            raise DeliveryError(
                f"channel '{self.name}': environment variable {self.spec.secret_env} is empty "
                "(set it to the robot's signing secret)"
            )
        if kind == "wecom":
            return url, {"msgtype": "markdown", "markdown": {"content": message.text}}
        if kind == "dingtalk":
            if secret:
                stamp = str(int(self.clock() * 1000))
                digest = hmac.new(secret.encode(), f"{stamp}\n{secret}".encode(), hashlib.sha256)
                sign = urllib.parse.quote_plus(base64.b64encode(digest.digest()))
                url = f"{url}{'&' if '?' in url else '?'}timestamp={stamp}&sign={sign}"
            return url, {
                "msgtype": "markdown",
                "markdown": {"title": message.subject, "text": message.text},
            }
        body: dict[str, Any] = {"msg_type": "text", "content": {"text": message.text}}
        if secret:  # 飞书: the key is "timestamp\nsecret", the message empty
            stamp = str(int(self.clock()))
            digest = hmac.new(f"{stamp}\n{secret}".encode(), b"", hashlib.sha256).digest()
            body = {"timestamp": stamp, "sign": base64.b64encode(digest).decode(), **body}
        return url, body

    def send(self, message: Message) -> None:
        url, body = self.body(message)
        answer = _post_json(url, body, {}, self.spec.timeout_s)
        if isinstance(answer, dict):
            code = answer.get("errcode", answer.get("code", answer.get("StatusCode", 0)))
            if code not in (0, None):
                detail = answer.get("errmsg") or answer.get("msg") or ""
                raise DeliveryError(f"{self.spec.kind} robot refused the message: {code} {detail}")


@dataclass(frozen=True)
class EmailChannel:
    spec: EmailSpec

    @property
    def name(self) -> str:
        return self.spec.name

    def send(self, message: Message) -> None:
        recipients = message.to or self.spec.to
        if not recipients:
            raise DeliveryError(f"channel '{self.name}': no recipients (set `to:` or owner email)")
        mail = EmailMessage()
        mail["Subject"] = message.subject
        mail["From"] = self.spec.sender
        mail["To"] = ", ".join(recipients)
        mail.set_content(message.text)
        if message.html:
            mail.add_alternative(message.html, subtype="html")
            html_part = mail.get_payload()[-1]
            for cid, png in message.images:  # multipart/related beside the HTML
                html_part.add_related(png, "image", "png", cid=f"<{cid}>", filename=f"{cid}.png")
        for name, mime, payload in message.attachments:
            main, _, sub = mime.partition("/")
            mail.add_attachment(payload, maintype=main, subtype=sub, filename=name)
        password = os.environ.get(self.spec.password_env) if self.spec.password_env else None
        try:
            with smtplib.SMTP(self.spec.host, self.spec.port, timeout=self.spec.timeout_s) as smtp:
                if self.spec.starttls:
                    smtp.starttls()
                if self.spec.username:
                    smtp.login(self.spec.username, password or "")
                smtp.send_message(mail)
        except (smtplib.SMTPException, OSError) as exc:
            raise DeliveryError(f"SMTP {self.spec.host}:{self.spec.port}: {exc}") from exc


def build_channel(spec: WebhookSpec | RobotSpec | EmailSpec) -> Channel:
    """The built-in channel for a configured spec."""
    if isinstance(spec, WebhookSpec):
        return WebhookChannel(spec)
    if isinstance(spec, RobotSpec):
        return RobotChannel(spec)
    return EmailChannel(spec)


@dataclass(frozen=True)
class Outcome:
    status: str  # sent | failed
    attempts: int
    error: str | None = None


def deliver(
    channel: Channel,
    message: Message,
    *,
    retries: int,
    backoff_s: float,
    sleep: Callable[[float], None] = time.sleep,
) -> Outcome:
    """Send ``message`` masked, retrying ``retries`` times with doubling waits; never raises
    for a delivery failure (the caller records the failed state)."""
    masked = message.masked()
    error: str | None = None
    for attempt in range(1, retries + 2):
        try:
            channel.send(masked)
            return Outcome("sent", attempt)
        except DeliveryError as exc:
            error = str(exc)
        except Exception as exc:  # an extension's channel: record it, as any failure
            error = f"{type(exc).__name__}: {exc}"
        if attempt <= retries:
            sleep(backoff_s * 2 ** (attempt - 1))
    return Outcome("failed", retries + 1, error)
