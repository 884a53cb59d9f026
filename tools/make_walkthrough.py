"""Writes notebooks/analyst_walkthrough.ipynb (kept as code so the notebook stays reviewable)."""

import nbformat as nbf

cells = [
    nbf.v4.new_markdown_cell(
        "# liveboard for analysts\n\n"
        "Everything the dashboards show is a tidy pandas DataFrame here. The store is the folder in "
        "`LIVEBOARD_STORE` (default `./data/store`); build one with `liveboard serve --demo` or "
        "`liveboard import FILES`."
    ),
    nbf.v4.new_code_cell(
        'import os\n\nstore = os.environ.get("LIVEBOARD_STORE", "data/store")',
        metadata={"tags": ["parameters"]},
    ),
    nbf.v4.new_code_cell("import liveboard\n\nwb = liveboard.open(store)\nwb"),
    nbf.v4.new_markdown_cell("## All LIVE videos\nOne row per session, every metric of the spec, newest first."),
    nbf.v4.new_code_cell('# NBVAL_CHECK_OUTPUT\nsessions = wb.sessions()\nprint(len(sessions), "sessions")'),
    nbf.v4.new_code_cell(
        'sessions[["session_id", "title", "start", "gmv", "direct_gmv", "live_ctr", "ctor", "items_sold"]].head()'
    ),
    nbf.v4.new_markdown_cell("Filters are plain arguments: a time range, a title search, an account."),
    nbf.v4.new_code_cell('wb.sessions(since="2026-10-01", search="sale")[["title", "gmv"]].head()'),
    nbf.v4.new_markdown_cell(
        "## What each number means\nThe metric registry is the single definition every surface uses."
    ),
    nbf.v4.new_code_cell("liveboard.glossary().head(10)"),
    nbf.v4.new_markdown_cell("## One session in depth"),
    nbf.v4.new_code_cell(
        's = wb.session(sessions.sort_values("gmv").iloc[-1]["session_id"])\ns.summary()[["gmv", "items_sold", "viewers", "pcu", "live_ctr", "ctor"]]'
    ),
    nbf.v4.new_code_cell('s.trend()[["ts", "gmv", "views", "online"]].head()'),
    nbf.v4.new_code_cell("s.products()"),
    nbf.v4.new_code_cell("s.channels()"),
    nbf.v4.new_code_cell(
        's.giveaways()[["prize", "start", "view_uv", "click_uv", "participants", "winners", "gmv_during"]]'
    ),
    nbf.v4.new_code_cell("s.audience().query(\"dimension == 'age'\")"),
    nbf.v4.new_markdown_cell("## Tips with their evidence\nThe seed's advice, as rules over these frames."),
    nbf.v4.new_code_cell(
        "from liveboard import insights\n\nfor tip in insights.product_tips(s.products()):\n"
        '    print(tip.title, "→", tip.advice, "|", tip.evidence_text())'
    ),
    nbf.v4.new_markdown_cell("## Your own analysis\nFor example: GMV per viewer across sessions, by account."),
    nbf.v4.new_code_cell(
        '(sessions.assign(gmv_per_viewer=sessions["gmv"] / sessions["viewers"])\n'
        ' .groupby("account_id")["gmv_per_viewer"].describe())'
    ),
]
nb = nbf.v4.new_notebook(cells=cells)
nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
nbf.write(nb, "notebooks/analyst_walkthrough.ipynb")

# Fill the outputs of the cells nbval checks, from the seeded store the test builds.
if __name__ == "__main__":
    import os
    import sys
    import tempfile
    from pathlib import Path

    from nbclient import NotebookClient

    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from tests.test_walkthrough import build_walkthrough_store

    with tempfile.TemporaryDirectory() as tmp:
        os.environ["LIVEBOARD_STORE"] = str(build_walkthrough_store(Path(tmp) / "store"))
        nb = nbf.read("notebooks/analyst_walkthrough.ipynb", as_version=4)
        NotebookClient(nb, timeout=300, kernel_name="python3").execute()
        for cell in nb.cells:  # keep only the checked outputs: the notebook stays small and reviewable
            if cell.cell_type == "code":
                if "NBVAL_CHECK_OUTPUT" not in cell.source:
                    cell.outputs = []
                    cell.execution_count = None
        nbf.write(nb, "notebooks/analyst_walkthrough.ipynb")
