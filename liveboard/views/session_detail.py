"""One past LIVE session's full board: core data, traffic, channels, metric trends with markers, products
with tips, violations with advice, promotions, comments, audience, and downloads.

Read-only by design: a past session has no edit controls. Views take DataFrames from
:class:`liveboard.workbench.SessionData` and never touch storage themselves.
"""

from __future__ import annotations

import re
import unicodedata

import ipywidgets as W
import pandas as pd

from liveboard import csvsafe, insights
from liveboard.eventlog import to_json_lines
from liveboard.metrics import REGISTRY, TREND_COLUMNS
from liveboard.views import format as fmt
from liveboard.views.charts import BarChart, TimeChart
from liveboard.views.widgets import Column, Debouncer, cards, download_link, error_html, html, html_table, versus
from liveboard.workbench import InputError, SessionData

MAX_SESSION_ID = 200
#: Up to this many events the events download is built when the session opens; above, on a button click.
AUTO_DOWNLOAD_EVENTS = 50_000
#: Above this many events the events download is not built in the page (use ``liveboard export``).
MAX_DOWNLOAD_EVENTS = 1_500_000
#: A plain .jsonl up to this size; above it, .jsonl.gz.
PLAIN_DOWNLOAD_BYTES = 8 * 1024 * 1024
#: Above this many bytes (after gzip for events) a download is not put into the page.
MAX_DOWNLOAD_BYTES = 16 * 1024 * 1024
MAX_COMMENTS_SHOWN = 200
CORE_METRICS = (
    "gmv",
    "direct_gmv",
    "items_sold",
    "customers",
    "viewers",
    "views",
    "pcu",
    "avg_view_duration_s",
    "engagement_rate",
)
TREND_LABELS = {c: (REGISTRY[c].label if c in REGISTRY else c.replace("_", " ").capitalize()) for c in TREND_COLUMNS}
TREND_LABELS.update({"online": "Online viewers", "gmv": "GMV", "views": "Views", "impressions": "LIVE impressions"})
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def validate_session_id(value: object) -> str | None:
    """A session id from a URL or widget: ``None`` when empty; :class:`InputError` when unusable."""
    if value is None:
        return None
    text = str(value)
    if text.strip() == "":
        return None
    if len(text) > MAX_SESSION_ID:
        raise InputError(f"session: the id is {len(text)} characters long; at most {MAX_SESSION_ID} are allowed")
    if _CONTROL.search(text) or any(unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp") for ch in text):
        raise InputError("session: the id contains control characters")
    return text


def _ts(value: object) -> str:
    return fmt.when(value, fmt="%H:%M:%S")


def _num(name: str, currency: str):
    return lambda v: fmt.metric(name, v, currency)


class SessionDetail:
    """The board of one session. ``SessionDetail(wb.session(id)).widget`` (or just display the object)."""

    def __init__(
        self,
        sd: SessionData,
        *,
        peers: pd.DataFrame | None = None,
        tz: str | None = None,
        search_delay: float = 0.25,
    ):
        self.sd = sd
        self.tz = tz
        self.peers = peers
        self.currency = str(sd.info.get("currency") or "USD")
        self.summary = sd.summary()
        self.trend = sd.trend()
        self.markers = sd.markers()
        self.max_minute = int(self.trend["minute"].max()) if not self.trend.empty else 0
        # --- widgets
        self.header = html(self._header_html(), "lb-detail-header")
        self.core = html(self._core_html(), "lb-core-data")
        self.downloads = html(self._downloads_html(), "lb-downloads")
        auto = self.event_count() <= AUTO_DOWNLOAD_EVENTS
        self.prepare = W.Button(
            description=f"Prepare events download ({self.event_count():,} events)",
            layout=W.Layout(width="auto", display="none" if auto else ""),
        )
        self.prepare.add_class("lb-prepare-events")
        self.prepare.on_click(self._prepare_events)
        self.range = W.IntRangeSlider(
            value=(0, self.max_minute),
            min=0,
            max=max(self.max_minute, 1),
            step=1,
            description="Minutes",
            continuous_update=False,
            layout=W.Layout(width="520px"),
        )
        self.range.add_class("lb-time-filter")
        self.whole = W.Button(description="Whole session", layout=W.Layout(width="130px"))
        self.whole.on_click(lambda _b: setattr(self.range, "value", (0, self.max_minute)))
        self.traffic_chart = TimeChart("Traffic: online viewers and views per minute", css_class="lb-traffic-chart")
        self.trend_pick = W.SelectMultiple(
            options=[(TREND_LABELS[c], c) for c in TREND_COLUMNS],
            value=("gmv", "views"),
            rows=6,
            description="Metrics",
            layout=W.Layout(width="280px"),
        )
        self.trend_chart = TimeChart("Metric trends", height="300px", css_class="lb-trend-chart")
        self.trend_legend = html(self._legend_html(), "lb-marker-legend")
        self.impact = html("", "lb-impact")
        self.channel_chart = BarChart("Views per channel", css_class="lb-channel-chart")
        self.channels_html = html(self._channels_html(), "lb-channels-table")
        self.products_html = html(self._products_html(), "lb-products-table")
        self.violations_html = html(self._violations_html(), "lb-violations-table")
        self.giveaways_html = html(self._giveaways_html(), "lb-giveaways-table")
        self.comment_search = W.Text(placeholder="Search comments", description="Search", continuous_update=True)
        self.comment_search.add_class("lb-comment-search")
        self.comments_html = html("", "lb-comments-table")
        self.audience_html = html(self._audience_html(), "lb-audience-table")
        self._comments = sd.comments()
        self._comment_debounce = Debouncer(self._refresh_comments, search_delay)
        self.comment_search.observe(lambda _c: self._comment_debounce.trigger(), "value")
        self.range.observe(lambda _c: self._refresh_trends(), "value")
        self.trend_pick.observe(lambda _c: self._refresh_trends(), "value")
        self._refresh_comments()
        self._refresh_trends()
        self._refresh_channels_chart()
        self.widget = self._layout()

    # ------------------------------------------------------------------ layout

    def _section(self, title: str, css: str, *children: W.Widget, note: str = "") -> W.VBox:
        head = f'<h3 class="lb-h">{fmt.esc(title)}</h3>' + (
            f'<div class="lb-note">{fmt.esc(note)}</div>' if note else ""
        )
        box = W.VBox([html(head), *children], layout=W.Layout(width="100%"))
        box.add_class("lb-section")
        box.add_class(css)
        return box

    def _layout(self) -> W.VBox:
        sections = [
            self.header,
            W.HBox([self.prepare, self.downloads]),
            self._section("Core data", "lb-core", self.core),
            self._section(
                "Traffic trend",
                "lb-traffic",
                W.HBox([self.range, self.whole]),
                self.traffic_chart.figure,
                note="The time filter applies to the traffic trend and the metric trends.",
            ),
            self._section("Traffic channels", "lb-channels", self.channels_html, self.channel_chart.figure),
            self._section(
                "Metric trends",
                "lb-trends",
                W.HBox([self.trend_pick, self.trend_legend]),
                self.trend_chart.figure,
                self.impact,
                note="Choose several metrics (Ctrl/⌘-click). Dashed lines mark product features, giveaways "
                "and violations.",
            ),
            self._section("Product analytics", "lb-products", self.products_html),
            self._section("Violations", "lb-violations", self.violations_html),
            self._section("Promotion analytics (giveaways)", "lb-giveaways", self.giveaways_html),
            self._section("Comments", "lb-comments", self.comment_search, self.comments_html),
            self._section("Audience", "lb-audience", self.audience_html),
        ]
        box = W.VBox(sections, layout=W.Layout(width="100%"))
        box.add_class("lb-session-detail")
        return box

    def _repr_mimebundle_(self, **kwargs):
        return self.widget._repr_mimebundle_(**kwargs)

    # ------------------------------------------------------------------ header, core, downloads

    def _header_html(self) -> str:
        info = self.sd.info
        event = info.get("live_event_id")
        parts = [
            f"Started {fmt.esc(fmt.when(info.get('start'), self.tz))}",
            f"duration {fmt.esc(fmt.duration(info.get('duration_s')))}",
            f"account {fmt.esc(info.get('account_id'))}",
        ]
        if not fmt.is_missing(event):
            parts.append(f"LIVE event {fmt.esc(event)}")
        parts.append(
            f"{fmt.esc(fmt.count(info.get('featured_products')))} featured products · "
            f"{fmt.esc(fmt.count(info.get('giveaways')))} giveaways · {fmt.esc(fmt.count(info.get('winners')))} winners"
        )
        return (
            f'<h2 class="lb-h lb-session-title">{fmt.esc(info.get("title")) or fmt.esc(self.sd.id)}</h2>'
            f'<div class="lb-muted">{fmt.esc(self.sd.id)} · {" · ".join(parts)}</div>'
            '<div class="lb-note">Past sessions are read-only.</div>'
        )

    def _core_html(self) -> str:
        s = self.summary
        comp = None
        if self.peers is not None and len(self.peers):
            comp = insights.compare_to_average(s, self.peers, list(CORE_METRICS)).set_index("metric")
        items = []
        for m in CORE_METRICS:
            sub = versus(comp.loc[m, "diff_pct"]) if comp is not None else ""
            items.append((REGISTRY[m].label, fmt.metric(m, s.get(m), self.currency), sub))
        return cards(items)

    def events_payload(self) -> tuple[bytes, str, str] | str:
        """(bytes, filename, mime) of the session's event log, or a message when it is too large for the page."""
        n = self.event_count()
        cmd = f"liveboard export {self.sd.id} --out {self.sd.id}.jsonl.gz"
        if n > MAX_DOWNLOAD_EVENTS:
            return f"This session has {n:,} events, too many to download from the page. Run: {cmd}"
        lines = to_json_lines(self.sd.events()).to_pylist()
        data = ("\n".join(lines) + ("\n" if lines else "")).encode("utf-8")
        name = _filename(self.sd.id)
        if len(data) <= PLAIN_DOWNLOAD_BYTES:
            return data, f"{name}.jsonl", "application/x-ndjson"
        import gzip

        gz = gzip.compress(data, compresslevel=6)
        if len(gz) <= MAX_DOWNLOAD_BYTES:
            return gz, f"{name}.jsonl.gz", "application/gzip"
        return f"This session's event log is {len(gz) / 1e6:.0f} MB compressed, too large for the page. Run: {cmd}"

    def comments_payload(self) -> tuple[bytes, str, str] | str:
        df = self.sd.comments()
        out = pd.DataFrame(
            {
                "time": [fmt.when(t, fmt="%Y-%m-%dT%H:%M:%S%z") for t in df["ts"]],
                "minute": df["minute"],
                "user_id": df["user_id"],
                "text": df["text"],
            }
        )
        data = csvsafe.to_safe_csv(out).encode("utf-8")
        if len(data) > MAX_DOWNLOAD_BYTES:
            return f"The comments CSV is {len(data) / 1e6:.0f} MB, too large for the page."
        return data, f"{_filename(self.sd.id)}-comments.csv", "text/csv"

    def event_count(self) -> int:
        n = self.summary.get("event_count")
        return 0 if fmt.is_missing(n) else int(n)

    def _prepare_events(self, _button=None) -> None:
        """Build the events download on request (large sessions), then show the link instead of the button."""
        self.prepare.disabled = True
        self.prepare.description = "Preparing…"
        self.downloads.value = self._downloads_html(events=True)
        self.prepare.layout.display = "none"

    def _downloads_html(self, events: bool | None = None) -> str:
        parts = []
        if events is None:
            events = self.event_count() <= AUTO_DOWNLOAD_EVENTS
        items = [(self.comments_payload(), "Download comments (.csv)", "lb-download-comments")]
        if events:
            items.insert(0, (self.events_payload(), "Download events", "lb-download-events"))
        for payload, label, css in items:
            if isinstance(payload, str):
                parts.append(f'<span class="lb-note {css}-unavailable">{fmt.esc(payload)}</span>')
            else:
                data, name, mime = payload
                ext = name.rsplit(".", 2)[-2:] if name.endswith(".gz") else name.rsplit(".", 1)[-1:]
                label = f"{label} (.{'.'.join(ext)}) · {len(data) / 1024:,.0f} KB"
                parts.append(download_link(data, name, mime, label, css))
        return "".join(parts)

    # ------------------------------------------------------------------ trends

    def _legend_html(self) -> str:
        from liveboard.views.charts import MARKER_COLORS

        names = {"product": "product feature", "giveaway": "giveaway", "violation": "violation"}
        counts = self.markers["kind"].value_counts() if not self.markers.empty else {}
        items = "".join(
            f'<div><span class="lb-bar" style="background:{c};width:18px"></span>{fmt.esc(names[k])} '
            f'<span class="lb-muted">({int(counts.get(k, 0)) if len(counts) else 0})</span></div>'
            for k, c in MARKER_COLORS.items()
        )
        return f'<div class="lb-note" style="margin-left:16px">Markers on the time axis:{items}</div>'

    def _window(self) -> tuple[int, int]:
        lo, hi = self.range.value
        lo, hi = max(0, int(lo)), min(self.max_minute, int(hi))
        return (lo, hi) if lo <= hi else (0, self.max_minute)

    def _refresh_trends(self) -> None:
        lo, hi = self._window()
        t = self.trend[(self.trend["minute"] >= lo) & (self.trend["minute"] <= hi)]
        self.traffic_chart.update(
            t["ts"],
            {"online": t["online"], "views": t["views"]},
            labels={"online": "Online viewers", "views": "Views / min"},
        )
        picked = [c for c in self.trend_pick.value if c in TREND_COLUMNS][:6] or ["gmv"]
        m = self.markers
        if not m.empty:
            m = m[(m["minute"] >= lo) & (m["minute"] <= hi)]
        self.trend_chart.update(t["ts"], {c: t[c] for c in picked}, markers=m, labels=TREND_LABELS)
        self.impact.value = self._impact_html(lo, hi)

    def _impact_html(self, lo: int, hi: int) -> str:
        imp = insights.event_impact(self.trend, self.markers)
        if imp.empty:
            return ""
        imp = imp[imp["ts"].between(self._minute_ts(lo), self._minute_ts(hi + 1))]
        cur = self.currency
        cols = [
            Column("ts", "Time", _ts),
            Column("kind", "Event"),
            Column("label", "What"),
            Column("gmv_before", "GMV/min before", lambda v: fmt.money(v, cur), True),
            Column("gmv_after", "GMV/min after", lambda v: fmt.money(v, cur), True),
            Column("gmv_change", "Change", lambda v: fmt.money(v, cur), True),
            Column("online_change", "Online change", fmt.count, True),
        ]
        return (
            '<div class="lb-note">GMV around key moments (5 minutes before against 5 minutes after). If a feature '
            "or giveaway brings no GMV increase, consider spotlighting other products.</div>"
            + '<div class="lb-scroll">'
            + html_table(imp.head(60), cols, "lb-impact-table", empty="No features or giveaways in this range.")
            + "</div>"
        )

    def _minute_ts(self, minute: int) -> pd.Timestamp:
        start = pd.Timestamp(self.trend["ts"].min()) if not self.trend.empty else pd.Timestamp(0, tz="UTC")
        return start + pd.Timedelta(minutes=minute)

    # ------------------------------------------------------------------ tables

    def _channels_html(self) -> str:
        ch = self.sd.channels()
        self._channels = ch
        cur = self.currency
        cols = [
            Column("channel", "Channel"),
            Column("group", "Group"),
            Column("impressions", "Impressions", fmt.count, True),
            Column("views", "Views", fmt.count, True),
            Column("viewers", "Viewers", fmt.count, True),
            Column("gmv", "GMV", lambda v: fmt.money(v, cur), True),
        ]
        groups = ch.groupby("group", dropna=False)[["views", "gmv"]].sum() if not ch.empty else pd.DataFrame()
        tv, tg = (groups["views"].sum(), groups["gmv"].sum()) if len(groups) else (0, 0)
        items = []
        for g in ("organic", "promoted"):
            v = groups.loc[g, "views"] if g in groups.index else 0
            gm = groups.loc[g, "gmv"] if g in groups.index else 0
            share_v = fmt.rate(v / tv if tv else None, 1)
            share_g = fmt.rate(gm / tg if tg else None, 1)
            items.append(
                (
                    f"{g.capitalize()} views",
                    fmt.count(v),
                    f"{fmt.esc(share_v)} of views · GMV {fmt.esc(fmt.money(gm, cur))} ({fmt.esc(share_g)})",
                )
            )
        return cards(items) + html_table(ch, cols, "lb-channels-data", empty="No traffic recorded.")

    def _refresh_channels_chart(self) -> None:
        ch = self._channels[self._channels["channel"].notna()] if not self._channels.empty else self._channels
        self.channel_chart.update(list(ch["channel"]) if len(ch) else [], ch["views"] if len(ch) else [])

    def _products_html(self) -> str:
        p = self.sd.products()
        cur = self.currency
        cols = [
            Column("name", "Product", lambda v: fmt.MISSING if fmt.is_missing(v) else str(v)),
            Column("product_id", "Product id"),
            Column("impressions", "Impressions", fmt.count, True),
            Column("clicks", "Clicks", fmt.count, True),
            Column("ctr", "CTR", fmt.rate, True),
            Column("sku_orders", "Orders", fmt.count, True),
            Column("ctor", "CTOR", fmt.rate, True),
            Column("items_sold", "Items sold", fmt.count, True),
            Column("gmv", "GMV", lambda v: fmt.money(v, cur), True),
            Column("featured_s", "Featured time", fmt.duration, True),
        ]
        tips = insights.product_tips(p) if not p.empty else []
        tips_html = "".join(
            f'<div class="lb-tip{" lb-warning" if t.severity == "warning" else ""}"><strong>{fmt.esc(t.title)}</strong> — '
            f'{fmt.esc(t.advice)}<div class="lb-evidence">{fmt.esc(t.evidence_text())}</div></div>'
            for t in tips
        )
        if not tips_html:
            tips_html = (
                '<div class="lb-note">No product tips: too few products were shown and clicked often enough '
                f"to compare (at least {insights.MIN_IMPRESSIONS} impressions and {insights.MIN_CLICKS} clicks).</div>"
            )
        return html_table(p, cols, "lb-products-data", empty="No products in this session.") + tips_html

    def _violations_html(self) -> str:
        v = self.sd.violations()
        if v.empty:
            return '<div class="lb-note">No violations in this session.</div>'
        v = v.assign(advice=[insights.violation_advice(p) for p in v["policy"]])
        cols = [
            Column("ts", "Time", _ts),
            Column("minute", "Minute", fmt.count, True),
            Column("policy", "Policy"),
            Column(
                "severity",
                "Severity",
                lambda s: f'<span class="lb-sev-{fmt.esc(s)}">{fmt.esc(s)}</span>',
                raw_html=True,
            ),
            Column("detail", "Detail"),
            Column("advice", "Suggested solution"),
        ]
        return html_table(v, cols, "lb-violations-data") + f'<div class="lb-info">{fmt.esc(insights.APPEAL)}</div>'

    def _giveaways_html(self) -> str:
        g = self.sd.giveaways()
        cur = self.currency
        cols = [
            Column("prize", "Prize"),
            Column("start", "Start time", _ts),
            Column("end", "End time", _ts),
            Column("view_uv", "View UV", fmt.count, True),
            Column("click_uv", "Click UV", fmt.count, True),
            Column("participants", "Participants", fmt.count, True),
            Column("winners", "Winners", fmt.count, True),
            Column("winners_planned", "Planned", fmt.count, True),
            Column("gmv_during", "GMV during", lambda v: fmt.money(v, cur), True),
        ]
        tip = (
            '<div class="lb-tip">Prioritise giveaways that boost views and sales; aim them at high-demand items '
            "with a sales barrier.</div>"
        )
        return html_table(g, cols, "lb-giveaways-data", empty="No giveaways in this session.") + tip

    def _refresh_comments(self) -> None:
        q = str(self.comment_search.value or "")[:200]
        df = self._comments
        if q:
            df = df[df["text"].str.contains(q, case=False, regex=False, na=False)]
        shown = df.head(MAX_COMMENTS_SHOWN)
        cols = [Column("ts", "Time", _ts), Column("user_id", "Viewer"), Column("text", "Comment")]
        note = f"{len(df):,} of {len(self._comments):,} comments" + (
            f" (first {MAX_COMMENTS_SHOWN} shown)" if len(df) > MAX_COMMENTS_SHOWN else ""
        )
        self.comments_html.value = (
            f'<div class="lb-note">{fmt.esc(note)}</div><div class="lb-scroll">'
            + html_table(shown, cols, "lb-comments-data", empty="No comments match.")
            + "</div>"
        )

    def _audience_html(self) -> str:
        a = self.sd.audience()
        if a.empty:
            return '<div class="lb-note">No audience profile recorded.</div>'
        dims = [("follower", "Followers"), ("gender", "Gender"), ("age", "Age"), ("region", "Region")]
        blocks = []
        for who, title in (("viewers", "All viewers"), ("customers", "Paying users")):
            sub = a[a["audience"] == who]
            parts = [f'<h4 class="lb-h">{fmt.esc(title)}</h4>']
            for dim, dim_label in dims:
                d = sub[sub["dimension"] == dim].sort_values("share", ascending=False).head(10)
                cols = [
                    Column("value", dim_label),
                    Column(
                        "share",
                        "Share",
                        lambda s: (
                            f'<span class="lb-bar" style="width:{0 if fmt.is_missing(s) else round(float(s) * 120)}px">'
                            f"</span>{fmt.esc(fmt.rate(s, 1))}"
                        ),
                        raw_html=True,
                    ),
                    Column("users", "Users", fmt.count, True),
                ]
                parts.append(html_table(d, cols, f"lb-audience-{dim}", empty="No data."))
            blocks.append(f'<div class="lb-audience-block" style="flex:1;min-width:320px">{"".join(parts)}</div>')
        return (
            '<div class="lb-note">A solid follower base means strong organic reach; grow it with LIVE outreach.</div>'
            f'<div style="display:flex;gap:24px;flex-wrap:wrap">{"".join(blocks)}</div>'
        )


def _filename(session_id: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]", "_", session_id)[:100] or "session"


def open_detail(wb, session_id: object, *, peers: pd.DataFrame | None = None, tz: str | None = None) -> W.Widget:
    """A session's board, or an ``lb-error`` message (unknown or invalid id) — never a traceback."""
    try:
        sid = validate_session_id(session_id)
        if sid is None:
            raise InputError("session: no session id given")
        return SessionDetail(wb.session(sid), peers=peers, tz=tz).widget
    except InputError as exc:
        msg = str(exc)
        if msg.startswith("no session"):
            msg = f"There is no session {str(session_id)[:MAX_SESSION_ID]!r} in this store."
        return html(error_html(msg), "lb-error")
