"""The seed's tips as rules, each returned with the numbers behind it.

Every surface (LIVE Analytics, the live board, reports) calls these on the DataFrames the metrics layer
gives; none of them re-derives a metric.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from liveboard import format as fmt
from liveboard.metrics import REGISTRY

MIN_IMPRESSIONS = 30  # a product with fewer impressions is not judged
MIN_CLICKS = 10


@dataclass(frozen=True)
class Tip:
    kind: str  # extend_display | giveaway_or_explain | gmv_drop | giveaway_no_lift | ...
    subject: str  # product id, giveaway id, or "session"
    title: str
    advice: str
    evidence: dict[str, str] = field(default_factory=dict)
    severity: str = "info"  # info | warning

    def evidence_text(self) -> str:
        return " · ".join(f"{k} {v}" for k, v in self.evidence.items())


def product_tips(products: pd.DataFrame) -> list[Tip]:
    """High CTR and CTOR: extend display time; high CTR, low CTOR: a giveaway or more explanation.

    "High" and "low" are against this session's own products (their median), among products shown
    often enough to judge.
    """
    judged = products[(products["impressions"] >= MIN_IMPRESSIONS) & (products["clicks"] >= MIN_CLICKS)]
    if len(judged) < 2:
        return []
    ctr_med = float(np.nanmedian(judged["ctr"].astype(float)))
    ctor_med = float(np.nanmedian(judged["ctor"].astype(float)))
    tips: list[Tip] = []
    for row in judged.itertuples():
        name = row.name if isinstance(row.name, str) and row.name else row.product_id
        evidence = {
            "CTR": f"{fmt.rate(row.ctr)} (median {fmt.rate(ctr_med)})",
            "CTOR": f"{fmt.rate(row.ctor)} (median {fmt.rate(ctor_med)})",
            "clicks": fmt.count(row.clicks),
            "orders": fmt.count(row.sku_orders),
            "featured": fmt.duration(row.featured_s),
        }
        if row.ctr >= ctr_med and row.ctor >= ctor_med and (row.ctr > ctr_med or row.ctor > ctor_med):
            tips.append(
                Tip(
                    "extend_display",
                    str(row.product_id),
                    f"{name}: high CTR and CTOR",
                    "Extend its display time and emphasise its key selling points.",
                    evidence,
                )
            )
        elif row.ctr >= ctr_med and row.ctor < 0.75 * ctor_med:
            tips.append(
                Tip(
                    "giveaway_or_explain",
                    str(row.product_id),
                    f"{name}: high CTR, low CTOR",
                    "Viewers are interested but do not buy: consider a giveaway, or explain and demonstrate it "
                    "further.",
                    evidence,
                    "warning",
                )
            )
    return tips


VIOLATION_ADVICE: dict[str, str] = {
    "prohibited_product": "Take the product off the showcase and stop showing it on camera.",
    "misleading_claim": "Withdraw the claim on stream; stick to what the product listing states.",
    "minor_safety": "Make sure no minor appears alone on camera and restate the age rules.",
    "offensive_content": "Stop the segment, moderate the chat, and remove offensive material from view.",
    "off_platform_traffic": "Do not mention other platforms, phone numbers or outside links.",
    "unoriginal_content": "Replace the re-broadcast or unlicensed material with your own live content.",
    "dangerous_acts": "Stop the activity at once; demonstrate products safely.",
    "intellectual_property": "Remove the branded or copyrighted material unless you hold the rights.",
    # policy names as the simulator (and TikTok's warnings) spell them
    "prohibited_products": "Take the product off the showcase and stop showing it on camera.",
    "misleading_claims": "Withdraw the claim on stream; stick to what the product listing states.",
    "misleading_pricing": "Correct the price or discount on stream and make the listing match what you said.",
    "off_platform_transaction": "Never send viewers to pay outside TikTok Shop; withdraw the link or number.",
    "harassment": "Apologise, stop addressing the viewer, and moderate the chat; keep replies respectful.",
}
APPEAL = (
    "If the warning is unwarranted, appeal from LIVE Manager (Violations → Appeal) within the appeal window: "
    "say what was on screen at that time, why it meets the policy, and attach the replay timestamp."
)


def violation_advice(policy: str) -> str:
    key = str(policy).strip().lower().replace(" ", "_").replace("-", "_")
    return VIOLATION_ADVICE.get(key, "Read the policy named in the warning and correct the segment on stream.")


def compare_to_average(
    session: pd.Series, sessions: pd.DataFrame, metrics: list[str], currency: str | None = None
) -> pd.DataFrame:
    """This session's metrics against the average of ``sessions`` (missing values are not averaged as 0).

    Money is never averaged across currencies: with ``currency`` (or the session's own ``currency``), money
    metrics are averaged over the sessions in that currency only.
    """
    cur = currency if currency is not None else session.get("currency")
    same = sessions
    if "currency" in sessions and not fmt.is_missing(cur):
        same = sessions[(sessions["currency"] == cur).to_numpy(dtype=bool, na_value=False)]
    rows = []
    for m in metrics:
        pool = same if m in REGISTRY and REGISTRY[m].is_money else sessions
        avg = pd.to_numeric(pool[m], errors="coerce").astype("float64").mean() if m in pool else np.nan
        avg = float("nan") if fmt.is_missing(avg) else float(avg)
        val = session.get(m)
        val = np.nan if fmt.is_missing(val) else float(val)
        diff = val - avg if not (np.isnan(val) or np.isnan(avg)) else np.nan
        pct = diff / avg if avg and not np.isnan(diff) else np.nan
        rows.append({"metric": m, "value": val, "average": avg, "diff": diff, "diff_pct": pct})
    return pd.DataFrame(rows)


def event_impact(trend: pd.DataFrame, markers: pd.DataFrame, window: int = 5) -> pd.DataFrame:
    """GMV per minute and online viewers in the ``window`` minutes after each feature or giveaway,
    against the ``window`` minutes before it."""
    out = []
    if trend.empty or markers.empty:
        return pd.DataFrame(
            columns=[
                "ts",
                "kind",
                "label",
                "gmv_before",
                "gmv_after",
                "gmv_change",
                "online_before",
                "online_after",
                "online_change",
            ]
        )
    gmv = trend.set_index("minute")["gmv"].astype(float)
    online = trend.set_index("minute")["online"].astype(float)
    for row in markers[markers["kind"].isin(["product", "giveaway"])].itertuples():
        m = int(row.minute)
        before = range(max(0, m - window), m)
        after = range(m, m + window)
        gb, ga = gmv.reindex(before).mean(), gmv.reindex(after).mean()
        ob, oa = online.reindex(before).mean(), online.reindex(after).mean()
        out.append(
            {
                "ts": row.ts,
                "kind": row.kind,
                "label": row.label,
                "gmv_before": gb,
                "gmv_after": ga,
                "gmv_change": ga - gb,
                "online_before": ob,
                "online_after": oa,
                "online_change": oa - ob,
            }
        )
    return pd.DataFrame(out)


def live_alerts(
    trend: pd.DataFrame, giveaways: pd.DataFrame, products: pd.DataFrame, window: int = 5, currency: str = "USD"
) -> list[Tip]:
    """Real-time tips: GMV falling while traffic holds; a giveaway that brought no GMV lift; high CTR, low CTOR."""
    tips: list[Tip] = []
    if len(trend) >= 2 * window + 1:
        recent = trend.iloc[-window - 1 : -1]  # complete minutes only
        before = trend.iloc[-2 * window - 1 : -window - 1]
        g_now, g_then = recent["gmv"].astype(float).mean(), before["gmv"].astype(float).mean()
        v_now, v_then = recent["views"].astype(float).mean(), before["views"].astype(float).mean()
        if g_then > 0 and g_now < 0.7 * g_then and v_then > 0 and v_now >= 0.9 * v_then:
            tips.append(
                Tip(
                    "gmv_drop",
                    "session",
                    "GMV is falling while traffic holds",
                    "Change the featured product, or describe and demonstrate it in more detail.",
                    {
                        "GMV/min": f"{fmt.money(g_now, currency)} (was {fmt.money(g_then, currency)})",
                        "views/min": f"{v_now:.1f} (was {v_then:.1f})",
                    },
                    "warning",
                )
            )
    if not giveaways.empty and not trend.empty:
        gmv = trend.set_index("ts")["gmv"].astype(float)
        for g in giveaways.itertuples():
            if fmt.is_missing(g.end):
                continue
            dur_min = max((pd.Timestamp(g.end) - pd.Timestamp(g.start)).total_seconds() / 60, 1)
            during = float(g.gmv_during) / dur_min
            prior = gmv[
                (gmv.index < pd.Timestamp(g.start))
                & (gmv.index >= pd.Timestamp(g.start) - pd.Timedelta(minutes=window))
            ]
            base = prior.mean() if len(prior) else np.nan
            if not np.isnan(base) and during <= base:
                tips.append(
                    Tip(
                        "giveaway_no_lift",
                        str(g.giveaway_id),
                        f"Giveaway “{g.prize}” brought no GMV lift",
                        "Focus the next promotion on a different product.",
                        {
                            "GMV/min during": fmt.money(during, currency),
                            "GMV/min before": fmt.money(base, currency),
                            "participants": fmt.count(g.participants),
                        },
                        "warning",
                    )
                )
    tips += [t for t in product_tips(products) if t.kind == "giveaway_or_explain"]
    return tips
