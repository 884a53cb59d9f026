"""Post-LIVE reports (liveboard.report): the papermill template, the CLI, the standalone HTML in a browser with
no network, batches. The dashboards' report runner (liveboard.pages.reports) is in tests/test_reports_pages.py.

One store of 20 simulated sessions (2 accounts, tests/report_helpers.py) serves the module; one session's title is
hostile HTML.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from conftest import publish_screenshot
from report_helpers import HOSTILE_TITLE, N_SESSIONS, build_report_store

import liveboard
from liveboard import report as rp
from liveboard.report import charts
from liveboard.store import Store
from liveboard.workbench import InputError

REPO = Path(__file__).resolve().parents[1]


def run_cli(*args: str, timeout: float = 900) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.run(
        [sys.executable, "-m", "liveboard", *args], capture_output=True, text=True, env=env, timeout=timeout
    )


@pytest.fixture(scope="module")
def store_path(tmp_path_factory) -> Path:
    return build_report_store(tmp_path_factory.mktemp("report-store") / "store")


@pytest.fixture(scope="module")
def sessions(store_path):
    return liveboard.open(store_path).sessions()


@pytest.fixture(scope="module")
def hostile_id(sessions) -> str:
    return str(sessions.loc[sessions["title"] == HOSTILE_TITLE, "session_id"].iloc[0])


@pytest.fixture(scope="module")
def cli_report(store_path, hostile_id, tmp_path_factory) -> tuple[subprocess.CompletedProcess, Path]:
    out = tmp_path_factory.mktemp("reports")
    proc = run_cli("report", hostile_id, "--store", str(store_path), "--out", str(out), "--quiet")
    return proc, out


# ------------------------------------------------------------------ validation, no kernel


def test_options_are_validated():
    assert rp.check_options(7, "code", "Asia/Kuala_Lumpur") == rp.ReportOptions(7, "code", "Asia/Kuala_Lumpur", 5)
    for kw, word in (
        ({"window_days": "x"}, "window_days"),
        ({"window_days": 0}, "window_days"),
        ({"currency_display": "euro"}, "currency_display"),
        ({"timezone": "Mars/Olympus"}, "timezone"),
        ({"event_window": 500}, "event_window"),
    ):
        with pytest.raises(InputError, match=word):
            rp.check_options(**kw)


def test_select_sessions(store_path, sessions):
    wb = liveboard.open(store_path)
    ids = list(sessions["session_id"][:3])
    assert list(rp.select_sessions(wb, ids[::-1])["session_id"]) == ids[::-1]
    with pytest.raises(InputError, match="unknown session 'nope'"):
        rp.select_sessions(wb, [ids[0], "nope"])
    with pytest.raises(InputError, match="select"):
        rp.select_sessions(wb, [])
    with pytest.raises(InputError, match="session id"):  # the one session-id rule, as in the dashboards
        rp.select_sessions(wb, ["../../etc/x' OR '1'='1"])
    with pytest.raises(InputError, match="session id"):
        rp.SessionReport.load("../../etc/x' OR '1'='1", store=store_path)
    acct = sessions["account_id"].iloc[0]
    got = rp.select_sessions(wb, account=acct)
    assert set(got["account_id"]) == {acct} and len(got) == (sessions["account_id"] == acct).sum()
    with pytest.raises(InputError, match="not a date"):
        rp.select_sessions(wb, since="2026-02-30")


@pytest.mark.parametrize(
    "args, message",
    [
        (["nope-session"], "unknown session 'nope-session'"),
        (["--since", "yesterday-ish"], "--since: 'yesterday-ish' is not a date"),
        (["--account", "x", "--timezone", "Nowhere/City"], "timezone"),
        ([], "give session ids"),
    ],
)
def test_cli_rejects_bad_parameters_in_one_line(store_path, tmp_path, args, message):
    proc = run_cli("report", *args, "--store", str(store_path), "--out", str(tmp_path / "out"))
    assert proc.returncode == 2, proc.stderr
    lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and message in lines[0], proc.stderr
    assert "Traceback" not in proc.stderr
    assert not (tmp_path / "out").exists() or not list((tmp_path / "out").glob("*.html"))


def test_cli_out_must_be_a_folder(store_path, sessions, tmp_path):
    (tmp_path / "file").write_text("x")
    proc = run_cli(
        "report", str(sessions["session_id"].iloc[0]), "--store", str(store_path), "--out", str(tmp_path / "file")
    )
    assert proc.returncode == 2 and "not a folder" in proc.stderr and "Traceback" not in proc.stderr


def test_comment_words_and_emoji():
    texts = ["Love this!! 🔥🔥", "love THIS, link please 😍", "how much is this?", "❤️ 👍🏽", None, "สวยมาก 🔥"]
    words = dict(rp.comment_words(texts))
    assert words["love"] == 2 and words["link"] == 1 and "this" not in words and "please" not in words
    assert words["สวยมาก"] == 1
    emoji = dict(rp.comment_emoji(texts))
    assert emoji["🔥"] == 3 and emoji["😍"] == 1 and emoji["❤"] == 1 and emoji["👍"] == 1
    assert "\ufe0f" not in emoji and "\U0001f3fd" not in emoji  # variation selector, skin tone


EVIL = "<script>alert(1)</script> & $5 off $9 -->"


def _all_charts(label: str = EVIL) -> list[str]:
    return [
        charts.line_chart(
            [0, 1, 2, 3],
            [charts.Series(label, [1, None, 3, 4])],
            title=label,
            markers=[charts.Marker(1, label, "giveaway")],
            x_labels=lambda m: f"{label}{m:g}",
        ),
        charts.bar_chart([label, "b"], [3, -2], title=label, value_fmt=lambda v: f"{label}{v:g}"),
        charts.column_chart([0, 1, 2], [1, 0, 5], title=label, x_labels=lambda m: label),
        charts.paired_bars([label], [charts.Series("viewers", [0.4]), charts.Series(label, [0.6])], title=label),
    ]


def test_charts_escape_labels_and_draw():
    """matplotlib's SVG as the page gets it: one <svg class="lb-chart">, user text escaped wherever it lands
    (title, ticks, hover texts, values; ``$`` is not mathtext), a gap breaking a line, a class per bar."""
    import xml.etree.ElementTree as ET

    line, bars, cols, pairs = _all_charts()
    ns = {"s": "http://www.w3.org/2000/svg"}
    for s in (line, bars, cols, pairs):
        assert (
            "<script" not in s
            and "&lt;script&gt;" in s
            and s.startswith('<svg class="lb-chart')
            and s.endswith("</svg>")
        )
        assert "<!--" not in s and "<?xml" not in s and "<style" not in s  # one inline element, no global CSS
        root = ET.fromstring(s)  # well-formed XML: nothing broke out of an attribute or a text
        assert root.find("s:title", ns).text == EVIL
        texts = "".join(t.text or "" for t in root.iter("{http://www.w3.org/2000/svg}text"))
        assert "$5 off $9" in texts or s is cols  # drawn as typed (no mathtext), escaped in the markup
    root = ET.fromstring(line)
    (series,) = [g for g in root.iter("{http://www.w3.org/2000/svg}g") if g.get("class") == "lb-line"]
    assert series.find("s:title", ns).text == EVIL
    d = series.find("s:path", ns).get("d")
    assert d.count("M") == 2 and d.count("L") == 1  # a gap breaks the line: 1-(gap)-3-4
    marker = [g for g in root.iter("{http://www.w3.org/2000/svg}g") if "lb-marker-giveaway" in (g.get("class") or "")]
    assert marker and marker[0].find("s:title", ns).text == EVIL
    assert (
        bars.count('class="lb-bar"') == 2 and cols.count('class="lb-bar"') == 2 and pairs.count('class="lb-bar"') == 2
    )
    assert "No data" in charts.line_chart([], [], title="t") and "No data" in charts.bar_chart([], [], title="t")
    assert charts.nice_ticks(0, 97) == [0, 20, 40, 60, 80, 100]


def test_charts_need_no_network_and_ids_stay_apart():
    """Nothing fetched: no URL but the SVG namespaces, no font, image or external reference; element ids are
    unique to each chart (many charts share one page) and every reference points inside its own chart."""
    import re

    svgs = _all_charts() + _all_charts("other")
    seen: set[str] = set()
    for s in svgs:
        urls = set(re.findall(r"https?://[^\s\"'<>)]+", s))
        assert urls <= {"http://www.w3.org/2000/svg", "http://www.w3.org/1999/xlink"}, urls
        assert "@import" not in s and "@font-face" not in s and "<image" not in s and "<foreignObject" not in s
        ids = re.findall(r' id="([^"]+)"', s)
        refs = re.findall(r'(?:href="#|url\(#)([^")]+)', s)
        assert set(refs) <= set(ids) and not seen & set(ids)
        seen |= set(ids)
    assert charts.bar_chart(["a"], [1.0], title="t") == charts.bar_chart(["a"], [1.0], title="t")  # same bytes


def test_charts_read_without_data_and_with_nan():
    nan = float("nan")
    one = charts.line_chart([5], [charts.Series("GMV", [2.0])], title="one minute")
    assert 'class="lb-line"' in one and "<use" in one  # a lone point is drawn as a dot, not an empty path
    assert "No data" in charts.line_chart([0, 1], [charts.Series("GMV", [nan, None])], title="t")
    assert "No data" in charts.column_chart([0, 1], [nan, nan], title="t")
    assert "No data" in charts.paired_bars([], [], title="t")
    bars = charts.bar_chart(["a", "b", "c"], [nan, 2.0, float("inf")], title="t")
    assert bars.count('class="lb-bar"') == 1 and "—" in bars  # missing is not zero: a dash, no bar
    flat = charts.line_chart([0, 1, 2], [charts.Series("x", [0, 0, 0])], title="flat")
    assert 'class="lb-line"' in flat


def test_chart_money_keeps_each_currency():
    """Charts write amounts with the report's own formatter: one currency per chart, as the report gives it."""
    rm = charts.bar_chart(["a", "b"], [1200.0, -30.0], title="GMV", value_fmt=lambda v: f"RM{v:,.0f}")
    thb = charts.line_chart([0, 1], [charts.Series("GMV", [100.0, 900.0])], title="GMV", y_fmt=lambda v: f"฿{v:,.0f}")
    assert "RM1,200" in rm and "RM-30" in rm and "฿" not in rm
    assert "฿1,000" in thb and "RM" not in thb


