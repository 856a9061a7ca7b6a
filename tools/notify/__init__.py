"""Outbound notifications: channels configured in YAML (webhook, 企业微信 / 钉钉 / 飞书 group
robots, e-mail over SMTP), alert routing to owners with dedup, cool-down, follow-up and
escalation, and a delivery record of every message sent (docs/proactive.md).

Knows nothing of chat: the CLI (``servicepilot alerts notify``) and the scheduler call it, and
pass in the wording (``assistant.messages.msg``) so the catalog stays in one place.
"""

from tools.notify.channels import Channel, DeliveryError, Message, build_channel
from tools.notify.config import NotifyConfig, NotifyConfigError, load_notify_config

__all__ = [
    "Channel",
    "DeliveryError",
    "Message",
    "NotifyConfig",
    "NotifyConfigError",
    "build_channel",
    "load_notify_config",
]
