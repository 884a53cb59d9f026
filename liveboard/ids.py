"""The one rule for session ids, wherever one comes from (a URL, a widget, the CLI, an import).

All real ids pass — 19-digit API ids, handles with dots, the simulator's ids, the keys of export rows —
and nothing that could reach a path, a query or a page as anything but an id does.
"""

from __future__ import annotations

import re

from liveboard.errors import InputError

MAX_SESSION_ID = 128
SESSION_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@:+-]{0,127}$")


def is_session_id(value: object) -> bool:
    """True for a string that follows the rule."""
    return isinstance(value, str) and bool(SESSION_ID_RE.match(value)) and ".." not in value


def check_session_id(value: object, name: str = "session") -> str:
    """``value`` as a session id, or :class:`InputError` saying why it is not one."""
    text = "" if value is None else str(value)
    if is_session_id(text):
        return text
    if not text.strip():
        raise InputError(f"{name}: no session id given")
    if len(text) > MAX_SESSION_ID:
        raise InputError(f"{name}: the id is {len(text)} characters long; at most {MAX_SESSION_ID} are allowed")
    raise InputError(
        f"{name}: not a valid session id (letters, digits and . _ @ : + - only, starting with a letter or digit)"
    )