def test_report_name_is_safe_and_distinct():
    assert rp.report_name("20261117-1515-kedai") == "20261117-1515-kedai"
    a, b = rp.report_name("../../etc/passwd"), rp.report_name("..-..-etc-passwd")
    assert "/" not in a and not a.startswith(".") and a != b
    assert rp.report_name("a/b") != rp.report_name("a_b")


def test_session_report_sections_in_process(store_path, hostile_id):
    rep = rp.SessionReport.load(
        hostile_id, store=store_path, window_days=90, currency_display="code", timezone="Asia/Bangkok"
    )
    html = rep.html()
    assert "<script" not in html.lower()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    for key in rp.SECTIONS[1:-1]:
        assert f'id="lbr-{key}"' in html, key
    assert "Takeaways" in html and html.index("Takeaways") < html.index("Core data")
    assert len(rep.history) >= 1 and "Against the account" in html
    assert "(Asia/Bangkok)" in html and rep.currency in html
    assert "onerror=" not in html.replace("onerror=alert", "")  # hostile comments only appear escaped
    assert html.count("<style>") == 1 and 'class="lbr' not in html  # one stylesheet; the shared classes
    with pytest.raises(InputError, match="no session"):
        rp.SessionReport.load("missing", store=store_path)
    with pytest.raises(InputError):
        rp.SessionReport.load(None, store=store_path)


