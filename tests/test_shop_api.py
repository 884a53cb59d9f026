"""Tests of liveboard/shop_api.py (signing, requests, retries, secrets, the rate limit) against tests/fake_shop.py:
a real HTTP server that signs, pages, throttles and fails.

The sync itself is tested in tests/test_shop_sync.py, the mapping in tests/test_shop_mapping.py, the fields in
tests/test_shop_fields.py and the printed lines in tests/test_shop_report.py."""

from __future__ import annotations

import datetime as dt
import logging
import random
import socket
import traceback

import pytest
from fake_shop import FakeShop, expected_sign, make_lives
from shop_helpers import FAST, fetch, ids

from liveboard import aio
from liveboard.cli import main
from liveboard.shop_api import (
    RetryPolicy,
    Secrets,
    ShopClient,
    ShopConfig,
    ShopConfigError,
    ShopStop,
    TokenBucket,
    needs_cipher,
    sign,
)
from liveboard.shop_sync import (
    PER_MINUTE_PATH,
    PRODUCTS_PATH,
    SESSIONS_PATH,
    sync_shop,
)
from liveboard.store import Store

# --------------------------------------------------------------------------- signing and requests


def test_sign_reproduces_both_documented_vectors():
    params = {"app_key": "29a39d", "timestamp": "1623812664"}
    first = "b596b73e0cc6de07ac26f036364178ab16b0a907af13d43f0a0cd2345f582dc8"
    second = "d3cb7fe11ecae942802ceeca67e7cf10120cc12f1517d45fbc1c8cfe5413c80f"
    assert sign("/authorization/202309/shops", params, "e59af819cc") == first
    assert sign("/test-api", {"foo": "bar"}, "app_secret") == second
    # sign and access_token are never part of the signature; the fake's own implementation agrees
    assert sign("/test-api", {"foo": "bar", "sign": "x", "access_token": "t"}, "app_secret") == second
    assert expected_sign("/authorization/202309/shops", params, "e59af819cc") == first
    assert expected_sign("/test-api", {"foo": "bar"}, "app_secret") == second


def test_shop_cipher_only_where_it_belongs():
    assert needs_cipher(SESSIONS_PATH) and needs_cipher(PRODUCTS_PATH)
    assert not needs_cipher("/authorization/202309/shops") and not needs_cipher("/seller/202309/shops")


def test_requests_carry_what_the_api_wants(fake):
    fetched, _ = fetch(fake)
    assert fetched.summaries and not fetched.problems
    analytics = [r for r in fake.requests if r.path.startswith("/analytics/")]
    assert analytics and all(r.status == 200 for r in analytics)
    for r in analytics:
        assert r.query["shop_cipher"] == fake.cipher
        assert "access_token" not in r.query
        assert r.headers["x-tts-access-token"] == fake.access_token
        assert r.headers["content-type"] == "application/json"
        assert len(r.query["timestamp"]) == 10  # Unix seconds
        assert r.query["sign"] == expected_sign(r.path, r.query, fake.app_secret)

    async def shops():
        async with ShopClient(ShopConfig.from_env(fake.env()), policy=FAST) as client:
            return await client.shops()

    assert aio.run(shops())[0]["cipher"] == fake.cipher
    shop_calls = [r for r in fake.requests if r.api == "shops"]
    assert shop_calls[0].status == 200 and "shop_cipher" not in shop_calls[0].query


def test_huge_and_non_json_bodies_are_refused_for_that_session_only(fake):
    a, b = ids(fake)[:2]
    fake.huge[("products", a)] = 300_000
    fake.garbage.add(("per_minute", b))
    fetched, stats = fetch(fake, max_body=100_000)
    assert "larger than" in fetched.missing[a]["products"]
    assert fake.count("products") == 7  # a body too big is not asked again
    assert fetched.summaries[a]["direct_gmv"] is None  # no products, no direct GMV
    assert (
        fetched.missing[b]["per-minute trend"] == "unreadable body (37 bytes, not a JSON envelope) after 3 attempt(s)"
    )
    assert b in fetched.products and a in fetched.trends


# --------------------------------------------------------------------------- retries


def test_503_truncated_and_dropped_bodies_are_retried(fake):
    fake.queued["sessions"] = [(503, 0), (502, 0)]
    fake.truncate["products"] = 1
    fake.drop["per_minute"] = 1
    fetched, stats = fetch(fake)
    assert not fetched.missing and not fetched.problems and len(fetched.trends) == 7
    assert stats.retries == {"HTTP 503 code 0": 1, "HTTP 502 code 0": 1, "unreadable body": 1, "connection dropped": 1}


