"""The explicit online update (issue 11 item 6), replayed from recorded-shape responses.

A local http.server on 127.0.0.1 serves tests/data/online/; ``BASE_URLS`` points
every venue at it. The real network is never touched.
"""

from __future__ import annotations

import io
import json
import socket
import threading
import urllib.parse
from collections.abc import Iterator
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from planner.io import online
from planner.io.online import OnlineError, Request, build_update, fetch_json, plan_update, run_update
from planner.io.registry import get_profile
from planner.model.errors import PlannerError

DATA = Path(__file__).resolve().parents[1] / "data" / "online"
TODAY = date(2025, 11, 25)


def _load(name: str) -> Any:
    return json.loads((DATA / name).read_text())


class _Handler(BaseHTTPRequestHandler):
    calls: list[str]

    def log_message(self, *args: object) -> None:  # quiet
        pass

    def _send(self, obj: Any, status: int = 200) -> None:
        body = json.dumps(obj).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        self.server.calls.append(f"GET {self.path}")  # type: ignore[attr-defined]
        url = urllib.parse.urlsplit(self.path)
        q = dict(urllib.parse.parse_qsl(url.query))
        if url.path == "/v5/market/risk-limit":
            doc = _load(f"bybit-{q['category']}.json")
            for row in doc["result"]["list"]:
                row["symbol"] = q["symbol"]
            self._send(doc)
        elif url.path == "/api/v5/public/position-tiers":
            doc = _load("okx-position-tiers.json")
            for row in doc["data"]:
                row["instFamily"] = row["uly"] = q["instFamily"]
            self._send(doc)
        elif url.path == "/derivatives/api/v3/instruments":
            self._send(_load("kraken-instruments.json"))
        elif url.path == "/api/v2/public/get_instruments":
            self._send(_load("deribit-instruments.json"))
        elif url.path == "/huge":
            self._send({"pad": "x" * 5000})
        else:
            self._send({"error": "not found"}, 404)

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.server.calls.append(f"POST {self.path} {body.decode()}")  # type: ignore[attr-defined]
        if self.path == "/info" and json.loads(body) == {"type": "meta"}:
            self._send(_load("hyperliquid-meta.json"))
        else:
            self._send({"error": "bad request"}, 400)


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch) -> Iterator[ThreadingHTTPServer]:
    srv = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    srv.calls = []  # type: ignore[attr-defined]
    thread = threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{srv.server_address[1]}"
    monkeypatch.setattr(online, "BASE_URLS", dict.fromkeys(online.BASE_URLS, base))
    yield srv
    srv.shutdown()
    srv.server_close()


def _closed_port() -> int:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def _only(profile_id: str, *symbols: str):  # type: ignore[no-untyped-def]
    prof = get_profile(profile_id)
    return prof.model_copy(update={"symbols": {s: prof.symbols[s] for s in symbols}})


# ---------------------------------------------------------------------------
# which URLs
# ---------------------------------------------------------------------------


def test_plans_name_the_documented_endpoints() -> None:
    assert [r.describe() for r in plan_update(_only("bybit-linear", "BTCUSDT")).requests] == [
        "GET https://api.bybit.com/v5/market/risk-limit?category=linear&symbol=BTCUSDT"
    ]
    assert [r.describe() for r in plan_update(_only("bybit-inverse", "BTCUSD")).requests] == [
        "GET https://api.bybit.com/v5/market/risk-limit?category=inverse&symbol=BTCUSD"
    ]
    assert [r.describe() for r in plan_update(_only("okx", "BTC-USDT-SWAP")).requests] == [
        "GET https://www.okx.com/api/v5/public/position-tiers?instType=SWAP&tdMode=cross&instFamily=BTC-USDT"
    ]
    assert [r.describe() for r in plan_update(get_profile("hyperliquid")).requests] == [
        'POST https://api.hyperliquid.xyz/info {"type":"meta"}'
    ]
    assert [r.url for r in plan_update(get_profile("kraken")).requests] == ["https://futures.kraken.com/derivatives/api/v3/instruments"]
    assert [r.url for r in plan_update(get_profile("deribit")).requests] == [
        "https://www.deribit.com/api/v2/public/get_instruments?currency=any&kind=future"
    ]


