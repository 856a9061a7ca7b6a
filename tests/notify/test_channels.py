"""Channel config validation (file:line), robot message formats and signing, masking of
personal data, retries and the failure state — against a real local HTTP server."""

from __future__ import annotations

import base64
import hashlib
import hmac
import socket
import urllib.parse

import pytest

from assistant import plugins
from tests.notify.conftest import HttpReceiver
from tools.notify.channels import Message, RobotChannel, build_channel, deliver
from tools.notify.config import NotifyConfigError, parse_notify_config

BAD = """\
channels:
  - {name: hook, kind: webhook, url: "http://127.0.0.1:9/x", timeout: 3}
  - {name: robot, kind: dingding, url: "http://127.0.0.1:9/r"}
  - {name: mail, kind: email, sender: "not-an-address", host: localhost}
owners:
  - name: ops
    channels: [hook, mial]
    escalate_after: soon
    escalate_to: boss
"""


def test_invalid_config_lists_every_problem_with_file_and_line() -> None:
    with pytest.raises(NotifyConfigError) as err:
        parse_notify_config(BAD, "notify.yml")
    assert err.value.problems == [
        "notify.yml:2: channel 'hook', field 'timeout': unknown key. Did you mean 'timeout_s'? "
        "Valid keys: name, kind, url, headers, timeout_s.",
        "notify.yml:3: channel 'robot', field 'kind': unknown kind 'dingding'. "
        "Valid kinds: webhook, wecom, dingtalk, feishu, email.",
        "notify.yml:4: channel 'mail', field 'sender': 'not-an-address' is not "
        "an e-mail address like alerts@example.com.",
        "notify.yml:8: owner 'ops', field 'escalate_after': 'soon' is not a "
        "duration; write e.g. 30m, 2h or 1d.",
    ]


def test_unknown_references_are_refused_with_their_line() -> None:
    text = """\
channels:
  - {name: hook, kind: webhook, url: "http://127.0.0.1:9/x"}
owners:
  - name: ops
    channels: [hook, hoook]
    escalate_after: 2h
    escalate_to: bosss
  - {name: boss, channels: [hook]}
"""
    with pytest.raises(NotifyConfigError) as err:
        parse_notify_config(text, "n.yml")
    assert err.value.problems == [
        "n.yml:5: owner 'ops', field 'channels.1': unknown channel 'hoook'. Did you mean "
        "'hook'? Channels: hook.",
        "n.yml:7: owner 'ops', field 'escalate_to': unknown owner 'bosss'. Did you mean 'boss'?",
    ]


def test_owner_scope_most_specific_wins() -> None:
    config = parse_notify_config(
        """\
channels: [{name: h, kind: webhook, url: "http://127.0.0.1:9/"}]
owners:
  - {name: quality, channels: [h]}
  - {name: quality, kind: person, scope: {region: east}, channels: [h]}
"""
    )
    assert config.owner("quality", {"region": "east", "category": "x"}).scope == {"region": "east"}
    assert config.owner("quality", {"region": "north"}).scope == {}
    assert config.owner("nobody", {}) is None


def _robots(url: str) -> str:
    return f"""\
channels:
  - {{name: wx, kind: wecom, url: "{url}/wecom?key=K"}}
  - {{name: dd, kind: dingtalk, url: "{url}/dingtalk?access_token=T", secret_env: DD_SECRET}}
  - {{name: fs, kind: feishu, url: "{url}/feishu", secret_env: FS_SECRET}}
"""


