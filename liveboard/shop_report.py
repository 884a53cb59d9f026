"""What a Shop API sync did, as the lines ``liveboard sync shop`` prints (most important last), and its
exit code."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING

from liveboard.shop_api import ClientStats
from liveboard.shop_mapping import SESSIONS_PATH

if TYPE_CHECKING:
    from liveboard.shop_sync import Fetched


@dataclass
class SyncResult:
    """One sync: its dates, what was read, the client's counts, the store's report and the timings."""

    since: dt.date
    until: dt.date
    fetched: Fetched
    stats: ClientStats
    report: object | None = None  # the store's SourceReport
    seconds: float = 0.0  # the whole sync
    fetch_seconds: float = 0.0  # reading the API

    @property
    def partial(self) -> bool:
        f = self.fetched
        return bool(f.problems or f.missing or f.list_error)

    @property
    def exit_code(self) -> int:
        return 1 if self.partial else 0

    def lines(self, limit: int = 20) -> list[str]:
        """What the sync did, most important last: changed sessions, problems, then what is missing."""
        f, st = self.fetched, self.stats
        n_req = sum(st.requests.values())
        retried = ", ".join(f"{k} ×{v}" for k, v in sorted(st.retries.items()))
        out = [
            f"api: {len(f.summaries)} session(s) from {self.since} to {self.until} · {n_req:,} request(s)"
            + (f" · retried: {retried}" if retried else "")
            + (f" · {self.seconds:.1f} s" if self.seconds else "")
        ]
        if not f.summaries and not f.list_error:
            out.append("no LIVE sessions in this date range (the dates are the shop's; try --since)")
        if f.latest_available:
            out.append(
                f"the API's figures are complete up to {f.latest_available}; per-minute and product figures "
                "come after a LIVE ends"
            )
        if st.refreshed:
            when = (
                f" (new token valid until {dt.datetime.fromtimestamp(st.access_expires_at, dt.UTC):%Y-%m-%d %H:%M} UTC)"
                if st.access_expires_at
                else ""
            )
            out.append(
                f"access token refreshed for this sync{when}; it is not saved: update TIKTOK_SHOP_ACCESS_TOKEN "
                "from Partner Center to skip the refresh"
            )
        rep = self.report
        if rep is not None:
            changed = getattr(rep, "changed", {}) or {}
            linked = _n(getattr(rep, "linked", 0))
            out.append(
                f"store: new {_n(getattr(rep, 'new', 0))} · changed {len(changed)} · "
                f"unchanged {_n(getattr(rep, 'unchanged', 0))}"
                + (f" ({linked} joined sessions already in the store)" if linked else "")
                + (f" · version {version}" if (version := getattr(rep, "version", None)) is not None else "")
            )
            for sid, figures in list(changed.items())[:limit]:
                out.append(f"changed: {sid}: {', '.join(figures) if figures else 'figures'}")
            if len(changed) > limit:
                out.append(f"… and {len(changed) - limit} more changed session(s)")
        if f.affiliates:
            out.append(
                f"{len(f.affiliates)} affiliate session(s): summary only (the API gives no interaction, "
                "per-minute or product figures for affiliate accounts)"
            )
        if f.live:
            out.append(f"{len(f.live)} session(s) still live: summary only; sync again after they end")
        if f.no_trend:
            out.append(f"{len(f.no_trend)} session(s) without per-minute data yet: {_ids(f.no_trend, limit)}")
        for p in f.problems[:limit]:
            out.append(f"problem: {p}")
        if len(f.problems) > limit:
            out.append(f"… and {len(f.problems) - limit} more problem(s)")
        if f.list_error:
            out.append(f"missing: the rest of the session list ({SESSIONS_PATH}: {f.list_error})")
        for key in sorted(f.missing)[:limit]:
            s = f.summaries.get(key, {})
            label = f"{key} (@{s.get('account_id')}, {s['start']:%Y-%m-%d %H:%M} UTC)" if s else key
            what = "; ".join(f"{k}: {v}" for k, v in sorted(f.missing[key].items()))
            out.append(f"missing: session {label}: {what} — its summary is stored")
        if len(f.missing) > limit:
            out.append(f"… and {len(f.missing) - limit} more session(s) with missing data")
        if self.partial:
            out.append(
                f"partial sync: {len(f.missing)} session(s) with missing data, {len(f.problems)} problem(s)"
                + ("; session list incomplete" if f.list_error else "")
                + " — run it again later to fill them in"
            )
        return out


def _n(value) -> int:
    return len(value) if isinstance(value, list | set | tuple | dict) else int(value or 0)


def _ids(keys, limit: int) -> str:
    keys = sorted(keys)
    return ", ".join(keys[:limit]) + (f" … (+{len(keys) - limit})" if len(keys) > limit else "")
