"""notebooks/live_analytics.ipynb runs under papermill against a simulated store (``LIVEBOARD_STORE``).

The ``jupyter_env`` fixture of conftest (autouse, session-scoped) already points the Jupyter and IPython
folders at a temporary directory, and papermill's kernel inherits ``os.environ``.
"""

from __future__ import annotations

import json

import papermill as pm
import pytest
from analytics_helpers import build_store

from liveboard.serve import NOTEBOOKS_DIR

pytestmark = pytest.mark.notebook

NOTEBOOK = NOTEBOOKS_DIR / "live_analytics.ipynb"


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    return build_store(tmp_path_factory.mktemp("analytics-nb") / "store", sessions=6, scale=0.01)


def widget_outputs(nb) -> list[dict]:
    return [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])]


def test_notebook_runs_with_store_from_env(store, tmp_path, monkeypatch, jupyter_env):
    monkeypatch.setenv("LIVEBOARD_STORE", str(store))
    out = tmp_path / "out.ipynb"
    nb = pm.execute_notebook(str(NOTEBOOK), str(out), cwd=str(tmp_path), kernel_name="python3", progress_bar=False)
    outputs = widget_outputs(nb)
    assert not [o for o in outputs if o.get("output_type") == "error"]
    assert any("application/vnd.jupyter.widget-view+json" in o.get("data", {}) for o in outputs)
    state = json.dumps(nb.metadata.get("widgets", {}))
    assert "lb-sessions-table" in state and "lb-analytics" in state


def test_notebook_opens_a_session_parameter(store, tmp_path, monkeypatch):
    import liveboard

    sid = liveboard.open(store).sessions()["session_id"].iloc[0]
    monkeypatch.setenv("LIVEBOARD_STORE", str(store))
    out = tmp_path / "out.ipynb"
    nb = pm.execute_notebook(
        str(NOTEBOOK), str(out), parameters={"session": sid}, cwd=str(tmp_path), progress_bar=False
    )
    state = json.dumps(nb.metadata.get("widgets", {}))
    assert "lb-session-detail" in state and "lb-core-data" in state


def test_notebook_without_store_shows_how_to_create_one(tmp_path, monkeypatch):
    monkeypatch.setenv("LIVEBOARD_STORE", str(tmp_path / "missing"))
    out = tmp_path / "out.ipynb"
    nb = pm.execute_notebook(str(NOTEBOOK), str(out), cwd=str(tmp_path), progress_bar=False)
    assert not [o for o in widget_outputs(nb) if o.get("output_type") == "error"]
    state = json.dumps(nb.metadata.get("widgets", {}))
    assert "liveboard simulate" in state


def test_analyst_api_in_a_kernel(store, tmp_path):
    """What an analyst types in JupyterLab, run in a real kernel: the object displays as a widget."""
    import nbformat

    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_code_cell(
            "import liveboard\n"
            "from liveboard.views.analytics import LiveAnalytics\n"
            f"la = LiveAnalytics(liveboard.open({str(store)!r}))\n"
            "la.show()"
        ),
        nbformat.v4.new_code_cell("la.open_session(la.pick.value)\nla"),
    ]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    src = tmp_path / "analyst.ipynb"
    nbformat.write(nb, src)
    out = pm.execute_notebook(str(src), str(tmp_path / "analyst-out.ipynb"), cwd=str(tmp_path), progress_bar=False)
    outputs = widget_outputs(out)
    assert not [o for o in outputs if o.get("output_type") == "error"]
    views = [o for o in outputs if "application/vnd.jupyter.widget-view+json" in o.get("data", {})]
    assert len(views) == 2
    state = json.dumps(out.metadata.get("widgets", {}))
    assert "lb-session-detail" in state and "?session=" not in state  # no page links outside Voilà
