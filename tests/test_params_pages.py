"""liveboard/pages/params.py: the one reader of page parameters, a query string or a notebook's, all hostile
until checked."""

from __future__ import annotations

import pytest

from liveboard.errors import InputError
from liveboard.pages import params


def test_a_query_string_gives_the_last_value_of_each_name_and_the_notebook_wins():
    assert params.parse_query(None) == {} and params.parse_query("") == {}
    assert params.parse_query("session=a&session=b&blank=") == {"session": "b", "blank": ""}
    assert params.parse_query({"session": None, "n": 3}) == {"session": "", "n": "3"}
    assert params.page_params("session=a&speed=2", session="b", speed="", tz=None) == {"session": "b", "speed": "2"}


def test_an_address_too_long_or_with_too_many_fields_is_refused():
    with pytest.raises(InputError, match="too long"):
        params.parse_query("session=" + "x" * params.MAX_QUERY)
    with pytest.raises(InputError, match="too many parameters"):
        params.parse_query("&".join(f"p{i}=1" for i in range(params.MAX_FIELDS + 1)))


def test_session_and_account_parameters_are_checked():
    assert params.query_session("session=shop.my-2026-03-01T1200Z") == "shop.my-2026-03-01T1200Z"
    assert params.query_session("x=1") is None and params.session_param("  ") is None
    with pytest.raises(InputError, match="session"):
        params.query_session("session=..%2F..%2Fetc")
    assert params.query_account("account=glowlab.official") == "glowlab.official"
    assert params.account_param("  ") is None
    for bad in ("a\nb", "x" * (params.MAX_ACCOUNT + 1)):
        with pytest.raises(InputError, match="not an account id"):
            params.account_param(bad)


def test_the_query_string_is_read_only_under_voila(monkeypatch):
    for name in ("VOILA_KERNEL_ID", "VOILA_PREHEAT", "QUERY_STRING"):
        monkeypatch.delenv(name, raising=False)
    assert not params.under_voila() and params.request_query_string() == ""
    monkeypatch.setenv("VOILA_KERNEL_ID", "k1")
    monkeypatch.setenv("QUERY_STRING", "session=s1")
    assert params.under_voila() and params.request_query_string() == "session=s1"
