"""The takeaways: one line per concern of the seed (financial, traffic, products, LIVE events, violations,
engagement), each toned by how it compares with the account's average, then the comparison table.

Each line is built by its own method and returns a :data:`Takeaway`: the tone of its list item (``good``,
``bad``, ``warn``, ``neutral``), its head and its parts, text or Markup from the report's snippets (a bold name,
a change arrow); ``templates/report/takeaways.html.j2`` lays them out and escapes the text.
"""

from __future__ import annotations

import numpy as np

from liveboard.markup import Col, Markup, label
from liveboard.report.data import ReportData
from liveboard.report.markup import _f, render, snippets, table
from liveboard.views import format as fmt

#: A line's parts: text (escaped by the template) or Markup made by a template.
Parts = list[str | Markup]
#: One takeaway: the tone of its list item, its head ("Financial") and its parts.
Takeaway = tuple[str, str, Parts]


def _b(text: object) -> Markup:
    return snippets().b(text)


class TakeawaysSection(ReportData):
    """The ``takeaways`` section."""

    def _cmp(self, metric: str) -> tuple[float, float, float]:
        row = self.comparison.set_index("metric").loc[metric]
        return float(row["value"]), float(row["average"]), float(row["diff_pct"])

    def _vs_avg(self, metric: str) -> Parts:
        v, avg, pct = self._cmp(metric)
        if np.isnan(avg) or np.isnan(v):
            return []
        if np.isnan(pct):
            return [f" (average {self.metric(metric, avg)})"]
        return [" — ", self._change(pct, pct), f" vs the average of {self.metric(metric, avg)}"]

    def _why(self, metric: str) -> str:
        """`` (not known: a recorder sees no orders or GMV)`` for a figure that is not known, else ""."""
        reason = self.cov.missing_reason(metric, self.summary.get(metric))
        return f" (not known: {reason})" if reason else ""

    def _tone(self, metric: str) -> str:
        """``good``/``bad`` at 5 % or more above/below the account's average, else ``neutral``."""
        _, avg, pct = self._cmp(metric)
        if np.isnan(pct):
            return "neutral"
        return "good" if pct >= 0.05 else "bad" if pct <= -0.05 else "neutral"

    def takeaways(self) -> str:
        n_hist, wd = len(self.history), self.options.window_days
        items = [self._financial_takeaway(), self._traffic_takeaway(), self._products_takeaway()]
        events = self._events_takeaway()
        if events is not None:
            items.append(events)
        items += [self._violations_takeaway(), self._engagement_takeaway()]
        basis = (
            f"Compared with the average of this account's {n_hist} session{'s' if n_hist != 1 else ''} in the "
            f"{wd} days before this one (money: in {self.currency or 'the same currency'} only)."
            if n_hist
            else f"No earlier session of this account in the {wd} days before this one: nothing to compare with."
        )
        comparison = self._comparison_table() if n_hist else ""
        return str(render("takeaways", items=items, basis=basis, table=comparison))

    def _financial_takeaway(self) -> Takeaway:
        v = self.value
        direct = _f(v("direct_gmv")) / _f(v("gmv")) if _f(v("gmv")) > 0 else float("nan")
        fin: Parts = [f"GMV {self.money(v('gmv'))}{self._why('gmv')}", *self._vs_avg("gmv")]
        if not fmt.is_missing(v("items_sold")) and not fmt.is_missing(v("customers")):
            fin.append(f"; {fmt.count(v('items_sold'))} items to {fmt.count(v('customers'))} customers")
        elif not fmt.is_missing(v("items_sold")):
            fin.append(f"; {fmt.count(v('items_sold'))} items sold (customers not known)")
        if not np.isnan(direct):
            fin.append(f", {fmt.rate(direct, 0)} of GMV direct from the LIVE")
        if _f(v("refunded_gmv")) > 0:
            fin.append(f"; {self.money(v('refunded_gmv'))} refunded")
        return (self._tone("gmv"), "Financial", [*fin, "."])

    def _traffic_takeaway(self) -> Takeaway:
        v = self.value
        seen = " (as seen by the recorder)" if self.cov.source_of("viewers") == "recorder" else ""
        traffic: Parts = [f"{fmt.count(v('viewers'))} viewers{seen}", *self._vs_avg("viewers")]
        extra = [
            (f"peak {self.metric('pcu', v('pcu'))} at once", v("pcu")),
            (f"enter-room rate {fmt.rate(v('enter_room_rate'))}", v("enter_room_rate")),
            (f"average view {fmt.duration(v('avg_view_duration_s'))}", v("avg_view_duration_s")),
        ]
        known = [t for t, x in extra if not fmt.is_missing(x)]
        if known:
            traffic.append("; " + ", ".join(known))
        ch = self.channels
        if not ch.empty and ch["views"].sum() > 0:
            top = ch.sort_values("views", ascending=False).iloc[0]
            paid = ch.loc[ch["group"] == "promoted", "views"].sum() / ch["views"].sum()
            traffic += [
                "; most views from ",
                _b(top["channel"]),
                f" ({fmt.rate(top['views'] / ch['views'].sum(), 0)}), paid (promoted) {fmt.rate(paid, 0)}",
            ]
        return (self._tone("viewers"), "Traffic", [*traffic, "."])

    def _products_takeaway(self) -> Takeaway:
        v, pr = self.value, self.products
        why_products = self.cov.empty_note("products", pr.empty)
        if not pr.empty and pr["gmv"].astype(float).sum() > 0:
            best = pr.sort_values("gmv", ascending=False).iloc[0]
            name = best["name"] if isinstance(best["name"], str) and best["name"] else best["product_id"]
            share = float(best["gmv"]) / float(pr["gmv"].astype(float).sum())
            prod: Parts = [
                f"CTR {fmt.rate(v('live_ctr'))}",
                *self._vs_avg("live_ctr"),
                f", CTOR {fmt.rate(v('ctor'))}; top seller ",
                _b(name),
                f" with {self.money(best['gmv'])} ({fmt.rate(share, 0)} of GMV)",
            ]
            ext = [t for t in self.product_tips if t.kind == "extend_display"]
            low = [t for t in self.product_tips if t.kind == "giveaway_or_explain"]
            if ext:
                prod.append(f"; feature longer: {', '.join(t.title.split(':')[0] for t in ext[:3])}")
            if low:
                names = ", ".join(t.title.split(":")[0] for t in low[:3])
                prod.append(f"; clicked but not bought (giveaway or explain): {names}")
            return (self._tone("ctor"), "Products", [*prod, "."])
        if why_products:
            return ("neutral", "Products", [f"per-product figures not known: {why_products}."])
        if not pr.empty and pr["gmv"].isna().all():
            why = self.cov.missing_reason("gmv", None) or "no product sales figures"
            return ("neutral", "Products", [f"product sales not known: {why}."])
        return ("neutral", "Products", ["no product sales recorded for this session."])

    def _events_takeaway(self) -> Takeaway | None:
        """The biggest GMV lift and fall after a LIVE event, and the GMV drops; ``None`` without event impact."""
        imp = self.impact.dropna(subset=["gmv_change"]) if not self.impact.empty else self.impact
        if imp.empty:
            return None
        hi, lo = imp.loc[imp["gmv_change"].idxmax()], imp.loc[imp["gmv_change"].idxmin()]
        ev = [
            f"the biggest GMV lift followed {hi['kind']} “{hi['label']}” at "
            f"{self.when(hi['ts'], '%H:%M')} ({self.money(hi['gmv_change'])}/min)"
        ]
        if lo["gmv_change"] < 0:
            ev.append(
                f"; GMV fell most after {lo['kind']} “{lo['label']}” at {self.when(lo['ts'], '%H:%M')} "
                f"({self.money(lo['gmv_change'])}/min) — consider spotlighting other products there"
            )
        drops = self.gmv_drops()
        if drops:
            ev.append(
                f"; GMV fell while traffic held in {len(drops)} stretch{'es' if len(drops) > 1 else ''} "
                f"(first at {self.clock(drops[0][0] - self.options.event_window + 1)}): more product "
                "explanation and demonstration, or a different product, may help there"
            )
        return ("neutral", "LIVE events", [*ev, "."])

    def _violations_takeaway(self) -> Takeaway:
        nv = len(self.violations)
        why_violations = self.cov.empty_note("violations", nv == 0)
        if nv:
            worst = self.violations["severity"].map({"high": 3, "medium": 2, "low": 1}).fillna(0).max()
            sev = {3: "high", 2: "medium", 1: "low"}.get(int(worst), "unknown")
            return (
                "warn" if sev != "high" else "bad",
                "Violations",
                [
                    f"{nv} policy warning{'s' if nv > 1 else ''} (highest severity {sev}); "
                    "see the suggested fixes below and appeal unwarranted ones."
                ],
            )
        if why_violations:
            return ("neutral", "Violations", [f"not known: {why_violations}."])
        return ("good", "Violations", ["none during this LIVE."])

    def _engagement_takeaway(self) -> Takeaway:
        v = self.value
        seen = " (as seen by the recorder)" if self.cov.source_of("new_followers") == "recorder" else ""
        return (
            self._tone("new_followers"),
            "Engagement",
            [
                f"{fmt.count(v('new_followers'))} new followers{seen}{self._why('new_followers')}",
                *self._vs_avg("new_followers"),
                f"; engagement rate {fmt.rate(v('engagement_rate'))}{self._why('engagement_rate')}.",
            ],
        )

    def _comparison_table(self) -> Markup:
        rows = [
            [
                label(r.metric),
                self.metric(r.metric, r.value),
                self.metric(r.metric, r.average),
                self._change(r.diff, r.diff_pct),
            ]
            for r in self.comparison.itertuples()
        ]
        columns = [
            Col("metric", "Metric"),
            Col("value", "This LIVE", numeric=True),
            Col("average", f"Average ({len(self.history)})", numeric=True),
            Col("diff", "Difference", numeric=True),
        ]
        return table(columns, rows)
