"""The front door: ``import planner`` -> load_plan, evaluate, liquidation_price, ...

The scalar/array price functions must give exactly what :func:`evaluate` gives for
an isolated leg, on every bundled profile (linear and inverse, tested and entry
maintenance basis, reserved close fee, size-scaled margin).
"""

from __future__ import annotations

import math
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import planner
from planner.io.registry import bundled_profiles, get_profile
from planner.model.errors import PlannerError

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "btc-10x-isolated.plan.json"


def _one_leg(profile_id: str, symbol: str, side: str, quantity: float, entry: float, leverage: float) -> planner.Plan:
    settle = get_profile(profile_id).symbols[symbol].settle
    return planner.Plan(
        profile=profile_id,
        account={"wallet_balance": 1e9, "balances": {settle: 1e9}},
        positions=[{"symbol": symbol, "side": side, "quantity": quantity, "entry_price": entry, "leverage": leverage}],
    )


def _cases() -> list[tuple[str, str]]:
    return [(pid, sym) for pid, prof in sorted(bundled_profiles().items()) for sym in sorted(prof.symbols)]


@pytest.mark.parametrize(("profile_id", "symbol"), _cases())
def test_prices_match_evaluate_for_isolated_legs(profile_id: str, symbol: str) -> None:
    prof = get_profile(profile_id)
    spec = prof.symbols[symbol]
    entry = 50_000.0 if spec.base.upper() in ("BTC", "XBT") else 3_000.0 if spec.base.upper() == "ETH" else 100.0
    # A small position (linear: notional ~2,000 quote; inverse: 2,000 USD) at leverages inside the first tier.
    qty = 2_000.0 / spec.contract_size if spec.contract.value == "inverse" else 2_000.0 / entry
    max_lev = float(spec.tiers[0].max_leverage)
    checked = 0
    for side in ("long", "short"):
        for lev in sorted({1.0, 2.0, min(10.0, max_lev), max_lev / 2}):
            plan = _one_leg(profile_id, symbol, side, qty, entry, lev)
            try:
                leg = planner.evaluate(plan).legs[0]
            except PlannerError:
                continue  # e.g. a size the venue does not allow at this leverage
            lp = planner.liquidation_price(side, qty, entry, leverage=lev, profile=profile_id, symbol=symbol)
            bp = planner.bankruptcy_price(side, qty, entry, leverage=lev, profile=prof, symbol=symbol)
            assert type(lp) is float and type(bp) is float
            for mine, theirs in ((lp, leg.liquidation_price), (bp, leg.bankruptcy_price)):
                if theirs is None:
                    assert math.isnan(mine)
                else:
                    assert mine == pytest.approx(theirs, rel=1e-12)
            checked += 1
    assert checked >= 4


def test_binance_worked_numbers() -> None:
    """BTC 1 @ 50,000, 10x isolated on binance-usdm: 45,180.72 = 45,000 / (1 - 0.4 %); bankruptcy 45,000."""
    kw = {"profile": "binance-usdm", "symbol": "BTCUSDT"}
    assert planner.liquidation_price("long", 1.0, 50_000.0, leverage=10, **kw) == pytest.approx(45_000.0 / 0.996, rel=1e-12)
    assert planner.bankruptcy_price("long", 1.0, 50_000.0, margin=5_000.0, **kw) == pytest.approx(45_000.0, rel=1e-12)
    # A 1x long cannot be liquidated: nan, not a price.
    assert math.isnan(planner.liquidation_price("long", 1.0, 50_000.0, leverage=1, **kw))
    # leverage L and margin value/L are the same position.
    assert planner.liquidation_price(-1, 2.0, 50_000.0, leverage=20, **kw) == planner.liquidation_price(
        "short", 2.0, 50_000.0, margin=5_000.0, **kw
    )


def test_arrays_in_arrays_out_with_the_broadcast_shape() -> None:
    kw = {"profile": "binance-usdm", "symbol": "BTCUSDT"}
    lev = np.array([[5.0], [10.0]])
    entry = np.array([40_000.0, 50_000.0, 60_000.0])
    out = planner.liquidation_price(np.array([1, 1, -1]), 1.0, entry, leverage=lev, **kw)
    assert isinstance(out, np.ndarray) and out.shape == (2, 3)
    for i in range(2):
        for j in range(3):
            side = "long" if j < 2 else "short"
            assert out[i, j] == planner.liquidation_price(side, 1.0, float(entry[j]), leverage=float(lev[i, 0]), **kw)
    # A one-element array stays an array.
    one = planner.liquidation_price("long", np.array([1.0]), 50_000.0, leverage=10, **kw)
    assert isinstance(one, np.ndarray) and one.shape == (1,)


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"side": "up"}, "side"),
        ({"side": np.array([1, 0])}, "side"),
        ({"quantity": -1.0}, "quantity"),
        ({"quantity": np.array([1.0, 0.0])}, "quantity"),
        ({"entry_price": float("nan")}, "entry_price"),
        ({"leverage": 0.0}, "leverage"),
        ({"leverage": None}, "leverage"),
        ({"margin": 100.0}, "leverage"),
        ({"leverage": None, "margin": -5.0}, "margin"),
        ({"symbol": "NOSUCHUSDT"}, "symbol"),
        ({"profile": "nope"}, "profile"),
    ],
)
def test_bad_input_names_the_field(kwargs: dict[str, object], field: str) -> None:
    args: dict[str, object] = {
        "side": "long",
        "quantity": 1.0,
        "entry_price": 50_000.0,
        "leverage": 10.0,
        "profile": "binance-usdm",
        "symbol": "BTCUSDT",
    }
    args.update(kwargs)
    with pytest.raises(PlannerError) as err:
        planner.liquidation_price(**args)  # type: ignore[arg-type]
    assert [p.path for p in err.value.problems] == [field]
    assert "\n" not in err.value.describe()