def test_throttled_requests_back_off_and_complete():
    lives = make_lives(20, affiliate_every=0)
    with FakeShop(lives, limit=10) as fake:  # a server far stricter than the client's 40/s
        fetched, stats = fetch(fake, policy=RetryPolicy(attempts=10, base_s=0.05, max_s=1.0, jitter_s=0.1))
        assert fake.count("per_minute", 429) > 0 and stats.retries["throttled"] > 0
        assert len(fetched.trends) == 20 and not fetched.missing
        throttled = [r for r in fake.requests if r.status == 429]
        assert all(r.code == 36009002 for r in throttled)


def test_client_rate_limit_keeps_under_the_server_limit():
    with FakeShop(make_lives(12, affiliate_every=0), limit=20) as fake:
        fetched, stats = fetch(fake, rate=10, burst=1)
        assert fake.count("products", 429) == 0 and fake.count("per_minute", 429) == 0
        assert fake.peak_rate("products") <= 11 and len(fetched.products) == 12


def test_forever_500_session_keeps_its_summary_and_is_named(fake):
    broken = ids(fake)[2]
    fake.broken_minutes.add(broken)
    fetched, stats = fetch(fake)
    assert fetched.missing == {
        broken: {"per-minute trend": "HTTP 500 code 98001001 (internal error) after 3 attempt(s)"}
    }
    assert broken in fetched.summaries and broken in fetched.products and broken not in fetched.trends
    assert sum(1 for r in fake.requests if r.api == "per_minute" and broken in r.path) == 3


def test_backoff_grows_with_jitter(fake):
    fake.queued["sessions"] = [(503, 0)] * 4
    policy = RetryPolicy(attempts=5, base_s=0.01, max_s=1.0, jitter_s=0.01)
    _, stats = fetch(fake, policy=policy, rng=random.Random(3))
    waits = [w for api, _, _, w in stats.waits if api == "sessions"]
    assert len(waits) == 4
    for n, w in enumerate(waits, start=1):
        assert 0.01 * 2 ** (n - 1) <= w <= 0.01 * 2 ** (n - 1) + 0.01
    rng = random.Random(1)
    draws = {policy.wait(2, rng=rng) for _ in range(5)}
    assert len(draws) == 5  # jitter: no two clients wait in lockstep
    assert policy.wait(1, retry_after=0.5) >= 0.5 and policy.wait(1, retry_after=99) <= 1.0 + 0.01


def test_retry_policy_from_env(monkeypatch):
    monkeypatch.setenv("LIVEBOARD_SHOP_BACKOFF_S", "0.2")
    monkeypatch.setenv("LIVEBOARD_SHOP_ATTEMPTS", "4")
    assert RetryPolicy.from_env() == RetryPolicy(attempts=4, base_s=0.2, max_s=6.0, jitter_s=0.2)
    monkeypatch.setenv("LIVEBOARD_SHOP_ATTEMPTS", "lots")
    with pytest.raises(ShopConfigError, match="LIVEBOARD_SHOP_ATTEMPTS"):
        RetryPolicy.from_env()


def test_timeouts_and_connection_errors_are_retried_then_reported(fake):
    fake.slow["products"] = 0.5
    fetched, stats = fetch(fake, timeout=0.1)
    assert all(m == {"products": "timeout after 3 attempt(s)"} for m in fetched.missing.values())
    assert len(fetched.missing) == 7 and len(fetched.trends) == 7

    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    fetched, stats = fetch(fake, env={"TIKTOK_SHOP_API_BASE": f"http://127.0.0.1:{port}"})
    assert fetched.list_error == "connection error (ConnectError) after 3 attempt(s)"
    assert stats.retries["connection error"] == 2


