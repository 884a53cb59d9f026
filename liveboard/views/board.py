"""The LIVE Board: a real-time page during the LIVE, and the replay of any past session.

One :class:`LiveBoard` watches one :class:`~liveboard.live.sources.LiveSource` — a simulated LIVE, a
followed event-log file or a stored session replayed at 1–100× — and does not know which: batches are
folded into a :class:`~liveboard.live.state.LiveState` and, for live sources, handed to a
:class:`~liveboard.live.writer.LiveWriter` that commits them to the store about once a second (in a worker
thread, so the kernel's loop is never blocked by a commit).

The refresh runs as a background asyncio task on the kernel's own loop (ipykernel 7 keeps it running
while the kernel is idle, in Voilà too): poll → fold → redraw, 4 times a second. Cards and the status line
are redrawn at every tick; charts and tables at most once a second, each chart's changes pushed in one
message (``hold_sync``) and thinned to the plot's width (``charts.thin``).

Stable CSS classes (for tests and styling): ``lb-board``, ``lb-card-gmv``, ``lb-card-items``,
``lb-card-customers``, ``lb-card-online``, ``lb-card-views``, ``lb-card-viewers``, ``lb-card-pcu``,
``lb-alerts``, ``lb-comments-feed``, ``lb-products``, ``lb-giveaways``, ``lb-violations``, ``lb-channels``,
``lb-trends``, ``lb-traffic``, ``lb-audience``, ``lb-status``, ``lb-error``. A KPI card is the card
component (``.lb-card.lb-card-<key>`` with ``.lb-card-label``, ``.lb-card-value``) inside its widget
(``.lb-kpi.lb-kpi-<key>``); tables are the table component (``table.lb-table``, ``td.lb-num``, featured
product ``tr.lb-featured``); tips are the tip component (``.lb-tip.lb-<severity>``). All HTML comes from the
templates of ``liveboard/templates/board`` and the components; the one stylesheet is ``widgets.style()``.
"""

from __future__ import annotations

import asyncio
import contextlib
import tempfile
import time

import ipywidgets as W
import numpy as np
import pandas as pd

from liveboard import insights, markup
from liveboard.live.sources import Replay, SimulatedLive, SourceError
from liveboard.live.state import LiveState
from liveboard.metrics import TREND_COLUMNS
from liveboard.views import format as fmt
from liveboard.views import widgets
from liveboard.views.board_static import (
    CARDS,
    CHANNEL_COLUMNS,
    COMMENTS_SHOWN,
    DEFAULT_TRENDS,
    GIVEAWAY_COLUMNS,
    MAX_TREND_METRICS,
    PRODUCT_COLUMNS,
    SLOW_S,
    TICK_S,
    TIME_FILTERS,
    TRAFFIC_LABELS,
    TREND_LABELS,
    _html,
    _n,
    error_widget,
    no_replay_widget,
    parts,
    table,
    text,
)
from liveboard.views.charts import BarChart, TimeChart
from liveboard.views.coverage import (
    RECORDER_UNSEEN,
    RECORDER_UNSEEN_PRODUCTS,
    RECORDER_UNSEEN_TREND,
    SOURCE_NAMES,
    Coverage,
    gap_markers,
)


