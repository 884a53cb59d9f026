"""The report's frame and its figures: the header (who, when, sources, recorder gaps), the core data cards,
and the footer that says how the page was made (templates ``report/header``, ``core_data``, ``footer``)."""

from __future__ import annotations

import datetime as dt

import liveboard
from liveboard.markup import Card
from liveboard.metrics import METRICS
from liveboard.report.data import ReportData
from liveboard.report.markup import render, style_tag
from liveboard.views import format as fmt
from liveboard.views.coverage import gap_text, late_updates_text

#: The header lists this many recorder gaps, then "… and N more".
GAPS_SHOWN = 30


class OverviewSections(ReportData):
    """The ``header``, ``core_data`` and ``footer`` sections."""

    def header(self) -> str:
        s = self.summary
        live_event = s.get("live_event_id")
        return str(
            render(
                "header",
                style=style_tag(),
                session_id=self.session.id,
                title=self.title,
                account=s.get("account_id") or fmt.MISSING,
                when=f"{self.when(s.get('start'))} → {self.when(s.get('end'), '%H:%M')}",
                timezone=self.options.timezone,
                duration=fmt.duration(s.get("duration_s")),
                currency=self.currency or fmt.MISSING,
                live_event="" if fmt.is_missing(live_event) else live_event,
                sources=self.cov.label(),
                notice=self.cov.notice(has_trend=bool(self.trend_cols)),
                late=late_updates_text(s.get("late_order_updates")),
                gaps=self._gaps(),
            )
        )

    def _gaps(self) -> dict | None:
        """The recorder's gaps (from, to): stretches where it was not connected and saw nothing."""
        gaps = self.cov.gaps
        if gaps.empty:
            return None
        total = (gaps["gap_end"] - gaps["gap_start"]).dt.total_seconds().sum(min_count=1)
        texts = [gap_text(g, self.options.timezone) for g in gaps.head(GAPS_SHOWN).itertuples()]
        return {"count": len(gaps), "total": fmt.duration(total), "texts": texts}

    def core_data(self) -> str:
        s = self.summary
        names = {"sales": "Sales", "traffic": "Traffic", "engagement": "Engagement", "products": "Products"}
        show_source = self.cov.sources != ("events",)
        groups = []
        for cat, label in names.items():
            cards = []
            for m in (m for m in METRICS if m.category == cat):
                raw = s.get(m.name)
                tip = f"{m.description} {self.cov.figure_tooltip(m.name, raw)}" if show_source else m.description
                cards.append(
                    Card(
                        label=m.label,
                        value=self.metric(m.name, self.cov.value(m.name, raw)),
                        sub=self.cov.figure_note(m.name, raw) if show_source else "",
                        tip=tip,
                        key=m.name,
                    )
                )
            groups.append((label, cards))
        return str(render("core_data", groups=groups, sources=self.cov.label() if show_source else ""))

    def footer(self) -> str:
        return str(
            render(
                "footer",
                version=liveboard.__version__,
                now=dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
                timezone=self.options.timezone,
                window_days=self.options.window_days,
            )
        )