@pytest.mark.parametrize(
    ("setup", "fix"),
    [
        (lambda f: {"TIKTOK_SHOP_APP_SECRET": "not-the-secret"}, "TIKTOK_SHOP_APP_SECRET"),
        (lambda f: {"TIKTOK_SHOP_APP_KEY": "otherkey99"}, "TIKTOK_SHOP_APP_KEY"),
        (lambda f: {"TIKTOK_SHOP_API_BASE": f.url + "/v9"}, "TIKTOK_SHOP_API_BASE"),
        (lambda f: setattr(f, "always", (403, 105005, "scope")) or {}, "data.shop_analytics.public.read"),
        (lambda f: setattr(f, "always", (403, 36009033, "ip")) or {}, "allow-list"),
        (lambda f: setattr(f, "always", (400, 106013, "cipher")) or {}, "TIKTOK_SHOP_CIPHER"),
    ],
    ids=["106001-sign", "36009004-app-key", "36009009-path", "105005-scope", "36009033-ip", "106013-cipher"],
)
def test_configuration_errors_stop_at_once_with_what_to_fix(fake, setup, fix):
    env = setup(fake)
    with pytest.raises(ShopStop) as info:
        fetch(fake, env=env)
    assert fix in str(info.value) and "\n" not in str(info.value)
    assert len(fake.requests) == 1  # never retried


def test_stale_clock_is_a_configuration_error(fake):
    with pytest.raises(ShopStop, match=r"36009004: Invalid timestamp.*clock"):
        fetch(fake, clock=lambda: 1_600_000_000)


def test_expired_token_is_refreshed_once(fake):
    fake.expire_token()
    fetched, stats = fetch(fake)
    assert fake.refreshes == 1 and stats.refreshed and stats.access_expires_at > 1_700_000_000
    assert len(fetched.trends) == 7 and not fetched.missing
    assert fake.requests[-1].headers["x-tts-access-token"] == fake.access_token  # the new one
    refresh = [r for r in fake.requests if r.api == "token"]
    assert len(refresh) == 1 and refresh[0].query["grant_type"] == "refresh_token"


def test_expired_token_without_refresh_token_or_refused_refresh(fake):
    fake.expire_token()
    with pytest.raises(ShopStop, match="expired.*set TIKTOK_SHOP_REFRESH_TOKEN"):
        fetch(fake, env={"TIKTOK_SHOP_REFRESH_TOKEN": ""})
    with pytest.raises(ShopStop, match="token refresh failed.*36004005"):
        fetch(fake, env={"TIKTOK_SHOP_REFRESH_TOKEN": "an-old-refresh-token"})
    assert fake.refreshes == 0


def test_missing_variables_are_named(monkeypatch, capsys, tmp_path):
    with pytest.raises(ShopConfigError, match="TIKTOK_SHOP_APP_SECRET, TIKTOK_SHOP_CIPHER"):
        ShopConfig.from_env({"TIKTOK_SHOP_APP_KEY": "k", "TIKTOK_SHOP_ACCESS_TOKEN": "t"})
    for name in ("TIKTOK_SHOP_APP_KEY", "TIKTOK_SHOP_APP_SECRET", "TIKTOK_SHOP_ACCESS_TOKEN", "TIKTOK_SHOP_CIPHER"):
        monkeypatch.setenv(name, "x" * 8)
    monkeypatch.delenv("TIKTOK_SHOP_CIPHER")
    assert main(["sync", "shop", "--store", str(tmp_path / "s")]) == 2
    err = capsys.readouterr().err
    assert (
        err == "liveboard: sync shop: set the environment variable TIKTOK_SHOP_CIPHER (see README: TikTok Shop API)\n"
    )
    assert not (tmp_path / "s").exists()


# --------------------------------------------------------------------------- secrets


def test_secrets_never_leak(shop_env, monkeypatch, capsys, caplog, tmp_path):
    fake = shop_env
    monkeypatch.setenv("TIKTOK_SHOP_REFRESH_TOKEN", fake.refresh_token)
    caplog.set_level(logging.DEBUG)
    fake.expire_token()
    fake.broken_minutes.add(ids(fake)[1])
    fake.truncate["sessions"] = 1
    fake.queued["products"] = [(503, 0)]
    fake.lives[ids(fake)[2]].patches.append(("sales_performance.gmv.amount", fake.access_token))  # echoed back
    store = tmp_path / "store"
    codes = [main(["sync", "shop", "--since", "2026-11-01", "--until", "2026-12-31", "--store", str(store)])]
    monkeypatch.setenv("TIKTOK_SHOP_APP_SECRET", "wrong-secret-9z")  # a stop: 106001
    codes.append(main(["sync", "shop", "--since", "2026-11-01", "--store", str(store)]))
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        monkeypatch.setenv("TIKTOK_SHOP_API_BASE", f"http://127.0.0.1:{s.getsockname()[1]}")
    texts = []
    try:
        sync_shop(
            Store(store), since="2026-11-01", config=ShopConfig.from_env(fake.env(TIKTOK_SHOP_APP_SECRET="x" * 9))
        )
    except Exception as exc:  # noqa: BLE001 - any exception's text counts
        texts.append("".join(traceback.format_exception(exc)))
    fake.always = (401, 36009004, f"bad app_key={fake.app_key}&sign=abc")  # the API echoing a secret
    with pytest.raises(ShopStop) as info:
        fetch(fake)
    texts.append("".join(traceback.format_exception(info.value)))
    assert codes[1] == 1
    out = capsys.readouterr()
    texts += [out.out, out.err, "\n".join(r.getMessage() for r in caplog.records)]
    texts.append(repr(ShopConfig.from_env(fake.env())))
    files = [p.read_bytes() for p in store.rglob("*") if p.is_file()]
    assert any("HTTP Request" in r.getMessage() for r in caplog.records)  # httpx did log its URLs
    assert fake.refreshes == 1 and "partial sync" in out.err
    secrets = fake.secrets | {"wrong-secret-9z", "x" * 9}
    assert len(secrets) > 10  # credentials, two tokens and the signs of every request
    for secret in secrets:
        for text in texts:
            assert secret not in text
        for blob in files:
            assert secret.encode() not in blob


