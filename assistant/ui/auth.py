"""Users and their roles from a YAML file, with salted PBKDF2 password hashes (stdlib only).

``assistant/users.yml`` (or ``SERVICEPILOT_USERS_FILE``)::

    users:
      alice:
        role: executive
        password: pbkdf2_sha256$600000$<salt hex>$<hash hex>

Make a hash with ``python -m assistant.ui.auth 'the password'``. Access is enforced by the role
(semantic-layer row filters, case-search scope), never by hiding widgets.

Logins go through :class:`Gatekeeper`: per-user and per-address throttling (an exponential
delay after a few failures, then a temporary lockout), the same work for unknown and known
usernames (a dummy hash with the users' real iteration count), and every failure audited.
"""

from __future__ import annotations

import asyncio
import contextvars
import hashlib
import hmac
import logging
import os
import secrets
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from assistant.errors import AssistantError
from assistant.roles import RoleError, get_role
from semantic_layer.yaml_load import YamlFileError, read_yaml

log = logging.getLogger(__name__)
USERS_FILE = Path(__file__).resolve().parent.parent / "users.yml"
ALGORITHM = "pbkdf2_sha256"
ITERATIONS = 200_000


class AuthConfigError(AssistantError, ValueError):
    """The users file is missing or invalid (a configuration error: exit code 2)."""

    exit_code = 2


@dataclass(frozen=True)
class User:
    name: str
    role: str
    password_hash: str
    display_name: str = ""


def hash_password(password: str, *, iterations: int = ITERATIONS, salt: str | None = None) -> str:
    salt = salt or secrets.token_hex(16)
    digest = hashlib.pbkdf2_hmac("sha256", password.encode(), bytes.fromhex(salt), iterations)
    return f"{ALGORITHM}${iterations}${salt}${digest.hex()}"


def verify_password(password: str, encoded: str) -> bool:
    try:
        algorithm, iterations, salt, expected = encoded.split("$")
        if algorithm != ALGORITHM:
            return False
        digest = hashlib.pbkdf2_hmac(
            "sha256", password.encode(), bytes.fromhex(salt), int(iterations)
        )
    except ValueError:
        return False
    return hmac.compare_digest(digest.hex(), expected)


def _iterations(encoded: str) -> int:
    try:
        return int(encoded.split("$")[1])
    except (IndexError, ValueError):
        return 0


def users_file() -> Path:
    return Path(os.environ.get("SERVICEPILOT_USERS_FILE", USERS_FILE))


class UserDirectory:
    """The users allowed to log in, each with one role from ``assistant/roles.yml``."""

    def __init__(self, users: dict[str, User]) -> None:
        self.users = users
        # Unknown usernames are checked against this, hashed with the users' own iteration
        # count, so both answers take the same time.
        self._dummy = hash_password(secrets.token_hex(16), iterations=self.iterations)

    @property
    def iterations(self) -> int:
        counts = [_iterations(u.password_hash) for u in self.users.values()]
        return max((c for c in counts if c), default=ITERATIONS)

    @classmethod
    def load(cls, path: Path | None = None) -> UserDirectory:
        path = path or users_file()
        if not path.exists():
            raise AuthConfigError(
                f"Users file {path} does not exist. Create it (see docs/ui.md) or start with "
                "--no-auth for a local single-user session."
            )
        try:
            data = read_yaml(path).data or {}
        except YamlFileError as exc:
            raise AuthConfigError(str(exc)) from exc
        if not isinstance(data, dict) or set(data) != {"users"}:
            raise AuthConfigError(f"{path}: the file must have exactly one top-level key, 'users'.")
        if not isinstance(data["users"], dict):
            raise AuthConfigError(f"{path}: the file must have exactly one top-level key, 'users'.")
        users: dict[str, User] = {}
        for name, body in data["users"].items():
            body = body or {}
            unknown = set(body) - {"role", "password", "display_name"}
            if unknown:
                raise AuthConfigError(
                    f"{path}: user '{name}': unknown key(s) {', '.join(sorted(unknown))}; "
                    "valid keys: role, password, display_name."
                )
            if not body.get("role") or not body.get("password"):
                raise AuthConfigError(f"{path}: user '{name}' needs 'role' and 'password'.")
            if not str(body["password"]).startswith(f"{ALGORITHM}$"):
                raise AuthConfigError(
                    f"{path}: user '{name}': 'password' must be a {ALGORITHM} hash; make one with "
                    "`python -m assistant.ui.auth 'PASSWORD'`. Plain passwords are refused."
                )
            try:
                get_role(body["role"])
            except RoleError as exc:
                raise AuthConfigError(f"{path}: user '{name}': {exc}") from exc
            users[str(name)] = User(
                str(name), body["role"], str(body["password"]), body.get("display_name", "")
            )
        return cls(users)

    def authenticate(self, username: str, password: str) -> bool:
        user = self.users.get(username)
        ok = verify_password(password, user.password_hash if user else self._dummy)
        return ok and user is not None

    def demo_users(self) -> list[str]:
        """Users whose password is still the shipped demo one (``<name>-demo``)."""
        return [n for n, u in self.users.items() if verify_password(f"{n}-demo", u.password_hash)]

    def role_of(self, username: str | None) -> str | None:
        user = self.users.get(username or "")
        return user.role if user else None


# -- throttling ----------------------------------------------------------------------------

