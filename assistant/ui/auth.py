"""Users and their roles from a YAML file, with salted PBKDF2 password hashes (stdlib only).

``assistant/users.yml`` (or ``SERVICEPILOT_USERS_FILE``)::

    users:
      alice:
        role: executive
        password: pbkdf2_sha256$600000$<salt hex>$<hash hex>

Make a hash with ``python -m assistant.ui.auth 'the password'``. Access is enforced by the role
(semantic-layer row filters, case-search scope), never by hiding widgets.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import sys
from dataclasses import dataclass
from pathlib import Path

import yaml

from assistant.roles import RoleError, get_role

USERS_FILE = Path(__file__).resolve().parent.parent / "users.yml"
ALGORITHM = "pbkdf2_sha256"
ITERATIONS = 200_000


class AuthConfigError(ValueError):
    """The users file is missing or invalid."""


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


def users_file() -> Path:
    return Path(os.environ.get("SERVICEPILOT_USERS_FILE", USERS_FILE))


class UserDirectory:
    """The users allowed to log in, each with one role from ``assistant/roles.yml``."""

    def __init__(self, users: dict[str, User]) -> None:
        self.users = users

    @classmethod
    def load(cls, path: Path | None = None) -> UserDirectory:
        path = path or users_file()
        if not path.exists():
            raise AuthConfigError(
                f"Users file {path} does not exist. Create it (see docs/ui.md) or start with "
                "--no-auth for a local single-user session."
            )
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        if set(data) != {"users"} or not isinstance(data["users"], dict):
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
        if user is None:
            verify_password(password, hash_password("x", iterations=1))  # even out timing
            return False
        return verify_password(password, user.password_hash)

    def role_of(self, username: str | None) -> str | None:
        user = self.users.get(username or "")
        return user.role if user else None


if __name__ == "__main__":  # python -m assistant.ui.auth 'PASSWORD'
    if len(sys.argv) != 2:
        sys.exit("usage: python -m assistant.ui.auth 'PASSWORD'")
    print(hash_password(sys.argv[1]))
