"""A local stand-in for the TikTok Shop Open API (analytics + token refresh), for tests and benchmarks.

A real HTTP server on 127.0.0.1 (``ThreadingHTTPServer``, keep-alive) that behaves like the documented API:
it checks the signature (its own implementation of the documented algorithm, so a bug in the client's is not
mirrored), the timestamp window, the ``x-tts-access-token`` header, ``shop_cipher`` (required on analytics,
refused on /authorization/*), pages, and throttles each API at 50 requests per sliding second (HTTP 429,
code 36009002). Failures on demand: 503 now and then, a session whose per-minute API answers 500/98001001
forever, truncated or dropped bodies, huge or non-JSON bodies, a bad field, an expired token, any API code.

    with FakeShop(make_lives(20)) as fake:
        env = fake.env()          # TIKTOK_SHOP_* for this fake
        ...
"""

from __future__ import annotations

import copy
import datetime as dt
import hashlib
import hmac
import json
import random
import sys
import threading
import time
import traceback
from collections import Counter, deque
from dataclasses import dataclass, field
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit

SESSIONS = "/analytics/202509/shop_lives/performance"
REFRESH = "/api/v2/token/refresh"
SHOPS = "/authorization/202309/shops"
T0 = int(dt.datetime(2026, 11, 2, 12, 0, tzinfo=dt.UTC).timestamp())
CENT = Decimal("0.01")


def expected_sign(path: str, query: dict[str, str], secret: str) -> str:
    """The documented signature, written independently of liveboard.shop_api on purpose."""
    keys = [k for k in query if k not in ("sign", "access_token")]
    keys.sort()
    base = secret + path + "".join(k + query[k] for k in keys) + secret
    return hmac.new(secret.encode(), base.encode(), hashlib.sha256).hexdigest()


# --------------------------------------------------------------------------- data


@dataclass
class FakeLive:
    """One LIVE session: per-minute figures and products; the list's totals are derived from them."""

    id: str
    username: str
    title: str
    start: int
    minutes: list[dict]
    products: list[dict]
    affiliate: bool = False
    ended: bool = True
    items_key: str = "items_sold"
    currency: str = "MYR"
    indirect_gmv: Decimal = Decimal(0)
    patches: list[tuple[str, object]] = field(default_factory=list)  # (dotted path in the list item, value)
    product_patches: list[tuple[int, str, object]] = field(default_factory=list)

    @property
    def end(self) -> int:
        return self.start + 60 * len(self.minutes)

    def total(self, key: str):
        return sum((m[key] for m in self.minutes), Decimal(0) if key == "gmv" else 0)

    def session_json(self) -> dict:
        gmv = self.total("gmv")
        items = self.total("items_sold")
        sku = self.total("sku_orders")
        clicks = self.total("product_clicks")
        views = self.total("views")
        out = {
            "id": self.id,
            "title": self.title,
            "username": self.username,
            "start_time": str(self.start),
            "end_time": str(self.end) if self.ended else "",
            "sales_performance": {
                "gmv": {"amount": f"{gmv:.2f}", "currency": self.currency},
                "24h_live_gmv": {"amount": f"{gmv * Decimal('1.1'):.2f}", "currency": self.currency},
                "avg_price": {"amount": f"{(gmv / items if items else Decimal(0)):.2f}", "currency": self.currency},
                "products_added": len(self.products),
                "different_products_sold": sum(1 for p in self.products if p["items_sold"]),
                "created_sku_orders": sku + 3,
                "sku_orders": sku,
                self.items_key: items,
                "customers": self.total("customers"),
                "click_to_order_rate": f"{(100 * sku / clicks if clicks else 0):.2f}%",
            },
        }
        if not self.affiliate:
            out["interaction_performance"] = {
                "acu": f"{self.total('viewers') / max(1, len(self.minutes)):.1f}",
                "pcu": max((m["viewers"] for m in self.minutes), default=0),
                "viewers": self.total("viewers"),
                "views": views,
                "avg_viewing_duration": "46",
                "comments": self.total("comments"),
                "likes": self.total("likes"),
                "shares": self.total("shares"),
                "new_followers": self.total("new_followers"),
                "product_impressions": self.total("product_impressions"),
                "product_clicks": clicks,
                "click_through_rate": f"{(100 * clicks / views if views else 0):.2f}%",
            }
        for path, value in self.patches:
            _set(out, path, value)
        return out

    def interval_json(self, i: int) -> dict:
        m = self.minutes[i]
        t = self.start + 60 * i
        return {
            "start_time": str(t),
            "end_time": str(t + 60),
            "sales": {
                "gmv": {"amount": f"{m['gmv']:.2f}", "currency": self.currency},
                "items_sold": m["items_sold"],
                "customers": m["customers"],
                "sku_orders": m["sku_orders"],
                "main_orders": m["sku_orders"],
            },
            "traffic": {
                "impressions": m["impressions"],
                "views": m["views"],
                "viewers": m["viewers"],
                "product_impressions": m["product_impressions"],
                "product_clicks": m["product_clicks"],
                "ctr": f"{m['product_clicks'] / max(1, m['product_impressions']):.4f}",
                "enter_room_rate": f"{m['views'] / max(1, m['impressions']):.4f}",
            },
            "interactions": {k: m[k] for k in ("comments", "likes", "shares", "new_followers")} | {"like_rate": "0.1"},
            "conversion": {"avg_price": {"amount": "0"}, "created_sku_orders": m["sku_orders"]},
        }

    def products_json(self) -> list[dict]:
        out = []
        for p in self.products:
            out.append(
                {
                    "id": p["id"],
                    "name": p["name"],
                    "sales": {
                        "direct_gmv": {"amount": f"{p['direct_gmv']:.2f}", "currency": self.currency},
                        "items_sold": p["items_sold"],
                        "customers": p["customers"],
                        "created_sku_orders": p["sku_orders"] + 1,
                        "sku_orders": p["sku_orders"],
                        "main_orders": p["sku_orders"],
                        "avg_price": {"amount": "10.00"},
                        "payment_rate": "0.9",
                    },
                    "traffic": {
                        "product_impressions": p["impressions"],
                        "produt_clicks": p["clicks"],
                        "ctr": "0.1",
                        "add_to_cart_count": p["add_to_cart"],
                        "click_to_order_rate": {"sku_order_ctor": "0.1"},
                        "gpm": {"watch_gpm": {"amount": "1.00"}},
                    },
                }
            )
        for i, path, value in self.product_patches:
            _set(out[i], path, value)
        return out


