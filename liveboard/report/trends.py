"""The trends over the session: line charts with event markers, the stretches where GMV fell while traffic
held, and each product feature's and giveaway's effect on GMV and viewers (``event_impact``)."""

from __future__ import annotations

from liveboard.report import charts
from liveboard.report.data import ReportData
from liveboard.report.markup import _f, _section, _table
from liveboard.views import format as fmt
from liveboard.views.coverage import gap_text, per_interval
from liveboard.views.format import esc


class TrendSections(ReportData):
    """The ``trends`` and ``event_impact`` sections."""

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
