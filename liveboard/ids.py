"""The one rule for session ids, wherever one comes from (a URL, a widget, the CLI, an import).

All real ids pass — 19-digit API ids, handles with dots or a leading underscore, the simulator's ids, the keys
of export rows — and nothing that could reach a path, a query or a page as anything but an id does: no path
separator, no ``..``, no leading dot, no quote, space, angle bracket or control character, at most 128 characters.
"""

from __future__ import annotations

import re

from liveboard.errors import InputError

MAX_SESSION_ID = 128
#: ``\Z``, not ``$``: ``$`` also matches before a trailing newline.
SESSION_ID_PATTERN = r"[A-Za-z0-9_][A-Za-z0-9._@:+-]{0,127}"  # also used by the importer's SQL (full match)
SESSION_ID_RE = re.compile(rf"^{SESSION_ID_PATTERN}\Z")
_ALLOWED = re.compile(r"[A-Za-z0-9._@:+-]")


def is_session_id(value: object) -> bool:
    """True for a string that follows the rule."""
    return isinstance(value, str) and bool(SESSION_ID_RE.match(value)) and ".." not in value


def check_session_id(value: object, name: str = "session") -> str:
    """``value`` as a session id, or :class:`InputError` saying why it is not one (the value itself is not
    echoed: it may hold control characters or markup)."""
    text = "" if value is None else str(value)
    if is_session_id(text):
        return text
    if not text.strip():
        raise InputError(f"{name}: no session id given")
    if len(text) > MAX_SESSION_ID:
        raise InputError(f"{name}: the id is {len(text)} characters long; at most {MAX_SESSION_ID} are allowed")
    if ".." in text:
        raise InputError(f"{name}: a session id cannot contain '..'")
    if not (text[0].isascii() and (text[0].isalnum() or text[0] == "_")):
        raise InputError(f"{name}: a session id starts with a letter, a digit or '_'")
    bad = next((ch for ch in text if not _ALLOWED.fullmatch(ch)), text[0])
    raise InputError(f"{name}: a session id cannot contain {ascii(bad)} (letters, digits and . _ @ : + - only)")
