"""The one presentation layer (issue "One house"): templates escape by default, components are written once,
the one stylesheet and every template ship in the package, and nothing in them points at the network."""

from __future__ import annotations

import re
from importlib import resources
from pathlib import Path
from types import SimpleNamespace

import pytest

from liveboard import markup
from liveboard.markup import Card, Col, Markup, cards, components

HOSTILE = "<img src=x onerror=alert(1)> & \"quoted\" 'single'"


def test_card_escapes_text_and_keeps_component_markup():
    sub = components().source("source: API")
    html = cards([Card(HOSTILE, "$1.00", sub, tip=HOSTILE, key="gmv")])
    assert "<img" not in html
    assert "&lt;img src=x onerror=alert(1)&gt; &amp; &#34;quoted&#34;" in html
    assert '<span class="lb-source">source: API</span>' in html  # Markup from a component goes in as is
    assert 'class="lb-card lb-card-gmv"' in html


def test_a_long_figure_gets_smaller_type_not_a_break():
    assert "lb-long" in cards([Card("GMV", "Rp1,515,000.00")])
    assert "lb-long" not in cards([Card("GMV", "$828.64")])


def test_a_missing_value_marks_its_card():
    assert "lb-missing" in cards([Card("GMV", markup.fmt.MISSING)])
    assert "lb-missing" not in cards([Card("GMV", "$0.00")])


def test_table_escapes_cells_headers_and_classes():
    html = components().table(
        [Col("title", HOSTILE), Col("n", "N", numeric=True)],
        [[HOSTILE, 3], [Markup("<b>ok</b>"), 4]],
        "lb-x",
        "n",
        [HOSTILE, ""],
    )
    assert "<img" not in html and html.count("&lt;img") == 3  # header, cell, row class
    assert "<b>ok</b>" in html
    assert '<th class="lb-num lb-sorted">N ⇅</th>' in html
    assert '<td class="lb-num">3</td>' in html


def test_an_empty_table_says_so_across_its_columns():
    html = components().table([Col("a", "A"), Col("b", "B")], [], empty=HOSTILE)
    assert 'colspan="2"' in html and "&lt;img" in html and "<img" not in html


def test_tip_escapes_every_part():
    tip = SimpleNamespace(severity="warning", title=HOSTILE, advice=HOSTILE, evidence_text=lambda: HOSTILE)
    html = components().tip(tip)
    assert "<img" not in html and html.count("&lt;img") == 3
    assert 'class="lb-tip lb-warning"' in html


@pytest.mark.parametrize(
    ("diff", "text"),
    [(0.12, "▲ 12.0% above average"), (-0.081, "▼ 8.1% below average"), (0.0, "= average"), (None, "— vs average")],
)
def test_versus(diff, text):
    assert text in components().versus(diff)


def test_an_unknown_name_in_a_template_is_an_error():
    with pytest.raises(Exception, match="undefined"):
        markup.environment().from_string("{{ nobody }}").render()


def test_the_stylesheet_ships_and_fetches_nothing():
    css = str(markup.stylesheet())
    for component in (".lb-card", "table.lb-table", ".lb-tip", ".lb-section", ".lb-error", ".lb-report"):
        assert component in css, component
    assert not re.search(r"url\(|@import|https?://", css), "the stylesheet must not load anything"
    assert markup.style_tag().startswith("<style>")


def test_no_template_points_at_the_network():
    """Every template shipped (ours and the Voilà page template) renders offline: no remote URL in any."""

    def walk(folder):
        for p in folder.iterdir():
            yield from walk(p) if p.is_dir() else [p]

    root = resources.files("liveboard")
    files = [*walk(root.joinpath("templates")), *walk(root.joinpath("jupyter/voila/templates/liveboard"))]
    assert {"components.html.j2", "page.html.j2", "index.html.j2", "conf.json"} <= {p.name for p in files}
    for p in files:
        text = p.read_text(encoding="utf-8")
        text = re.sub(r'xmlns(:\w+)?="http://www\.w3\.org/[^"]*"', "", text)  # SVG's namespaces: names, not fetches
        text = re.sub(r"replace\('[^']*'", "", text)  # the Voilà template names the CDN links it removes
        assert not re.search(r"https?://", text), p.name


def test_labels_come_from_the_registry():
    assert markup.label("gmv") == markup.REGISTRY["gmv"].label
    assert markup.label("not-a-metric") == "not-a-metric"


def test_no_html_is_written_in_python():
    """Every tag on every surface comes from a template (issue "One house": escaping is the default, not a call):
    no module of the package writes an HTML element in a string, and nothing escapes by hand."""
    tag = re.compile(
        r"(?<!`)<(div|span|table|tr|td|th|b|a|p|ul|li|h[1-6]|style|svg|g|small|code|iframe)(\s[^>]*)?>(?!/)"
    )
    package = Path(markup.__file__).parent
    for path in package.rglob("*.py"):
        if path.parent.name == "simulator":
            continue  # it writes viewers' text, hostile on purpose (titles, comments with tags), to be escaped
        # patterns that read matplotlib's SVG (report/charts.py) find tags, they do not write them
        lines = path.read_text(encoding="utf-8").splitlines()
        skip = ("re.compile(", "re.sub(")
        source = "\n".join(line for line in lines if not any(s in line for s in skip))
        name = path.relative_to(package).as_posix()
        assert not tag.search(source), (name, tag.search(source))
        assert "html.escape" not in source and "esc(" not in source, name


#: The modules that draw the channel, product, giveaway and violation tables (board, session page, report).
TABLE_MODULES = ("views/board_static.py", "views/board.py", "views/session_detail.py", "report/sections.py")


def test_shared_tables_take_their_headers_from_one_place():
    """A column of those tables gets its header from markup.TABLE_HEADERS, never a string typed beside it: the
    same figure is named alike on the board, in LIVE Analytics and in the report."""
    import ast

    keys = {k for headers in markup.TABLE_HEADERS.values() for k in headers}
    package = Path(markup.__file__).parent
    typed = []
    for rel in TABLE_MODULES:
        for node in ast.walk(ast.parse((package / rel).read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call) or getattr(node.func, "id", getattr(node.func, "attr", "")) not in {
                "Col",
                "Column",
            }:
                continue
            key, head = (node.args + [None, None])[:2]
            if isinstance(key, ast.Constant) and key.value in keys and isinstance(head, ast.Constant):
                typed.append(f"{rel}:{node.lineno}: {key.value!r} → {head.value!r}")
    assert not typed, f"headers typed by hand (use markup.header / markup.columns): {typed}"


def test_table_columns_read_their_headers_and_alignment():
    cols = markup.columns("products", ("title", "impressions", "sku_orders", "featured_s"))
    assert [(c.key, c.label, c.numeric) for c in cols] == [
        ("title", "Product", False),
        ("impressions", "Impressions", True),
        ("sku_orders", markup.label("sku_orders"), True),
        ("featured_s", "Featured time", True),
    ]
    assert markup.header("violations", "fix") == "Suggested fix"
    with pytest.raises(KeyError):
        markup.header("products", "no_such_column")
