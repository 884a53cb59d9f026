"""One past LIVE session's full board: core data, traffic, channels, metric trends with markers, products
with tips, violations with advice, promotions, comments, audience, and downloads.

Read-only by design: a past session has no edit controls. Views take DataFrames from
:class:`liveboard.workbench.SessionData` and never touch storage themselves.
"""

from __future__ import annotations

import ipywidgets as W
import numpy as np
import pandas as pd

from liveboard import csvsafe, insights, markup
from liveboard.eventlog import to_json_lines
from liveboard.ids import MAX_SESSION_ID, check_session_id
from liveboard.metrics import TREND_COLUMNS
from liveboard.quoting import safe_name
from liveboard.views import format as fmt
from liveboard.views.charts import BarChart, TimeChart
from liveboard.views.coverage import Coverage, gap_markers, gap_text, known_columns, late_updates_text, per_interval
from liveboard.views.widgets import (
    Column,
    Debouncer,
    MultiChoice,
    cards,
    download_link,
    error_html,
    html,
    html_table,
    macros,
    missing_note,
    source_line,
    versus,
)
from liveboard.workbench import InputError, SessionData

#: A header of one of the tables every surface shows (liveboard.markup.TABLE_HEADERS).
_h = markup.header

__all__ = ["MAX_SESSION_ID", "SessionDetail", "open_detail", "validate_session_id"]
#: Up to this many events the events download is built when the session opens; above, on a button click.
AUTO_DOWNLOAD_EVENTS = 50_000
#: Above this many events the events download is not built in the page (use ``liveboard export``).
MAX_DOWNLOAD_EVENTS = 1_500_000
#: A plain .jsonl up to this size; above it, .jsonl.gz.
PLAIN_DOWNLOAD_BYTES = 8 * 1024 * 1024
#: Above this many bytes (after gzip for events) a download is not put into the page.
MAX_DOWNLOAD_BYTES = 16 * 1024 * 1024
MAX_COMMENTS_SHOWN = 200
#: At most this many metrics on the metric trends chart at once.
MAX_TREND_SERIES = 6
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
#: Extra core figures for a recorder session, whose sales cards are all "not known".
RECORDER_CORE = ("comments", "likes", "new_followers")
#: The trend columns a board can draw: the event trend's, and ``viewers``/``customers`` of source trends.
BOARD_TREND_COLUMNS = TREND_COLUMNS + ("viewers", "customers")
TRAFFIC_COLUMNS = ("online", "views", "viewers")
#: The HTML of this board's parts (sections, header, tables' surroundings).
TEMPLATE = "analytics/detail.html.j2"


def _text(value: object) -> str:
    return "" if fmt.is_missing(value) else str(value)


def validate_session_id(value: object) -> str | None:
    """A session id from a URL or widget: ``None`` when empty; :class:`InputError` when it breaks the one
    session-id rule (:func:`liveboard.ids.check_session_id`)."""
    if value is None or str(value).strip() == "":
        return None
    return check_session_id(value, "session")


def _ts(value: object) -> str:
    return fmt.when(value, fmt="%H:%M:%S")


def _num(name: str, currency: str):
    return lambda v: fmt.metric(name, v, currency)


