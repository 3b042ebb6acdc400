"""The headless CLI: output shapes, exit codes and bad-input messages."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path

import pytest

from planner.cli.main import main

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "resources" / "examples" / "btc-10x-isolated.plan.json"

BASE_PLAN = {
    "format": "position-plan",
    "version": 1,
    "name": "cli test",
    "profile": "binance-usdm",
    "account": {"wallet_balance": 50000.0},
    "positions": [
        {
            "symbol": "BTCUSDT",
            "side": "long",
            "quantity": 1.0,
            "entry_price": 50000.0,
            "mark_price": 50000.0,
            "leverage": 10,
            "margin_mode": "isolated",
            "isolated_margin": 5000.0,
        }
    ],
}


def write(tmp_path: Path, data: object, name: str = "p.plan.json") -> Path:
    p = tmp_path / name
    p.write_text(data if isinstance(data, str) else json.dumps(data))
    return p


def run(capsys, *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_evaluate_json_shape_and_numbers(tmp_path: Path, capsys) -> None:
    code, out, err = run(capsys, "evaluate", str(write(tmp_path, BASE_PLAN)), "--json")
    assert code == 0, err
    doc = json.loads(out)
    leg = doc["positions"][0]
    for key in (
        "symbol",
        "side",
        "liquidation_price",
        "bankruptcy_price",
        "initial_margin",
        "maintenance_margin",
        "margin_ratio",
        "unrealized_pnl",
    ):
        assert key in leg
    for key in ("equity", "maintenance_margin", "margin_ratio"):
        assert key in doc["account"]
    # Binance: 1 BTC at 50,000 is in tier 2 (0.5 %, cum 50), but at the liquidation
    # price the notional (~45,181) is in tier 1 (0.4 %, cum 0), so tier 1 applies.
    assert leg["liquidation_price"] == pytest.approx((50000 - 5000) / (1 - 0.004), rel=1e-12)
    assert leg["bankruptcy_price"] == pytest.approx(45000.0)
    assert leg["initial_margin"] == pytest.approx(5000.0)
    assert leg["maintenance_margin"] == pytest.approx(50000 * 0.005 - 50)
    assert doc["account"]["equity"] == pytest.approx(50000.0)


def test_evaluate_text_table(tmp_path: Path, capsys) -> None:
    code, out, _ = run(capsys, "evaluate", str(write(tmp_path, BASE_PLAN)))
    assert code == 0
    assert "BTCUSDT" in out
    assert "45,180.8" in out  # liquidation price rounded up for a long (45,180.72 -> 45,180.8)
    assert "45,000.0" in out  # bankruptcy price


def test_one_x_long_prints_none(tmp_path: Path, capsys) -> None:
    plan = json.loads(json.dumps(BASE_PLAN))
    plan["positions"][0].update(leverage=1, isolated_margin=50000.0)
    code, out, _ = run(capsys, "evaluate", str(write(tmp_path, plan)), "--json")
    assert code == 0
    assert json.loads(out)["positions"][0]["liquidation_price"] is None
    code, out, _ = run(capsys, "evaluate", str(write(tmp_path, plan)))
    assert " none " in out


def test_example_plan_evaluates(capsys) -> None:
    code, out, err = run(capsys, "evaluate", str(EXAMPLE), "--json")
    assert code == 0, err
    doc = json.loads(out)
    assert [p["symbol"] for p in doc["positions"]] == ["BTCUSDT", "ETHUSDT"]
    assert doc["positions"][1]["margin_mode"] == "cross"


def test_profiles_list_and_show(capsys) -> None:
    code, out, _ = run(capsys, "profiles")
    assert code == 0 and "binance-usdm" in out
    code, out, _ = run(capsys, "profiles", "show", "binance-usdm")
    assert code == 0
    assert "BTCUSDT" in out and "125x" in out and "sources:" in out


def test_schema_outputs_json(capsys) -> None:
    for kind, needle in (("plan", "positions"), ("profile", "symbols")):
        code, out, _ = run(capsys, "schema", kind)
        assert code == 0
        assert needle in json.loads(out)["properties"]


def mutate(path: str, value: object) -> dict:
    plan = json.loads(json.dumps(BASE_PLAN))
    target = plan
    keys = path.split(".")
    for k in keys[:-1]:
        target = target[int(k)] if k.isdigit() else target[k]
    target[keys[-1]] = value
    return plan


BAD = [
    ("malformed", '{"format": "position-plan", "profile": ', "not valid JSON at line 1"),
    ("truncated", json.dumps(BASE_PLAN)[:-20], "not valid JSON"),
    ("not-object", "[1, 2, 3]", "must hold a JSON object"),
    ("wrong-type", mutate("positions.0.quantity", "one"), "positions.0.quantity: must be a number"),
    (
        "unknown-symbol",
        mutate("positions.0.symbol", "NOSUCHCOINUSDT"),
        "positions.0.symbol: 'NOSUCHCOINUSDT' is not listed by profile 'binance-usdm'",
    ),
    ("unknown-profile", mutate("profile", "mexc"), "profile: unknown profile 'mexc'"),
    ("zero-price", mutate("positions.0.entry_price", 0), "positions.0.entry_price: must be greater than 0"),
    ("negative-qty", mutate("positions.0.quantity", -1), "positions.0.quantity: must be greater than 0"),
    ("leverage-too-high", mutate("positions.0.leverage", 151), "positions.0.leverage: 151x exceeds the maximum 150x"),
    ("margin-below-mm", mutate("positions.0.isolated_margin", 100.0), "positions.0.isolated_margin: isolated margin 100"),
    ("nan", json.dumps(BASE_PLAN).replace('"mark_price": 50000.0', '"mark_price": NaN'), "NaN is not allowed"),
    ("infinity", json.dumps(BASE_PLAN).replace('"entry_price": 50000.0', '"entry_price": Infinity'), "Infinity is not allowed"),
    ("huge", mutate("positions.0.entry_price", 1e300), "positions.0.entry_price: must be at most"),
    ("newer-version", mutate("version", 9), "version: this plan was written by a newer Position Planner"),
    ("extra-field", mutate("positions.0.colour", "red"), "positions.0.colour: is not a known field"),
    ("bad-side", mutate("positions.0.side", "up"), "positions.0.side: must be one of"),
    ("wallet-too-small", mutate("account.wallet_balance", 1000.0), "account.wallet_balance: isolated margins use 5,000 USDT"),
]


@pytest.mark.parametrize("name,content,message", BAD, ids=[b[0] for b in BAD])
def test_bad_input_one_clear_message(tmp_path: Path, capsys, name: str, content: object, message: str) -> None:
    path = write(tmp_path, content)
    before = hashlib.sha256(path.read_bytes()).hexdigest()
    code, out, err = run(capsys, "evaluate", str(path))
    assert code == 2
    assert out == ""
    assert str(path) in err, err
    assert message in err, err
    assert "Traceback" not in err
    assert hashlib.sha256(path.read_bytes()).hexdigest() == before  # never modified


def test_missing_file(capsys, tmp_path: Path) -> None:
    code, _, err = run(capsys, "evaluate", str(tmp_path / "nope.plan.json"))
    assert code == 2 and "file not found" in err


def test_oversized_file_refused_before_parsing(tmp_path: Path, capsys) -> None:
    p = tmp_path / "big.plan.json"
    p.write_text(" " * (11 * 1024 * 1024))
    code, _, err = run(capsys, "evaluate", str(p))
    assert code == 2 and "limit is 10 MB" in err


def test_deeply_nested_refused(tmp_path: Path, capsys) -> None:
    p = write(tmp_path, "[" * 100000 + "]" * 100000)
    code, _, err = run(capsys, "evaluate", str(p))
    assert code == 2 and "nested deeper" in err


def test_unknown_profile_in_show(capsys) -> None:
    code, _, err = run(capsys, "profiles", "show", "nope")
    assert code == 2 and "unknown profile 'nope'" in err and "binance-usdm" in err


def test_console_script_routes_without_qt(tmp_path: Path) -> None:
    """`position-planner evaluate` runs through the launcher without importing Qt."""
    code = (
        "import sys, builtins\n"
        "real = builtins.__import__\n"
        "def guard(name, *a, **k):\n"
        "    if name.split('.')[0] in ('PySide6', 'pyqtgraph', 'shiboken6'):\n"
        "        raise ImportError('Qt imported on the CLI path: ' + name)\n"
        "    return real(name, *a, **k)\n"
        "builtins.__import__ = guard\n"
        "from ui.launcher import main\n"
        f"sys.exit(main(['evaluate', {str(write(tmp_path, BASE_PLAN))!r}, '--json']))\n"
    )
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert res.returncode == 0, res.stderr
    assert json.loads(res.stdout)["positions"][0]["symbol"] == "BTCUSDT"
