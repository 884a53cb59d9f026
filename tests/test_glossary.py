"""The glossary page: docs/metrics.md is the registry's, and the registry is whole."""

from __future__ import annotations

from pathlib import Path

from liveboard import metrics

ROOT = Path(__file__).resolve().parents[1]


def test_committed_glossary_is_the_generated_one():
    committed = (ROOT / metrics.GLOSSARY_PATH).read_text(encoding="utf-8")
    assert committed == metrics.glossary_markdown(), (
        f"{metrics.GLOSSARY_PATH} differs from the registry: regenerate it with `{metrics.GLOSSARY_COMMAND}`"
    )


def test_glossary_lists_every_metric_once():
    rows = [line for line in metrics.glossary_markdown().splitlines() if line.startswith("| `")]
    assert [r.split("`")[1] for r in rows] == list(metrics.SESSION_METRICS)