def test_binance_is_never_called_and_points_to_import_tiers() -> None:
    plan = plan_update(get_profile("binance-usdm"))
    assert plan.requests == ()
    assert "API key" in plan.not_fetched and "import-tiers FILE --profile binance-usdm" in plan.not_fetched
    assert plan_update(get_profile("dex-generic")).requests == ()


# ---------------------------------------------------------------------------
# parsing per venue (responses replayed, no network)
# ---------------------------------------------------------------------------


def _replay(profile_id: str, fixture: str, *symbols: str) -> online.VenueResult:
    prof = _only(profile_id, *symbols) if symbols else get_profile(profile_id)
    plan = plan_update(prof)
    return build_update(plan, [(r, _load(fixture)) for r in plan.requests], TODAY)


def test_bybit_linear_tiers_and_diff() -> None:
    res = _replay("bybit-linear", "bybit-linear.json", "BTCUSDT")
    tiers = res.updated.symbols["BTCUSDT"].tiers
    # riskLimitValue 2,000,000 / 2,600,000 / 3,200,000 USDT; tier 1's empty mmDeduction -> amounts by the
    # recurrence: 2,000,000 x (0.56 % - 0.5 %) = 1,200; + 2,600,000 x (0.62 % - 0.56 %) = 2,760 (what Bybit sends)
    assert [(t.notional_floor, t.notional_cap, t.max_leverage, t.maintenance_rate) for t in tiers] == [
        (0.0, 2_000_000.0, 100.0, 0.005),
        (2_000_000.0, 2_600_000.0, 89.28, 0.0056),
        (2_600_000.0, 3_200_000.0, 80.64, 0.0062),
    ]
    assert [t.maintenance_amount for t in tiers] == pytest.approx([0.0, 1200.0, 2760.0])
    # The bundled table (21 tiers, tier 1 = 300,000 at 150x / 0.33 %) against this 3-tier recorded response.
    changes = res.changes["BTCUSDT"]
    assert changes[:3] == [
        "tier 1: cap 300,000 -> 2,000,000, max leverage 150x -> 100x, MM rate 0.33 % -> 0.5 %",
        "tier 2: floor 300,000 -> 2,000,000, cap 2,000,000 -> 2,600,000, max leverage 100x -> 89.28x, MM rate 0.5 % -> 0.56 %, "
        "MM amount 510 -> 1,200",
        "tier 3: floor 2,000,000 -> 2,600,000, cap 2,600,000 -> 3,200,000, max leverage 90x -> 80.64x, MM rate 0.56 % -> 0.62 %, "
        "MM amount 1,710 -> 2,760",
    ]
    assert changes[3] == "tier 4 removed: 2,600,000 to 3,200,000, max 80x, MM rate 0.63 %, MM amount 3,530"
    assert len(changes) == 21 and changes[-1].startswith("tier 21 removed: 75,000,000 to 80,000,000")
    assert res.diff_lines()[1] == "  BTCUSDT: 21 change(s), bounds and amounts in USDT"
    assert res.updated.version == TODAY
    src = res.updated.sources[-1]
    assert src.url.endswith("/v5/market/risk-limit?category=linear&symbol=BTCUSDT") and src.captured == TODAY


def test_bybit_inverse_rebuilds_missing_deductions() -> None:
    res = _replay("bybit-inverse", "bybit-inverse.json", "BTCUSD")
    # caps in BTC; empty mmDeduction -> recurrence: 150 x (1 % - 0.5 %) = 0.75, + 300 x 0.5 % = 2.25
    assert [t.maintenance_amount for t in res.updated.symbols["BTCUSD"].tiers] == pytest.approx([0.0, 0.75, 2.25])
    assert res.changes["BTCUSD"] == []  # the bundled table is this very response


