"""The notification tests' local receivers (HTTP webhook server, aiosmtpd SMTP server)."""

from tests.notify.conftest import http_receiver, smtp_receiver  # noqa: F401
