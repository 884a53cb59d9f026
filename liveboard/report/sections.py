"""The report's detail sections, one table (and chart) each: traffic channels, products, giveaways,
violations, comments and audience. Each says "not known" and why when the session's sources cannot see it."""

from __future__ import annotations

import numpy as np
import pandas as pd

from liveboard import insights, markup
from liveboard.report import charts
from liveboard.report.comments import comment_emoji, comment_words
from liveboard.report.data import ReportData
from liveboard.report.markup import _f, details, snippets, table
from liveboard.views import format as fmt


class DetailSections(ReportData):
    """The ``channels``, ``products``, ``giveaways``, ``violations``, ``comments`` and ``audience`` sections."""

    def channels_section(self) -> str:
        ch = self.channels
        if ch.empty:
            return str(
                details().empty("channels", "Traffic channels", self.not_known("channels"), "No traffic channel data.")
            )
        ch = ch.sort_values("views", ascending=False)
        gmv_known = bool(ch["gmv"].astype(float).notna().any())
        total_views, total_gmv = float(ch["views"].sum()), float(ch["gmv"].astype(float).sum())
        rows = []
        for r in ch.itertuples():
            err = r.views / r.impressions if _f(r.impressions) > 0 else float("nan")
            rows.append(
                [
                    r.channel,
                    r.group,
                    fmt.count(r.impressions),
                    fmt.count(r.views),
                    fmt.count(r.viewers),
                    fmt.rate(err),
                    self.money(r.gmv),
                    fmt.rate(float(r.gmv) / total_gmv if total_gmv else float("nan"), 0),
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
            else ""
        )
        gmv_why = "a recorder sees no orders or GMV" if self.cov.kind == "recorder" else "no GMV per channel"
        columns = markup.columns(
            "channels", ("channel", "group", "impressions", "views", "viewers", "enter_room_rate", "gmv", "gmv_share")
        )
        paid = float(ch.loc[ch["group"] == "promoted", "views"].sum()) / total_views if total_views else float("nan")
        note = (
            f"Organic channels brought {fmt.rate(1 - paid, 0) if not np.isnan(paid) else fmt.MISSING} of views, paid "
            f"promotion {fmt.rate(paid, 0)}. GMV is credited to the channel of the buyer's latest entry before the order."
        )
        if self.cov.kind == "recorder":
            note = "Views as seen by the recorder, by the entry source it reports. " + note
        return str(details().channels(views_chart, gmv_chart, gmv_why, table(columns, rows), note))

    def products_section(self) -> str:
        pr = self.products
        if pr.empty:
            return str(
                details().empty("products", "Products", self.not_known("products"), "No product data for this session.")
            )
        pr = pr.sort_values(["gmv", "clicks"], ascending=False)
        names = [n if isinstance(n, str) and n else str(p) for n, p in zip(pr["name"], pr["product_id"], strict=True)]
        rows = [
            [
                name,
                self.money(r.price),
                fmt.count(r.impressions),
                fmt.count(r.clicks),
                fmt.rate(r.ctr),
                fmt.count(r.sku_orders),
                fmt.count(r.items_sold),
                self.money(r.gmv),
                fmt.rate(r.ctor),
                fmt.duration(r.featured_s) if _f(r.featured_s) > 0 else "—",
            ]
            for name, r in zip(names, pr.itertuples(), strict=True)
        ]
        top = pr.head(12)
        chart, chart_why = "", ""
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
            chart_why = (
                "Not known: a recorder sees which product was featured, but no product impressions, clicks or sales."
            )
        else:
            chart_why = "GMV by product not known: no product sales figures."
        columns = markup.columns(
            "products",
            ("title", "price", "impressions", "clicks", "ctr", "sku_orders", "items_sold", "gmv", "ctor", "featured_s"),
        )
        judged = bool(pr["clicks"].astype(float).notna().any())  # nothing to judge products by: no tips, no claim
        note = (
            f"Tips judge products shown at least {insights.MIN_IMPRESSIONS} times and clicked at least "
            f"{insights.MIN_CLICKS} times against this session's median CTR and CTOR."
        )
        tips = self.product_tips if judged else None
        return str(details().products(chart, chart_why, table(columns, rows), tips, note))

    def giveaways_section(self) -> str:
        gv = self.giveaways
        if gv.empty:
            return str(
                details().empty("giveaways", "Giveaways", self.not_known("giveaways"), "No giveaways in this session.")
            )
        rows = []
        for r in gv.sort_values("start").itertuples():
            dur = (pd.Timestamp(r.end) - pd.Timestamp(r.start)).total_seconds() if not fmt.is_missing(r.end) else None
            rows.append(
                [
                    r.prize,
                    self.when(r.start, "%H:%M"),
                    fmt.duration(dur),
                    fmt.count(r.view_uv),
                    fmt.count(r.click_uv),
                    fmt.count(r.participants),
                    f"{fmt.count(r.winners)} / {fmt.count(r.winners_planned)}",
                    self.money(r.gmv_during),
                ]
            )
        columns = markup.columns(
            "giveaways", ("prize", "start", "duration", "view_uv", "click_uv", "participants", "winners", "gmv_during")
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
        note = "Prioritise giveaways that boost views and sales, on high-demand items with a barrier to purchase."
        return str(details().giveaways(chart, table(columns, rows), tips, note))

    def violations_section(self) -> str:
        vi = self.violations
        if vi.empty:
            return str(
                details().empty(
                    "violations", "Violations", self.not_known("violations"), "No violations during this LIVE."
                )
            )
        severity = snippets().severity
        rows = [
            [
                self.when(r.ts, "%H:%M"),
                r.policy,
                severity(r.severity),
                r.detail,
                insights.violation_advice(r.policy),
            ]
            for r in vi.sort_values("ts").itertuples()
        ]
        counts = vi["policy"].value_counts()
        repeat = [str(p) for p, n in counts.items() if n > 1]
        columns = markup.columns("violations", ("time", "policy", "severity", "detail", "fix"))
        return str(details().violations(table(columns, rows), repeat, insights.APPEAL))

    def comments_section(self) -> str:
        cm = self.comments
        if cm.empty:
            count, not_known = self.value("comments"), self.not_known("comments")
            extra = (
                f"The comment count is known: {fmt.count(count)}." if not_known and not fmt.is_missing(count) else ""
            )
            return str(details().empty("comments", "Comments", not_known, "No comments in this session.", extra))
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
        emoji = [(e, fmt.count(n)) for e, n in comment_emoji(cm["text"])]
        commenters = cm["user_id"].nunique()
        peak = per_min.idxmax()
        summary = (
            f"{fmt.count(len(cm))} comments from {fmt.count(commenters)} viewers; busiest minute {self.clock(peak)} "
            f"with {fmt.count(per_min.max())} comments."
        )
        return str(details().comments(summary, chart, word_chart, emoji))

    def audience_section(self) -> str:
        au = self.audience
        if au.empty or self.not_known("audience"):
            return str(details().empty("audience", "Audience", self.not_known("audience"), "No audience profile data."))
        titles = {"follower": "Followers", "gender": "Gender", "age": "Age", "region": "Region"}
        blocks = []
        for dim, head in titles.items():
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
            chart = charts.paired_bars(
                values, groups, title=f"{head}: share of viewers and customers", value_fmt=lambda v: fmt.rate(v, 0)
            )
            blocks.append((head, chart))
        fol = au[(au["dimension"] == "follower") & (au["value"] == "follower")].set_index("audience")["share"]
        note = ""
        if "viewers" in fol:
            note = (
                f"Followers were {fmt.rate(fol['viewers'], 0)} of viewers"
                + (f" and {fmt.rate(fol['customers'], 0)} of customers" if "customers" in fol else "")
                + ". A solid follower base means strong organic reach; grow it with LIVE outreach and awareness."
            )
        return str(details().audience(blocks, note))
