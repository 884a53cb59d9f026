"""The report's detail sections, one table (and chart) each: traffic channels, products, giveaways,
violations, comments and audience. Each says "not known" and why when the session's sources cannot see it."""

from __future__ import annotations

import numpy as np
import pandas as pd

from liveboard import insights
from liveboard.report import charts
from liveboard.report.comments import comment_emoji, comment_words
from liveboard.report.data import ReportData
from liveboard.report.markup import _f, _section, _table, _tip_html
from liveboard.views import format as fmt
from liveboard.views.format import esc


class DetailSections(ReportData):
    """The ``channels``, ``products``, ``giveaways``, ``violations``, ``comments`` and ``audience`` sections."""

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
