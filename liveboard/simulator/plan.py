"""What sessions will be: one session's plan, and the plans of a fleet of accounts over ~90 days.

A :class:`SessionPlan` is everything a session is drawn from apart from the seed: who, when, how long, how big
an audience, under which :class:`~liveboard.simulator.model.SessionModel`, and how many events it must reach.
:func:`plan_fleet` lays out a fleet's sessions: one multi-session LIVE event, single LIVEs on free days (never two
a day for an account) and, when asked, the mega session.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import numpy as np

from liveboard.simulator.markets import ACCOUNTS
from liveboard.simulator.model import DEFAULT_MODEL, MEGA_MODEL, SessionModel
from liveboard.simulator.randomness import seeded_rng
from liveboard.simulator.vocabulary import default_title

#: ``simulate()`` places sessions in the ~90 days before this instant unless told otherwise (deterministic).
DEFAULT_NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
#: The mega session has at least this many events.
MEGA_EVENTS_MIN = 5_000_000
MEGA_DURATION_S = 3 * 3600
MEGA_SCALE = 28.0  # audience scale of the mega session (about 5.6-6.5 M events in 3 h)
MEGA_DAYS_AGO = 9  # the mega session is on this day before ``now`` (kept free in the first account's calendar)
HISTORY_DAYS = 90
LIVE_EVENT_THEMES = ("Payday", "Mega sale", "Double-day", "Anniversary")
#: Prefixes of the first single sessions' titles: hostile text the dashboards must show harmless.
HOSTILE_TITLE_PREFIXES = ("<img src=x onerror=alert(1)> ", "<b>Bold</b> ")


@dataclass(frozen=True)
class SessionPlan:
    """What one session will be (with the seed, everything its events are drawn from)."""

    session_id: str
    account_id: str
    currency: str
    start: datetime
    duration_s: int
    title: str | None  # None: a title is drawn
    live_event_id: str | None
    scale: float  # audience multiplier
    model: SessionModel = DEFAULT_MODEL
    #: drawn again with a larger audience until it has this many events (the mega session's guarantee)
    min_events: int = 0


class _Calendar:
    """Each account's free days, taken in random order: an account never has two LIVEs a day."""

    def __init__(self, rng: np.random.Generator, handles: list[str], horizon: int) -> None:
        self.rng = rng
        self.horizon = horizon
        self.free_days = {handle: list(rng.permutation(np.arange(1, horizon))) for handle in handles}

    def reserve(self, handle: str, day: int) -> None:
        if day in self.free_days[handle]:
            self.free_days[handle].remove(day)

    def take_day(self, handle: str) -> int:
        """A free day of the account (days before today); any day once they are all taken."""
        if self.free_days[handle]:
            return int(self.free_days[handle].pop())
        return int(self.rng.integers(1, self.horizon))