def test_evaluate_resolves_the_plans_own_profile() -> None:
    plan = planner.load_plan(EXAMPLE)
    ev = planner.evaluate(plan)
    assert ev.profile_id == "binance-usdm"
    assert ev.legs[0].liquidation_price == pytest.approx(45_180.72289156626, rel=1e-12)
    # a path works too, and an explicit profile (id or object) wins over the plan's
    assert planner.evaluate(EXAMPLE).legs[0].liquidation_price == ev.legs[0].liquidation_price
    btc_only = _one_leg("binance-usdm", "BTCUSDT", "long", 1.0, 50_000.0, 10.0)
    # Bybit isolated, entry basis: 50,000 - (5,000 IM - 0.33 % x 50,000 MM) = 45,165 (tier 1 of the bundled risk limits)
    assert planner.evaluate(btc_only, "bybit-linear").legs[0].liquidation_price == pytest.approx(45_165.0, rel=1e-12)
    assert planner.evaluate(btc_only, get_profile("bybit-linear")).profile_id == "bybit-linear"
    # an inline snapshot is used as is (here: a changed maintenance rate)
    prof = get_profile("binance-usdm")
    spec = prof.symbols["BTCUSDT"]
    tiers = [t.model_copy(update={"maintenance_rate": 0.01}) if i == 0 else t for i, t in enumerate(spec.tiers)]
    snap = prof.model_copy(update={"symbols": {**prof.symbols, "BTCUSDT": spec.model_copy(update={"tiers": tiers})}})
    inline = plan.model_copy(update={"profile": snap})
    assert planner.evaluate(inline).legs[0].liquidation_price == pytest.approx(45_000.0 / 0.99, rel=1e-12)


def test_unknown_profile_id_is_a_planner_error() -> None:
    plan = planner.Plan(profile="no-such-venue", account={"wallet_balance": 1.0})
    with pytest.raises(PlannerError) as err:
        planner.evaluate(plan)
    assert err.value.problems[0].path == "profile" and "binance-usdm" in err.value.problems[0].message


def test_shock_and_compare() -> None:
    plan = planner.load_plan(EXAMPLE)
    r = planner.shock(plan, -0.1)
    assert r.marks == {"BTCUSDT": 45_000.0, "ETHUSDT": pytest.approx(2_655.0)}
    assert r.liquidated == [0]  # 45,000 is below the BTC leg's 45,180.72
    rows = {row.profile_id: row for row in planner.compare(plan)}
    assert set(rows) == set(bundled_profiles())
    assert rows["binance-usdm"].legs[0].liquidation_price == pytest.approx(45_180.72289156626, rel=1e-12)


def test_all_names_resolve_and_import_is_lazy() -> None:
    for name in planner.__all__:
        assert getattr(planner, name) is not None, name
    assert set(planner.__all__) <= set(dir(planner))
    with pytest.raises(AttributeError):
        _ = planner.no_such_name  # type: ignore[attr-defined]
    code = "import sys, planner; print(sorted(m for m in sys.modules if m.startswith(('planner.', 'numpy', 'pydantic'))))"
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert res.returncode == 0, res.stderr
    assert res.stdout.strip() == "[]"


def test_no_dangling_formulas_md_and_formula_docstrings_cite_urls() -> None:
    for path in (ROOT / "planner").rglob("*.py"):
        assert "formulas.md" not in path.read_text(encoding="utf-8"), path
    from planner.drills import montecarlo
    from planner.engine import evaluate, funding, liquidation, tiers
    from planner.model import profile

    formulas = [
        liquidation.closed_form_price,
        liquidation.liquidation_price,
        liquidation.bankruptcy_price,
        tiers.position_value,
        tiers.maintenance_margin,
        tiers.initial_margin_rate,
        tiers.max_leverage_at,
        profile.rebuild_maintenance_amounts,
        funding.funding_payment,
        funding.funding_rate_from_premium,
        funding.settlement_schedule,
        evaluate.unrealized_pnl,
        evaluate.break_even_price,
        evaluate.target_price,
        evaluate.average_entry,
        evaluate.margin_ratio,
        montecarlo.barrier_hit_probability,
        planner.liquidation_price,
        planner.bankruptcy_price,
    ]
    missing = [f.__qualname__ for f in formulas if not re.search(r"https?://\S+", f.__doc__ or "")]
    assert missing == []