# ------------------------------------------------------------------ the CLI, papermill, the HTML


@pytest.mark.notebook
def test_cli_writes_notebook_html_index(cli_report, hostile_id):
    proc, out = cli_report
    assert proc.returncode == 0, proc.stderr
    name = rp.report_name(hostile_id)
    html_path, nb_path = out / f"{name}.html", out / f"{name}.ipynb"
    assert html_path.is_file() and nb_path.is_file() and (out / f"{name}.json").is_file()
    assert not [p for p in out.iterdir() if p.name.startswith(".")]  # no temp files left behind
    nb = nbformat.read(nb_path, as_version=4)
    nbformat.validate(nb)
    assert nb.metadata["papermill"]["parameters"]["session_id"] == hostile_id
    assert not any(o.get("output_type") == "error" for c in nb.cells for o in c.get("outputs", []))
    text = html_path.read_text()
    template = nbformat.read(rp.TEMPLATE, as_version=4)
    for cell in template.cells:
        if cell.cell_type == "code":
            for line in cell.source.splitlines():
                if len(line.strip()) > 12:
                    assert line.strip() not in text, line
    for code in ("In&nbsp;[", "In [", "import liveboard", "SessionReport.load", "report.show", "<script"):
        assert code not in text
    index = (out / "index.html").read_text()
    assert f'href="{name}.html"' in index and "&lt;script&gt;alert(1)&lt;/script&gt;" in index
    assert "<script" not in index


