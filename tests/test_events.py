"""liveboard/events.py: the event types of event-log-v1 and the stored shape (EVENT_SCHEMA) made from them."""

from __future__ import annotations

import pyarrow as pa

from liveboard import events
from liveboard.events import DICTIONARY_COLUMNS, EVENT_COLUMNS, EVENT_SCHEMA, EVENT_TYPES, PAYLOAD_COLUMNS


def test_schema_is_the_common_columns_then_every_payload_field_then_extra():
    assert EVENT_COLUMNS[:5] == ("session_id", "id", "type", "ts", "seq")
    assert EVENT_COLUMNS[-1] == "extra"
    assert EVENT_COLUMNS[5:-1] == tuple(PAYLOAD_COLUMNS)
    assert [f.name for f in EVENT_SCHEMA if not f.nullable] == ["session_id", "id", "type", "ts", "seq"]
    assert EVENT_SCHEMA.field("ts").type == pa.timestamp("us", tz="UTC")


def test_every_field_of_every_type_is_a_column_of_its_kind():
    kinds = {"str": pa.string(), "int": pa.int64(), "bool": pa.bool_(), "money": pa.decimal128(24, 6)}
    kinds["str_list"] = pa.list_(pa.string())
    for etype, fields in EVENT_TYPES.items():
        for f in fields:
            assert f.name not in events.COMMON_FIELDS, (etype, f.name)
            assert EVENT_SCHEMA.field(f.name).type == kinds[f.kind], (etype, f.name)
    assert EVENT_SCHEMA.field("amount").type == events.MONEY
    assert EVENT_SCHEMA.field("winner_ids").type == pa.list_(pa.string())


def test_choices_and_defaults_are_as_the_spec_gives_them():
    order = {f.name: f for f in EVENT_TYPES["order"]}
    assert order["status"].choices == ("created", "paid", "refunded")
    assert order["attribution"].choices == ("direct", "indirect")
    assert order["quantity"].minimum == 1
    start = {f.name: f for f in EVENT_TYPES["session_start"]}
    assert not start["currency"].required and start["currency"].default == "USD"
    like = {f.name: f for f in EVENT_TYPES["like"]}
    assert like["count"].default == 1 and not like["count"].required
    assert EVENT_TYPES["session_end"] == ()


def test_dictionary_columns_are_the_repeating_text_columns():
    assert {"session_id", "type", "channel", "product_id", "status"} <= set(DICTIONARY_COLUMNS)
    assert not set(DICTIONARY_COLUMNS) & set(events.UNIQUE_TEXT)
    for name in DICTIONARY_COLUMNS:
        t = EVENT_SCHEMA.field(name).type
        assert pa.types.is_string(t) or pa.types.is_list(t), name
    assert "amount" not in DICTIONARY_COLUMNS and "ts" not in DICTIONARY_COLUMNS
