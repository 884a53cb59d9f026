"""Each door, end to end, as a user goes through it: the real commands into one store, then LIVE Analytics in
a real Voilà + Chromium (one browser test per door) and a post-LIVE report per door.

Doors: a Seller Center export (``liveboard import … --tz``), the TikTok Shop API (``liveboard sync shop``
against the local fake that checks signatures), and a TikTokLive recording (``liveboard record --replay`` of a
capture built with the library's own classes). The export and the recording describe the same LIVE, so that
LIVE must be one session with both sources.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from fake_shop import FakeShop, make_lives

import liveboard
from liveboard import cli
from liveboard.serve import NOTEBOOKS_DIR

pytest.importorskip("TikTokLive")

DOORS = Path(__file__).resolve().parents[1] / "data" / "doors"
RECORDED = "7489001122334455667"  # the capture's room: the export's 2026-04-18 LIVE too
EXPORT_ONLY = "annb-20260416T1200Z"
ANALYTICS = NOTEBOOKS_DIR / "live_analytics.ipynb"


@pytest.fixture(scope="module")
def doors(tmp_path_factory) -> dict:
    store = tmp_path_factory.mktemp("doors") / "store"
    lives = make_lives(3, affiliate_every=0)
    with pytest.MonkeyPatch.context() as mp, FakeShop(lives) as fake:
        assert cli.main(["record", "--replay", str(DOORS / "tiktoklive-capture.jsonl"), "--store", str(store)]) == 0
        export = DOORS / "live-analysis-export.csv"
        assert cli.main(["import", str(export), "--tz", "Asia/Kuala_Lumpur", "--store", str(store)]) == 0
        for key, value in fake.env().items():
            mp.setenv(key, value)
        day = dt.datetime.fromtimestamp(lives[0].start, dt.UTC).date()
        args = ["sync", "shop", "--since", str(day), "--until", str(day + dt.timedelta(days=2)), "--store", str(store)]
        assert cli.main(args) == 0
        assert not fake.errors
    return {"store": store, "api": lives[0].id, "api_title": lives[0].title}


def _row(store: Path, sid: str):
    return liveboard.open(store).sessions().set_index("session_id").loc[sid]


def test_each_door_lands_in_the_store_as_one_session_per_live(doors):
    df = liveboard.open(doors["store"]).sessions()
    assert len(df) == 2 + 1 + 3  # the export's 3 LIVEs (one of them recorded too) and the API's 3
    recorded = _row(doors["store"], RECORDED)
    assert sorted(recorded["sources"]) == ["export", "recorder"]
    figures = json.loads(recorded["figure_sources"])
    assert figures["gmv"] == "export" and figures["gift_diamonds"] == "recorder"  # the export has no gifts
    assert float(recorded["gmv"]) == 512.10 and int(recorded["gift_diamonds"]) > 0
    assert list(_row(doors["store"], EXPORT_ONLY)["sources"]) == ["export"]
    api = _row(doors["store"], doors["api"])
    assert list(api["sources"]) == ["api"] and api["title"] == doors["api_title"]
    assert not liveboard.open(doors["store"]).session(doors["api"]).trend().empty


DOOR_PAGES = {
    "export": (EXPORT_ONLY, "export", "RM1,398.00"),
    "recorder": (RECORDED, "recorder", "RM512.10"),
    "api": (None, "API", None),
}


@pytest.mark.browser
@pytest.mark.parametrize("door", sorted(DOOR_PAGES))
def test_each_door_is_visible_in_live_analytics(
    door, doors, module_voila_server, page, open_voila, open_sessions_list, artifacts_dir
):
    sid, label, gmv = DOOR_PAGES[door]
    sid = sid or doors["api"]
    url = module_voila_server(ANALYTICS, store=doors["store"])
    open_sessions_list(page, url)
    row = page.locator(".lb-sessions-table table.lb-sessions tbody tr", has_text=sid)
    assert row.count() == 1, f"{sid} is not in the list"
    assert label in row.inner_text()
    open_voila(page, f"{url}/?session={sid}", ".lb-session-detail .lb-core-data")
    assert label in page.locator(".lb-session-detail .lb-sources").inner_text()
    cards = page.locator(".lb-session-detail .lb-core-data").inner_text()
    if gmv:
        assert gmv in cards
    page.screenshot(path=str(artifacts_dir / f"door-{door}.png"), full_page=True)


def test_each_door_has_a_report(doors, tmp_path, capsys):
    out = tmp_path / "reports"
    ids = [EXPORT_ONLY, RECORDED, doors["api"]]
    assert cli.main(["report", *ids, "--store", str(doors["store"]), "--out", str(out), "--quiet"]) == 0
    pages = {p.stem: p.read_text() for p in out.glob("*.html") if p.name != "index.html"}
    assert len(pages) == 3
    by_session = {sid: next(text for name, text in pages.items() if sid in name) for sid in ids}
    assert "as seen by the recorder" in by_session[RECORDED]
    assert "export" in by_session[EXPORT_ONLY].lower()
    assert doors["api_title"] in by_session[doors["api"]]