class LiveBoard:
    """The board's widgets, its state, and the refresh loop."""

    def __init__(
        self,
        source,
        *,
        state: LiveState | None = None,
        writer=None,
        tz: str | None = None,
        coverage: Coverage | None = None,
        known: pd.Series | None = None,
    ):
        self.source = source
        #: what the replayed session's data covers (a recorder's: no orders or GMV); None for a simulated LIVE
        self.coverage = coverage
        #: the replayed events are a recorder's: what it cannot see is "not known" during the replay
        self.recorder = bool(coverage and coverage.kind == "recorder")
        #: the session's stored figures (other sources', e.g. the API's GMV after the LIVE)
        self.known = known
        #: where a simulated demo's events go: a scratch store of its own, never the user's
        self.scratch: tempfile.TemporaryDirectory | None = None
        self.state = state or LiveState(source.session_id)
        self.writer = writer
        self.tz = tz
        self.started_wall = time.time()
        self.last_arrival: float | None = None
        self.ticks = 0
        self.error: str | None = None
        self._task: asyncio.Task | None = None
        self._flush: asyncio.Future | None = None
        self._last_slow = 0.0
        self._slow_version = -1
        self._build()

    # ------------------------------------------------------------------ widgets

    def _build(self) -> None:
        p = parts()
        self.status = _html("", "lb-status")
        self.title = _html("", "lb-board-head")
        self.cards = {key: _html("", ("lb-kpi", f"lb-kpi-{key}")) for key, _, _ in CARDS}
        self._card_shown: dict[str, tuple[str, str]] = {}  # what each card shows: (value, note)
        self.alerts = _html("", "lb-alerts")
        self.time_filter = W.ToggleButtons(
            options=[(label, v) for label, v in TIME_FILTERS], value=0, style={"button_width": "128px"}
        )
        self.time_filter.add_class("lb-time-filter")
        self.time_filter.observe(self._on_control, "value")
        self.traffic_chart = TimeChart("Traffic trend", height="240px", css_class="lb-traffic-chart")
        self.traffic = W.VBox([_html(p.heading("Traffic trend")), self.time_filter, self.traffic_chart.figure])
        self.traffic.add_class("lb-traffic")
        # horizontal bars: the channels' names read level in the narrow right column (nine side by side overlap)
        self.channel_chart = BarChart(
            "Views by traffic channel", height="260px", css_class="lb-channel-chart", horizontal=True
        )
        self.channel_table = _html()
        self.channels = W.VBox([_html(p.heading("Traffic channels")), self.channel_chart.figure, self.channel_table])
        self.channels.add_class("lb-channels")
        self.trend_columns = tuple(c for c in TREND_COLUMNS if not (self.recorder and c in RECORDER_UNSEEN_TREND))
        self.metric_pick = widgets.MultiChoice(
            [(TREND_LABELS[c], c) for c in self.trend_columns],
            tuple(c for c in DEFAULT_TRENDS if c in self.trend_columns) or self.trend_columns[:2],
            title="Metrics",
            verb="charted",
            max_chosen=MAX_TREND_METRICS,
            css_class="lb-metric-pick",
        )
        self.metric_pick.observe(self._on_control, "value")
        self.trend_chart = TimeChart("Metric trends", height="260px", css_class="lb-trend-chart")
        marks = (("product pinned", "product"), ("giveaway", "giveaway"), ("violation", "violation"))
        legend = p.legend([(name, fmt.MARKER_COLORS[kind]) for name, kind in marks])  # the charts' colours
        self.trends = W.VBox(
            [
                _html(p.heading("Metric trends")),
                W.HBox(
                    [self.metric_pick.widget, _html(legend)],
                    layout=W.Layout(flex_flow="row wrap"),
                ),
                self.trend_chart.figure,
            ]
        )
        self.trends.add_class("lb-trends")
        self.products = _html("", "lb-products")
        self.violations = _html("", "lb-violations")
        self.giveaways = _html("", "lb-giveaways")
        self.comments = _html("", "lb-comments-feed")
        self.audience = _html("", "lb-audience")
        controls = []
        if isinstance(self.source, Replay):
            self.pause = W.ToggleButton(value=False, description="Pause")
            self.pause.observe(self._on_pause, "value")
            self.speed = W.BoundedFloatText(value=self.source.speed, min=1, max=100, step=1, description="Speed ×")
            self.speed.observe(self._on_speed, "value")
            dur = max(self.source.duration_s, 1.0)
            self.seek = W.FloatSlider(value=0, min=0, max=dur, step=1, description="Seek", continuous_update=False)
            self.seek.observe(self._on_seek, "value")
            self.speed.layout = W.Layout(width="200px")
            controls = [W.HBox([self.pause, self.speed, self.seek], layout=W.Layout(flex_flow="row wrap"))]
        grid = W.GridBox(
            list(self.cards.values()),
            layout=W.Layout(grid_template_columns="repeat(auto-fill, minmax(130px, 1fr))", grid_gap="8px"),
        )
        # the giveaways' eight columns need the wide column (in the side one they scrolled at 1280 px)
        left = W.VBox(
            [
                self.traffic,
                self.trends,
                _html(p.heading("Products")),
                self.products,
                _html(p.heading("Giveaways")),
                self.giveaways,
            ]
        )
        right = W.VBox(
            [
                _html(p.heading("Real-time tips")),
                self.alerts,
                self.channels,
                _html(p.heading("Violations")),
                self.violations,
                _html(p.heading("Comments")),
                self.comments,
                _html(p.heading("Audience")),
                self.audience,
            ]
        )
        # two columns side by side from ~820 px; one under the other in a narrow second window (800 px)
        left.layout = W.Layout(flex="62 1 480px", min_width="0")
        right.layout = W.Layout(flex="38 1 300px", min_width="0", padding="0 0 0 12px")
        left.add_class("lb-board-main")
        right.add_class("lb-board-side")
        columns = W.HBox([left, right], layout=W.Layout(flex_flow="row wrap", width="100%"))
        columns.add_class("lb-board-columns")
        grid.add_class("lb-kpis")
        # the KPI cards first (what a creator glances at during the LIVE), then status, controls and the rest
        self.widget = W.VBox([widgets.style(), self.title, grid, self.status, *controls, columns])
        self.widget.add_class("lb-board")

    # ------------------------------------------------------------------ controls (validated here)

    def _on_control(self, change) -> None:
        allowed = {v for _, v in TIME_FILTERS}
        if self.time_filter.value not in allowed:
            self.time_filter.value = 0
            return
        picked = tuple(v for v in self.metric_pick.value if v in self.trend_columns)[:MAX_TREND_METRICS]
        if picked != tuple(self.metric_pick.value):
            self.metric_pick.value = picked
            return
        self._slow_version = -1  # redraw charts at the next tick

    def _on_pause(self, change) -> None:
        if bool(change["new"]):
            self.source.pause()
            self.pause.description = "Resume"
        else:
            self.source.resume()
            self.pause.description = "Pause"

    def _on_speed(self, change) -> None:
        try:
            self.source.set_speed(change["new"])
        except SourceError:
            self.speed.value = self.source.speed

    def _on_seek(self, change) -> None:
        if getattr(self, "_moving_seek", False):
            return
        try:
            value = float(change["new"])
        except (TypeError, ValueError):
            return
        if np.isfinite(value):
            self.source.seek(min(max(value, 0.0), self.source.duration_s))

    # ------------------------------------------------------------------ the loop

    def tick(self) -> int:
        """Poll the source and fold what came; returns the number of events folded."""
        if self.source.consume_reset():
            self.state = LiveState(self.source.session_id)
            self._slow_version = -1
        batch = self.source.poll()
        if batch.num_rows == 0:
            return 0
        if self.writer is not None and self.source.persist:
            self.writer.add(batch)
        n = self.state.fold(batch)
        self.last_arrival = self._arrival_time(batch)
        return n

    def _arrival_time(self, batch) -> float:
        """When the newest event of the batch became available (for latency measurements)."""
        if isinstance(self.source, SimulatedLive):
            t = int(batch["ts"].cast("int64").to_numpy().max())
            return self.source._wall0 + (t - self.source._start_us) / 1e6 / self.source.speed
        return time.time()

    def _commit_in_background(self) -> None:
        if self.writer is None or not self.source.persist:
            return
        if self._flush is not None and not self._flush.done():
            return
        if self._flush is not None and self._flush.exception() is not None:
            self.error = f"could not write to the store: {self._flush.exception()}"
        if self.writer.due:
            loop = asyncio.get_running_loop()
            self._flush = loop.run_in_executor(None, self.writer.flush)

    async def run(self) -> None:
        while True:
            t0 = time.monotonic()
            try:
                self.tick()
                self._commit_in_background()
                self.redraw()
            except Exception as exc:  # keep the board alive and say what went wrong
                self.error = f"{type(exc).__name__}: {exc}"
                self.status.value = self._status_html()
            self.ticks += 1
            if self.source.ended and self.writer is not None and self.source.persist and not self.writer.sealed:
                if self._flush is not None and not self._flush.done():
                    with contextlib.suppress(Exception):
                        await self._flush
                await asyncio.get_running_loop().run_in_executor(None, self.writer.flush)
            if self.source.ended and not isinstance(self.source, Replay):
                self.redraw(force=True)
                return
            await asyncio.sleep(max(0.02, TICK_S - (time.monotonic() - t0)))

    def start(self) -> asyncio.Task:
        loop = asyncio.get_event_loop()
        self._task = loop.create_task(self.run())
        return self._task

    def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()

    # ------------------------------------------------------------------ drawing

    def redraw(self, force: bool = False) -> None:
        st = self.state
        if st.max_ts is None:
            self.status.value = self._status_html()
            return
        summary = st.summary_base().iloc[0]  # the cards need base metrics only (no DuckDB per tick)
        if isinstance(self.source, Replay):
            self._moving_seek = True
            try:
                self.seek.value = min(round(self.source.elapsed_s), self.seek.max)
            finally:
                self._moving_seek = False
        self._draw_cards(summary)
        self.status.value = self._status_html()
        now = time.monotonic()
        if force or self._slow_version != st.event_count and now - self._last_slow >= SLOW_S or self._slow_version < 0:
            self._last_slow = now
            self._slow_version = st.event_count
            self._draw_slow(st.summary())

    def _currency(self) -> str:
        return self.state.meta.get("currency") or "USD"

    def _draw_cards(self, s: pd.Series) -> None:
        cur = self._currency()
        card = markup.components().card
        source = markup.components().source
        for key, label, metric in CARDS:
            why = RECORDER_UNSEEN.get(metric) if self.recorder and metric else None
            if why:  # a recorder's 0 GMV is not a figure: say it is not known, and why
                value = fmt.MISSING
            elif metric is None:
                value = fmt.count(self.state.n_open if not self.state.ended else 0)
            else:
                value = fmt.metric(metric, s.get(metric), cur)
            note = why or ("as seen by the recorder" if self.recorder else "")
            if why and metric and self.coverage is not None and self.known is not None:
                other, known = self.coverage.figure_sources.get(metric), self.known.get(metric)
                if other in ("api", "export") and not fmt.is_missing(known):
                    note += f" · {SOURCE_NAMES[other]} after the LIVE: {fmt.metric(metric, known, cur)}"
            if self._card_shown.get(key) == (value, note):
                continue  # unchanged: no template rendered, nothing sent
            self._card_shown[key] = (value, note)
            html = str(card(label, value, source(note) if note else "", "", key))
            if self.cards[key].value != html:
                self.cards[key].value = html
                if why:
                    self.cards[key].add_class("lb-missing")
                    self.cards[key].tooltip = f"Not known: {why}."

    def _status_html(self) -> str:
        src = self.source
        st = self.state
        if st.ended and (src.ended or isinstance(src, Replay) and src.ended):
            state = "ended"
        elif isinstance(src, Replay):
            state = "paused" if src.paused else "replay"
        else:
            state = "live"
        parts = [
            f"source: {src.kind}",
            f"session: {st.session_id or src.session_id or '—'}",
            f"speed: {src.speed:g}×",
            f"elapsed: {self._elapsed()}",
            f"events: {st.event_count:,}",
        ]
        if self.writer is not None and src.persist:
            saved = "sealed" if self.writer.sealed else f"{self.writer.committed:,}"
            where = " to a scratch store (the demo never writes to your store)" if self.scratch is not None else ""
            parts.append(f"saved{where}: {saved}")
        if st.late_events:
            parts.append(f"late events: {st.late_events:,}")
        return str(
            markup.render(
                "board/status.html.j2",
                state=state,
                parts=parts,
                stamp=f"{self.last_arrival or 0:.3f}",
                problems=[text(p) for p in list(getattr(src, "problems", []))[-3:]],
                error=self.error or "",
            )
        )

    def _elapsed(self) -> str:
        st = self.state
        close = st.close_ts
        if st.start is not None and st.max_ts is not None and close is not None:
            secs = (close - st.start) / 1e6
        else:
            secs = self.source.elapsed_s
        s = int(max(secs, 0))
        return f"{s // 3600}h {s % 3600 // 60:02d}min {s % 60:02d}s" if s >= 3600 else f"{s // 60}min {s % 60:02d}s"

    def _draw_slow(self, summary: pd.Series) -> None:
        st = self.state
        cur = self._currency()
        sources = notice = ""
        if self.coverage is not None:
            sources = self.coverage.label()
            notice = self.coverage.notice(has_trend=True)
            gaps = len(self.coverage.gaps)
            if gaps:
                notice += f" {gaps} recorder gap{'s' if gaps != 1 else ''} (grey markers): events of those stretches are missing."
        self.title.value = str(
            markup.render(
                "board/head.html.j2",
                title=text(st.meta.get("title")) or st.session_id,
                account=text(st.meta.get("account_id")),
                started=fmt.when(summary.get("start"), self.tz),
                sources=sources,
                notice=notice.strip(),
            )
        )
        trend = st.trend_fast()
        products = st.products()
        giveaways = st.giveaways()
        markers = st.markers()
        # traffic trend, with the time filter
        window = int(self.time_filter.value or 0)
        tr = trend.tail(window) if window else trend
        self.traffic_chart.update(tr["ts"], {"online": tr["online"], "views": tr["views"]}, labels=TRAFFIC_LABELS)
        # metric trends with markers
        picked = [m for m in self.metric_pick.value if m in self.trend_columns][:MAX_TREND_METRICS] or ["views"]
        if self.coverage is not None and not self.coverage.gaps.empty:
            gaps = gap_markers(self.coverage.gaps, self.tz)
            markers = pd.concat([markers, gaps[gaps["ts"] <= trend["ts"].max()]], ignore_index=True)
        self.trend_chart.update(
            trend["ts"], {m: trend[m] for m in picked}, markers=markers, labels={m: TREND_LABELS[m] for m in picked}
        )
        self._draw_channels(cur)
        self._draw_products(products, cur)
        self._draw_alerts(trend, giveaways, products, cur)
        self._draw_giveaways(giveaways, cur)
        self._draw_violations()
        self._draw_comments()
        self._draw_audience()

    def _draw_channels(self, cur: str) -> None:
        ch = self.state.channels()
        if ch.empty:
            self.channel_table.value = str(parts().muted("No traffic yet."))
            return
        self.channel_chart.update(ch["channel"], ch["views"])
        if self.recorder:  # a recorder sees no impressions and no GMV per channel
            ch = ch.assign(impressions=np.nan, gmv=np.nan)
        rows = [
            [text(r.channel), text(r.group), _n(r.impressions), _n(r.views), _n(r.viewers), fmt.money(r.gmv, cur)]
            for r in ch.itertuples()
        ]
        self.channel_table.value = str(table(CHANNEL_COLUMNS, rows))

    def _draw_products(self, products: pd.DataFrame, cur: str) -> None:
        p = parts()
        if products.empty:
            self.products.value = str(p.muted("No product activity yet."))
            return
        if self.recorder:  # the recorder sees pins only: its zero clicks and sales are not figures
            products = products.assign(**{c: np.nan for c in RECORDER_UNSEEN_PRODUCTS if c in products})
        featured = self.state.featured_product
        tips = {t.subject: t for t in insights.product_tips(products)} if not self.recorder else {}
        rows, classes = [], []
        for r in products.itertuples():
            name = r.name if isinstance(r.name, str) and r.name else text(r.product_id)
            tip = tips.get(str(r.product_id))
            rows.append(
                [
                    p.product_name(name, r.product_id == featured),
                    fmt.money(r.price, cur) if not fmt.is_missing(r.price) else fmt.MISSING,
                    _n(r.impressions),
                    _n(r.clicks),
                    fmt.rate(r.ctr),
                    _n(r.sku_orders),
                    _n(r.items_sold),
                    fmt.money(r.gmv, cur),
                    fmt.rate(r.ctor),
                    fmt.duration(r.featured_s),
                    p.product_tip(tip) if tip else "",
                ]
            )
            classes.append("lb-featured" if r.product_id == featured else "")
        self.products.value = str(table(PRODUCT_COLUMNS, rows, classes))

    def _draw_alerts(self, trend, giveaways, products, cur: str) -> None:
        tips = insights.live_alerts(trend, giveaways, products, currency=cur)
        self.alerts.value = str(markup.render("board/alerts.html.j2", tips=tips))

    def _not_known(self, part: str) -> str | None:
        why = self.coverage.empty_note(part) if self.coverage is not None else None
        return str(markup.components().not_known(why)) if why else None

    def _draw_giveaways(self, g: pd.DataFrame, cur: str) -> None:
        if self._not_known("giveaways"):
            self.giveaways.value = self._not_known("giveaways")
            return
        if g.empty:
            self.giveaways.value = str(parts().muted("No giveaway yet."))
            return
        rows = [
            [
                text(r.prize),
                fmt.when(r.start, self.tz, "%H:%M:%S"),
                "running" if fmt.is_missing(r.end) else "ended " + fmt.when(r.end, self.tz, "%H:%M:%S"),
                _n(r.view_uv),
                _n(r.click_uv),
                _n(r.participants),
                _n(r.winners),
                fmt.money(r.gmv_during, cur),
            ]
            for r in g.itertuples()
        ]
        self.giveaways.value = str(table(GIVEAWAY_COLUMNS, rows))

    def _draw_violations(self) -> None:
        if self._not_known("violations"):
            self.violations.value = self._not_known("violations")
            return
        rows = [
            {
                "time": fmt.when(r.ts, self.tz, "%H:%M:%S"),
                "policy": text(r.policy),
                "severity": text(r.severity),
                "detail": text(r.detail),
                "fix": insights.violation_advice(r.policy),
            }
            for r in self.state.violations().iloc[::-1].itertuples()
        ]
        self.violations.value = str(markup.render("board/violations.html.j2", rows=rows, appeal=insights.APPEAL))

    def _draw_comments(self) -> None:
        rows = [
            {"time": fmt.when(r.ts, self.tz, "%H:%M:%S"), "who": text(r.user_id), "text": text(r.text)}
            for r in self.state.comments().head(COMMENTS_SHOWN).itertuples()
        ]
        self.comments.value = str(markup.render("board/comments.html.j2", rows=rows))

    def _draw_audience(self) -> None:
        a = self.state.audience()
        if a.empty or self._not_known("audience"):
            self.audience.value = self._not_known("audience") or str(parts().muted("No viewers yet."))
            return
        groups = []
        for who, title in (("viewers", "Viewers"), ("customers", "Customers")):
            sub = a[a["audience"] == who]
            if sub.empty:
                continue
            dims = [
                {
                    "name": dim,
                    "entries": [
                        {
                            "value": text(r.value),
                            "width": max(2, round(60 * float(r.share))),
                            "share": fmt.rate(r.share, 0),
                        }
                        for r in sub[sub["dimension"] == dim].head(5).itertuples()
                    ],
                }
                for dim in ("follower", "gender", "age", "region")
            ]
            groups.append({"title": title, "dims": dims})
        self.audience.value = str(markup.render("board/audience.html.j2", groups=groups))


__all__ = ["CARDS", "TREND_LABELS", "LiveBoard", "error_widget", "no_replay_widget"]