@pytest.mark.browser
@pytest.mark.notebook
def test_report_html_in_browser_offline(cli_report, hostile_id, page, artifacts_dir):
    proc, out = cli_report
    assert proc.returncode == 0, proc.stderr
    url = (out / f"{rp.report_name(hostile_id)}.html").resolve().as_uri()
    requested: list[str] = []
    dialogs: list[str] = []

    def only_this_file(route) -> None:
        if route.request.url == url:
            route.continue_()
        else:
            requested.append(route.request.url)
            route.abort()

    page.route("**/*", only_this_file)
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.goto(url, wait_until="load")
    page.wait_for_selector("svg.lb-chart", state="visible")

    svgs = page.locator("svg.lb-chart")
    n = svgs.count()
    assert n >= 12, n  # 3 trends, impact, 2 channels, products, giveaways, comments ×2, audience ×4
    for i in range(n):
        svg = svgs.nth(i)
        box = svg.bounding_box()
        assert box and box["width"] > 100 and box["height"] > 40, i
        drawn = svg.locator("g.lb-line path, g.lb-bar path").count()
        assert drawn > 0 or "lb-chart-empty" in (svg.get_attribute("class") or ""), i
    assert page.locator("svg.lb-chart-empty").count() == 0  # this session has data for every chart
    imgs = page.locator("img")
    for i in range(imgs.count()):
        assert imgs.nth(i).evaluate("el => el.complete && el.naturalWidth > 0")

    body = page.inner_text("body")
    assert "In [" not in body and "import liveboard" not in body and "report.show" not in body
    assert page.locator("script").count() == 0
    assert HOSTILE_TITLE in page.inner_text("h1.lb-title")
    assert HOSTILE_TITLE in page.title()
    assert "Takeaways" in body and "Event impact" in body and "GMV per minute" in page.content()
    page.screenshot(path=str(artifacts_dir / "report.png"), full_page=True)
    publish_screenshot(artifacts_dir / "report.png")
    assert dialogs == [] and requested == []


@pytest.mark.notebook
def test_executed_notebook_under_nbval(cli_report, hostile_id, tmp_path):
    proc, out = cli_report
    assert proc.returncode == 0, proc.stderr
    nb = tmp_path / "executed.ipynb"
    shutil.copy(out / f"{rp.report_name(hostile_id)}.ipynb", nb)
    res = subprocess.run(
        [sys.executable, "-m", "pytest", "--nbval-lax", "-q", "-p", "no:cacheprovider", str(nb)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=600,
    )
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-2000:]
    assert "passed" in res.stdout


@pytest.mark.notebook
def test_template_fails_clearly_for_unknown_session(store_path, tmp_path):
    """The notebook itself refuses a bad id with a clear error (papermill run, no CLI validation)."""
    with pytest.raises(rp.ReportError, match="InputError: no session 'ghost'"):
        rp.render_report("ghost", tmp_path, store_path, meta={"title": "x"})
    assert not list(tmp_path.iterdir())  # nothing half-written


@pytest.mark.slow
@pytest.mark.notebook
def test_batch_of_20_in_parallel_with_a_broken_session(store_path, sessions, tmp_path):
    store = tmp_path / "store"
    shutil.copytree(store_path, store)
    con, _ = Store(store).connect()
    files = con.execute(
        "SELECT path, min_session AS sid FROM event_files WHERE min_session = max_session ORDER BY path LIMIT 1"
    ).fetchone()
    broken_path, broken = files
    (store / broken_path).write_bytes(b"PAR1 this is not a parquet file any more")  # a corrupted events file
    ids = list(sessions["session_id"])
    assert len(ids) == N_SESSIONS
    out = tmp_path / "reports"
    proc = run_cli("report", *ids, "--store", str(store), "--out", str(out), "--jobs", "2")
    assert proc.returncode == 1, proc.stderr
    assert f"report failed for {broken}:" in proc.stderr
    assert "1 of 20 report(s) failed" in proc.stderr
    assert "reports:" in proc.stderr  # the tqdm bar
    ok = [s for s in ids if s != broken]
    for sid in ok:
        name = rp.report_name(sid)
        assert (out / f"{name}.html").is_file() and (out / f"{name}.ipynb").is_file(), sid
    assert not (out / f"{rp.report_name(broken)}.html").exists()
    assert not [p for p in out.iterdir() if p.name.startswith(".")]
    index = (out / "index.html").read_text()
    assert index.count('.html">') == len(ok)
    assert "Not generated in the last run" in index and broken in index
    listed = rp.list_reports(out)
    assert (
        len(listed) == len(ok)
        and json.loads((out / f"{rp.report_name(ok[0])}.json").read_text())["session_id"] == ok[0]
    )


