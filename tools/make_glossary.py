"""Write the metric glossary, docs/metrics.md, from the registry (run: python tools/make_glossary.py).

The page is generated so it cannot drift from liveboard/metrics.py; tests/test_glossary.py fails when the
committed page differs from what this writes.
"""

from __future__ import annotations

from pathlib import Path

from liveboard.metrics import GLOSSARY_PATH, glossary_markdown

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    path = ROOT / GLOSSARY_PATH
    path.write_text(glossary_markdown(), encoding="utf-8")
    print(f"wrote {path.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
