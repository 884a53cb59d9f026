"""The report's HTML pieces: its stylesheet, tables, sections, tips, and the standalone page around them.

Cell strings reach :func:`_table` already escaped (callers decide what is markup); headers, titles and tip text
are escaped here with ``format.esc``. The page carries a CSP that forbids scripts and fetches.
"""

from __future__ import annotations

from collections.abc import Sequence

from liveboard import insights
from liveboard.views import format as fmt
from liveboard.views.format import esc

CSS = """
.lbr{font-family:system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;color:#111827;line-height:1.45;max-width:980px}
.lbr h1{font-size:1.6em;margin:.2em 0 .1em;word-break:break-word}
.lbr h2{font-size:1.2em;margin:1.4em 0 .5em;padding-bottom:.2em;border-bottom:2px solid #e5e7eb}
.lbr h3{font-size:1em;margin:1em 0 .4em;color:#374151}
.lbr .lbr-sub{color:#4b5563;margin:.2em 0}
.lbr .lbr-note{color:#6b7280;font-size:.88em}
.lbr table{border-collapse:collapse;margin:.4em 0 1em;font-size:.9em;width:100%}
.lbr th,.lbr td{padding:4px 8px;border-bottom:1px solid #e5e7eb;text-align:left;vertical-align:top}
.lbr th{background:#f3f4f6;font-weight:600}
.lbr td.num,.lbr th.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
.lbr .up{color:#15803d}.lbr .down{color:#b91c1c}.lbr .flat{color:#6b7280}
.lbr ul.lbr-take{list-style:none;padding:0;margin:.4em 0}
.lbr ul.lbr-take li{margin:.35em 0;padding:.45em .7em;border-left:4px solid #9ca3af;background:#f9fafb}
.lbr ul.lbr-take li.good{border-color:#16a34a}.lbr ul.lbr-take li.bad{border-color:#dc2626}
.lbr ul.lbr-take li.warn{border-color:#d97706}
.lbr .lbr-cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(150px,1fr));gap:8px;margin:.3em 0 .8em}
.lbr .lbr-card{border:1px solid #e5e7eb;border-radius:6px;padding:6px 10px;background:#fff}
.lbr .lbr-card .v{font-size:1.2em;font-weight:600;font-variant-numeric:tabular-nums}
.lbr .lbr-card .k{font-size:.8em;color:#6b7280}
.lbr .lbr-card .s{font-size:.72em;color:#8a90a0}.lbr .lbr-card.lbr-missing .v{color:#9ca3af}
.lbr .lbr-partial{background:#fffaeb;border:1px solid #f5d48a;border-radius:6px;padding:.5em .8em}
.lbr .lbr-not-known{color:#6b4f00}.lbr .lbr-gaps{border-left:4px solid #6b7280;padding:.2em .8em;background:#f9fafb}
.lbr .lbr-tip{border:1px solid #e5e7eb;border-radius:6px;padding:.5em .8em;margin:.4em 0;background:#f9fafb}
.lbr .lbr-tip.warning{border-left:4px solid #d97706}.lbr .lbr-tip.info{border-left:4px solid #16a34a}
.lbr .lbr-tip .ev{color:#4b5563;font-size:.85em}
.lbr .lbr-emoji{display:inline-block;margin:2px 6px 2px 0;padding:2px 8px;border-radius:12px;background:#f3f4f6}
.lbr .lbr-grid2{display:grid;grid-template-columns:repeat(auto-fit,minmax(420px,1fr));gap:12px}
.lbr svg.lb-chart{display:block;margin:.3em 0 .8em}
.lbr .sev-high{color:#b91c1c;font-weight:600}.lbr .sev-medium{color:#b45309}.lbr .sev-low{color:#4b5563}
"""


def _f(v: object) -> float:
    """A float, NaN for missing."""
    if fmt.is_missing(v):
        return float("nan")
    try:
        return float(v)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return float("nan")


def _table(headers: Sequence[str], rows: Sequence[Sequence[str]], num: Sequence[bool] | None = None) -> str:
    """An HTML table from already-escaped cell strings (headers are escaped here)."""
    num = list(num) if num is not None else [False] * len(headers)
    head = "".join(
        f'<th class="num">{esc(h)}</th>' if n else f"<th>{esc(h)}</th>" for h, n in zip(headers, num, strict=True)
    )
    body = "".join(
        "<tr>"
        + "".join(f'<td class="num">{c}</td>' if n else f"<td>{c}</td>" for c, n in zip(r, num, strict=True))
        + "</tr>"
        for r in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _section(key: str, title: str, body: str) -> str:
    return f'<div class="lbr lbr-section" id="lbr-{key}"><h2>{esc(title)}</h2>{body}</div>'


def _tip_html(tip: insights.Tip) -> str:
    return (
        f'<div class="lbr-tip {esc(tip.severity)}"><b>{esc(tip.title)}</b> — {esc(tip.advice)}'
        f'<div class="ev">{esc(tip.evidence_text())}</div></div>'
    )


CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; font-src data:"
PAGE_CSS = "body{margin:24px auto;max-width:1000px;padding:0 16px;background:#fff}"


def page(title: str, body: str, meta: dict[str, str] | None = None) -> str:
    """A standalone HTML page: no script, nothing fetched (the CSP forbids both)."""
    metas = "".join(f'<meta name="{esc(k)}" content="{esc(v)}">' for k, v in (meta or {}).items())
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"{metas}<title>{esc(title)}</title><style>{PAGE_CSS}{CSS}</style></head>"
        f"<body>{body}</body></html>\n"
    )