# ------------------------------------------------------------------ sparse and hostile sessions, in process


@pytest.mark.parametrize("shape", ["bare", "no_end", "one_order"])
def test_sparse_sessions_report_without_errors(tmp_path, shape):
    """Missing is not zero: a session with almost no events still gets every section, with notes instead."""
    from logbuilder import LogBuilder, load

    log = LogBuilder("sparse")
    log.start(0, title="<b>sparse</b>")
    if shape == "one_order":
        log.enter(5, "u1")
        log.order(70, "o1", user_id="u1", product_id="p1", amount="9.99")
    if shape != "no_end":
        log.end(600)
    else:
        log.impression(120)
    wb = load(tmp_path, log)
    rep = rp.SessionReport.load("sparse", store=wb.store.root)
    html = rep.html()
    for key in rp.SECTIONS[1:-1]:
        assert f'id="lbr-{key}"' in html, key
    assert "&lt;b&gt;sparse&lt;/b&gt;" in html and "<b>sparse</b>" not in html
    assert "nothing to compare with" in html
    if shape == "one_order":
        assert rep.summary["gmv"] == pytest.approx(9.99) and "$9.99" in html


def test_standalone_page_has_the_csp_and_the_stylesheet_once():
    """The page: the CSP (no script, nothing fetched) as report.markup.CSP says, the one stylesheet once even
    when the body carries the header's own <style> (as a notebook output does), title and meta escaped."""
    from liveboard.markup import style_tag, stylesheet

    body = str(style_tag()) + '<div class="lb-report"><h1 class="lb-title">x</h1></div>'
    html = rp.page(HOSTILE_TITLE, body, {"generator": '"><script>x</script>'})
    assert f'<meta http-equiv="Content-Security-Policy" content="{rp.CSP}">' in html
    assert html.count("<style>") == 1 and html.count(str(stylesheet())) == 1
    assert html.index("<style>") < html.index("</head>") < html.index('<body class="lb-report-page">')
    assert '<main class="lb-report">' in html and '<h1 class="lb-title">x</h1>' in html
    assert "<script" not in html and "&lt;script&gt;alert(1)&lt;/script&gt; Flash sale &amp;" in html
    assert 'content="&#34;&gt;&lt;script&gt;x&lt;/script&gt;"' in html


def test_hostile_text_is_escaped_in_every_section(tmp_path):
    """Products, prizes, policies, comments and the account, hostile, land escaped in the templates' tables,
    takeaways, tips, notes and charts; the report's classes are the shared vocabulary (ids stay ``lbr-*``)."""
    from logbuilder import LogBuilder, load

    evil = '<img src=x onerror=alert(1)> "q" & co'
    log = LogBuilder("evil")
    log.start(0, account_id=evil, title=evil)
    log.ev("product_pin", 10, product_id="p1", name=evil, price="9.99")
    for i in range(30):
        log.enter(20 + i, f"u{i}", channel="feed")
        log.pimpression(40 + i, f"u{i}")
        log.click(60 + i, f"u{i}")
        log.ev("comment", 70 + i, user_id=f"u{i}", text=f"{evil} 🔥")
    log.order(200, "o1", user_id="u1", product_id="p1", amount="9.99")
    log.ev("giveaway_start", 300, giveaway_id="g1", prize=evil, winners_planned=1)
    log.ev("giveaway_join", 310, giveaway_id="g1", user_id="u2")
    log.ev("giveaway_end", 400, giveaway_id="g1", winner_ids=["u2"])
    for i in range(2):
        log.ev("violation", 500 + i, violation_id=f"v{i}", policy=evil, severity="low", detail=evil)
    log.end(900)
    wb = load(tmp_path, log)
    rep = rp.SessionReport.load("evil", store=wb.store.root)
    html = rep.html()
    assert "<img" not in html and "onerror=alert(1)>" not in html
    escaped = "&lt;img src=x onerror=alert(1)&gt; &#34;q&#34; &amp; co"
    for name in ("header", "takeaways", "products", "giveaways", "violations"):
        assert escaped in rep.section(name), name
    assert f"<b>{escaped}</b>" in rep.section("takeaways")  # the top seller, bold
    assert "Repeated in this LIVE: " + escaped in rep.section("violations")
    assert html.count("<style>") == 1 and 'class="lbr' not in html and 'id="lbr-products"' in html
    assert '<h1 class="lb-title">' in html and 'class="lb-take"' in html and "lb-table" in html