def _set(obj: dict, path: str, value: object) -> None:
    *parents, last = path.split(".")
    for part in parents:
        obj = obj.setdefault(part, {})
    if value is _DELETE:
        obj.pop(last, None)
    else:
        obj[last] = value


_DELETE = object()
DELETE = _DELETE  # patch value that removes the field


def make_lives(
    n: int, *, seed: int = 0, start: int = T0, spacing_s: int = 6 * 3600, affiliate_every: int = 7
) -> list[FakeLive]:
    """``n`` sessions, one every ``spacing_s`` from ``start``; every ``affiliate_every``-th an affiliate's."""
    rng = random.Random(seed)
    accounts = ["mayshop.my", "@Beauty.Hub", "gadget_den"]
    keys = ["items_sold", "unit_sold", "units_sold"]
    lives = []
    for i in range(n):
        n_min = rng.randint(30, 150)
        minutes = []
        for _ in range(n_min):
            sku = rng.randint(0, 4)
            items = sku + rng.randint(0, sku)
            minutes.append(
                {
                    "gmv": (Decimal(rng.randint(500, 4000)) / 100 * items).quantize(CENT),
                    "items_sold": items,
                    "customers": sku,
                    "sku_orders": sku,
                    "impressions": rng.randint(200, 900),
                    "views": rng.randint(40, 200),
                    "viewers": rng.randint(30, 150),
                    "product_impressions": rng.randint(20, 100),
                    "product_clicks": rng.randint(2, 20),
                    "comments": rng.randint(0, 30),
                    "likes": rng.randint(0, 300),
                    "shares": rng.randint(0, 5),
                    "new_followers": rng.randint(0, 5),
                }
            )
        live = FakeLive(
            id=str(7_500_000_000_000_000_000 + seed * 1_000_003 + i * 7919),
            username=accounts[i % len(accounts)],
            title=f"LIVE sale #{i + 1}",
            start=start + i * spacing_s,
            minutes=minutes,
            products=[],
            affiliate=affiliate_every > 0 and i % affiliate_every == affiliate_every - 1,
            items_key=keys[i % 3],
        )
        gmv = live.total("gmv")
        direct = (gmv * Decimal("0.8")).quantize(CENT)
        live.indirect_gmv = gmv - direct
        k = rng.randint(2, 8)
        shares = [rng.random() + 0.1 for _ in range(k)]
        left = direct
        for j in range(k):
            part = left if j == k - 1 else (direct * Decimal(shares[j] / sum(shares))).quantize(CENT)
            left -= part
            live.products.append(
                {
                    "id": f"17{i:05d}{j:04d}",
                    "name": f"Product {j + 1} of session {i + 1}",
                    "direct_gmv": part,
                    "items_sold": rng.randint(0, 40),
                    "customers": rng.randint(0, 30),
                    "sku_orders": rng.randint(0, 30),
                    "impressions": rng.randint(100, 5000),
                    "clicks": rng.randint(10, 500),
                    "add_to_cart": rng.randint(0, 9),  # deliberately unlike clicks: a client mapping it is caught
                }
            )
        lives.append(live)
    return lives