def plan_fleet(seed: int, accounts: int, sessions: int, mega: bool, scale: float, now: datetime) -> list[SessionPlan]:
    """The plans of ``sessions`` sessions (plus the mega one) of ``accounts`` accounts, in order of start."""
    if accounts < 1:
        raise ValueError("accounts must be at least 1")
    rng = seeded_rng("plan", seed)
    fleet = _fleet_accounts(rng, seed, accounts)
    today = now.replace(hour=0, minute=0, second=0, microsecond=0)
    # ~90 days of history; a larger fleet reaches further back so an account never has two LIVEs a day
    horizon = max(HISTORY_DAYS, -(-sessions // accounts) + 10)
    calendar = _Calendar(rng, [handle for handle, _currency in fleet], horizon)
    if mega:
        calendar.reserve(fleet[0][0], MEGA_DAYS_AGO)
    # one multi-session LIVE event: 2-3 parts on one day, same account, short breaks between
    part_count = min(sessions, int(rng.integers(2, 4)))
    plans = _live_event_parts(rng, calendar, fleet, part_count, today, scale) if part_count >= 2 else []
    plans += _single_sessions(rng, calendar, fleet, sessions - len(plans), part_count, today, scale)
    if mega:
        plans.append(_mega_session(fleet[0], today))
    plans.sort(key=lambda plan: (plan.start, plan.session_id))
    return _unique_ids(plans)


def _slug(account_id: str) -> str:
    """The account's part of a session id: its handle up to the first dot, alphanumerics and dashes."""
    return "".join(ch if ch.isalnum() else "-" for ch in account_id.split(".")[0]).strip("-") or "acct"


def _fleet_accounts(rng: np.random.Generator, seed: int, accounts: int) -> list[tuple[str, str]]:
    """(handle, currency) of each account: the known accounts (shuffled unless seed 0), numbered past them."""
    order = rng.permutation(len(ACCOUNTS)) if seed else np.arange(len(ACCOUNTS))
    fleet = []
    for index in range(accounts):
        handle, currency, _niche = ACCOUNTS[int(order[index % len(ACCOUNTS)])]
        if index >= len(ACCOUNTS):
            handle = f"{handle}{index // len(ACCOUNTS) + 1}"
        fleet.append((handle, currency))
    return fleet


def _live_event_parts(
    rng: np.random.Generator,
    calendar: _Calendar,
    fleet: list[tuple[str, str]],
    part_count: int,
    today: datetime,
    scale: float,
) -> list[SessionPlan]:
    """The parts of one LIVE event: same account, same day, sharing a ``live_event_id``."""
    handle, currency = fleet[int(rng.integers(len(fleet)))]
    day = calendar.take_day(handle)
    part_start = today - timedelta(days=day) + timedelta(hours=int(rng.integers(10, 14)))
    live_event_id = f"le-{part_start:%Y%m%d}-{_slug(handle)}"
    theme = LIVE_EVENT_THEMES[int(rng.integers(len(LIVE_EVENT_THEMES)))]
    plans = []
    for part in range(part_count):
        duration_s = int(rng.integers(30, 91)) * 60
        title = f"{theme} marathon {part_start:%b} {part_start.day} — part {part + 1}/{part_count} 🛒"
        plans.append(
            SessionPlan(
                session_id=f"{part_start:%Y%m%d-%H%M}-{_slug(handle)}",
                account_id=handle,
                currency=currency,
                start=part_start,
                duration_s=duration_s,
                title=title,
                live_event_id=live_event_id,
                scale=scale,
            )
        )
        part_start = part_start + timedelta(seconds=duration_s, minutes=int(rng.integers(10, 41)))
    return plans


def _single_sessions(
    rng: np.random.Generator,
    calendar: _Calendar,
    fleet: list[tuple[str, str]],
    count: int,
    part_count: int,
    today: datetime,
    scale: float,
) -> list[SessionPlan]:
    """LIVEs of 30 min to 4 h on free days: each account once first, then accounts at random."""
    plans = []
    for index in range(count):
        if index < len(fleet):
            handle, currency = fleet[index % len(fleet)]
        else:
            handle, currency = fleet[int(rng.integers(len(fleet)))]
        day = calendar.take_day(handle)
        duration_s = int(rng.integers(30, 241)) * 60
        # start on a quarter hour such that the session ends the same day (no overlaps within an account)
        quarter = int(rng.integers(0, (24 * 3600 - duration_s) // 900))
        start = today - timedelta(days=day) + timedelta(seconds=quarter * 900)
        prefix = HOSTILE_TITLE_PREFIXES[index] if index < len(HOSTILE_TITLE_PREFIXES) else ""
        title = prefix + default_title(rng, start) + f" #{index + 1 + part_count}"
        plans.append(
            SessionPlan(
                session_id=f"{start:%Y%m%d-%H%M}-{_slug(handle)}",
                account_id=handle,
                currency=currency,
                start=start,
                duration_s=duration_s,
                title=title,
                live_event_id=None,
                scale=scale,
            )
        )
    return plans


def _mega_session(account: tuple[str, str], today: datetime) -> SessionPlan:
    """The 3-hour mega session of the first account: its own model and scale, at least MEGA_EVENTS_MIN events."""
    handle, currency = account
    start = today - timedelta(days=MEGA_DAYS_AGO) + timedelta(hours=12)
    return SessionPlan(
        session_id=f"mega-{start:%Y%m%d}-{_slug(handle)}",
        account_id=handle,
        currency=currency,
        start=start,
        duration_s=MEGA_DURATION_S,
        title=f"MEGA SALE 3-hour marathon {start:%b} {start.day} 🔥🔥🔥",
        live_event_id=None,
        scale=MEGA_SCALE,
        model=MEGA_MODEL,
        min_events=MEGA_EVENTS_MIN,
    )


def _unique_ids(plans: list[SessionPlan]) -> list[SessionPlan]:
    """A crowded fleet can put two LIVEs of an account in one minute: the later ones get ``-2``, ``-3``..."""
    seen: dict[str, int] = {}
    for index, plan in enumerate(plans):
        count = seen[plan.session_id] = seen.get(plan.session_id, 0) + 1
        if count > 1:
            plans[index] = dataclasses.replace(plan, session_id=f"{plan.session_id}-{count}")
    return plans