# The client address of the request being served, set by ClientAddressMiddleware (Gradio's
# login handler calls the auth function with the username and password only).
CLIENT_ADDRESS: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "servicepilot_client_address", default=None
)


class ClientAddressMiddleware:
    """ASGI middleware that makes the peer address visible to the login check. The socket's
    peer is used, never X-Forwarded-For, which any client can write."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        client = scope.get("client") if scope.get("type") == "http" else None
        token = CLIENT_ADDRESS.set(client[0] if client else None)
        try:
            await self.app(scope, receive, send)
        finally:
            CLIENT_ADDRESS.reset(token)


@dataclass
class _Record:
    failures: int = 0
    last_failure: float = 0.0
    not_before: float = 0.0  # no attempt is checked before this (delay or lockout)


@dataclass
class LoginThrottle:
    """Failed logins per key (``user:NAME``, ``addr:IP``): the first ``free_failures`` cost
    nothing, each further one doubles a delay (``base_delay_s`` up to ``max_delay_s``) during
    which the key's attempts are refused unchecked; ``lockout_after`` failures lock the key for
    ``lockout_s``. A key's count is forgotten after ``window_s`` without failures, or on a
    successful login."""

    free_failures: int = 3
    base_delay_s: float = 1.0
    max_delay_s: float = 60.0
    lockout_after: int = 10
    lockout_s: float = 900.0
    window_s: float = 900.0
    clock: Callable[[], float] = time.monotonic
    MAX_KEYS: ClassVar[int] = 100_000
    _records: dict[str, _Record] = field(default_factory=dict, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def wait_s(self, keys: list[str]) -> float:
        """Seconds before ``keys`` may try again (0: now)."""
        now = self.clock()
        with self._lock:
            return max([0.0, *(self._live(k, now).not_before - now for k in keys)])

    def failure(self, keys: list[str]) -> float:
        """Count a failure; returns the delay (or lockout) now imposed, in seconds."""
        now = self.clock()
        imposed = 0.0
        with self._lock:
            if len(self._records) >= self.MAX_KEYS:  # made-up usernames must not fill memory
                self._records = {
                    k: r
                    for k, r in self._records.items()
                    if now - r.last_failure <= self.window_s or now < r.not_before
                }
            for key in keys:
                rec = self._live(key, now)
                rec.failures += 1
                rec.last_failure = now
                if rec.failures >= self.lockout_after:
                    wait = self.lockout_s
                elif rec.failures > self.free_failures:
                    extra = rec.failures - self.free_failures - 1
                    wait = min(self.base_delay_s * 2**extra, self.max_delay_s)
                else:
                    wait = 0.0
                rec.not_before = max(rec.not_before, now + wait)
                imposed = max(imposed, wait)
        return imposed

    def success(self, keys: list[str]) -> None:
        with self._lock:
            for key in keys:
                self._records.pop(key, None)

    def _live(self, key: str, now: float) -> _Record:
        rec = self._records.get(key)
        if rec is None or (now - rec.last_failure > self.window_s and now >= rec.not_before):
            rec = self._records[key] = _Record()
        return rec


LoginEvent = Callable[[str, str | None, str], None]  # (username, address, outcome)


class Gatekeeper:
    """The login check the web server calls: throttled, constant-work, audited.

    ``on_event(username, address, outcome)`` is told of every refused attempt (outcome
    ``failed``, ``throttled``) and every success (``ok``)."""

    MAX_SLEEP_S = 2.0  # a failure answers this much later at most (more would tie up workers)

    def __init__(
        self,
        users: UserDirectory,
        throttle: LoginThrottle | None = None,
        on_event: LoginEvent | None = None,
    ) -> None:
        self.users = users
        self.throttle = throttle or LoginThrottle()
        self.on_event = on_event

    def _event(self, username: str, address: str | None, outcome: str) -> None:
        if outcome != "ok":
            log.warning("login %s for %r from %s", outcome, username[:64], address or "?")
        if self.on_event is not None:
            try:
                self.on_event(username, address, outcome)
            except Exception as exc:  # noqa: BLE001 - a broken log must not open or close the door
                log.error("login audit failed: %s", exc)

    async def authenticate(self, username: str, password: str) -> bool:
        """The check itself. Hand the web server this bound coroutine function: Gradio awaits
        the auth callable only when ``inspect.iscoroutinefunction`` says so, and an object's
        async ``__call__`` does not qualify — its coroutine would count as a truthy "yes"."""
        address = CLIENT_ADDRESS.get()
        keys = [f"user:{username}"] + ([f"addr:{address}"] if address else [])
        if self.throttle.wait_s(keys) > 0:
            self._event(username, address, "throttled")
            return False
        ok = await asyncio.to_thread(self.users.authenticate, username, password)
        if ok:
            self.throttle.success(keys)
            self._event(username, address, "ok")
            return True
        delay = self.throttle.failure(keys)
        self._event(username, address, "failed")
        await asyncio.sleep(min(delay, self.MAX_SLEEP_S))
        return False

    def check(self, username: str, password: str) -> bool:
        """The same check, blocking (for callers outside an event loop)."""
        return asyncio.run(self.authenticate(username, password))


if __name__ == "__main__":  # python -m assistant.ui.auth 'PASSWORD'
    if len(sys.argv) != 2:
        sys.exit("usage: python -m assistant.ui.auth 'PASSWORD'")
    print(hash_password(sys.argv[1]))
