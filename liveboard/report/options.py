"""What a report is asked for: its options, the sections it shows, the sessions it covers.

Parameters are validated here, in Python, before any kernel starts: they end up in the executed notebook's
metadata, so they never hold secrets (a session id, a store path, display options).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import liveboard
from liveboard.errors import InputError
from liveboard.ids import check_session_id

if TYPE_CHECKING:  # imported where used: a report's kernel starts before pandas and the store are loaded
    import pandas as pd

    from liveboard.workbench import Workbench

#: The report template, shipped with the repository beside the dashboards.
TEMPLATE = Path(liveboard.__file__).resolve().parent / "notebooks" / "session_report.ipynb"

#: Sections in the order the template shows them (takeaways first).
SECTIONS = (
    "header",
    "takeaways",
    "core_data",
    "trends",
    "event_impact",
    "channels",
    "products",
    "giveaways",
    "violations",
    "comments",
    "audience",
    "footer",
)

#: Metrics set against the account's average, in the order of the seed's focus: financial, traffic, product.
COMPARE_METRICS = (
    "gmv",
    "direct_gmv",
    "items_sold",
    "customers",
    "avg_price",
    "watch_gpm",
    "views",
    "viewers",
    "enter_room_rate",
    "pcu",
    "acu",
    "avg_view_duration_s",
    "live_ctr",
    "ctor",
    "new_followers",
    "engagement_rate",
)

CURRENCY_DISPLAYS = ("symbol", "code")
MAX_WINDOW_DAYS = 3660
EXECUTION_TIMEOUT_S = 600


@dataclass(frozen=True)
class ReportOptions:
    """Display options of a report; every field is a notebook parameter."""

    window_days: int = 28
    currency_display: str = "symbol"
    timezone: str = "UTC"
    event_window: int = 5

    def parameters(self) -> dict:
        return asdict(self)


def check_options(
    window_days: object = 28, currency_display: object = "symbol", timezone: object = "UTC", event_window: object = 5
) -> ReportOptions:
    """Validated :class:`ReportOptions`; an :class:`InputError` names the bad value."""
    try:
        wd = int(str(window_days).strip())
    except ValueError:
        raise InputError(f"window_days: {window_days!r} is not a whole number of days") from None
    if not 1 <= wd <= MAX_WINDOW_DAYS:
        raise InputError(f"window_days: {wd} must be between 1 and {MAX_WINDOW_DAYS}")
    cd = str(currency_display).strip().lower()
    if cd not in CURRENCY_DISPLAYS:
        raise InputError(f"currency_display: {currency_display!r} must be one of {', '.join(CURRENCY_DISPLAYS)}")
    tz = str(timezone or "UTC").strip()
    try:
        ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        raise InputError(f"timezone: {timezone!r} is not a known time zone (e.g. UTC, Asia/Kuala_Lumpur)") from None
    try:
        ew = int(str(event_window).strip())
    except ValueError:
        raise InputError(f"event_window: {event_window!r} is not a whole number of minutes") from None
    if not 1 <= ew <= 60:
        raise InputError(f"event_window: {ew} must be between 1 and 60 minutes")
    return ReportOptions(wd, cd, tz, ew)


def select_sessions(
    wb: Workbench,
    session_ids: Sequence[str] = (),
    *,
    since: str | None = None,
    until: str | None = None,
    account: str | None = None,
) -> pd.DataFrame:
    """The sessions to report on, as rows of ``wb.sessions()``, in the order asked (ids) or newest first.

    With ids, each must exist (unknown ids are all named in one error). Without ids, ``since`` / ``until`` /
    ``account`` select the sessions, and at least one of them is required.
    """
    ids = list(dict.fromkeys(check_session_id(s, "session") for s in session_ids))  # the one id rule
    if ids and (since or until or account):
        raise InputError("give session ids, or --since/--until/--account to select sessions, not both")
    if not ids and not (since or until or account):
        raise InputError("give session ids, or --since/--until/--account to select sessions")
    if ids:
        allowed = wb.sessions()
        known = set(allowed["session_id"].astype(str))
        unknown = [s for s in ids if s not in known]
        if unknown:
            shown = ", ".join(repr(s) for s in unknown[:5]) + (" …" if len(unknown) > 5 else "")
            raise InputError(f"unknown session{'s' if len(unknown) > 1 else ''} {shown} in {wb.store.root}")
        return allowed.set_index("session_id", drop=False).loc[ids].reset_index(drop=True)
    df = wb.sessions(since=since, until=until, account=account)
    if df.empty:
        raise InputError(
            "no sessions match "
            + " ".join(f"{k}={v}" for k, v in [("since", since), ("until", until), ("account", account)] if v)
        )
    return df.reset_index(drop=True)


def parse_since(value: str | None, name: str = "since") -> str | None:
    """Check a date given on the command line; return it unchanged (InputError with one line when bad)."""
    if value:
        from liveboard.workbench import parse_date

        parse_date(value, name)
    return value