def test_okx_contracts_become_coin_amounts() -> None:
    res = _replay("okx", "okx-position-tiers.json", "BTC-USDT-SWAP")
    tiers = res.updated.symbols["BTC-USDT-SWAP"].tiers
    # maxSz 5,000 / 10,000 / 20,000 contracts x 0.01 BTC = 50 / 100 / 200 BTC; OKX has no deduction
    assert [(t.notional_floor, t.notional_cap, t.max_leverage, t.maintenance_rate, t.maintenance_amount) for t in tiers] == [
        (0.0, 50.0, 100.0, 0.004, 0.0),
        (50.0, 100.0, 75.0, 0.005, 0.0),
        (100.0, 200.0, 50.0, 0.008, 0.0),
    ]
    assert res.changes["BTC-USDT-SWAP"] == [
        "tier 1: cap 10 -> 50",  # bundled tier 1 (2026-09-25 recording): 0-10 BTC at 100x
        "tier 2 added: 50 to 100, max 75x, MM rate 0.5 %, MM amount 0",
        "tier 3 added: 100 to 200, max 50x, MM rate 0.8 %, MM amount 0",
    ]
    assert res.diff_lines()[1] == "  BTC-USDT-SWAP: 3 change(s), bounds and amounts in BTC"


def test_hyperliquid_margin_tables() -> None:
    res = _replay("hyperliquid", "hyperliquid-meta.json")
    btc = res.updated.symbols["BTC"].tiers
    # docs: 40x up to 150M, then 20x; MM = 1/(2 x 20) = 2.5 %, deduction 150M x (2.5 % - 1.25 %) = 1,875,000
    assert (btc[0].max_leverage, btc[0].notional_cap, btc[0].maintenance_rate) == (40.0, 150e6, 0.0125)
    assert (btc[1].max_leverage, btc[1].notional_cap, btc[1].maintenance_rate) == (20.0, None, 0.025)
    assert btc[1].maintenance_amount == pytest.approx(1_875_000.0)
    assert res.changes == {"BTC": [], "ETH": [], "SOL": []}
    flat = online.parse_hyperliquid(_load("hyperliquid-meta.json"))
    assert flat["ATOM"] == [{"floor": 0.0, "cap": None, "lev": 5.0, "mmr": 0.1, "cum": None}]  # unlisted table 5 = flat 5x
    assert "OLDCOIN" not in flat  # delisted


def test_kraken_margin_levels() -> None:
    res = _replay("kraken", "kraken-instruments.json")
    pf = res.updated.symbols["PF_XBTUSD"].tiers
    # levels start at 0 / 500k / 2M / 5M USD; max leverage = 1 / IM: 50, 25, 10, 5
    assert [(t.notional_floor, t.notional_cap, t.max_leverage, t.maintenance_rate) for t in pf] == [
        (0.0, 500_000.0, 50.0, 0.01),
        (500_000.0, 2_000_000.0, 25.0, 0.02),
        (2_000_000.0, 5_000_000.0, 10.0, 0.05),
        (5_000_000.0, None, 5.0, 0.1),
    ]
    pi = res.updated.symbols["PI_XBTUSD"].tiers  # 'contracts' x 1 USD
    assert [(t.notional_floor, t.max_leverage) for t in pi] == [(0.0, 50.0), (500_000.0, 25.0), (1_000_000.0, 16.67)]
    assert res.missing == ["PF_SOLUSD"]
    assert "  PF_SOLUSD: not in the venue's response; kept as it was" in res.diff_lines()
    # Against the bundled PF_XBTUSD levels (instruments answer recorded 2026-09-25: 0 / 1M / 3M USD, MM 0.5 / 1 / 2 %).
    assert res.changes["PF_XBTUSD"][0] == "tier 1: cap 1,000,000 -> 500,000, max leverage 100x -> 50x, MM rate 0.5 % -> 1 %"
    assert res.changes["PF_XBTUSD"][3] == "tier 4 added: 5,000,000 to unbounded, max 5x, MM rate 10 %, MM amount 0"
    assert res.updated.symbols["PF_SOLUSD"] == get_profile("kraken").symbols["PF_SOLUSD"]


def test_deribit_contract_specs() -> None:
    res = _replay("deribit", "deribit-instruments.json")
    assert res.changes["SOL_USDC-PERPETUAL"] == ["tick size 0.01 -> 0.001"]
    assert res.changes["BTC-PERPETUAL"] == []
    assert res.updated.symbols["SOL_USDC-PERPETUAL"].size_scaled == get_profile("deribit").symbols["SOL_USDC-PERPETUAL"].size_scaled
    assert any("margin rates stay as bundled" in n for n in res.notes)


