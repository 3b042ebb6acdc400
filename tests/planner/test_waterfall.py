"""Loss waterfall: hand-computed insurance-fund / ADL / socialised-loss branches on more venues, and the depth-profile fill."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from planner.drills.waterfall import Slippage, gap_waterfall
from planner.io.registry import get_profile
from planner.model.errors import PlannerError
from planner.model.plan import Plan


def plan_on(profile_id: str, symbol: str, lev: float = 10.0) -> Plan:
    """1 BTC long at 50,000, isolated, margin 5,000 at 10x."""
    return Plan.model_validate(
        {
            "profile": profile_id,
            "account": {"wallet_balance": 20000.0},
            "positions": [
                {
                    "symbol": symbol,
                    "side": "long",
                    "quantity": 1.0,
                    "entry_price": 50000.0,
                    "mark_price": 50000.0,
                    "leverage": lev,
                    "margin_mode": "isolated",
                }
            ],
        }
    )


def _sums(w) -> None:
    assert w.from_margin + w.insurance_fund + w.adl + w.socialized + w.trader_owes == pytest.approx(w.total_loss, abs=1e-9)


def test_bybit_fund_then_adl() -> None:
    """Gap to 44,000, 1 % slippage -> 43,560. Loss 6,440 + fee 0.055 % x 43,560 = 23.958 -> 6,463.958.
    Position margin 5,024.75 = IM 5,000 + Bybit's fee to close at the bankruptcy price
    (45,000 x 0.055 % = 24.75, issue 12 item 5); deficit 1,439.208: fund capacity 1,000
    then ADL 439.208."""
    w = gap_waterfall(
        plan_on("bybit-linear", "BTCUSDT"),
        get_profile("bybit-linear"),
        0,
        gap_price=44000.0,
        slippage=Slippage(fixed=0.01),
        insurance_fund_capacity=1000.0,
    )
    assert w.liquidation_fee == pytest.approx(23.958)
    assert w.total_loss == pytest.approx(6463.958)
    assert w.from_margin == pytest.approx(5024.75)
    assert (w.insurance_fund, w.adl, w.trader_owes) == pytest.approx((1000.0, 439.208, 0.0))
    _sums(w)


def test_okx_fund_empty_all_adl() -> None:
    """OKX fee 0.05 % x 43,560 = 21.78; deficit 1,461.78 all auto-deleveraged when the fund is empty."""
    w = gap_waterfall(
        plan_on("okx", "BTC-USDT-SWAP"),
        get_profile("okx"),
        0,
        gap_price=44000.0,
        slippage=Slippage(fixed=0.01),
        insurance_fund_capacity=0.0,
    )
    assert w.total_loss == pytest.approx(6461.78)
    assert (w.insurance_fund, w.adl) == pytest.approx((0.0, 1461.78))
    assert not w.loses_more_than_margin and w.trader_total_loss == pytest.approx(5000.0)
    _sums(w)


def test_kraken_no_fee_fund_covers() -> None:
    """Kraken charges no liquidation fee here: loss 6,440, deficit 1,440 to the fund."""
    w = gap_waterfall(plan_on("kraken", "PF_XBTUSD"), get_profile("kraken"), 0, gap_price=44000.0, slippage=Slippage(fixed=0.01))
    assert w.liquidation_fee == 0.0
    assert w.insurance_fund == pytest.approx(1440.0) and w.adl == 0.0
    _sums(w)


def test_binance_depth_profile_vwap_fill() -> None:
    """44,000 notional walks 20,000 at 0 %, 20,000 at 1 %, 4,000 at 2 % -> average 0.63636 % away -> fill 43,720.
    Loss 6,280 + fee 1.25 % x 43,720 = 546.50 -> 6,826.50; fund 1,826.50."""
    slip = Slippage(levels=((0.0, 20000.0), (0.01, 20000.0), (0.02, 1e9)))
    w = gap_waterfall(plan_on("binance-usdm", "BTCUSDT"), get_profile("binance-usdm"), 0, gap_price=44000.0, slippage=slip)
    assert w.fill_price == pytest.approx(43720.0)
    assert w.total_loss == pytest.approx(6826.5)
    assert w.insurance_fund == pytest.approx(1826.5)
    _sums(w)


def test_depth_profile_must_increase() -> None:
    with pytest.raises(PlannerError, match="slippage.levels.1"):
        gap_waterfall(
            plan_on("binance-usdm", "BTCUSDT"), get_profile("binance-usdm"), 0, slippage=Slippage(levels=((0.01, 1000.0), (0.005, 1000.0)))
        )


@settings(max_examples=60, deadline=None)
@given(price=st.floats(30000.0, 46000.0), slip=st.floats(0.0, 0.1), fund=st.floats(0.0, 5000.0))
def test_sum_exact_and_more_slippage_never_cheaper(price: float, slip: float, fund: float) -> None:
    prof = get_profile("binance-usdm")
    plan = plan_on("binance-usdm", "BTCUSDT")
    a = gap_waterfall(plan, prof, 0, gap_price=price, slippage=Slippage(fixed=slip), insurance_fund_capacity=fund)
    b = gap_waterfall(plan, prof, 0, gap_price=price, slippage=Slippage(fixed=min(slip + 0.01, 0.5)), insurance_fund_capacity=fund)
    _sums(a)
    assert b.total_loss >= a.total_loss
    assert a.trader_total_loss <= a.margin + 1e-9  # negative-balance protection


def test_depth_text_parses_and_names_bad_lines() -> None:
    from planner.drills.waterfall import parse_depth_levels

    slip = parse_depth_levels("percent_away,notional\n0,20000\n1,20000\n# deep\n2,1e9\n")
    assert slip.levels == ((0.0, 20000.0), (0.01, 20000.0), (0.02, 1e9))
    assert slip.fill_price(44000.0, 1, 44000.0) == pytest.approx(43720.0)
    with pytest.raises(PlannerError) as exc:
        parse_depth_levels("0,100\n1,abc\n")
    assert "line 2" in exc.value.describe()
    with pytest.raises(PlannerError, match="level 1"):
        parse_depth_levels("1,100\n0.5,100\n")