def test_robot_formats_and_signatures(http_receiver: HttpReceiver, monkeypatch) -> None:
    monkeypatch.setenv("DD_SECRET", "SECdd")
    monkeypatch.setenv("FS_SECRET", "SECfs")
    config = parse_notify_config(_robots(http_receiver.url))
    message = Message(subject="【红色预警】投诉量", text="### 投诉量异常\n华东区")
    for spec in config.channels:
        channel = build_channel(spec)
        if isinstance(channel, RobotChannel):
            channel = RobotChannel(spec, clock=lambda: 1_700_000_000.5)
        assert deliver(channel, message, retries=0, backoff_s=0).status == "sent"

    assert http_receiver.bodies("/wecom") == [
        {"msgtype": "markdown", "markdown": {"content": "### 投诉量异常\n华东区"}}
    ]
    assert http_receiver.bodies("/dingtalk") == [
        {"msgtype": "markdown", "markdown": {"title": "【红色预警】投诉量", "text": message.text}}
    ]
    # 钉钉: sign = base64(HMAC-SHA256(key=secret, msg="timestamp\nsecret")), in the query.
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(http_receiver.posts[1][0]).query)
    expected = hmac.new(b"SECdd", b"1700000000500\nSECdd", hashlib.sha256).digest()
    assert query["timestamp"] == ["1700000000500"] and query["access_token"] == ["T"]
    assert query["sign"] == [base64.b64encode(expected).decode()]
    # 飞书: sign = base64(HMAC-SHA256(key="timestamp\nsecret", msg="")), in the body.
    [feishu] = http_receiver.bodies("/feishu")
    expected = hmac.new(b"1700000000\nSECfs", b"", hashlib.sha256).digest()
    assert feishu == {
        "timestamp": "1700000000",
        "sign": base64.b64encode(expected).decode(),
        "msg_type": "text",
        "content": {"text": message.text},
    }


def test_outbound_text_is_masked(http_receiver: HttpReceiver) -> None:
    [spec] = parse_notify_config(
        f'channels: [{{name: h, kind: webhook, url: "{http_receiver.url}/hook"}}]'
    ).channels
    message = Message(
        subject="回访 13812345678",
        text="客户 13812345678 投诉，邮箱 li.lei@example.com",
        data={"comment": "call 13812345678"},
    )
    assert deliver(build_channel(spec), message, retries=0, backoff_s=0).status == "sent"
    [body] = http_receiver.bodies("/hook")
    sent = str(body)
    assert "13812345678" not in sent and "li.lei@example.com" not in sent
    assert body["text"].startswith("客户 ") and "投诉" in body["text"]


def test_retries_with_backoff_then_a_clear_failure(http_receiver: HttpReceiver) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed = probe.getsockname()[1]  # nothing listens once the probe closes
    config = parse_notify_config(
        f"""\
channels:
  - {{name: flaky, kind: webhook, url: "{http_receiver.url}/flaky"}}
  - {{name: down, kind: webhook, url: "http://127.0.0.1:{closed}/x"}}
"""
    )
    flaky, down = (build_channel(s) for s in config.channels)
    waits: list[float] = []
    http_receiver.failures["/flaky"] = 2
    ok = deliver(flaky, Message("s", "t"), retries=3, backoff_s=0.5, sleep=waits.append)
    assert (ok.status, ok.attempts, waits) == ("sent", 3, [0.5, 1.0])
    waits.clear()
    bad = deliver(down, Message("s", "t"), retries=2, backoff_s=1, sleep=waits.append)
    assert (bad.status, bad.attempts, waits) == ("failed", 3, [1, 2])
    assert bad.error.startswith(f"cannot reach http://127.0.0.1:{closed}/x")


def test_configured_channels_are_builtin_plugins(tmp_path, monkeypatch) -> None:
    file = tmp_path / "notify.yml"
    file.write_text(_robots("http://127.0.0.1:9"), encoding="utf-8")
    monkeypatch.setenv("SERVICEPILOT_NOTIFY_FILE", str(file))
    names = [c.name for c in plugins.notification_channels()]
    assert names == ["wx", "dd", "fs"]
    monkeypatch.setenv("SERVICEPILOT_NOTIFY_FILE", str(tmp_path / "none.yml"))
    assert plugins.notification_channels() == []
