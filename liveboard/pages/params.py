"""The one reader of page parameters: a query string (or a mapping) and a notebook's parameters, with the
one session-id rule (:func:`liveboard.ids.check_session_id`).

Every value from a URL is hostile until checked here: the query string is capped in length and in fields,
a repeated name takes its last value, and a parameter given by the notebook (papermill ``-p``) wins over the
address. Whether a valid id names a stored session is for the page to say.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from urllib.parse import parse_qs

from liveboard.errors import InputError
from liveboard.ids import MAX_SESSION_ID, check_session_id

MAX_QUERY = 4 * MAX_SESSION_ID + 200
MAX_FIELDS = 20
MAX_ACCOUNT = 128

Query = str | Mapping[str, object] | None


def parse_query(query: Query) -> dict[str, str]:
    """Name → value (the last one when repeated) of a query string or a mapping; :class:`InputError` for an
    address too long or with too many parameters."""
    if not query:
        return {}
    if isinstance(query, Mapping):
        return {str(k): "" if v is None else str(v) for k, v in query.items()}
    if len(query) > MAX_QUERY:
        raise InputError("The address is too long.")
    try:
        parsed = parse_qs(query, keep_blank_values=True, max_num_fields=MAX_FIELDS)
    except ValueError:
        raise InputError("The address has too many parameters.") from None
    return {k: v[-1] for k, v in parsed.items() if v}


def page_params(query: Query, **given: object) -> dict[str, str]:
    """The query's parameters overlaid with those ``given`` by the caller that are not empty."""
    out = parse_query(query)
    out.update({k: str(v) for k, v in given.items() if v is not None and str(v) != ""})
    return out


def session_param(value: object) -> str | None:
    """A session id from a URL or a notebook: None when empty, :class:`InputError` when it breaks the rule."""
    if value is None or str(value).strip() == "":
        return None
    return check_session_id(value, "session")


def account_param(value: object) -> str | None:
    """An account id from a URL or a notebook: None when empty; plain text of at most :data:`MAX_ACCOUNT`
    printable characters (:class:`InputError` otherwise)."""
    text = "" if value is None else str(value).strip()
    if not text:
        return None
    if len(text) > MAX_ACCOUNT or not text.isprintable():
        raise InputError(
            f"The account in the address is not an account id (at most {MAX_ACCOUNT} printable characters)."
        )
    return text


def query_session(query: Query) -> str | None:
    """The ``session`` parameter of a query, validated."""
    return session_param(parse_query(query).get("session"))


def query_account(query: Query) -> str | None:
    """The ``account`` parameter of a query (``?account=ID`` opens that account's sessions), validated."""
    return account_param(parse_query(query).get("account"))


def under_voila() -> bool:
    """True in a Voilà kernel (preheated or not): the page's address is then ours to link to."""
    return bool(os.environ.get("VOILA_KERNEL_ID") or os.environ.get("VOILA_PREHEAT") == "True")


def request_query_string() -> str:
    """The page's query string under Voilà (``QUERY_STRING``, after the request arrives when the kernel was
    preheated); empty in JupyterLab or papermill."""
    if not under_voila() and "QUERY_STRING" not in os.environ:
        return ""
    try:
        from voila.utils import wait_for_request

        wait_for_request()
    except Exception:  # noqa: BLE001 - not under a preheated Voilà: the variable is already set or absent
        pass
    return os.environ.get("QUERY_STRING", "")