def test_gmv_drop_periods_use_the_live_rule(store_path, sessions):
    rep = rp.SessionReport.load(str(sessions["session_id"].iloc[0]), store=store_path)
    periods = rep.gmv_drops()
    w = rep.options.event_window
    tr = rep.trend.set_index("minute")
    for a, b, tip in periods:
        assert a <= b and tip.kind == "gmv_drop"
        recent = tr.loc[a - w + 1 : a, "gmv"].mean()
        before = tr.loc[a - 2 * w + 1 : a - w, "gmv"].mean()
        assert recent < 0.7 * before
    for (_, b1, _), (a2, _, _) in zip(periods, periods[1:], strict=False):
        assert a2 - b1 > w  # distinct periods do not overlap
    assert ("GMV fell while traffic held" in rep.section("trends")) == bool(periods)


def test_chart_labels_with_emoji_draw_without_font_warnings():
    """A prize or product with an emoji the layout font lacks: the text stays in the SVG (the browser draws it),
    and matplotlib's missing-glyph warning does not reach the executed notebook's stderr."""
    import warnings

    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        svg = str(charts.bar_chart(["Mystery box 📦", "Voucher"], [3, 2], title="Giveaways 📦"))
    assert "Mystery box 📦" in svg and "Giveaways 📦" in svg
    assert not [w for w in seen if "Glyph" in str(w.message)], [str(w.message) for w in seen]


def test_reused_kernel_boots_with_the_charts_renderer_imported(tmp_path):
    """The kernel imports matplotlib as it boots (``kernels.WARM_UP``), not at the report's first chart."""
    from nbclient import NotebookClient

    kernel = rp.ReusedKernel(cwd=tmp_path)
    try:
        assert kernel.kernel_name == nbformat.read(rp.TEMPLATE, as_version=4).metadata["kernelspec"]["name"]
        kernel.prepare()
        nb = nbformat.v4.new_notebook(
            cells=[nbformat.v4.new_code_cell("import sys; print('matplotlib.backends.backend_svg' in sys.modules)")]
        )
        NotebookClient(nb, km=kernel.km, kc=kernel.kc, timeout=60).execute()
        assert nb.cells[0].outputs[0]["text"].strip() == "True"
    finally:
        kernel.close()


def test_kernel_started_early_serves_the_batch_and_is_closed_after_a_failure(store_path, sessions, tmp_path):
    """``liveboard report`` boots its kernel before reading the store: the batch inside runs in that kernel,
    and the kernel is shut down on leaving, also when picking the sessions fails."""
    from liveboard.report import kernels

    with rp.kernel_started(tmp_path / "out"):
        early = kernels._PROCESS_KERNEL.kernel
        assert early is not None and early.km.is_alive()
        results = rp.run_batch(sessions.iloc[[0]], tmp_path / "out", store_path, jobs=1, progress=False)
        assert results[0].ok, results[0].error
        assert early.runs == 1  # the report ran in the kernel started early, not in a new one
    assert kernels._PROCESS_KERNEL.kernel is None and not early.km.is_alive()

    with pytest.raises(InputError, match="unknown session"), rp.kernel_started(tmp_path / "out"):
        failed = kernels._PROCESS_KERNEL.kernel
        rp.select_sessions(liveboard.open(store_path), ["20990101-0000-nobody"])
    assert kernels._PROCESS_KERNEL.kernel is None and not failed.km.is_alive()