def test_error_answers_name_the_url() -> None:
    plan = plan_update(_only("bybit-linear", "BTCUSDT"))
    bad = {"retCode": 10001, "retMsg": "params error: symbol invalid", "result": {}}
    with pytest.raises(PlannerError) as err:
        build_update(plan, [(plan.requests[0], bad)], TODAY)
    assert err.value.describe() == (
        "https://api.bybit.com/v5/market/risk-limit?category=linear&symbol=BTCUSDT: "
        "retCode: the saved Bybit response is an error (10001: params error: symbol invalid)"
    )
    kplan = plan_update(get_profile("kraken"))
    with pytest.raises(PlannerError, match=r"instruments\.0\.marginLevels\.0\.initialMargin: must be greater than 0"):
        build_update(
            kplan,
            [
                (
                    kplan.requests[0],
                    {
                        "result": "success",
                        "instruments": [
                            {
                                "symbol": "PF_XBTUSD",
                                "marginLevels": [{"numNonContractUnits": 0, "initialMargin": 0, "maintenanceMargin": 0.01}],
                            }
                        ],
                    },
                )
            ],
            TODAY,
        )


# ---------------------------------------------------------------------------
# fetching: local server, closed port, timeout, size cap
# ---------------------------------------------------------------------------


def test_fetch_from_local_server(server: ThreadingHTTPServer) -> None:
    plan = plan_update(get_profile("hyperliquid"))
    seen: list[str] = []
    res = run_update(plan, on_request=lambda r: seen.append(r.url), today=TODAY)
    assert res is not None and res.updated.version == TODAY
    assert server.calls == ['POST /info {"type": "meta"}']  # type: ignore[attr-defined]
    assert seen == [plan.requests[0].url]


def test_cancel_before_any_call_calls_nothing(server: ThreadingHTTPServer) -> None:
    ev = threading.Event()
    ev.set()
    assert run_update(plan_update(get_profile("kraken")), cancel=ev) is None
    assert server.calls == []  # type: ignore[attr-defined]


def test_closed_port_gives_one_line() -> None:
    port = _closed_port()
    with pytest.raises(OnlineError) as err:
        fetch_json(Request(f"http://127.0.0.1:{port}/info", {"type": "meta"}), timeout=2)
    msg = err.value.describe()
    assert msg == f"http://127.0.0.1:{port}/info: 127.0.0.1 refused the connection (no network, or a firewall/proxy blocks it)"
    assert "\n" not in msg


def test_timeout_gives_one_line() -> None:
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)  # accepts the connection in the backlog, never answers
    port = listener.getsockname()[1]
    try:
        with pytest.raises(OnlineError) as err:
            fetch_json(Request(f"http://127.0.0.1:{port}/x"), timeout=0.3)
    finally:
        listener.close()
    assert err.value.describe() == f"http://127.0.0.1:{port}/x: no answer from 127.0.0.1 within 0.3 s (timed out; is the network up?)"


def test_http_error_and_size_cap(server: ThreadingHTTPServer) -> None:
    base = online.BASE_URLS["kraken"]
    with pytest.raises(OnlineError, match=r"/nowhere: the server answered HTTP 404 Not Found$"):
        fetch_json(Request(f"{base}/nowhere"))
    with pytest.raises(OnlineError, match=r"larger than 0 MB; refused"):
        fetch_json(Request(f"{base}/huge"), max_bytes=1000)
    assert len(fetch_json(Request(f"{base}/huge"))["pad"]) == 5000


