"""Post-LIVE reports: one papermill-run notebook per session, exported as a standalone HTML page with no code.

Two halves live here:

* :class:`SessionReport` — everything the report notebook (``notebooks/session_report.ipynb``) shows. The
  notebook is a parameters cell and one ``report.show(section)`` call per section; each section is HTML built
  from the metrics layer (:mod:`liveboard.workbench`), the seed's rules (:mod:`liveboard.insights`) and static
  SVG charts (:mod:`liveboard.report_charts`) so that it reads offline, without a browser front end for
  bqplot. All user text (titles, product names, comments, prizes) goes through ``format.esc``.
* running it: :func:`render_report` (papermill → nbconvert ``HTMLExporter`` without inputs or prompts →
  atomic writes), :func:`run_batch` (a pool of worker processes, a tqdm bar, failures collected instead of
  stopping the batch) and :func:`write_index`. ``liveboard report`` and the dashboards'
  :func:`liveboard.views.reports.generate_report` call these.

Parameters are validated in Python before any kernel starts (:func:`check_options`, :func:`select_sessions`).
They end up in the executed notebook's metadata, so they never hold secrets: a session id, a store path,
display options.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import os
import re
import sys
import tempfile
import time
import unicodedata
import uuid
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np
import pandas as pd

import liveboard
from liveboard import insights
from liveboard import report_charts as charts
from liveboard.ids import check_session_id
from liveboard.metrics import METRICS, REGISTRY
from liveboard.views import format as fmt
from liveboard.views.coverage import Coverage, gap_text, known_columns, late_updates_text, mask_unseen, per_interval
from liveboard.views.format import esc
from liveboard.workbench import InputError, SessionData, Workbench, parse_date

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


# ====================================================================== options and validation


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


# ====================================================================== comments: words and emoji

STOP_WORDS = frozenset(
    """
    a an and are as at be been but by can do does did for from has have he her him his how i if in into is it its
    just me my no not of on or our so that the their them then there these they this to too up us was we were what
    when where which who why will with would you your yours im it's i'm u ur pls please lol ok okay yes yeah
    ada ini itu ke ni tak nak dah untuk dan yang di dari boleh saya aku kak kakak dong sudah mau ya nya je la lah
    sih kan juga bisa apa tidak belum
    có không được với về và là của cho này đã ạ vậy shop quá
    el la los las de del que y en un una por para con me lo se es ya qué
    """.split()
)
_PUNCT_CATS = ("P", "S", "Z", "C")


def comment_words(texts: Sequence[str] | pd.Series, top: int = 15) -> list[tuple[str, int]]:
    """Most frequent words: split on white space, strip punctuation and symbols, lower-case, drop stop words,
    numbers and one-letter tokens (scripts without spaces, e.g. Thai, count as whole phrases)."""
    counts: Counter[str] = Counter()
    for text in texts:
        if not isinstance(text, str):
            continue
        for raw in text.split():
            chars = [c for c in raw if not unicodedata.category(c).startswith(_PUNCT_CATS) or c in "'’-"]
            word = "".join(chars).strip("'’-").lower()
            if len(word) < 2 or word in STOP_WORDS or not any(c.isalpha() for c in word):
                continue
            counts[word] += 1
    return counts.most_common(top)


def comment_emoji(texts: Sequence[str] | pd.Series, top: int = 12) -> list[tuple[str, int]]:
    """Most frequent emoji, counted per character of Unicode category ``So`` (Symbol, other): variation
    selectors, skin-tone modifiers and joiners are not counted."""
    counts: Counter[str] = Counter()
    for text in texts:
        if not isinstance(text, str):
            continue
        for c in text:
            if unicodedata.category(c) == "So" and c not in "©®":
                counts[c] += 1
    return counts.most_common(top)


# ====================================================================== the report


CSS = """
.lbr{font-family:system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;color:#111827;line-height:1.45;max-width:980px}
.lbr h1{font-size:1.6em;margin:.2em 0 .1em;word-break:break-word}
.lbr h2{font-size:1.2em;margin:1.4em 0 .5em;padding-bottom:.2em;border-bottom:2px solid #e5e7eb}
.lbr h3{font-size:1em;margin:1em 0 .4em;color:#374151}
.lbr .lbr-sub{color:#4b5563;margin:.2em 0}
.lbr .lbr-note{color:#6b7280;font-size:.88em}
.lbr table{border-collapse:collapse;margin:.4em 0 1em;font-size:.9em;width:100%}
.lbr th,.lbr td{padding:4px 8px;border-bottom:1px solid #e5e7eb;text-align:left;vertical-align:top}
.lbr th{background:#f3f4f6;font-weight:600}
.lbr td.num,.lbr th.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
.lbr .up{color:#15803d}.lbr .down{color:#b91c1c}.lbr .flat{color:#6b7280}
.lbr ul.lbr-take{list-style:none;padding:0;margin:.4em 0}
.lbr ul.lbr-take li{margin:.35em 0;padding:.45em .7em;border-left:4px solid #9ca3af;background:#f9fafb}
.lbr ul.lbr-take li.good{border-color:#16a34a}.lbr ul.lbr-take li.bad{border-color:#dc2626}
.lbr ul.lbr-take li.warn{border-color:#d97706}
.lbr .lbr-cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(150px,1fr));gap:8px;margin:.3em 0 .8em}
.lbr .lbr-card{border:1px solid #e5e7eb;border-radius:6px;padding:6px 10px;background:#fff}
.lbr .lbr-card .v{font-size:1.2em;font-weight:600;font-variant-numeric:tabular-nums}
.lbr .lbr-card .k{font-size:.8em;color:#6b7280}
.lbr .lbr-card .s{font-size:.72em;color:#8a90a0}.lbr .lbr-card.lbr-missing .v{color:#9ca3af}
.lbr .lbr-partial{background:#fffaeb;border:1px solid #f5d48a;border-radius:6px;padding:.5em .8em}
.lbr .lbr-not-known{color:#6b4f00}.lbr .lbr-gaps{border-left:4px solid #6b7280;padding:.2em .8em;background:#f9fafb}
.lbr .lbr-tip{border:1px solid #e5e7eb;border-radius:6px;padding:.5em .8em;margin:.4em 0;background:#f9fafb}
.lbr .lbr-tip.warning{border-left:4px solid #d97706}.lbr .lbr-tip.info{border-left:4px solid #16a34a}
.lbr .lbr-tip .ev{color:#4b5563;font-size:.85em}
.lbr .lbr-emoji{display:inline-block;margin:2px 6px 2px 0;padding:2px 8px;border-radius:12px;background:#f3f4f6}
.lbr .lbr-grid2{display:grid;grid-template-columns:repeat(auto-fit,minmax(420px,1fr));gap:12px}
.lbr svg.lb-chart{display:block;margin:.3em 0 .8em}
.lbr .sev-high{color:#b91c1c;font-weight:600}.lbr .sev-medium{color:#b45309}.lbr .sev-low{color:#4b5563}
"""


def _f(v: object) -> float:
    """A float, NaN for missing."""
    if fmt.is_missing(v):
        return float("nan")
    try:
        return float(v)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return float("nan")


def _table(headers: Sequence[str], rows: Sequence[Sequence[str]], num: Sequence[bool] | None = None) -> str:
    """An HTML table from already-escaped cell strings (headers are escaped here)."""
    num = list(num) if num is not None else [False] * len(headers)
    head = "".join(
        f'<th class="num">{esc(h)}</th>' if n else f"<th>{esc(h)}</th>" for h, n in zip(headers, num, strict=True)
    )
    body = "".join(
        "<tr>"
        + "".join(f'<td class="num">{c}</td>' if n else f"<td>{c}</td>" for c, n in zip(r, num, strict=True))
        + "</tr>"
        for r in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _section(key: str, title: str, body: str) -> str:
    return f'<div class="lbr lbr-section" id="lbr-{key}"><h2>{esc(title)}</h2>{body}</div>'


def _tip_html(tip: insights.Tip) -> str:
    return (
        f'<div class="lbr-tip {esc(tip.severity)}"><b>{esc(tip.title)}</b> — {esc(tip.advice)}'
        f'<div class="ev">{esc(tip.evidence_text())}</div></div>'
    )


@dataclass
class SessionReport:
    """The data of one report, loaded once; each section method returns an HTML string."""

    session: SessionData
    summary: pd.Series
    history: pd.DataFrame  # the account's sessions in the window before this one
    options: ReportOptions = field(default_factory=ReportOptions)

    # ------------------------------------------------------------------ loading

    @classmethod
    def load(
        cls,
        session_id: str,
        store: str | os.PathLike | None = None,
        window_days: int = 28,
        currency_display: str = "symbol",
        timezone: str = "UTC",
        event_window: int = 5,
    ) -> SessionReport:
        if session_id is None or str(session_id).strip() == "":
            raise InputError("session_id: give the id of the session to report on")
        sid = check_session_id(session_id, "session_id")  # the one session-id rule
        options = check_options(window_days, currency_display, timezone, event_window)
        wb = liveboard.open(store)
        session = wb.session(sid)
        summary = session.summary()
        return cls(session, summary, cls._history(wb, session, summary, options.window_days), options)

    @staticmethod
    def _history(wb: Workbench, session: SessionData, summary: pd.Series, window_days: int) -> pd.DataFrame:
        start = summary.get("start")
        account = summary.get("account_id")
        if fmt.is_missing(start):
            return wb.sessions().iloc[0:0]
        start = pd.Timestamp(start)
        since = (start - pd.Timedelta(days=window_days)).to_pydatetime()
        df = wb.sessions(since=since, account=None if fmt.is_missing(account) else str(account))
        if fmt.is_missing(account):
            df = df[df["account_id"].isna()]
        df = mask_unseen(df)  # a recorder's stored 0 GMV is not averaged in
        return df[(df["start"] < start) & (df["session_id"] != session.id)].reset_index(drop=True)

    # ------------------------------------------------------------------ lazily computed frames

    def _cached(self, name: str, make):
        cache = self.__dict__.setdefault("_frames", {})
        if name not in cache:
            cache[name] = make()
        return cache[name]

    @property
    def cov(self) -> Coverage:
        """What this session's data covers: its sources, each figure's origin, the recorder's gaps."""
        return self._cached("coverage", lambda: Coverage.of_session(self.session))

    @property
    def trend(self) -> pd.DataFrame:
        """The per-minute (or per-5-minute) trend, from events or a source; what the source cannot see empty."""
        return self._cached("trend", lambda: self.cov.trend(self.session.trend(), self.summary.get("start")))

    @property
    def trend_cols(self) -> list[str]:
        cols = ("gmv", "online", "views", "viewers", "product_clicks", "sku_orders", "comments", "likes")
        return self._cached("trend_cols", lambda: known_columns(self.trend, cols))

    @property
    def products(self) -> pd.DataFrame:
        return self._cached("products", lambda: self.cov.products(self.session.products()))

    @property
    def channels(self) -> pd.DataFrame:
        return self._cached("channels", lambda: self.cov.channels(self.session.channels()))

    @property
    def giveaways(self) -> pd.DataFrame:
        return self._cached("giveaways", self.session.giveaways)

    @property
    def audience(self) -> pd.DataFrame:
        return self._cached("audience", self.session.audience)

    @property
    def violations(self) -> pd.DataFrame:
        return self._cached("violations", self.session.violations)

    @property
    def markers(self) -> pd.DataFrame:
        return self._cached("markers", self.session.markers)

    @property
    def comments(self) -> pd.DataFrame:
        return self._cached("comments", self.session.comments)

    def not_known(self, part: str, empty: bool = True) -> str:
        """``<p>`` saying a part is not known and why, or "" when it is known (or really empty)."""
        why = self.cov.empty_note(part, empty)
        return f'<p class="lbr-note lbr-not-known">Not known: {esc(why)}.</p>' if why else ""

    def value(self, metric: str) -> object:
        """A figure of the summary, ``None`` where it is not known (missing, or unseen by its source)."""
        return self.cov.value(metric, self.summary.get(metric))

    @property
    def impact(self) -> pd.DataFrame:
        def make() -> pd.DataFrame:
            if not {"gmv", "online"} <= set(self.trend_cols):  # not known: no rows, never a 0 change
                return insights.event_impact(self.trend.iloc[0:0], self.markers, self.options.event_window)
            return insights.event_impact(self.trend, self.markers, self.options.event_window)

        return self._cached("impact", make)

    @property
    def comparison(self) -> pd.DataFrame:
        return self._cached(
            "comparison",
            lambda: insights.compare_to_average(
                self._known_summary(), self.history, list(COMPARE_METRICS), currency=self.currency or None
            ),
        )

    def _known_summary(self) -> pd.Series:
        s = self.summary.copy()
        for m in COMPARE_METRICS:
            if m in s.index:
                s[m] = self.value(m)
        return s

    @property
    def product_tips(self) -> list[insights.Tip]:
        return self._cached("tips", lambda: insights.product_tips(self.products) if not self.products.empty else [])

    # ------------------------------------------------------------------ formatting

    @property
    def currency(self) -> str:
        """The session's currency code; "" when no source gave one (amounts then carry no symbol)."""
        cur = self.summary.get("currency")
        return "" if fmt.is_missing(cur) else str(cur)

    @property
    def title(self) -> str:
        t = self.summary.get("title")
        return self.session.id if fmt.is_missing(t) or not str(t).strip() else str(t)

    def money(self, value: object) -> str:
        """Money in the session's currency, as a symbol or a code; negatives read ``−RM33.58``."""
        if fmt.is_missing(value):
            return fmt.MISSING
        v = float(value)
        sign = "−" if v < 0 else ""
        if self.options.currency_display == "code" and self.currency:
            return f"{sign}{abs(v):,.2f} {self.currency}"
        return sign + fmt.money(abs(v), self.currency)

    def metric(self, name: str, value: object) -> str:
        unit = REGISTRY[name].unit if name in REGISTRY else "count"
        if unit == "currency":
            return self.money(value)
        if unit == "datetime":
            return self.when(value)
        return fmt.metric(name, value, self.currency)

    def when(self, value: object, pattern: str = "%Y-%m-%d %H:%M") -> str:
        return fmt.when(value, self.options.timezone, pattern)

    @property
    def start(self) -> pd.Timestamp | None:
        s = self.summary.get("start")
        return None if fmt.is_missing(s) else pd.Timestamp(s)

    def clock(self, minute: float) -> str:
        """Minute of the session as a wall-clock time in the display zone."""
        if self.start is None:
            return f"{minute:g} min"
        return self.when(self.start + pd.Timedelta(minutes=float(minute)), "%H:%M")

    def _minute_of(self, ts: object) -> float:
        if self.start is None or fmt.is_missing(ts):
            return float("nan")
        return (pd.Timestamp(ts) - self.start).total_seconds() / 60.0

    @staticmethod
    def _change(diff: float, pct: float | None = None, text: str | None = None) -> str:
        if np.isnan(diff):
            return esc(fmt.MISSING)
        cls = "up" if diff > 0 else "down" if diff < 0 else "flat"
        arrow = "▲" if diff > 0 else "▼" if diff < 0 else "■"
        shown = text if text is not None else (f"{pct * 100:+.0f}%" if pct is not None and not np.isnan(pct) else "")
        return f'<span class="{cls}">{arrow} {esc(shown)}</span>'

    # ------------------------------------------------------------------ sections

    def header(self) -> str:
        s = self.summary
        when = f"{self.when(s.get('start'))} → {self.when(s.get('end'), '%H:%M')}"
        bits = [
            f"Account <b>{esc(s.get('account_id') or fmt.MISSING)}</b>",
            esc(when) + f" ({esc(self.options.timezone)})",
            "Duration " + esc(fmt.duration(s.get("duration_s"))),
            "Currency " + esc(self.currency or fmt.MISSING),
        ]
        if not fmt.is_missing(s.get("live_event_id")):
            bits.append("LIVE event " + esc(s.get("live_event_id")))
        notice = self.cov.notice(has_trend=bool(self.trend_cols))
        partial = f'<p class="lbr-partial">{esc(notice)}</p>' if notice else ""
        late_text = late_updates_text(s.get("late_order_updates"))
        partial += f'<p class="lbr-note lbr-late-updates">{esc(late_text)}</p>' if late_text else ""
        return (
            f"<style>{CSS}</style>"
            f'<div class="lbr lbr-header" id="lbr-header"><div class="lbr-note">Post-LIVE report · session '
            f'{esc(self.session.id)}</div><h1 class="lbr-title">{esc(self.title)}</h1>'
            f'<p class="lbr-sub">{" · ".join(bits)}</p>'
            f'<p class="lbr-note lbr-sources">Sources: {esc(self.cov.label())}</p>{partial}{self._gaps_html()}</div>'
        )

    def _gaps_html(self) -> str:
        """The recorder's gaps (from, to): stretches where it was not connected and saw nothing."""
        gaps = self.cov.gaps
        if gaps.empty:
            return ""
        total = (gaps["gap_end"] - gaps["gap_start"]).dt.total_seconds().sum(min_count=1)
        items = "".join(f"<li>{esc(gap_text(g, self.options.timezone))}</li>" for g in gaps.head(30).itertuples())
        more = f"<li>… and {len(gaps) - 30} more</li>" if len(gaps) > 30 else ""
        return (
            f'<div class="lbr-gaps"><p><b>{len(gaps)} recorder gap{"s" if len(gaps) != 1 else ""}</b> '
            f"({esc(fmt.duration(total))} in all): the recorder was not connected, so events of these stretches "
            f'are missing from every figure below.</p><ul class="lbr-gap-list">{items}{more}</ul></div>'
        )

    def _cmp(self, metric: str) -> tuple[float, float, float]:
        row = self.comparison.set_index("metric").loc[metric]
        return float(row["value"]), float(row["average"]), float(row["diff_pct"])

    def _vs_avg(self, metric: str) -> str:
        v, avg, pct = self._cmp(metric)
        if np.isnan(avg) or np.isnan(v):
            return ""
        if np.isnan(pct):
            return f" (average {esc(self.metric(metric, avg))})"
        return f" — {self._change(pct, pct)} vs the average of {esc(self.metric(metric, avg))}"

    def _why(self, metric: str) -> str:
        """`` (not known: a recorder sees no orders or GMV)`` for a figure that is not known, else ""."""
        reason = self.cov.missing_reason(metric, self.summary.get(metric))
        return f" (not known: {esc(reason)})" if reason else ""

    def takeaways(self) -> str:
        v, items = self.value, []
        n_hist, wd = len(self.history), self.options.window_days

        def tone(metric: str) -> str:
            _, avg, pct = self._cmp(metric)
            if np.isnan(pct):
                return "neutral"
            return "good" if pct >= 0.05 else "bad" if pct <= -0.05 else "neutral"

        # financial
        direct = _f(v("direct_gmv")) / _f(v("gmv")) if _f(v("gmv")) > 0 else float("nan")
        fin = f"<b>Financial:</b> GMV {esc(self.money(v('gmv')))}{self._why('gmv')}{self._vs_avg('gmv')}"
        if not fmt.is_missing(v("items_sold")) and not fmt.is_missing(v("customers")):
            fin += f"; {esc(fmt.count(v('items_sold')))} items to {esc(fmt.count(v('customers')))} customers"
        elif not fmt.is_missing(v("items_sold")):
            fin += f"; {esc(fmt.count(v('items_sold')))} items sold (customers not known)"
        if not np.isnan(direct):
            fin += f", {esc(fmt.rate(direct, 0))} of GMV direct from the LIVE"
        if _f(v("refunded_gmv")) > 0:
            fin += f"; {esc(self.money(v('refunded_gmv')))} refunded"
        items.append((tone("gmv"), fin + "."))
        # traffic
        seen = " (as seen by the recorder)" if self.cov.source_of("viewers") == "recorder" else ""
        traffic = f"<b>Traffic:</b> {esc(fmt.count(v('viewers')))} viewers{seen}{self._vs_avg('viewers')}"
        extra = [
            (f"peak {esc(self.metric('pcu', v('pcu')))} at once", v("pcu")),
            (f"enter-room rate {esc(fmt.rate(v('enter_room_rate')))}", v("enter_room_rate")),
            (f"average view {esc(fmt.duration(v('avg_view_duration_s')))}", v("avg_view_duration_s")),
        ]
        known = [t for t, x in extra if not fmt.is_missing(x)]
        if known:
            traffic += "; " + ", ".join(known)
        ch = self.channels
        if not ch.empty and ch["views"].sum() > 0:
            top = ch.sort_values("views", ascending=False).iloc[0]
            traffic += (
                f"; most views from <b>{esc(top['channel'])}</b> ({esc(fmt.rate(top['views'] / ch['views'].sum(), 0))})"
            )
            paid = ch.loc[ch["group"] == "promoted", "views"].sum() / ch["views"].sum()
            traffic += f", paid (promoted) {esc(fmt.rate(paid, 0))}"
        items.append((tone("viewers"), traffic + "."))
        # products
        pr = self.products
        why_products = self.cov.empty_note("products", pr.empty)
        if not pr.empty and pr["gmv"].astype(float).sum() > 0:
            best = pr.sort_values("gmv", ascending=False).iloc[0]
            name = best["name"] if isinstance(best["name"], str) and best["name"] else best["product_id"]
            share = float(best["gmv"]) / float(pr["gmv"].astype(float).sum())
            prod = (
                f"<b>Products:</b> CTR {esc(fmt.rate(v('live_ctr')))}{self._vs_avg('live_ctr')}, "
                f"CTOR {esc(fmt.rate(v('ctor')))}; top seller <b>{esc(name)}</b> with "
                f"{esc(self.money(best['gmv']))} ({esc(fmt.rate(share, 0))} of GMV)"
            )
            ext = [t for t in self.product_tips if t.kind == "extend_display"]
            low = [t for t in self.product_tips if t.kind == "giveaway_or_explain"]
            if ext:
                prod += f"; feature longer: {esc(', '.join(t.title.split(':')[0] for t in ext[:3]))}"
            if low:
                prod += f"; clicked but not bought (giveaway or explain): {esc(', '.join(t.title.split(':')[0] for t in low[:3]))}"
            items.append((tone("ctor"), prod + "."))
        elif why_products:
            items.append(("neutral", f"<b>Products:</b> per-product figures not known: {esc(why_products)}."))
        elif not pr.empty and pr["gmv"].isna().all():
            why = self.cov.missing_reason("gmv", None) or "no product sales figures"
            items.append(("neutral", f"<b>Products:</b> product sales not known: {esc(why)}."))
        else:
            items.append(("neutral", "<b>Products:</b> no product sales recorded for this session."))
        # events
        imp = self.impact.dropna(subset=["gmv_change"]) if not self.impact.empty else self.impact
        if not imp.empty:
            hi, lo = imp.loc[imp["gmv_change"].idxmax()], imp.loc[imp["gmv_change"].idxmin()]
            ev = (
                f"<b>LIVE events:</b> the biggest GMV lift followed {esc(hi['kind'])} “{esc(hi['label'])}” at "
                f"{esc(self.when(hi['ts'], '%H:%M'))} ({esc(self.money(hi['gmv_change']))}/min)"
            )
            if lo["gmv_change"] < 0:
                ev += (
                    f"; GMV fell most after {esc(lo['kind'])} “{esc(lo['label'])}” at {esc(self.when(lo['ts'], '%H:%M'))} "
                    f"({esc(self.money(lo['gmv_change']))}/min) — consider spotlighting other products there"
                )
            drops = self.gmv_drops()
            if drops:
                ev += (
                    f"; GMV fell while traffic held in {len(drops)} stretch{'es' if len(drops) > 1 else ''} "
                    f"(first at {esc(self.clock(drops[0][0] - self.options.event_window + 1))}): more product "
                    "explanation and demonstration, or a different product, may help there"
                )
            items.append(("neutral", ev + "."))
        # violations
        nv = len(self.violations)
        why_violations = self.cov.empty_note("violations", nv == 0)
        if nv:
            worst = self.violations["severity"].map({"high": 3, "medium": 2, "low": 1}).fillna(0).max()
            sev = {3: "high", 2: "medium", 1: "low"}.get(int(worst), "unknown")
            items.append(
                (
                    "warn" if sev != "high" else "bad",
                    f"<b>Violations:</b> {nv} policy warning{'s' if nv > 1 else ''} (highest severity {esc(sev)}); "
                    "see the suggested fixes below and appeal unwarranted ones.",
                )
            )
        elif why_violations:
            items.append(("neutral", f"<b>Violations:</b> not known: {esc(why_violations)}."))
        else:
            items.append(("good", "<b>Violations:</b> none during this LIVE."))
        # engagement
        seen = " (as seen by the recorder)" if self.cov.source_of("new_followers") == "recorder" else ""
        items.append(
            (
                tone("new_followers"),
                f"<b>Engagement:</b> {esc(fmt.count(v('new_followers')))} new followers{seen}"
                f"{self._why('new_followers')}{self._vs_avg('new_followers')}; "
                f"engagement rate {esc(fmt.rate(v('engagement_rate')))}{self._why('engagement_rate')}.",
            )
        )
        lis = "".join(f'<li class="{t}">{h}</li>' for t, h in items)
        basis = (
            f"Compared with the average of this account's {n_hist} session{'s' if n_hist != 1 else ''} in the "
            f"{wd} days before this one (money: in {self.currency or 'the same currency'} only)."
            if n_hist
            else f"No earlier session of this account in the {wd} days before this one: nothing to compare with."
        )
        table = self._comparison_table() if n_hist else ""
        return _section(
            "takeaways",
            "Takeaways",
            f'<ul class="lbr-take">{lis}</ul><h3>Against the account\'s average</h3><p class="lbr-note">{esc(basis)}</p>{table}',
        )

    def _comparison_table(self) -> str:
        rows = []
        for r in self.comparison.itertuples():
            rows.append(
                [
                    esc(REGISTRY[r.metric].label),
                    esc(self.metric(r.metric, r.value)),
                    esc(self.metric(r.metric, r.average)),
                    self._change(r.diff, r.diff_pct),
                ]
            )
        return _table(
            ["Metric", "This LIVE", f"Average ({len(self.history)})", "Difference"], rows, [False, True, True, True]
        )

    def core_data(self) -> str:
        s = self.summary
        names = {"sales": "Sales", "traffic": "Traffic", "engagement": "Engagement", "products": "Products"}
        show_source = self.cov.sources != ("events",)
        body = []
        for cat, label in names.items():
            cards = []
            for m in (m for m in METRICS if m.category == cat):
                raw = s.get(m.name)
                value = self.metric(m.name, self.cov.value(m.name, raw))
                note = self.cov.figure_note(m.name, raw) if show_source else ""
                missing = " lbr-missing" if value == fmt.MISSING else ""
                tip = f"{m.description} {self.cov.figure_tooltip(m.name, raw)}" if show_source else m.description
                cards.append(
                    f'<div class="lbr-card{missing}" title="{esc(tip)}"><div class="v">{esc(value)}</div>'
                    f'<div class="k">{esc(m.label)}</div>'
                    + (f'<div class="s">{esc(note)}</div>' if note else "")
                    + "</div>"
                )
            body.append(f'<h3>{esc(label)}</h3><div class="lbr-cards">{"".join(cards)}</div>')
        legend = (
            f'<p class="lbr-note">Each figure says where it came from ({esc(self.cov.label())}); '
            f"{esc(fmt.MISSING)} marks a figure no source of this session gives, with the reason.</p>"
            if show_source
            else ""
        )
        return _section("core_data", "Core data", legend + "".join(body))

    def _chart_markers(self) -> list[charts.Marker]:
        mk = self.markers
        out = [
            charts.Marker(self._minute_of(r.ts), f"{self.when(r.ts, '%H:%M')} {r.kind}: {r.label}", str(r.kind))
            for r in mk.itertuples()
        ]
        out += [
            charts.Marker(self._minute_of(g.gap_start), gap_text(g, self.options.timezone), "gap")
            for g in self.cov.gaps.itertuples()
        ]
        return out

    def trends(self) -> str:
        tr, have = self.trend, set(self.trend_cols)
        if not have:
            why = self.cov.empty_note("trend") or "no figures over time"
            return _section("trends", "Trends", f'<p class="lbr-note lbr-not-known">Not known: {esc(why)}.</p>')
        x = tr["minute"].astype(float).tolist()
        markers = self._chart_markers()
        per = per_interval(tr)
        money_short = self._money_short

        def series(*specs: tuple[str, str, str]) -> list[charts.Series]:
            return [
                charts.Series(f"{name} {per}" if col != "online" else name, tr[col].tolist(), color)
                for col, name, color in specs
                if col in have
            ]

        plan = [
            (
                "GMV",
                f"GMV {per}, with product features, giveaways and violations",
                series(("gmv", "GMV", "#16a34a")),
                money_short,
                "gmv",
            ),
            (
                "Traffic",
                f"Online viewers and views {per}",
                series(
                    ("online", "Online viewers", "#2563eb"),
                    ("views", "Views", "#9333ea"),
                    ("viewers", "Viewers", "#0891b2"),
                )[:2],
                None,
                "views",
            ),
            (
                "Clicks and orders",
                f"Product clicks and orders {per}",
                series(("product_clicks", "Product clicks", "#ea580c"), ("sku_orders", "SKU orders", "#0891b2")),
                None,
                "product_clicks",
            ),
            (
                "Engagement",
                f"Comments and likes {per}",
                series(("comments", "Comments", "#9333ea"), ("likes", "Likes", "#db2777")),
                None,
                "comments",
            ),
        ]
        body, missing = [], []
        for head, title, lines, y_fmt, metric in plan:
            if not lines:
                if head != "Engagement":
                    missing.append(f"{head}: {self.cov.trend_reason(metric, tr)}")
                continue
            if head == "Engagement" and {"gmv", "views", "online"} & have and "product_clicks" in have:
                continue  # a full event trend: engagement is in the comments section
            chart = charts.line_chart(x, lines, title=title, markers=markers, x_labels=self.clock, y_fmt=y_fmt)
            body.append(f"<h3>{esc(head)}</h3>{chart}")
        note = (
            "Markers: P a product featured (pinned), G a giveaway opening, ! a violation"
            + (", • a recorder gap" if len(self.cov.gaps) else "")
            + "; hover a marker for its name. A GMV dip while traffic holds suggests the featured product needs "
            "more explanation and demonstration, or is not resonating."
        )
        why_markers = self.cov.empty_note("markers")
        if why_markers:
            note += f" No markers here: {why_markers}."
        if per != "per minute":
            note += f" This trend has one value {per} (from {self.cov.from_text()})."
        gone = "".join(f"<li>{esc(m)}</li>" for m in missing)
        gone = (
            f'<p class="lbr-note lbr-not-known">Not charted, not known:</p><ul class="lbr-missing">{gone}</ul>'
            if gone
            else ""
        )
        return _section(
            "trends",
            "Trends",
            "".join(body) + gone + f'<p class="lbr-note">{esc(note)}</p>' + self._gmv_drops_html(),
        )

    def gmv_drops(self) -> list[tuple[int, int, insights.Tip]]:
        """Periods (first minute, last minute, first tip) when GMV fell while traffic held: the live board's own
        rule (:func:`insights.live_alerts`, ``gmv_drop``) replayed minute by minute over the whole session."""
        return self._cached("drops", self._find_gmv_drops)

    def _find_gmv_drops(self) -> list[tuple[int, int, insights.Tip]]:
        tr, w = self.trend, self.options.event_window
        if len(tr) < 2 * w + 1 or not {"gmv", "views"} <= set(self.trend_cols) or per_interval(tr) != "per minute":
            return []
        no_giveaways, no_products = self.giveaways.iloc[0:0], self.products.iloc[0:0]
        hits: list[tuple[int, insights.Tip]] = []
        for end in range(2 * w + 1, len(tr) + 1):
            tips = insights.live_alerts(tr.iloc[:end], no_giveaways, no_products, w, self.currency)
            hits += [(int(tr["minute"].iloc[end - 2]), t) for t in tips if t.kind == "gmv_drop"]
        periods: list[tuple[int, int, insights.Tip]] = []
        for minute, tip in hits:
            if periods and minute - periods[-1][1] <= w:  # overlapping windows: one period
                periods[-1] = (periods[-1][0], minute, periods[-1][2])
            else:
                periods.append((minute, minute, tip))
        return periods

    def _gmv_drops_html(self) -> str:
        w = self.options.event_window
        periods = self.gmv_drops()
        if not {"gmv", "views"} <= set(self.trend_cols):
            return ""
        if not periods:
            return f'<p class="lbr-note">No {w}-minute stretch where GMV fell by 30 % or more while views held.</p>'
        items = "".join(
            f"<li>{esc(self.clock(a - w + 1))}–{esc(self.clock(b + 1))}: {esc(t.evidence_text())}</li>"
            for a, b, t in periods[:8]
        )
        more = f"<li>… and {len(periods) - 8} more</li>" if len(periods) > 8 else ""
        return (
            "<h3>GMV fell while traffic held</h3>"
            f'<ul class="lbr-drops">{items}{more}</ul><p class="lbr-note">{esc(periods[0][2].advice)} '
            f"(GMV per minute over {w} minutes below 70 % of the {w} before, views per minute at 90 % or more.)</p>"
        )

    def _money_short(self, v: float) -> str:
        """Money for chart labels: ``RM1.2k``, ``−RM33.58``."""
        sym = fmt.CURRENCY_SYMBOLS.get(self.currency.upper()) if self.options.currency_display == "symbol" else None
        sign, a = ("−" if v < 0 else ""), abs(float(v))
        text = charts._default_fmt(a) if a >= 1000 else (f"{a:,.2f}".rstrip("0").rstrip(".") if a % 1 else f"{a:,.0f}")
        return f"{sign}{sym}{text}" if sym else f"{sign}{text} {self.currency}".rstrip()

    def event_impact(self) -> str:
        imp = self.impact
        w = self.options.event_window
        why = self.cov.empty_note("markers", self.markers.empty)
        if not why and not {"gmv", "online"} <= set(self.trend_cols) and not self.markers.empty:
            why = self.cov.trend_reason("gmv", self.trend)
        if why:
            return _section(
                "event_impact", "Event impact", f'<p class="lbr-note lbr-not-known">Not known: {esc(why)}.</p>'
            )
        if imp.empty:
            return _section(
                "event_impact",
                "Event impact",
                '<p class="lbr-note">No product features or giveaways in this session.</p>',
            )
        rows, labels, changes = [], [], []
        for r in imp.sort_values("ts").itertuples():
            rows.append(
                [
                    esc(self.when(r.ts, "%H:%M")),
                    esc("product featured" if r.kind == "product" else r.kind),
                    esc(r.label),
                    esc(self.money(r.gmv_before)),
                    esc(self.money(r.gmv_after)),
                    self._change(_f(r.gmv_change), text=self.money(r.gmv_change)),
                    esc(fmt.count(r.online_before)),
                    esc(fmt.count(r.online_after)),
                    self._change(_f(r.online_change), text=fmt.count(r.online_change)),
                ]
            )
            labels.append(f"{self.when(r.ts, '%H:%M')} {r.label}")
            changes.append(_f(r.gmv_change))
        chart = charts.bar_chart(
            labels,
            changes,
            title="Change in GMV per minute after each product feature and giveaway",
            value_fmt=lambda v: self._money_short(v) + "/min",
            color="#16a34a",
            width=760,
            label_width=260,
        )
        table = _table(
            ["Time", "Event", "Name", "GMV/min before", "after", "change", "Online before", "after", "change"],
            rows,
            [False, False, False, True, True, True, True, True, True],
        )
        note = (
            f"GMV per minute and online viewers in the {w} minutes from each event, against the {w} minutes "
            "before it. Events closer together than that share minutes, so read neighbouring rows together. "
            "If features of a product are followed by GMV declines, spotlight other products; if giveaways bring "
            "no GMV lift, focus promotions on different products."
        )
        return _section("event_impact", "Event impact", f'{chart}<p class="lbr-note">{esc(note)}</p>{table}')

    def channels_section(self) -> str:
        ch = self.channels
        if ch.empty:
            body = self.not_known("channels") or '<p class="lbr-note">No traffic channel data.</p>'
            return _section("channels", "Traffic channels", body)
        ch = ch.sort_values("views", ascending=False)
        gmv_known = bool(ch["gmv"].astype(float).notna().any())
        total_views, total_gmv = float(ch["views"].sum()), float(ch["gmv"].astype(float).sum())
        rows = []
        for r in ch.itertuples():
            err = r.views / r.impressions if _f(r.impressions) > 0 else float("nan")
            rows.append(
                [
                    esc(r.channel),
                    esc(r.group),
                    esc(fmt.count(r.impressions)),
                    esc(fmt.count(r.views)),
                    esc(fmt.count(r.viewers)),
                    esc(fmt.rate(err)),
                    esc(self.money(r.gmv)),
                    esc(fmt.rate(float(r.gmv) / total_gmv if total_gmv else float("nan"), 0)),
                ]
            )
        views_chart = charts.bar_chart(
            ch["channel"].tolist(),
            ch["views"].astype(float).tolist(),
            title="Views by traffic channel",
            value_fmt=fmt.count,
            width=460,
            label_width=90,
        )
        gmv_chart = (
            charts.bar_chart(
                ch["channel"].tolist(),
                ch["gmv"].astype(float).tolist(),
                title="GMV by traffic channel",
                value_fmt=self._money_short,
                color="#16a34a",
                width=460,
                label_width=90,
            )
            if gmv_known
            else f'<p class="lbr-note lbr-not-known">GMV by channel not known: '
            f"{esc('a recorder sees no orders or GMV' if self.cov.kind == 'recorder' else 'no GMV per channel')}.</p>"
        )
        table = _table(
            ["Channel", "Group", "Impressions", "Views", "Viewers", "Enter-room rate", "GMV", "GMV share"],
            rows,
            [False, False, True, True, True, True, True, True],
        )
        paid = float(ch.loc[ch["group"] == "promoted", "views"].sum()) / total_views if total_views else float("nan")
        note = (
            f"Organic channels brought {fmt.rate(1 - paid, 0) if not np.isnan(paid) else fmt.MISSING} of views, paid "
            f"promotion {fmt.rate(paid, 0)}. GMV is credited to the channel of the buyer's latest entry before the order."
        )
        if self.cov.kind == "recorder":
            note = "Views as seen by the recorder, by the entry source it reports. " + note
        return _section(
            "channels",
            "Traffic channels",
            f'<div class="lbr-grid2"><div>{views_chart}</div><div>{gmv_chart}</div></div>{table}<p class="lbr-note">{esc(note)}</p>',
        )

    def products_section(self) -> str:
        pr = self.products
        if pr.empty:
            body = self.not_known("products") or '<p class="lbr-note">No product data for this session.</p>'
            return _section("products", "Products", body)
        pr = pr.sort_values(["gmv", "clicks"], ascending=False)
        names = [n if isinstance(n, str) and n else str(p) for n, p in zip(pr["name"], pr["product_id"], strict=True)]
        rows = [
            [
                esc(name),
                esc(self.money(r.price)),
                esc(fmt.count(r.impressions)),
                esc(fmt.count(r.clicks)),
                esc(fmt.rate(r.ctr)),
                esc(fmt.count(r.sku_orders)),
                esc(fmt.count(r.items_sold)),
                esc(self.money(r.gmv)),
                esc(fmt.rate(r.ctor)),
                esc(fmt.duration(r.featured_s) if _f(r.featured_s) > 0 else "—"),
            ]
            for name, r in zip(names, pr.itertuples(), strict=True)
        ]
        top = pr.head(12)
        if top["gmv"].astype(float).notna().any():
            chart = charts.bar_chart(
                names[: len(top)],
                top["gmv"].astype(float).tolist(),
                title="GMV by product",
                value_fmt=self._money_short,
                color="#16a34a",
                width=760,
                label_width=260,
            )
        elif self.cov.kind == "recorder":
            chart = (
                '<p class="lbr-note lbr-not-known">Not known: a recorder sees which product was featured, but no '
                "product impressions, clicks or sales.</p>"
            )
        else:
            chart = '<p class="lbr-note lbr-not-known">GMV by product not known: no product sales figures.</p>'
        table = _table(
            ["Product", "Price", "Impressions", "Clicks", "CTR", "Orders", "Items", "GMV", "CTOR", "Featured"],
            rows,
            [False] + [True] * 9,
        )
        if not pr["clicks"].astype(float).notna().any():  # nothing to judge products by: no tips, no claim
            return _section("products", "Products", f"{chart}<h3>All products</h3>{table}")
        tips = self.product_tips
        tips_html = (
            "".join(_tip_html(t) for t in tips)
            if tips
            else '<p class="lbr-note">No product stands out from the others (or too few were shown often enough to judge).</p>'
        )
        note = (
            f"Tips judge products shown at least {insights.MIN_IMPRESSIONS} times and clicked at least "
            f"{insights.MIN_CLICKS} times against this session's median CTR and CTOR."
        )
        return _section(
            "products",
            "Products",
            f'{chart}<h3>Tips</h3>{tips_html}<p class="lbr-note">{esc(note)}</p><h3>All products</h3>{table}',
        )

    def giveaways_section(self) -> str:
        gv = self.giveaways
        if gv.empty:
            body = self.not_known("giveaways") or '<p class="lbr-note">No giveaways in this session.</p>'
            return _section("giveaways", "Giveaways", body)
        rows = []
        for r in gv.sort_values("start").itertuples():
            dur = (pd.Timestamp(r.end) - pd.Timestamp(r.start)).total_seconds() if not fmt.is_missing(r.end) else None
            rows.append(
                [
                    esc(r.prize),
                    esc(self.when(r.start, "%H:%M")),
                    esc(fmt.duration(dur)),
                    esc(fmt.count(r.view_uv)),
                    esc(fmt.count(r.click_uv)),
                    esc(fmt.count(r.participants)),
                    esc(f"{fmt.count(r.winners)} / {fmt.count(r.winners_planned)}"),
                    esc(self.money(r.gmv_during)),
                ]
            )
        table = _table(
            ["Prize", "Start", "Duration", "View UV", "Click UV", "Participants", "Winners", "GMV during"],
            rows,
            [False, False, True, True, True, True, True, True],
        )
        chart = charts.bar_chart(
            [f"{self.when(r.start, '%H:%M')} {r.prize}" for r in gv.sort_values("start").itertuples()],
            gv.sort_values("start")["participants"].astype(float).tolist(),
            title="Giveaway participants",
            value_fmt=fmt.count,
            color="#e9a23b",
            width=760,
            label_width=260,
        )
        no_products = self.products.iloc[0:0]  # only the giveaway rule of live_alerts here
        alerts = insights.live_alerts(self.trend, gv, no_products, self.options.event_window, self.currency)
        tips = [t for t in alerts if t.kind == "giveaway_no_lift"]
        tips_html = (
            "".join(_tip_html(t) for t in tips)
            or '<p class="lbr-note">Every giveaway came with a GMV lift over the minutes before it.</p>'
        )
        note = "Prioritise giveaways that boost views and sales, on high-demand items with a barrier to purchase."
        return _section("giveaways", "Giveaways", f'{chart}{table}{tips_html}<p class="lbr-note">{esc(note)}</p>')

    def violations_section(self) -> str:
        vi = self.violations
        if vi.empty:
            body = self.not_known("violations") or '<p class="lbr-note">No violations during this LIVE.</p>'
            return _section("violations", "Violations", body)
        rows = [
            [
                esc(self.when(r.ts, "%H:%M")),
                esc(r.policy),
                f'<span class="sev-{esc(r.severity)}">{esc(r.severity)}</span>',
                esc(r.detail),
                esc(insights.violation_advice(r.policy)),
            ]
            for r in vi.sort_values("ts").itertuples()
        ]
        counts = vi["policy"].value_counts()
        repeat = [p for p, n in counts.items() if n > 1]
        extra = (
            f'<p class="lbr-note">Repeated in this LIVE: {esc(", ".join(map(str, repeat)))} — worth a rule in your run sheet.</p>'
            if repeat
            else ""
        )
        return _section(
            "violations",
            "Violations",
            _table(["Time", "Policy", "Severity", "Detail", "Suggested fix"], rows)
            + extra
            + f'<p class="lbr-note">{esc(insights.APPEAL)}</p>',
        )

    def comments_section(self) -> str:
        cm = self.comments
        if cm.empty:
            body = self.not_known("comments") or '<p class="lbr-note">No comments in this session.</p>'
            count = self.value("comments")
            if self.not_known("comments") and not fmt.is_missing(count):
                body += f'<p class="lbr-note">The comment count is known: {esc(fmt.count(count))}.</p>'
            return _section("comments", "Comments", body)
        per_min = cm.groupby("minute").size()
        chart = charts.column_chart(
            per_min.index.astype(float).tolist(),
            per_min.astype(float).tolist(),
            title="Comments per minute",
            x_labels=self.clock,
        )
        words = comment_words(cm["text"])
        word_chart = charts.bar_chart(
            [w for w, _ in words],
            [float(n) for _, n in words],
            title="Top words in comments",
            value_fmt=fmt.count,
            color="#9333ea",
            width=440,
            label_width=150,
        )
        emoji = comment_emoji(cm["text"])
        emoji_html = (
            "".join(f'<span class="lbr-emoji">{esc(e)} {esc(fmt.count(n))}</span>' for e, n in emoji)
            or '<span class="lbr-note">No emoji.</span>'
        )
        commenters = cm["user_id"].nunique()
        peak = per_min.idxmax()
        summary = (
            f"{fmt.count(len(cm))} comments from {fmt.count(commenters)} viewers; busiest minute {self.clock(peak)} "
            f"with {fmt.count(per_min.max())} comments."
        )
        return _section(
            "comments",
            "Comments",
            f'<p>{esc(summary)}</p>{chart}<div class="lbr-grid2"><div><h3>Top words</h3>{word_chart}</div>'
            f'<div><h3>Top emoji</h3><p>{emoji_html}</p><p class="lbr-note">Words: split on spaces, punctuation removed, '
            "common words of the session's languages left out. Emoji: characters of Unicode category “Symbol, other”.</p></div></div>",
        )

    def audience_section(self) -> str:
        au = self.audience
        if au.empty or self.not_known("audience"):
            body = self.not_known("audience") or '<p class="lbr-note">No audience profile data.</p>'
            return _section("audience", "Audience", body)
        titles = {"follower": "Followers", "gender": "Gender", "age": "Age", "region": "Region"}
        blocks = []
        for dim, label in titles.items():
            d = au[au["dimension"] == dim]
            if d.empty:
                continue
            piv = d.pivot_table(index="value", columns="audience", values="share", aggfunc="sum")
            order = piv.get("viewers", piv.iloc[:, 0]).sort_values(ascending=False)
            values = [v for v in order.index if v != "unknown"][:8] + (["unknown"] if "unknown" in order.index else [])
            groups = [
                charts.Series(name.capitalize(), [piv.at[v, name] if name in piv else None for v in values], color)
                for name, color in (("viewers", "#2563eb"), ("customers", "#16a34a"))
                if name in piv
            ]
            blocks.append(
                f"<div><h3>{esc(label)}</h3>"
                + charts.paired_bars(
                    values, groups, title=f"{label}: share of viewers and customers", value_fmt=lambda v: fmt.rate(v, 0)
                )
                + "</div>"
            )
        fol = au[(au["dimension"] == "follower") & (au["value"] == "follower")].set_index("audience")["share"]
        note = ""
        if "viewers" in fol:
            note = (
                f"Followers were {fmt.rate(fol['viewers'], 0)} of viewers"
                + (f" and {fmt.rate(fol['customers'], 0)} of customers" if "customers" in fol else "")
                + ". A solid follower base means strong organic reach; grow it with LIVE outreach and awareness."
            )
        return _section(
            "audience",
            "Audience",
            f'<div class="lbr-grid2">{"".join(blocks)}</div><p class="lbr-note">{esc(note)}</p>',
        )

    def footer(self) -> str:
        now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
        text = (
            f"Generated by liveboard {liveboard.__version__} on {now}. Times in {self.options.timezone}. "
            f"Comparison window: {self.options.window_days} days. Missing values are shown as {fmt.MISSING}, never as 0."
        )
        return f'<div class="lbr lbr-footer"><p class="lbr-note">{esc(text)}</p></div>'

    # ------------------------------------------------------------------ output

    _METHODS = {
        "channels": "channels_section",
        "products": "products_section",
        "giveaways": "giveaways_section",
        "violations": "violations_section",
        "comments": "comments_section",
        "audience": "audience_section",
    }

    def section(self, name: str) -> str:
        if name not in SECTIONS:
            raise InputError(f"unknown report section {name!r} (one of {', '.join(SECTIONS)})")
        return getattr(self, self._METHODS.get(name, name))()

    def show(self, *names: str) -> None:
        """Display sections (all when none named) in a notebook, as HTML outputs."""
        from IPython.display import HTML, display

        for name in names or SECTIONS:
            display(HTML(self.section(name)))

    def html(self) -> str:
        """The whole report as one standalone page, without a kernel (used by tests and previews)."""
        return page(self.title, "".join(self.section(n) for n in SECTIONS))


# ====================================================================== the page, the index


CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; font-src data:"
PAGE_CSS = "body{margin:24px auto;max-width:1000px;padding:0 16px;background:#fff}"


def page(title: str, body: str, meta: dict[str, str] | None = None) -> str:
    """A standalone HTML page: no script, nothing fetched (the CSP forbids both)."""
    metas = "".join(f'<meta name="{esc(k)}" content="{esc(v)}">' for k, v in (meta or {}).items())
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"{metas}<title>{esc(title)}</title><style>{PAGE_CSS}{CSS}</style></head>"
        f"<body>{body}</body></html>\n"
    )


def report_name(session_id: str) -> str:
    """A file name stem for a session's report: readable, safe, and distinct for distinct ids."""
    sid = str(session_id)
    safe = re.sub(r"[^A-Za-z0-9_.@-]", "_", sid)[:80].lstrip(".") or "session"
    if safe != sid:
        safe += "-" + hashlib.sha1(sid.encode()).hexdigest()[:8]
    return safe


def _atomic_write(path: Path, data: str | bytes) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{uuid.uuid4().hex[:8]}.tmp")
    try:
        with open(tmp, "wb") as fh:
            fh.write(data.encode() if isinstance(data, str) else data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()


def list_reports(out_dir: str | os.PathLike) -> pd.DataFrame:
    """Reports in a folder (from their ``.json`` side files), newest session first."""
    cols = ["session_id", "title", "account_id", "start", "currency", "gmv", "html", "notebook", "generated_at"]
    rows = []
    for p in sorted(Path(out_dir).glob("*.json")):
        try:
            meta = json.loads(p.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if not isinstance(meta, dict) or meta.get("kind") != "liveboard-report":
            continue
        if not (Path(out_dir) / str(meta.get("html", ""))).is_file():
            continue
        rows.append({c: meta.get(c) for c in cols})
    df = pd.DataFrame(rows, columns=cols)
    if not df.empty:
        df = df.sort_values(["start", "session_id"], ascending=[False, True], na_position="last").reset_index(drop=True)
    return df


def write_index(out_dir: str | os.PathLike, failures: Sequence[tuple[str, str]] = ()) -> Path:
    """``index.html``: every report in the folder (escaped titles, relative links), and this run's failures."""
    out = Path(out_dir)
    df = list_reports(out)
    rows = []
    for r in df.itertuples():
        href = esc(r.html)
        rows.append(
            [
                f'<a href="{href}">{esc(r.title or r.session_id)}</a>',
                esc(r.session_id),
                esc(r.account_id or fmt.MISSING),
                esc(fmt.when(r.start)),
                esc(fmt.money(r.gmv, r.currency or "USD")),
                f'<a href="{esc(r.notebook)}">notebook</a>',
            ]
        )
    body = f'<div class="lbr"><h1>Post-LIVE reports</h1><p class="lbr-sub">{len(df)} report(s) in this folder.</p>'
    body += _table(
        ["Title", "Session", "Account", "Start (UTC)", "GMV", "Notebook"],
        rows,
        [False, False, False, False, True, False],
    )
    if failures:
        body += "<h2>Not generated in the last run</h2>" + _table(
            ["Session", "Error"], [[esc(s), esc(e)] for s, e in failures]
        )
    body += "</div>"
    path = out / "index.html"
    _atomic_write(path, page("Post-LIVE reports", body))
    return path


# ====================================================================== running the template

_EXPORTER = None


def _exporter():
    global _EXPORTER
    if _EXPORTER is None:
        from nbconvert import HTMLExporter

        _EXPORTER = HTMLExporter(
            template_name="basic", exclude_input=True, exclude_input_prompt=True, exclude_output_prompt=True
        )
    return _EXPORTER


def notebook_to_html(nb, title: str) -> str:
    """The executed notebook as a standalone page: outputs only (no code, no prompts, no stderr)."""
    import copy

    nb = copy.deepcopy(nb)
    for cell in nb.cells:
        if cell.get("cell_type") == "code":
            cell["outputs"] = [
                o
                for o in cell.get("outputs", [])
                if not (o.get("output_type") == "stream" and o.get("name") == "stderr")
            ]
        elif cell.get("cell_type") in ("markdown", "raw"):
            cell["source"] = ""
    body, _ = _exporter().from_notebook_node(nb)
    return page(title, body, {"generator": f"liveboard {liveboard.__version__}"})


class ReportError(Exception):
    """One session's report failed; the message is one line."""

    def __init__(self, session_id: str, message: str):
        super().__init__(f"{session_id}: {message}")
        self.session_id = session_id
        self.message = message


@dataclass
class ReportResult:
    session_id: str
    ok: bool
    html: Path | None = None
    notebook: Path | None = None
    seconds: float = 0.0
    error: str = ""


def _one_line(text: object, limit: int = 300) -> str:
    line = " ".join(str(text).split())
    return line if len(line) <= limit else line[: limit - 1] + "…"


@contextlib.contextmanager
def _quiet_kernel_stderr() -> Iterator[None]:
    """Send this process's fd 2 (inherited by kernels: ipykernel's start-up warning) to a temp file."""
    if os.environ.get("LIVEBOARD_REPORT_DEBUG"):
        yield
        return
    try:
        sys.stderr.flush()
        saved = os.dup(2)
    except (OSError, ValueError):
        yield
        return
    with tempfile.TemporaryFile() as sink:
        os.dup2(sink.fileno(), 2)
        try:
            yield
        finally:
            sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)


def render_report(
    session_id: str,
    out_dir: str | os.PathLike,
    store: str | os.PathLike,
    options: ReportOptions | None = None,
    *,
    meta: dict | None = None,
    template: str | os.PathLike | None = None,
    kernel_name: str | None = None,
    timeout: int = EXECUTION_TIMEOUT_S,
    kernel: ReusedKernel | None = None,
) -> ReportResult:
    """Run the template for one session and write ``<name>.ipynb``, ``<name>.html`` and ``<name>.json``
    into ``out_dir``, each atomically. Raises :class:`ReportError` with a one-line reason on failure.

    With ``kernel`` (a :class:`ReusedKernel`), the notebook runs in that already started kernel, its
    namespace reset first, instead of a fresh kernel: batches pay kernel start and imports once per worker."""
    import nbformat
    import papermill as pm

    started = time.monotonic()
    options = options or ReportOptions()
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    store = str(Path(store).resolve())
    name = report_name(session_id)
    template = Path(template) if template else TEMPLATE
    if not template.is_file():
        raise ReportError(session_id, f"report template {template} is missing")
    if meta is None:
        info = liveboard.open(store).session(session_id).info
        meta = {k: info.get(k) for k in ("title", "account_id", "start", "currency", "gmv")}
    tmp_nb = out / f".{name}.{os.getpid()}.{uuid.uuid4().hex[:8]}.tmp.ipynb"
    params = {"session_id": str(session_id), "store": store, **options.parameters()}
    try:
        try:
            if kernel is not None:
                kernel.prepare()
                pm.execute_notebook(
                    str(template),
                    str(tmp_nb),
                    parameters=params,
                    kernel_name=kernel.kernel_name,
                    progress_bar=False,
                    log_output=False,
                    execution_timeout=timeout,
                    km=kernel.km,
                    kc=kernel.kc,
                )
                kernel.runs += 1
            else:
                with _quiet_kernel_stderr():
                    pm.execute_notebook(
                        str(template),
                        str(tmp_nb),
                        parameters=params,
                        kernel_name=kernel_name,
                        progress_bar=False,
                        log_output=False,
                        execution_timeout=timeout,
                        cwd=str(out),
                    )
            nb = nbformat.read(tmp_nb, as_version=4)
            title = str(session_id) if fmt.is_missing(meta.get("title")) else str(meta.get("title"))
            html_text = notebook_to_html(nb, f"{title} · post-LIVE report")
        except pm.PapermillExecutionError as exc:  # an error in a cell: the kernel itself is fine
            raise ReportError(session_id, _one_line(f"{exc.ename}: {exc.evalue}")) from None
        except Exception as exc:  # a kernel that died or timed out, a template that does not parse, a full disk …
            if kernel is not None:
                kernel.broken = True
            raise ReportError(session_id, _one_line(f"{type(exc).__name__}: {exc}")) from None
        # html, then notebook, then the side file that lists the report: a reader never sees half a report
        html_path, nb_path = out / f"{name}.html", out / f"{name}.ipynb"
        _atomic_write(html_path, html_text)
        os.replace(tmp_nb, nb_path)
        _atomic_write(
            out / f"{name}.json",
            json.dumps(_side_file(session_id, meta, options, html_path, nb_path), ensure_ascii=False, indent=1),
        )
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp_nb.unlink()
    return ReportResult(str(session_id), True, html_path, nb_path, time.monotonic() - started)


def _side_file(session_id: str, meta: dict, options: ReportOptions, html_path: Path, nb_path: Path) -> dict:
    def text(key: str) -> str | None:
        return None if fmt.is_missing(meta.get(key)) else str(meta.get(key))

    return {
        "kind": "liveboard-report",
        "session_id": str(session_id),
        "title": text("title"),
        "account_id": text("account_id"),
        "start": None if fmt.is_missing(meta.get("start")) else pd.Timestamp(meta.get("start")).isoformat(),
        "currency": text("currency"),
        "gmv": None if fmt.is_missing(meta.get("gmv")) else float(meta.get("gmv")),
        "html": html_path.name,
        "notebook": nb_path.name,
        "generated_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "options": options.parameters(),
    }


class ReusedKernel:
    """One kernel kept for many reports in one process (batches).

    A fresh papermill kernel costs ~2 s of start-up and imports per report on a 2-core machine; here that is
    paid once per worker. Before each report the kernel's namespace and execution counter are reset
    (``get_ipython().reset(new_session=True)``), so every executed notebook reads as a clean run. A kernel
    that died or timed out is marked ``broken`` and replaced; it is also replaced after ``max_runs`` reports.
    """

    def __init__(self, kernel_name: str | None = None, cwd: str | os.PathLike | None = None, max_runs: int = 100):
        import nbformat
        from jupyter_client.manager import KernelManager

        if kernel_name is None:
            kernel_name = nbformat.read(TEMPLATE, as_version=4).metadata.get("kernelspec", {}).get("name", "python3")
        self.kernel_name = kernel_name
        self.max_runs = max_runs
        self.runs = 0
        self.broken = False
        self.km = KernelManager(kernel_name=kernel_name)
        with _quiet_kernel_stderr():
            self.km.start_kernel(cwd=str(cwd) if cwd else None)
        self.kc = self.km.client()
        self.kc.start_channels()
        # The kernel boots and imports the report module while this process goes on importing papermill and
        # nbconvert: ready is awaited in prepare(), just before the first report.
        self.kc.execute("import liveboard.report", silent=True, store_history=False)
        self.ready = False

    @property
    def usable(self) -> bool:
        return not self.broken and self.runs < self.max_runs and self.km.is_alive()

    def prepare(self) -> None:
        """Wait until the kernel is ready; after a report, reset its namespace (through nbclient, the same path
        papermill uses on this client: the blocking client's own replies are not read between runs)."""
        if not self.ready:
            try:
                self.kc.wait_for_ready(timeout=120)
            except RuntimeError:
                self.broken = True
                raise
            self.ready = True
        if self.runs == 0:
            return
        import nbformat
        from nbclient import NotebookClient

        nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("get_ipython().reset(new_session=True)")])
        NotebookClient(nb, km=self.km, kc=self.kc, timeout=60).execute()

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.kc.stop_channels()
        with contextlib.suppress(Exception):
            self.km.shutdown_kernel(now=True)


_KERNEL: ReusedKernel | None = None


def _process_kernel(cwd: str) -> ReusedKernel:
    """This process's reused kernel, started (or replaced) when needed."""
    global _KERNEL
    if _KERNEL is None or not _KERNEL.usable:
        if _KERNEL is not None:
            _KERNEL.close()
        _KERNEL = None
        _KERNEL = ReusedKernel(cwd=cwd)
    return _KERNEL


def _close_process_kernel() -> None:
    global _KERNEL
    if _KERNEL is not None:
        _KERNEL.close()
        _KERNEL = None


def _worker(job: tuple) -> ReportResult:
    session_id, out_dir, store, options, meta, reuse = job
    started = time.monotonic()
    try:
        kernel = _process_kernel(out_dir) if reuse else None
        return render_report(session_id, out_dir, store, options, meta=meta, kernel=kernel)
    except ReportError as exc:
        return ReportResult(session_id, False, seconds=time.monotonic() - started, error=exc.message)
    except Exception as exc:  # never let one session take the batch down
        return ReportResult(
            session_id, False, seconds=time.monotonic() - started, error=_one_line(f"{type(exc).__name__}: {exc}")
        )


def _worker_init() -> None:
    # Keep the workers' (and their kernels') stray output off the progress bar; errors come back as results.
    if not os.environ.get("LIVEBOARD_REPORT_DEBUG"):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 2)
        os.close(devnull)
    from multiprocessing.util import Finalize

    Finalize(None, _close_process_kernel, exitpriority=10)  # workers exit without running atexit
    import nbconvert  # noqa: F401 - warm the imports once per worker
    import papermill  # noqa: F401


def run_batch(
    sessions: pd.DataFrame,
    out_dir: str | os.PathLike,
    store: str | os.PathLike,
    options: ReportOptions | None = None,
    *,
    jobs: int = 1,
    progress: bool = True,
    reuse_kernels: bool = True,
) -> list[ReportResult]:
    """Reports for every row of ``sessions`` (from :func:`select_sessions`), ``jobs`` at a time in worker
    processes (``jobs=1``: one by one in this process). A failing session is recorded and the rest go on.
    Writes ``index.html`` at the end. Results come back in the order of ``sessions``.

    ``reuse_kernels`` (default) runs each process's reports in one :class:`ReusedKernel`; ``False`` starts
    a fresh kernel per report (papermill's default, slower)."""
    from tqdm.auto import tqdm

    options = options or ReportOptions()
    store = str(Path(store).resolve())
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    meta_cols = ["title", "account_id", "start", "currency", "gmv"]
    work = [
        (str(r["session_id"]), str(out), store, options, {c: r.get(c) for c in meta_cols}, reuse_kernels)
        for _, r in sessions.iterrows()
    ]
    results: dict[str, ReportResult] = {}
    bar = tqdm(total=len(work), desc="reports", unit="report", disable=not progress)
    try:
        if jobs <= 1 or len(work) <= 1:
            for job in work:
                res = _worker(job)
                results[res.session_id] = res
                bar.update(1)
                if not res.ok:
                    bar.write(f"failed: {res.session_id}: {res.error}")
        else:
            import multiprocessing
            from concurrent.futures import ProcessPoolExecutor, as_completed

            ctx = multiprocessing.get_context("spawn")  # no fork of a process holding DuckDB/zmq threads
            with ProcessPoolExecutor(
                max_workers=min(jobs, len(work)), mp_context=ctx, initializer=_worker_init
            ) as pool:
                futures = {pool.submit(_worker, job): job[0] for job in work}
                for fut in as_completed(futures):
                    sid = futures[fut]
                    try:
                        res = fut.result()
                    except Exception as exc:  # a worker process that died
                        res = ReportResult(sid, False, error=_one_line(f"{type(exc).__name__}: {exc}"))
                    results[sid] = res
                    bar.update(1)
                    if not res.ok:
                        bar.write(f"failed: {sid}: {res.error}")
    finally:
        bar.close()
        _close_process_kernel()
        ordered = [results[job[0]] for job in work if job[0] in results]
        write_index(out, [(r.session_id, r.error) for r in ordered if not r.ok])
    return ordered


def parse_since(value: str | None, name: str = "since") -> str | None:
    """Check a date given on the command line; return it unchanged (InputError with one line when bad)."""
    if value:
        parse_date(value, name)
    return value