class SessionDetail:
    """The board of one session. ``SessionDetail(wb.session(id)).widget`` (or just display the object).

    Partial sessions (figures only, a recorder's engagement without sales, a trend without events) show
    what is known; each part without data says why (:mod:`liveboard.views.coverage`), and a chart without
    data is left out rather than drawn as an empty frame.
    """

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
        self.cov = Coverage.of_session(sd)
        cur = sd.info.get("currency")
        self.currency = "" if fmt.is_missing(cur) else str(cur)
        self.summary = sd.summary()
        self.trend = self.cov.trend(sd.trend(), sd.info.get("start"))
        self.trend_cols = known_columns(self.trend, BOARD_TREND_COLUMNS)
        self.per = per_interval(self.trend)
        self.markers = self._markers()
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
        traffic = [c for c in TRAFFIC_COLUMNS if c in self.trend_cols][:2]
        self.traffic_cols = traffic
        self.traffic_chart = TimeChart(
            "Traffic: " + " and ".join(self._trend_label(c).lower() for c in traffic) if traffic else "Traffic",
            css_class="lb-traffic-chart",
        )
        picked: tuple[str, ...] = tuple(c for c in ("gmv", "views") if c in self.trend_cols) or tuple(
            self.trend_cols[:2]
        )
        self.trend_pick = MultiChoice(
            [(markup.label(c), c) for c in self.trend_cols],
            picked,
            title="Metrics",
            verb="charted",
            max_chosen=MAX_TREND_SERIES,
            css_class="lb-trend-pick",
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
        self._comments = sd.comments() if self.cov.has_events else pd.DataFrame(columns=["ts", "user_id", "text"])
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
        box = W.VBox([html(macros(TEMPLATE).section_head(title, note)), *children], layout=W.Layout(width="100%"))
        box.add_class("lb-section")
        box.add_class(css)
        return box

    def _layout(self) -> W.VBox:
        trend_why = self.cov.empty_note("trend", not self.trend_cols) or "no figures over time"
        if self.traffic_cols:
            traffic = self._section(
                "Traffic trend",
                "lb-traffic",
                W.HBox([self.range, self.whole]),
                self.traffic_chart.figure,
                note=f"{self._interval_note()}The time filter applies to the traffic trend and the metric trends.",
            )
        elif self.trend_cols:
            why = "the trend has no viewer or view counts"
            traffic = self._section("Traffic trend", "lb-traffic", html(missing_note(why, "lb-no-trend")))
        else:  # no trend at all: one note, in the metric trends section
            traffic = None
        if not self._channels.empty:
            channels = self._section("Traffic channels", "lb-channels", self.channels_html, self.channel_chart.figure)
        else:
            channels = self._section("Traffic channels", "lb-channels", self.channels_html)
        if self.trend_cols:
            trends = self._section(
                "Metric trends",
                "lb-trends",
                W.HBox([self.trend_pick.widget, self.trend_legend], layout=W.Layout(flex_flow="row wrap")),
                self.trend_chart.figure,
                self.impact,
                note="Tick the metrics to chart (up to six). Dashed lines mark product features, giveaways, "
                "violations and recorder gaps.",
            )
            if not self.traffic_cols:  # the time filter lives with the traffic chart; keep it with the trends
                trends.children = (trends.children[0], W.HBox([self.range, self.whole]), *trends.children[1:])
        else:
            trends = self._section("Trends", "lb-trends", html(missing_note(trend_why, "lb-no-trend")))
        sections = [
            self.header,
            W.HBox([self.prepare, self.downloads]),
            self._section("Core data", "lb-core", self.core),
            *([traffic] if traffic is not None else []),
            channels,
            trends,
            self._section("Product analytics", "lb-products", self.products_html),
            self._section("Violations", "lb-violations", self.violations_html),
            self._section("Promotion analytics (giveaways)", "lb-giveaways", self.giveaways_html),
            self._section(
                "Comments",
                "lb-comments",
                *([self.comment_search] if self.cov.empty_note("comments") is None else []),
                self.comments_html,
            ),
            self._section("Audience", "lb-audience", self.audience_html),
        ]
        box = W.VBox(sections, layout=W.Layout(width="100%"))
        box.add_class("lb-session-detail")
        box.add_class(f"lb-kind-{self.cov.kind}")
        return box

    def _repr_mimebundle_(self, **kwargs):
        return self.widget._repr_mimebundle_(**kwargs)

    def _interval_note(self) -> str:
        return "" if self.per == "per minute" else f"The trend has one value {self.per}. "

    def _trend_label(self, col: str) -> str:
        label = markup.label(col)
        if col in ("online", "viewers"):
            return label
        return f"{label} {self.per}"

    # ------------------------------------------------------------------ header, core, downloads

    def _count_or_missing(self, key: str, part: str) -> str:
        return fmt.MISSING if self.cov.empty_note(part) else fmt.count(self.sd.info.get(key))

    def _header_html(self) -> markup.Markup:
        info = self.sd.info
        event = info.get("live_event_id")
        facts = [
            f"Started {fmt.when(info.get('start'), self.tz)}",
            f"duration {fmt.duration(info.get('duration_s'))}",
            f"account {_text(info.get('account_id'))}",
        ]
        if not fmt.is_missing(event):
            facts.append(f"LIVE event {event}")
        facts.append(
            f"{self._count_or_missing('featured_products', 'markers')} featured products · "
            f"{self._count_or_missing('giveaways', 'giveaways')} giveaways · "
            f"{self._count_or_missing('winners', 'giveaways')} winners"
        )
        return macros(TEMPLATE).header(
            _text(info.get("title")),
            self.sd.id,
            facts,
            self.cov.label(),
            self.cov.notice(has_trend=bool(self.trend_cols)),
            self._gaps(),
            late_updates_text(info.get("late_order_updates")),
        )

    def _gaps(self) -> dict | None:
        """The recorder's gaps for the header: how many, how long in all, the first 20 in words."""
        gaps = self.cov.gaps
        if gaps.empty:
            return None
        total = (gaps["gap_end"] - gaps["gap_start"]).dt.total_seconds().sum(min_count=1)
        return {
            "count": len(gaps),
            "total": fmt.duration(total),
            "lines": [gap_text(g, self.tz) for g in gaps.head(20).itertuples()],
            "more": max(0, len(gaps) - 20),
        }

    def _core_html(self) -> markup.Markup:
        s = self.summary
        metrics = CORE_METRICS + (RECORDER_CORE if self.cov.kind == "recorder" else ())
        comp = None
        others = self.peers
        if others is not None and "session_id" in others:
            others = others[others["session_id"].astype(str) != self.sd.id]
        if others is not None and len(others):  # alone in its account: nothing to compare with
            comp = insights.compare_to_average(s, self.peers, list(metrics), currency=self.currency or None).set_index(
                "metric"
            )
        items = []
        for m in metrics:
            value = self.cov.value(m, s.get(m))
            note = self.cov.figure_note(m, s.get(m)) if self.cov.sources != ("events",) else ""
            vs = versus(comp.loc[m, "diff_pct"]) if comp is not None and not fmt.is_missing(value) else ""
            sub = macros(TEMPLATE).card_sub([p for p in (vs, source_line(note)) if p])
            items.append(
                (
                    markup.label(m),
                    fmt.metric(m, value, self.currency),
                    sub,
                    self.cov.figure_tooltip(m, s.get(m)),
                    f"lb-core-{m}",
                )
            )
        return cards(items)

    def events_payload(self) -> tuple[bytes, str, str] | str:
        """(bytes, filename, mime) of the session's event log, or a message when it is too large for the page."""
        if not self.cov.has_events:
            return f"No event log to download: {self.cov.why('events')}."
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
        why = self.cov.empty_note("comments")
        if why:
            return f"No comments to download: {why}."
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

    def _downloads_html(self, events: bool | None = None) -> markup.Markup:
        parts: list[dict] = []
        if events is None:
            events = self.event_count() <= AUTO_DOWNLOAD_EVENTS
        items = [(self.comments_payload(), "Download comments", "lb-download-comments")]
        if events:
            items.insert(0, (self.events_payload(), "Download events", "lb-download-events"))
        for payload, label, css in items:
            if isinstance(payload, str):
                parts.append({"note": payload, "css": css, "link": ""})
            else:
                data, name, mime = payload
                ext = name.rsplit(".", 2)[-2:] if name.endswith(".gz") else name.rsplit(".", 1)[-1:]
                kind = f"(.{'.'.join(ext)})"  # said once, even when the label already names the file type
                label = f"{label if kind in label else f'{label} {kind}'} · {len(data) / 1024:,.0f} KB"
                parts.append({"link": download_link(data, name, mime, label, css)})
        return macros(TEMPLATE).downloads(parts)

    # ------------------------------------------------------------------ trends

    def _markers(self) -> pd.DataFrame:
        """Features, giveaways and violations from the events, and the recorder's gaps, on the time axis."""
        m = self.sd.markers() if self.cov.has_events else pd.DataFrame(columns=["ts", "minute", "kind", "label"])
        gaps = gap_markers(self.cov.gaps, self.tz)
        if gaps.empty:
            return m
        origin = self.trend["ts"].min() if not self.trend.empty else pd.Timestamp(self.sd.info.get("start"))
        if fmt.is_missing(origin):
            return m
        origin = pd.Timestamp(origin)
        origin = origin.tz_localize("UTC") if origin.tzinfo is None else origin
        gaps = gaps.assign(minute=((gaps["ts"] - origin).dt.total_seconds() // 60).astype("int64"))
        return pd.concat([m, gaps], ignore_index=True) if len(m) else gaps

    def _legend_html(self) -> markup.Markup:
        from liveboard.views.format import MARKER_COLORS, MARKER_NAMES

        counts = self.markers["kind"].value_counts() if not self.markers.empty else {}
        kinds = [k for k in MARKER_COLORS if k != "gap" or len(self.cov.gaps)]
        items = [
            {"color": MARKER_COLORS[k], "name": MARKER_NAMES[k], "count": int(counts.get(k, 0)) if len(counts) else 0}
            for k in kinds
        ]
        why = self.cov.empty_note("markers")
        return macros(TEMPLATE).legend(items, why[0].upper() + why[1:] if why else "")

    def _window(self) -> tuple[int, int]:
        lo, hi = self.range.value
        lo, hi = max(0, int(lo)), min(self.max_minute, int(hi))
        return (lo, hi) if lo <= hi else (0, self.max_minute)

    def _refresh_trends(self) -> None:
        if not self.trend_cols:
            return
        lo, hi = self._window()
        t = self.trend[(self.trend["minute"] >= lo) & (self.trend["minute"] <= hi)]
        m = self.markers
        if not m.empty:
            m = m[(m["minute"] >= lo) & (m["minute"] <= hi)]
        if self.traffic_cols:
            self.traffic_chart.update(
                t["ts"],
                {c: t[c] for c in self.traffic_cols},
                markers=m[m["kind"] == "gap"] if not m.empty else None,
                labels={c: self._trend_label(c) for c in self.traffic_cols},
            )
        picked = [c for c in self.trend_pick.value if c in self.trend_cols][:MAX_TREND_SERIES] or self.trend_cols[:1]
        labels = {c: self._trend_label(c) for c in picked}
        self.trend_chart.update(t["ts"], {c: t[c] for c in picked}, markers=m, labels=labels)
        self.impact.value = self._impact_html(lo, hi)

    def _impact_html(self, lo: int, hi: int) -> markup.Markup | str:
        if not {"gmv", "online"} <= set(self.trend_cols):
            return ""
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
        table = html_table(imp.head(60), cols, "lb-impact-table", empty="No features or giveaways in this range.")
        return macros(TEMPLATE).impact(table)

    def _minute_ts(self, minute: int) -> pd.Timestamp:
        start = pd.Timestamp(self.trend["ts"].min()) if not self.trend.empty else pd.Timestamp(0, tz="UTC")
        return start + pd.Timedelta(minutes=minute)

    # ------------------------------------------------------------------ tables

    def _channels_html(self) -> markup.Markup:
        ch = self.cov.channels(self.sd.channels() if self.cov.has_events else pd.DataFrame())
        self._channels = ch
        why = self.cov.empty_note("channels", ch.empty)
        if why:
            return missing_note(why, "lb-no-channels")
        if ch.empty:
            return markup.components().note("No traffic recorded.")
        cur = self.currency
        cols = [
            Column("channel", _h("channels", "channel")),
            Column("group", _h("channels", "group")),
            *(Column(k, _h("channels", k), fmt.count, True) for k in ("impressions", "views", "viewers")),
            Column("gmv", _h("channels", "gmv"), lambda v: fmt.money(v, cur), True),
        ]
        groups = ch.groupby("group", dropna=False)[["views", "gmv"]].sum(min_count=1)
        tv, tg = groups["views"].sum(min_count=1), groups["gmv"].sum(min_count=1)
        items = []
        for g in ("organic", "promoted"):
            v = groups.loc[g, "views"] if g in groups.index else 0
            gm = groups.loc[g, "gmv"] if g in groups.index else (np.nan if fmt.is_missing(tg) else 0)
            share_v = fmt.rate(v / tv if tv else None, 1)
            share_g = fmt.rate(gm / tg if not fmt.is_missing(tg) and tg else None, 1)
            gmv_text = (
                f"GMV {fmt.money(gm, cur)} ({share_g})"
                if not fmt.is_missing(tg)
                else "GMV not known: a recorder sees no orders or GMV"
            )
            items.append((f"{g.capitalize()} views", fmt.count(v), f"{share_v} of views · {gmv_text}"))
        table = html_table(ch, cols, "lb-channels-data", empty="No traffic recorded.")
        return macros(TEMPLATE).channels(self.cov.kind == "recorder", cards(items), table)

    def _refresh_channels_chart(self) -> None:
        ch = self._channels[self._channels["channel"].notna()] if not self._channels.empty else self._channels
        self.channel_chart.update(list(ch["channel"]) if len(ch) else [], ch["views"] if len(ch) else [])

    def _products_html(self) -> markup.Markup:
        p = self.cov.products(self.sd.products())
        why = self.cov.empty_note("products", p.empty)
        if why:
            return missing_note(why, "lb-no-products")
        cur = self.currency
        cols = [
            Column("name", _h("products", "title"), lambda v: fmt.MISSING if fmt.is_missing(v) else str(v)),
            Column("product_id", _h("products", "product_id")),
            *(Column(k, _h("products", k), fmt.count, True) for k in ("impressions", "clicks")),
            Column("ctr", _h("products", "ctr"), fmt.rate, True),
            Column("sku_orders", _h("products", "sku_orders"), fmt.count, True),
            Column("ctor", _h("products", "ctor"), fmt.rate, True),
            Column("items_sold", _h("products", "items_sold"), fmt.count, True),
            Column("gmv", _h("products", "gmv"), lambda v: fmt.money(v, cur), True),
            Column("featured_s", _h("products", "featured_s"), fmt.duration, True),
        ]
        head = ""
        if self.cov.kind == "recorder":
            head = missing_note(
                "a recorder sees which product was featured, but no product impressions, clicks or sales",
                "lb-products-partial",
            )
        elif not self.cov.has_events:
            head = missing_note(
                "the featured time comes only from event logs (times of product pins)", "lb-products-partial"
            )
        tips = insights.product_tips(p) if not p.empty else []
        no_tips = ""
        if not tips and not p.empty and p["clicks"].notna().any():
            no_tips = (
                "No product tips: too few products were shown and clicked often enough to compare (at least "
                f"{insights.MIN_IMPRESSIONS} impressions and {insights.MIN_CLICKS} clicks)."
            )
        table = html_table(p, cols, "lb-products-data", empty="No products in this session.")
        return macros(TEMPLATE).products(head, table, tips, no_tips)

    def _violations_html(self) -> markup.Markup:
        why = self.cov.empty_note("violations")
        if why:
            return missing_note(why, "lb-no-violations")
        v = self.sd.violations()
        if v.empty:
            return markup.components().note("No violations in this session.")
        v = v.assign(advice=[insights.violation_advice(p) for p in v["policy"]])
        cols = [
            Column("ts", _h("violations", "time"), _ts),
            Column("minute", _h("violations", "minute"), fmt.count, True),
            Column("policy", _h("violations", "policy")),
            Column(
                "severity",
                _h("violations", "severity"),
                lambda s: macros(TEMPLATE).severity(_text(s)),
                raw_html=True,
            ),
            Column("detail", _h("violations", "detail")),
            Column("advice", _h("violations", "fix")),
        ]
        return macros(TEMPLATE).violations(html_table(v, cols, "lb-violations-data"), insights.APPEAL)

    def _giveaways_html(self) -> markup.Markup:
        why = self.cov.empty_note("giveaways")
        if why:
            return missing_note(why, "lb-no-giveaways")
        g = self.sd.giveaways()
        cur = self.currency
        cols = [
            Column("prize", _h("giveaways", "prize")),
            *(Column(k, _h("giveaways", k), _ts) for k in ("start", "end")),
            *(
                Column(k, _h("giveaways", k), fmt.count, True)
                for k in ("view_uv", "click_uv", "participants", "winners", "winners_planned")
            ),
            Column("gmv_during", _h("giveaways", "gmv_during"), lambda v: fmt.money(v, cur), True),
        ]
        return macros(TEMPLATE).giveaways(
            html_table(g, cols, "lb-giveaways-data", empty="No giveaways in this session.")
        )

    def _refresh_comments(self) -> None:
        why = self.cov.empty_note("comments")
        if why:
            count = self.summary.get("comments")
            known = (
                f" The session's comment count is known: {fmt.count(count)}."
                if not fmt.is_missing(self.cov.value("comments", count))
                else ""
            )
            self.comments_html.value = macros(TEMPLATE).comments_unknown(
                missing_note(why, "lb-no-comments"), known.strip()
            )
            return
        q = str(self.comment_search.value or "")[:200]
        df = self._comments
        if q:
            df = df[df["text"].str.contains(q, case=False, regex=False, na=False)]
        shown = df.head(MAX_COMMENTS_SHOWN)
        cols = [Column("ts", "Time", _ts), Column("user_id", "Viewer"), Column("text", "Comment")]
        note = f"{len(df):,} of {len(self._comments):,} comments" + (
            f" (first {MAX_COMMENTS_SHOWN} shown)" if len(df) > MAX_COMMENTS_SHOWN else ""
        )
        if self.cov.kind == "recorder":
            note += " · as received by the recorder (it may miss some)"
        self.comments_html.value = macros(TEMPLATE).comments(
            note, html_table(shown, cols, "lb-comments-data", empty="No comments match.")
        )

    def _audience_html(self) -> markup.Markup:
        why = self.cov.empty_note("audience")
        if why:
            return missing_note(why, "lb-no-audience")
        a = self.sd.audience()
        if a.empty:
            return markup.components().note("No audience profile recorded.")
        dims = [("follower", "Followers"), ("gender", "Gender"), ("age", "Age"), ("region", "Region")]
        blocks = []
        for who, title in (("viewers", "All viewers"), ("customers", "Paying users")):
            sub = a[a["audience"] == who]
            tables = []
            for dim, dim_label in dims:
                d = sub[sub["dimension"] == dim].sort_values("share", ascending=False).head(10)
                cols = [
                    Column("value", dim_label),
                    Column(
                        "share",
                        "Share",
                        lambda s: macros(TEMPLATE).share_bar(
                            0 if fmt.is_missing(s) else round(float(s) * 120), fmt.rate(s, 1)
                        ),
                        raw_html=True,
                    ),
                    Column("users", "Users", fmt.count, True),
                ]
                tables.append(html_table(d, cols, f"lb-audience-{dim}", empty="No data."))
            blocks.append({"title": title, "tables": tables})
        return macros(TEMPLATE).audience(blocks)


def _filename(session_id: str) -> str:
    return safe_name(session_id, "session", limit=100)


def open_detail(wb, session_id: object, *, peers: pd.DataFrame | None = None, tz: str | None = None) -> W.Widget:
    """A session's board, or an ``lb-error`` message (unknown or invalid id) — never a traceback."""
    try:
        sid = check_session_id(session_id, "session")
        return SessionDetail(wb.session(sid), peers=peers, tz=tz).widget
    except InputError as exc:
        msg = str(exc)
        if msg.startswith("no session"):
            msg = f"There is no session {str(session_id)!r} in this store."
        return html(error_html(msg), "lb-error")