def test_dns_failure_message(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_dns(*args: object, **kwargs: object) -> None:
        raise socket.gaierror(-2, "Name or service not known")

    monkeypatch.setattr(socket, "getaddrinfo", no_dns)
    with pytest.raises(OnlineError) as err:
        fetch_json(Request("https://api.bybit.com/v5/market/risk-limit?category=linear&symbol=BTCUSDT"))
    assert err.value.describe().endswith("cannot resolve api.bybit.com (no network or DNS failure)")


# ---------------------------------------------------------------------------
# CLI: URLs named first, confirmation, diff, save
# ---------------------------------------------------------------------------


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_cli_without_terminal_refuses_and_calls_nothing(server, monkeypatch, capsys, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from planner.cli.main import main

    monkeypatch.setenv("POSITION_PLANNER_DATA_DIR", str(tmp_path))
    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    assert main(["update-profiles", "--venue", "kraken"]) == 2
    out, err = capsys.readouterr()
    assert f"[kraken] GET {online.BASE_URLS['kraken']}/derivatives/api/v3/instruments" in out
    assert err == ("position-planner: error: no terminal to confirm on; nothing was called. Pass --yes to confirm these calls in advance\n")
    assert server.calls == []  # type: ignore[attr-defined]
    assert not list((tmp_path / "profiles").glob("*.json"))


def test_cli_declined_calls_nothing(server, monkeypatch, capsys, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from planner.cli.main import main

    monkeypatch.setenv("POSITION_PLANNER_DATA_DIR", str(tmp_path))
    monkeypatch.setattr("sys.stdin", _Tty("n\n"))
    assert main(["update-profiles", "--venue", "kraken"]) == 0
    assert "declined: no URL was called" in capsys.readouterr().out
    assert server.calls == []  # type: ignore[attr-defined]


def test_cli_confirmed_fetches_shows_diff_and_saves(server, monkeypatch, capsys, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from planner.cli.main import main
    from planner.io.user_profiles import load_user_profiles

    monkeypatch.setenv("POSITION_PLANNER_DATA_DIR", str(tmp_path))
    monkeypatch.setattr("sys.stdin", _Tty("y\ny\n"))
    assert main(["update-profiles", "--venue", "kraken", "--venue", "binance-usdm"]) == 0
    out = capsys.readouterr().out
    assert out.index("binance-usdm: not fetched: Binance's leverage-bracket endpoint") < out.index("will call these 1 public URL(s)")
    assert out.index("will call these") < out.index("Call them now?") < out.index("PF_XBTUSD: ")
    assert "    tier 1: cap 1,000,000 -> 500,000" in out
    assert "saved user profile" in out
    saved = load_user_profiles()["kraken"]
    assert saved.version == date.today()
    assert saved.symbols["PF_XBTUSD"].tiers[2].max_leverage == 10.0
    assert server.calls == ["GET /derivatives/api/v3/instruments"]  # type: ignore[attr-defined]


def test_cli_yes_dry_run_saves_nothing(server, monkeypatch, capsys, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from planner.cli.main import main

    monkeypatch.setenv("POSITION_PLANNER_DATA_DIR", str(tmp_path))
    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    assert main(["update-profiles", "--yes", "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "dry run: nothing saved" in out
    assert "dex-generic: not fetched" in out
    assert not list((tmp_path / "profiles").glob("*.json"))
    assert 'POST /info {"type": "meta"}' in server.calls  # type: ignore[attr-defined]


def test_cli_no_network_one_line_exit_2(monkeypatch, capsys, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from planner.cli.main import main

    monkeypatch.setenv("POSITION_PLANNER_DATA_DIR", str(tmp_path))
    monkeypatch.setattr(online, "BASE_URLS", dict.fromkeys(online.BASE_URLS, f"http://127.0.0.1:{_closed_port()}"))
    assert main(["update-profiles", "--venue", "okx", "--yes"]) == 2
    err = capsys.readouterr().err.splitlines()
    assert err[-1].startswith("position-planner: error: http://127.0.0.1:") and err[-1].endswith(
        "refused the connection (no network, or a firewall/proxy blocks it)"
    )
    assert "Traceback" not in "\n".join(err)
    assert not list((tmp_path / "profiles").glob("*.json"))


def test_cli_unknown_and_unsupported_venues(monkeypatch, capsys, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from planner.cli.main import main

    monkeypatch.setenv("POSITION_PLANNER_DATA_DIR", str(tmp_path))
    assert main(["update-profiles", "--venue", "nope", "--yes"]) == 2
    assert "unknown venue profile nope; known: " in capsys.readouterr().err
    assert main(["update-profiles", "--venue", "binance-usdm", "--yes"]) == 2
    out, err = capsys.readouterr()
    assert "import-tiers FILE --profile binance-usdm" in out
    assert err == "position-planner: error: nothing to fetch for the chosen venues (see above)\n"


def test_cli_refusal_makes_no_connection(monkeypatch, capsys, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """With sockets blocked, the command without --yes and no terminal never connects."""

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("network connection attempted")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setenv("POSITION_PLANNER_DATA_DIR", str(tmp_path))
    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    from planner.cli.main import main

    assert main(["update-profiles"]) == 2
    assert "https://api.bybit.com/v5/market/risk-limit?category=linear&symbol=BTCUSDT" in capsys.readouterr().out