# --------------------------------------------------------------------------- server


@dataclass
class Seen:
    """One request as the server saw it."""

    api: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    t: float
    status: int = 0
    code: int | None = None


class FakeShop:
    """The fake API. ``start()``/``stop()`` or use as a context manager; ``url`` is its base address."""

    API_LIMIT = 50

    def __init__(
        self,
        lives: list[FakeLive] | None = None,
        *,
        app_key: str = "fakeappkey123",
        app_secret: str = "fake-app-secret-5f1e",
        access_token: str = "ROW_fake-access-token-a1b2",
        refresh_token: str = "ROW_fake-refresh-token-c3d4",
        cipher: str = "ROW_fake-shop-cipher-e5f6",
        limit: int = API_LIMIT,
        latency: float = 0.0,
        minute_page: int = 100,
        fail_503: float = 0.0,
        seed: int = 0,
    ):
        self.lives = {live.id: live for live in lives or []}
        self.app_key, self.app_secret, self.cipher = app_key, app_secret, cipher
        self.access_token, self.refresh_token = access_token, refresh_token
        self.expired_tokens: set[str] = set()
        self.issued_tokens: set[str] = {access_token}
        self.limit, self.latency, self.minute_page, self.fail_503 = limit, latency, minute_page, fail_503
        self.rng = random.Random(seed)
        self.broken_minutes: set[str] = set()  # per-minute API answers HTTP 500 code 98001001 forever
        self.truncate: Counter = Counter()  # api → next n bodies cut short (Content-Length of the cut body)
        self.drop: Counter = Counter()  # api → next n connections closed mid-body
        self.queued: dict[str, list[tuple[int, int]]] = {}  # api → next answers (status, code)
        self.always: tuple[int, int, str] | None = None  # every API call answers (status, code, message)
        self.garbage: set[tuple[str, str]] = set()  # (api, live id) → an HTML page, forever
        self.huge: dict[tuple[str, str], int] = {}  # (api, live id) → a valid JSON body of this many bytes
        self.slow: dict[str, float] = {}  # api → extra seconds before answering
        self.refreshes = 0
        self.requests: list[Seen] = []
        self.errors: list[str] = []  # exceptions inside the fake (tests assert there are none)
        self._arrivals: dict[str, list[float]] = {}
        self._window: dict[str, deque] = {}
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # ---------------------------------------------------------------- lifecycle

    def start(self) -> FakeShop:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self):  # noqa: N802 - http.server's name
                fake._handle(self)

            def log_message(self, *args):
                pass

        class Server(ThreadingHTTPServer):
            daemon_threads = True
            request_queue_size = 256

            def handle_error(self, request, client_address):
                exc = sys.exc_info()[1]
                if not isinstance(exc, ConnectionError):  # a client that hung up is no fault of the fake
                    fake.errors.append(traceback.format_exc())

        self._server = Server(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> FakeShop:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    @property
    def url(self) -> str:
        assert self._server is not None, "start() first"
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def env(self, **overrides: str) -> dict[str, str]:
        """The TIKTOK_SHOP_* variables that point a client at this fake."""
        env = {
            "TIKTOK_SHOP_APP_KEY": self.app_key,
            "TIKTOK_SHOP_APP_SECRET": self.app_secret,
            "TIKTOK_SHOP_ACCESS_TOKEN": self.access_token,
            "TIKTOK_SHOP_CIPHER": self.cipher,
            "TIKTOK_SHOP_REFRESH_TOKEN": self.refresh_token,
            "TIKTOK_SHOP_API_BASE": self.url,
            "TIKTOK_SHOP_AUTH_BASE": self.url,
        }
        env.update(overrides)
        return env

    @property
    def secrets(self) -> set[str]:
        """Every secret the client could leak: credentials, tokens issued, and each sign sent."""
        with self._lock:
            signs = {r.query["sign"] for r in self.requests if r.query.get("sign")}
        return {self.app_secret, self.refresh_token, self.app_key, *self.issued_tokens, *signs}

    # ---------------------------------------------------------------- controls

    def expire_token(self) -> None:
        """The current access token answers 105002 from now on (a refresh issues a new one)."""
        self.expired_tokens.add(self.access_token)

    def change(self, live_id: str, gmv: str = "50.00") -> None:
        """A late sale in the last minute: the list, the minutes and the first product all change."""
        live = self.lives[live_id]
        amount = Decimal(gmv)
        last = live.minutes[-1]
        last["gmv"] += amount
        last["items_sold"] += 1
        last["sku_orders"] += 1
        last["customers"] += 1
        live.products[0]["direct_gmv"] += amount
        live.products[0]["items_sold"] += 1

    def count(self, api: str, status: int | None = None) -> int:
        with self._lock:
            return sum(1 for r in self.requests if r.api == api and (status is None or r.status == status))

    def peak_rate(self, api: str) -> int:
        """The most requests of one API that arrived within any one second."""
        with self._lock:
            times = sorted(self._arrivals.get(api, []))
        best, lo = 0, 0
        for hi, t in enumerate(times):
            while t - times[lo] >= 1.0:
                lo += 1
            best = max(best, hi - lo + 1)
        return best

    # ---------------------------------------------------------------- handling

    def _route(self, path: str) -> tuple[str, str | None]:
        parts = path.strip("/").split("/")
        if path == SESSIONS:
            return "sessions", None
        if path == SHOPS:
            return "shops", None
        if path == REFRESH:
            return "token", None
        if (
            len(parts) == 5
            and parts[:3] == ["analytics", "202510", "shop_lives"]
            and parts[4] == "performance_per_minutes"
        ):
            return "per_minute", parts[3]
        if len(parts) == 5 and parts[:3] == ["analytics", "202512", "shop"] and parts[4] == "products_performance":
            return "products", parts[3]
        return "unknown", None

    def stats(self) -> dict:
        """Requests, 429s and the peak one-second rate per API (also served at ``/_fake/stats``)."""
        apis = sorted(self._arrivals)
        return {
            "requests": {a: self.count(a) for a in apis},
            "throttled": {a: self.count(a, 429) for a in apis},
            "peak_per_s": {a: self.peak_rate(a) for a in apis},
            "refreshes": self.refreshes,
        }

    def _handle(self, h: BaseHTTPRequestHandler) -> None:
        split = urlsplit(h.path)
        path, query = split.path, dict(parse_qsl(split.query, keep_blank_values=True))
        if path == "/_fake/stats":  # for a benchmark running the fake in another process
            body = json.dumps(self.stats()).encode()
            h.send_response(200)
            h.send_header("Content-Type", "application/json")
            h.send_header("Content-Length", str(len(body)))
            h.end_headers()
            h.wfile.write(body)
            return
        api, live_id = self._route(path)
        seen = Seen(api, path, query, {k.lower(): v for k, v in h.headers.items()}, time.time())
        with self._lock:
            self.requests.append(seen)
            self._arrivals.setdefault(api, []).append(time.monotonic())
        delay = self.latency + self.slow.get(api, 0.0)
        if delay:
            time.sleep(delay)
        status, payload, raw = self._answer(seen, api, live_id)
        seen.status = status
        seen.code = payload.get("code") if isinstance(payload, dict) else None
        body = raw if raw is not None else json.dumps(payload).encode()
        cut = None
        with self._lock:
            for box, kind in ((self.truncate, "truncate"), (self.drop, "drop")):
                if box[api] > 0 and status == 200:
                    box[api] -= 1
                    cut = kind
        h.send_response(status)
        h.send_header("Content-Type", "application/json" if raw is None else "text/html")
        if cut == "truncate":
            body = body[: len(body) // 2]
        h.send_header("Content-Length", str(len(body)))
        if status == 429:
            h.send_header("Retry-After", "0")
        h.end_headers()
        if cut == "drop":
            h.wfile.write(body[: len(body) // 2])
            h.wfile.flush()
            h.close_connection = True
            return
        h.wfile.write(body)

    def _throttled(self, api: str) -> bool:
        now = time.monotonic()
        with self._lock:
            window = self._window.setdefault(api, deque())
            while window and now - window[0] >= 1.0:
                window.popleft()
            if len(window) >= self.limit:
                return True
            window.append(now)
            return False

    def _answer(self, r: Seen, api: str, live_id: str | None) -> tuple[int, dict, bytes | None]:
        if api == "unknown":
            return 404, _err(36009009, "Invalid path"), None
        if self._throttled(api):
            return 429, _err(36009002, "Too many requests: exceeded the API's rate limit"), None
        if api == "token":
            return self._refresh(r.query)
        q = r.query
        if q.get("app_key") != self.app_key:
            return 401, _err(36009004, "Invalid credentials: app_key"), None
        if "access_token" in q:
            return 401, _err(36009004, "access_token must be sent in the x-tts-access-token header"), None
        try:
            ts = int(q.get("timestamp", ""))
        except ValueError:
            return 401, _err(36009004, "Invalid timestamp"), None
        if not time.time() - 300 <= ts <= time.time() + 30:
            return 401, _err(36009004, "Invalid timestamp: outside the allowed window"), None
        if q.get("sign") != expected_sign(r.path, q, self.app_secret):
            return 401, _err(106001, "Invalid sign"), None
        if r.headers.get("content-type", "").split(";")[0].strip() != "application/json":
            return 400, _err(36009004, "content-type must be application/json"), None
        token = r.headers.get("x-tts-access-token", "")
        if token in self.expired_tokens:
            return 401, _err(105002, "Expired credentials"), None
        if token != self.access_token:
            return 401, _err(105001, "Invalid credentials: access token"), None
        if api == "shops":
            if "shop_cipher" in q:
                return 400, _err(36009004, "shop_cipher is not allowed on this API"), None
            return (
                200,
                _ok({"shops": [{"id": "7000000001", "name": "Fake Shop", "region": "MY", "cipher": self.cipher}]}),
                None,
            )
        if "shop_cipher" not in q:
            return 400, _err(106013, "shop_cipher is required"), None
        if q["shop_cipher"] != self.cipher:
            return 400, _err(36009004, "Invalid shop_cipher"), None
        if self.always:
            status, code, message = self.always
            return status, _err(code, message), None
        with self._lock:
            queued = self.queued.get(api)
            if queued:
                status, code = queued.pop(0)
                return status, _err(code, "queued failure"), None
            if self.fail_503 and self.rng.random() < self.fail_503:
                return 503, {}, b"<html><body>503 Service Unavailable</body></html>"
        if live_id is not None and (api, live_id) in self.garbage:
            return 200, {}, b"<html><body>Bad gateway</body></html>"
        if live_id is not None and (api, live_id) in self.huge:
            size = self.huge[(api, live_id)]
            return 200, {}, json.dumps(_ok({"products": [], "padding": "x" * size})).encode()
        if api == "sessions":
            return self._sessions(q)
        live = self.lives.get(live_id or "")
        if live is None:
            return 404, _err(36009003, "LIVE session not found"), None
        if api == "per_minute":
            if live_id in self.broken_minutes:
                return 500, _err(98001001, "internal error"), None
            return self._minutes(live, q)
        return 200, _ok({"products": [] if live.affiliate else live.products_json()}), None

    def _sessions(self, q: dict[str, str]) -> tuple[int, dict, None]:
        try:
            ge = dt.date.fromisoformat(q["start_date_ge"])
            lt = dt.date.fromisoformat(q["end_date_lt"])
            size = int(q.get("page_size", "10"))
            offset = int(q.get("page_token") or "0", 16)
        except (KeyError, ValueError):
            return 400, _err(36009003, "Invalid parameter: start_date_ge, end_date_lt, page_size or page_token"), None
        if not 1 <= size <= 100 or offset < 0:
            return 400, _err(36009003, "Invalid parameter: page_size must be 1..100"), None
        chosen = sorted(
            (live for live in self.lives.values() if ge <= dt.datetime.fromtimestamp(live.start, dt.UTC).date() < lt),
            key=lambda live: (-live.start, live.id),
        )
        page = chosen[offset : offset + size]
        nxt = f"{offset + size:x}" if offset + size < len(chosen) else ""
        return (
            200,
            _ok(
                {
                    "live_stream_sessions": [live.session_json() for live in page],
                    "next_page_token": nxt,
                    "total_count": len(chosen),
                    "latest_available_date": "2026-12-01",
                }
            ),
            None,
        )

    def _minutes(self, live: FakeLive, q: dict[str, str]) -> tuple[int, dict, None]:
        token = q.get("page_token", "")
        offset = int(token) if token.isdigit() else 0
        if live.affiliate:
            return 200, _ok({"performance": {"intervals": []}, "next_page_token": ""}), None
        end = min(len(live.minutes), offset + self.minute_page)
        intervals = [live.interval_json(i) for i in range(offset, end)]
        overall = {
            "live_title": live.title,
            "start_time": str(live.start),
            "end_time": str(live.end),
            "duration": str(live.end - live.start),
            "gmv": {"amount": f"{live.total('gmv'):.2f}"},
            "items_sold": live.total("items_sold"),
        }
        nxt = str(end) if end < len(live.minutes) else ""
        return 200, _ok({"performance": {"intervals": intervals, "overall": overall}, "next_page_token": nxt}), None

    def _refresh(self, q: dict[str, str]) -> tuple[int, dict, None]:
        if q.get("grant_type") != "refresh_token":
            return 400, _err(36004004, "grant_type must be refresh_token"), None
        if q.get("app_key") != self.app_key or q.get("app_secret") != self.app_secret:
            return 401, _err(36004004, "Invalid app_key or app_secret"), None
        if q.get("refresh_token") != self.refresh_token:
            return 401, _err(36004005, "Invalid refresh_token"), None
        with self._lock:
            self.refreshes += 1
            self.access_token = f"ROW_fake-access-token-refreshed-{self.refreshes}"
            self.issued_tokens.add(self.access_token)
        now = int(time.time())
        data = {
            "access_token": self.access_token,
            "access_token_expire_in": now + 7 * 86400,
            "refresh_token": self.refresh_token,
            "refresh_token_expire_in": now + 60 * 86400,
            "open_id": "fake-open-id",
            "seller_name": "Fake Shop",
            "granted_scopes": ["data.shop_analytics.public.read"],
        }
        return 200, _ok(data), None


def _ok(data: dict) -> dict:
    return {"code": 0, "message": "Success", "request_id": _request_id(), "data": data}


def _err(code: int, message: str) -> dict:
    return {"code": code, "message": message, "request_id": _request_id(), "data": None}


def _request_id() -> str:
    return f"2026120112000{random.randint(10**9, 10**10 - 1)}"


def copy_lives(lives: list[FakeLive]) -> list[FakeLive]:
    return copy.deepcopy(lives)


def _serve() -> None:
    """``python tests/fake_shop.py --sessions 500``: run the fake until killed; prints its address first."""
    import argparse

    ap = argparse.ArgumentParser(description=_serve.__doc__)
    ap.add_argument("--sessions", type=int, default=50)
    ap.add_argument("--latency", type=float, default=0.0, help="seconds before each answer")
    ap.add_argument("--fail-503", type=float, default=0.0, help="share of answers that are 503")
    ap.add_argument("--broken", type=int, default=0, help="sessions whose per-minute API answers 500 forever")
    ap.add_argument("--affiliate-every", type=int, default=7)
    ap.add_argument("--spacing-s", type=int, default=6 * 3600)
    args = ap.parse_args()
    lives = make_lives(args.sessions, affiliate_every=args.affiliate_every, spacing_s=args.spacing_s)
    fake = FakeShop(lives, latency=args.latency, fail_503=args.fail_503).start()
    fake.broken_minutes.update(live.id for live in lives[: args.broken])
    print(fake.url, flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        fake.stop()


if __name__ == "__main__":
    _serve()