def test_scrub_removes_values_params_and_signs():
    s = Secrets("topsecret-value")
    text = s.scrub("x topsecret-value y?app_key=abc&sign=" + "a" * 64 + "&refresh_token=r1 " + "f" * 64)
    assert "topsecret" not in text and "abc" not in text and "a" * 64 not in text and "r1" not in text
    assert "f" * 64 not in text


def test_token_bucket_bounds_a_burst():
    now = [0.0]
    bucket = TokenBucket(rate=10, burst=3, clock=lambda: now[0])

    async def take(n):
        for _ in range(n):
            await bucket.acquire()

    aio.run(take(3))  # the burst is there at once
    assert bucket.tokens == 0
    now[0] += 0.25  # 2.5 tokens come back in a quarter second at 10/s
    aio.run(take(2))
    assert bucket.tokens == pytest.approx(0.5)
    now[0] += 10  # never more than the burst
    bucket.succeeded()
    aio.run(take(1))
    assert bucket.tokens == pytest.approx(2)


def test_token_bucket_slows_down_on_429_and_recovers():
    now = [0.0]
    bucket = TokenBucket(rate=40, burst=5, clock=lambda: now[0])
    bucket.throttled()
    bucket.throttled()  # the same second: one halving only (answers of one burst arrive together)
    assert bucket.rate == 20 and bucket.tokens == 0
    now[0] += 1.0
    bucket.throttled()
    assert bucket.rate == 10
    for _ in range(100):
        bucket.succeeded()
    assert bucket.rate == 40  # back to the configured rate, never above


def test_parser_has_sync_shop():
    from liveboard.cli import build_parser

    args = build_parser().parse_args(["sync", "shop", "--since", "2026-11-01", "--until", "2026-11-02"])
    assert (args.since, args.until, args.store) == ("2026-11-01", "2026-11-02", None)


def test_fake_refuses_an_unsigned_or_token_in_query_request(fake):
    import httpx

    r = httpx.get(fake.url + SESSIONS_PATH, params={"app_key": fake.app_key, "access_token": "t"})
    assert r.json()["code"] == 36009004
    ts = str(int(dt.datetime.now(dt.UTC).timestamp()))
    q = {"app_key": fake.app_key, "timestamp": ts, "shop_cipher": fake.cipher, "start_date_ge": "2026-11-01"}
    q["end_date_lt"] = "2026-12-01"
    q["sign"] = expected_sign(SESSIONS_PATH, q, "wrong")
    r = httpx.get(fake.url + SESSIONS_PATH, params=q, headers={"x-tts-access-token": fake.access_token})
    assert r.json()["code"] == 106001
    q["sign"] = expected_sign(SESSIONS_PATH, q, fake.app_secret)
    r = httpx.get(fake.url + SESSIONS_PATH, params=q, headers={"x-tts-access-token": fake.access_token})
    assert r.json()["code"] == 36009004 and "content-type" in r.json()["message"]  # GET still needs it
    r = httpx.get(
        fake.url + SESSIONS_PATH,
        params=q,
        headers={"x-tts-access-token": fake.access_token, "content-type": "application/json"},
    )
    assert r.json()["code"] == 0 and len(r.json()["data"]["live_stream_sessions"]) == 8
    assert PER_MINUTE_PATH.format(live_id="1").endswith("/1/performance_per_minutes")
