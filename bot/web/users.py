"""Staff accounts of the web admin: names, roles (staff | admin) and scrypt password hashes,
plus the per-install secret that signs web sessions. Account changes go to the audit log.

Each account has a random session stamp, copied into its sessions at sign-in; a session counts
only while the stamp is unchanged, so a new stamp (logout, new password, new role) ends every
session of that user at once, and removing the account ends them too.
"""
from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass

from knowledge import audit
from knowledge.store import SESSION_SECRET_META, KnowledgeBase, now_iso

ROLES = ("staff", "admin")
MIN_PASSWORD_CHARS = 8
_NAME_RE = re.compile(r"^[A-Za-z0-9_.-]{2,40}$")
_SCRYPT = {"n": 2 ** 14, "r": 8, "p": 1}
_SCHEMA = """
CREATE TABLE IF NOT EXISTS web_users (
    id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, role TEXT NOT NULL,
    password_hash TEXT NOT NULL, created_at TEXT NOT NULL, session_stamp TEXT NOT NULL DEFAULT '');
"""


class UserError(ValueError):
    """An account change that cannot be made; the message is Vietnamese, for the user."""


@dataclass(frozen=True, slots=True)
class User:
    id: int
    name: str
    role: str
    created_at: str

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


def hash_password(password: str, salt: bytes | None = None) -> str:
    salt = salt or secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, dklen=32, **_SCRYPT)
    return f"scrypt${_SCRYPT['n']}${_SCRYPT['r']}${_SCRYPT['p']}${salt.hex()}${digest.hex()}"


def check_password(password: str, stored: str) -> bool:
    try:
        kind, n, r, p, salt, digest = stored.split("$")
        computed = hashlib.scrypt(password.encode(), salt=bytes.fromhex(salt), n=int(n), r=int(r),
                                  p=int(p), dklen=len(digest) // 2)
    except ValueError:
        return False
    return kind == "scrypt" and hmac.compare_digest(computed.hex(), digest)


_DUMMY_HASH = hash_password("not a real password")


def ensure_table(kb: KnowledgeBase) -> None:
    for statement in _SCHEMA.split(";"):
        if statement.strip():
            kb.conn.execute(statement)


def _user(row) -> User:
    return User(row[0], row[1], row[2], row[3])


def get(kb: KnowledgeBase, name: str) -> User | None:
    ensure_table(kb)
    row = kb.conn.execute("SELECT id, name, role, created_at FROM web_users WHERE name = ?", (name,)).fetchone()
    return _user(row) if row else None


def from_session(kb: KnowledgeBase, name: object, stamp: object) -> User | None:
    """The user a session was made for, while the session's stamp is still the user's."""
    if not isinstance(name, str) or not isinstance(stamp, str):
        return None
    ensure_table(kb)
    row = kb.conn.execute("SELECT id, name, role, created_at, session_stamp FROM web_users WHERE name = ?",
                          (name,)).fetchone()
    return _user(row) if row and row[4] and hmac.compare_digest(row[4].encode(), stamp.encode()) else None


def session_stamp(kb: KnowledgeBase, name: str) -> str:
    """The stamp to copy into a new session of ``name``."""
    return kb.conn.execute("SELECT session_stamp FROM web_users WHERE name = ?", (name,)).fetchone()[0]


def end_sessions(kb: KnowledgeBase, name: str) -> None:
    """End every session of ``name`` (logout): a new stamp."""
    kb.conn.execute("UPDATE web_users SET session_stamp = ? WHERE name = ?", (secrets.token_hex(16), name))


def all_users(kb: KnowledgeBase) -> list[User]:
    ensure_table(kb)
    return [_user(r) for r in kb.conn.execute("SELECT id, name, role, created_at FROM web_users ORDER BY name")]


def stored_hash(kb: KnowledgeBase, name: str) -> str | None:
    """The account's password hash; None for a name no account has."""
    ensure_table(kb)
    row = kb.conn.execute("SELECT password_hash FROM web_users WHERE name = ?", (name,)).fetchone()
    return row[0] if row else None


def password_matches(password: str, stored: str | None) -> bool:
    """Does the password match the stored hash? The same work is done for an unknown name (None), so a
    wrong name answers as slowly as a wrong password. Slow by design (scrypt, some 50 ms of one core): the
    web server calls it off its event loop."""
    ok = check_password(password, stored or _DUMMY_HASH)
    return stored is not None and ok


def authenticate(kb: KnowledgeBase, name: str, password: str) -> User | None:
    """The user when the password is right."""
    return get(kb, name) if password_matches(password, stored_hash(kb, name)) else None


def _validate(name: str, role: str, password: str | None) -> None:
    if not _NAME_RE.match(name):
        raise UserError("Tên đăng nhập gồm 2–40 ký tự: chữ không dấu, số, dấu chấm, gạch ngang, gạch dưới.")
    if role not in ROLES:
        raise UserError(f"Vai trò phải là một trong: {', '.join(ROLES)}.")
    if password is not None and len(password) < MIN_PASSWORD_CHARS:
        raise UserError(f"Mật khẩu cần ít nhất {MIN_PASSWORD_CHARS} ký tự.")


def add(kb: KnowledgeBase, actor: str, name: str, role: str, password: str) -> User:
    _validate(name, role, password)
    ensure_table(kb)
    with kb.transaction():
        if get(kb, name):
            raise UserError(f"Tài khoản «{name}» đã có.")
        kb.insert("web_users", {"name": name, "role": role, "password_hash": hash_password(password),
                                "created_at": now_iso(), "session_stamp": secrets.token_hex(16)})
        audit.record(kb, actor, "user.add", name, after={"role": role})
    return get(kb, name)


def update(kb: KnowledgeBase, actor: str, name: str, role: str, password: str | None = None) -> None:
    """Change a user's role, and the password when one is given; either change ends the
    user's sessions."""
    _validate(name, role, password)
    with kb.transaction():
        user = get(kb, name)
        if not user:
            raise UserError(f"Không có tài khoản «{name}».")
        if user.is_admin and role != "admin" and _admin_count(kb) == 1:
            raise UserError("Không thể bỏ quyền quản trị của quản trị viên cuối cùng.")
        kb.conn.execute("UPDATE web_users SET role = ? WHERE name = ?", (role, name))
        if password is not None:
            kb.conn.execute("UPDATE web_users SET password_hash = ? WHERE name = ?", (hash_password(password), name))
        if password is not None or role != user.role:
            end_sessions(kb, name)
        audit.record(kb, actor, "user.update", name, before={"role": user.role},
                     after={"role": role, "password_changed": password is not None})


def remove(kb: KnowledgeBase, actor: str, name: str) -> None:
    with kb.transaction():
        user = get(kb, name)
        if not user:
            raise UserError(f"Không có tài khoản «{name}».")
        if user.is_admin and _admin_count(kb) == 1:
            raise UserError("Không thể xoá quản trị viên cuối cùng.")
        kb.conn.execute("DELETE FROM web_users WHERE name = ?", (name,))
        audit.record(kb, actor, "user.remove", name, before={"role": user.role})


def _admin_count(kb: KnowledgeBase) -> int:
    return kb.conn.execute("SELECT COUNT(*) FROM web_users WHERE role = 'admin'").fetchone()[0]


def session_secret(kb: KnowledgeBase) -> str:
    """The per-install secret that signs web sessions, created on first use (meta table)."""
    with kb.transaction():
        value = kb.meta(SESSION_SECRET_META)
        if not value:
            value = secrets.token_hex(32)
            kb.set_meta(SESSION_SECRET_META, value)
    return value
