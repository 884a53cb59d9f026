"""The trends over the session: line charts with event markers, the stretches where GMV fell while traffic
held, and each product feature's and giveaway's effect on GMV and viewers (``event_impact``)."""

from __future__ import annotations

from liveboard.markup import Col, label
from liveboard.report import charts
from liveboard.report.data import ReportData
from liveboard.report.markup import _f, render, table
from liveboard.views import format as fmt
from liveboard.views.coverage import gap_text, per_interval

#: The trends list this many stretches where GMV fell while traffic held, then "… and N more".
DROPS_SHOWN = 8


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
            return str(render("trends", why=self.cov.empty_note("trend") or "no figures over time"))
        x = tr["minute"].astype(float).tolist()
        markers = self._chart_markers()
        per = per_interval(tr)
        money_short = self._money_short

        def series(*specs: tuple[str, str, str]) -> list[charts.Series]:
            return [
                charts.Series(f"{label(col)} {per}" if col != "online" else name, tr[col].tolist(), color)
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
        shown, missing = [], []
        for head, title, lines, y_fmt, metric in plan:
            if not lines:
                if head != "Engagement":
                    missing.append(f"{head}: {self.cov.trend_reason(metric, tr)}")
                continue
            if head == "Engagement" and {"gmv", "views", "online"} & have and "product_clicks" in have:
                continue  # a full event trend: engagement is in the comments section
            chart = charts.line_chart(x, lines, title=title, markers=markers, x_labels=self.clock, y_fmt=y_fmt)
            shown.append((head, chart))
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
        return str(render("trends", why="", charts=shown, missing=missing, note=note, drops=self._gmv_drops()))

    def _gmv_drops(self) -> dict | None:
        """The stretches where GMV fell while traffic held, for the template; ``None`` when not known."""
        w = self.options.event_window
        periods = self.gmv_drops()
        if not {"gmv", "views"} <= set(self.trend_cols):
            return None
        texts = [
            f"{self.clock(a - w + 1)}–{self.clock(b + 1)}: {t.evidence_text()}" for a, b, t in periods[:DROPS_SHOWN]
        ]
        advice = periods[0][2].advice if periods else ""
        return {"window": w, "texts": texts, "count": len(periods), "advice": advice}

    def event_impact(self) -> str:
        imp = self.impact
        w = self.options.event_window
        why = self.cov.empty_note("markers", self.markers.empty)
        if not why and not {"gmv", "online"} <= set(self.trend_cols) and not self.markers.empty:
            why = self.cov.trend_reason("gmv", self.trend)
        if why:
            return str(render("event_impact", why=why))
        if imp.empty:
            return str(render("event_impact", why="", table=""))
        rows, labels, changes = [], [], []
        for r in imp.sort_values("ts").itertuples():
            rows.append(
                [
                    self.when(r.ts, "%H:%M"),
                    "product featured" if r.kind == "product" else r.kind,
                    r.label,
                    self.money(r.gmv_before),
                    self.money(r.gmv_after),
                    self._change(_f(r.gmv_change), text=self.money(r.gmv_change)),
                    fmt.count(r.online_before),
                    fmt.count(r.online_after),
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
        columns = [
            Col("time", "Time"),
            Col("event", "Event"),
            Col("title", "Name"),
            Col("gmv_before", "GMV/min before", numeric=True),
            Col("gmv_after", "after", numeric=True),
            Col("gmv_change", "change", numeric=True),
            Col("online_before", "Online before", numeric=True),
            Col("online_after", "after", numeric=True),
            Col("online_change", "change", numeric=True),
        ]
        note = (
            f"GMV per minute and online viewers in the {w} minutes from each event, against the {w} minutes "
            "before it. Events closer together than that share minutes, so read neighbouring rows together. "
            "If features of a product are followed by GMV declines, spotlight other products; if giveaways bring "
            "no GMV lift, focus promotions on different products."
        )
        return str(render("event_impact", why="", chart=chart, note=note, table=table(columns, rows)))
