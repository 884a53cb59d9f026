"""liveboard/views/coverage.py: what a session's sources tell, read from every form of the catalog columns."""

from __future__ import annotations

from liveboard.views.coverage import Coverage, parse_figure_sources, parse_sources


def test_coverage_reads_every_form_of_the_catalog_columns():
    assert parse_sources(["api", "recorder"]) == ("recorder", "api")
    assert parse_sources('["export"]') == ("export",) and parse_sources("api, export") == ("api", "export")
    assert parse_sources(None) == () and parse_sources(float("nan")) == ()
    assert parse_figure_sources('{"gmv": "api"}') == {"gmv": "api"} and parse_figure_sources("{bad") == {}
    old = Coverage.of({"source": "summary", "event_count": None})  # a store without the new columns
    assert old.sources == ("summary",) and not old.has_events and old.kind == "figures"
    assert Coverage.of({"source": "events", "event_count": 10}).kind == "events"
    rec = Coverage.of({"source": "events", "sources": ["recorder"], "event_count": 5})
    assert rec.kind == "recorder" and rec.value("gmv", 0) is None and rec.value("views", 3) == 3
    assert rec.missing_reason("gmv", 0) == "a recorder sees no orders or GMV"
    both = Coverage.of({"sources": ["recorder", "api"], "figure_sources": '{"gmv": "api"}', "event_count": 5})
    assert both.value("gmv", 12.5) == 12.5 and both.figure_note("gmv", 12.5) == "source: API"
