"""A plan's inline profile with only the fixed names evaluates exactly as the same profile written in full (one case per rule family).

The "full" profiles below spell out the documented defaults (README "Minimal inline profile",
planner/model/profile_defaults.py); the policies are the bundled family profile's.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from planner.cli.main import main
from planner.engine.evaluate import evaluate
from planner.io.plan_files import plan_from_data
from planner.io.registry import get_profile
from planner.model.errors import PlannerError
from planner.model.plan import Plan
from planner.model.profile import ExchangeProfile

FEES = {"maker": 0.0002, "taker": 0.0005, "liquidation": 0.005}
EIGHT_H = {"interval_hours": 8, "settlement_hours_utc": [0, 8, 16], "price_basis": "mark", "accrual": "discrete"}

# rule -> (symbol, minimal symbol spec, fields the full profile spells out, symbol fields spelled out, bundled profile of the family)
CASES: dict[str, tuple[str, dict[str, Any], dict[str, Any], dict[str, Any], str]] = {
    "binance": (
        "BTCUSDT",
        {
            "contract": "linear",
            "contract_size": 0.001,
            "tiers": [
                {"notional_floor": 0, "notional_cap": 50000, "max_leverage": 125, "maintenance_rate": 0.004},
                {"notional_floor": 50000, "notional_cap": 600000, "max_leverage": 100, "maintenance_rate": 0.005},
            ],
        },
        {
            "settle_currency": "USDT",
            "margin_call_ratio": 0.8,
            "funding": {**EIGHT_H, "interest_rate_per_interval": 0.0001, "cap_per_interval": 0.003},
        },
        # cum of tier 2 = 50,000 x (0.5 % - 0.4 %) = 50
        {"base": "BTC", "quote": "USDT", "settle": "USDT", "tick_size": 0.01, "maintenance_amounts": [0.0, 50.0]},
        "binance-usdm",
    ),
    "bybit": (
        "ETHUSDT",
        {
            "contract": "linear",
            "contract_size": 0.01,
            "tiers": [
                {"notional_floor": 0, "notional_cap": 1000000, "max_leverage": 100, "maintenance_rate": 0.005},
                {"notional_floor": 1000000, "notional_cap": 2000000, "max_leverage": 50, "maintenance_rate": 0.01},
            ],
        },
        {
            "settle_currency": "USDT",
            "margin_call_ratio": 0.8,
            "funding": {**EIGHT_H, "interest_rate_per_interval": 0.0001, "cap_per_interval": 0.0075},
        },
        {"base": "ETH", "quote": "USDT", "settle": "USDT", "tick_size": 0.01, "maintenance_amounts": [0.0, 5000.0]},
        "bybit-linear",
    ),
    "okx": (
        "BTC-USDT-SWAP",
        {
            "contract": "linear",
            "contract_size": 0.01,
            "tiers": [{"notional_floor": 0, "notional_cap": None, "max_leverage": 100, "maintenance_rate": 0.004}],
        },
        {
            "settle_currency": "USDT",
            "margin_call_ratio": 3.0,
            "funding": {**EIGHT_H, "interest_rate_per_interval": 0.0, "cap_per_interval": 0.00375},
        },
        {"base": "BTC", "quote": "USDT", "settle": "USDT", "tick_size": 0.01, "maintenance_amounts": [0.0]},
        "okx",
    ),
    "deribit": (
        "BTC-PERPETUAL",
        {"contract": "inverse", "contract_size": 10, "tiers": [{"notional_floor": 0, "max_leverage": 50, "maintenance_rate": 0.01}]},
        {
            "settle_currency": "BTC",
            "margin_call_ratio": 0.8,
            "funding": {
                "interval_hours": 8,
                "settlement_hours_utc": [8],
                "interest_rate_per_interval": 0.0,
                "cap_per_interval": 0.005,
                "price_basis": "mark",
                "accrual": "continuous",
            },
        },
        # size_scaled: IM 1/50 = 2 %, MM = the tier's 1 %, no slope
        {
            "base": "BTC",
            "quote": "USD",
            "settle": "BTC",
            "tick_size": 0.01,
            "maintenance_amounts": [0.0],
            "size_scaled": {"initial_rate": 0.02, "maintenance_rate": 0.01, "rate_per_unit": 0.0},
        },
        "deribit",
    ),
    "kraken": (
        "PF_XBTUSD",
        {
            "contract": "linear",
            "contract_size": 0.0001,
            "tiers": [{"notional_floor": 0, "notional_cap": 1000000, "max_leverage": 50, "maintenance_rate": 0.01}],
        },
        {
            "settle_currency": "USD",
            "margin_call_ratio": 0.8,
            "funding": {
                "interval_hours": 1,
                "settlement_hours_utc": [],
                "interest_rate_per_interval": 0.0,
                "cap_per_interval": 0.0025,
                "price_basis": "mark",
                "accrual": "discrete",
            },
        },
        {"base": "XBT", "quote": "USD", "settle": "USD", "tick_size": 0.01, "maintenance_amounts": [0.0]},
        "kraken",
    ),
    "hyperliquid": (
        "BTC",
        {"contract": "linear", "contract_size": 0.00001, "tiers": [{"notional_floor": 0, "max_leverage": 40, "maintenance_rate": 0.0125}]},
        {
            "settle_currency": "USD",
            "margin_call_ratio": 0.8,
            "funding": {
                "interval_hours": 1,
                "settlement_hours_utc": [],
                "interest_rate_per_interval": 1.25e-05,
                "cap_per_interval": 0.04,
                "price_basis": "oracle",
                "accrual": "discrete",
            },
        },
        {"base": "BTC", "quote": "USD", "settle": "USD", "tick_size": 0.01, "maintenance_amounts": [0.0]},
        "hyperliquid",
    ),
    "dex": (
        "SOL-PERP",
        {
            "contract": "linear",
            "contract_size": 0.01,
            "tiers": [
                {"notional_floor": 0, "notional_cap": 100000, "max_leverage": 50, "maintenance_rate": 0.005},
                {"notional_floor": 100000, "notional_cap": 1000000, "max_leverage": 20, "maintenance_rate": 0.01},
            ],
        },
        {
            "settle_currency": "USD",
            "margin_call_ratio": 0.8,
            "funding": {
                "interval_hours": 1,
                "settlement_hours_utc": [],
                "interest_rate_per_interval": 0.0,
                "cap_per_interval": 0.01,
                "price_basis": "oracle",
                "accrual": "discrete",
            },
        },
        {"base": "SOL", "quote": "USD", "settle": "USD", "tick_size": 0.01, "maintenance_amounts": [0.0, 0.0]},
        "dex-generic",
    ),
}

PRICES = {
    "BTCUSDT": 60000.0,
    "ETHUSDT": 3000.0,
    "BTC-USDT-SWAP": 60000.0,
    "BTC-PERPETUAL": 60000.0,
    "PF_XBTUSD": 60000.0,
    "BTC": 60000.0,
    "SOL-PERP": 150.0,
}


def _minimal(rule: str) -> dict[str, Any]:
    sym, spec, *_ = CASES[rule]
    return {"id": f"mini-{rule}", "name": f"Minimal {rule}", "rule": rule, "fees": FEES, "symbols": {sym: spec}}


def _full(rule: str) -> dict[str, Any]:
    sym, spec, top, sym_fields, family = CASES[rule]
    fields = dict(sym_fields)
    amounts = fields.pop("maintenance_amounts")
    tiers = [{**t, "maintenance_amount": a} for t, a in zip(spec["tiers"], amounts, strict=True)]
    policies = get_profile(family).policies.model_dump(mode="json")
    return {
        **_minimal(rule),
        "version": "1970-01-01",
        **top,
        "policies": policies,
        "sources": [{"url": "inline", "title": "inline profile: numbers given by the plan's author"}],
        "symbols": {sym: {**spec, **fields, "tiers": tiers, "tier_basis": "value"}},
    }


def _plan(profile: dict[str, Any], rule: str) -> Plan:
    sym, spec, *_ = CASES[rule]
    price = PRICES[sym]
    inverse = spec["contract"] == "inverse"
    qty = 3000.0 if inverse else 80000.0 / price  # 30,000 USD inverse / 80,000 USD linear: tier 2 where there is one
    wallet = {"wallet_balance": 1.0} if inverse else {"wallet_balance": 50000.0}
    return Plan.model_validate(
        {
            "profile": profile,
            "account": wallet,
            "positions": [
                {
                    "symbol": sym,
                    "side": "long",
                    "quantity": qty,
                    "entry_price": price,
                    "mark_price": price * 0.97,
                    "leverage": 10,
                    "margin_mode": "isolated",
                },
                {"symbol": sym, "side": "short", "quantity": qty / 2, "entry_price": price, "leverage": 5, "margin_mode": "cross"},
            ],
            "funding_rates": {sym: 0.0001},
        }
    )


@pytest.mark.parametrize("rule", list(CASES))
def test_minimal_inline_profile_evaluates_as_the_full_one(rule: str) -> None:
    mini = _plan(_minimal(rule), rule)
    full = _plan(_full(rule), rule)
    assert isinstance(mini.profile, ExchangeProfile) and isinstance(full.profile, ExchangeProfile)
    a, b = evaluate(mini, mini.profile).to_dict(), evaluate(full, full.profile).to_dict()
    assert a == b
    # Same model too, except the policy descriptions (text only).
    strip = {"policies": {"description": True, "partial_liquidation": {"description"}}}
    assert mini.profile.model_dump(exclude=strip) == full.profile.model_dump(exclude=strip)


def test_minimal_tier_deductions_follow_the_recurrence() -> None:
    prof = ExchangeProfile.model_validate(_minimal("binance"))
    assert [t.maintenance_amount for t in prof.symbols["BTCUSDT"].tiers] == [0.0, pytest.approx(50.0)]


def test_a_given_field_is_never_replaced_and_missing_fixed_names_are_still_refused() -> None:
    data = {**_minimal("okx"), "margin_call_ratio": 2.0}
    assert ExchangeProfile.model_validate(data).margin_call_ratio == 2.0
    with pytest.raises(PlannerError) as exc:
        plan_from_data(
            {
                "format": "position-plan",
                "version": 1,
                "profile": {k: v for k, v in _minimal("okx").items() if k != "fees"},
                "account": {"wallet_balance": 1},
            }
        )
    assert "fees" in exc.value.describe()


def test_cli_evaluates_a_plan_file_with_a_minimal_inline_profile(tmp_path, capsys) -> None:
    path = tmp_path / "mini.plan.json"
    plan = _plan(_minimal("bybit"), "bybit").model_dump(mode="json")
    plan["profile"] = _minimal("bybit")
    path.write_text(json.dumps(plan), encoding="utf-8")
    assert main(["evaluate", str(path), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["profile"]["version"] == "1970-01-01"
    # 80,000 USDT long at 10x isolated: IM = 8,000 USDT; Bybit values MM at entry, tier 1 (<= 1,000,000): 0.5 % x 80,000 = 400 USDT
    assert out["positions"][0]["initial_margin"] == pytest.approx(8000.0)
    assert out["positions"][0]["maintenance_margin"] == pytest.approx(0.005 * 80000.0)


def test_family_defaults_are_the_bundled_profiles_own() -> None:
    """The defaults copy the funding and policies of the bundled profile each family names; the two must not drift."""
    from planner.io.registry import get_profile
    from planner.model.profile_defaults import FAMILY_DEFAULTS

    for rule, fam in FAMILY_DEFAULTS.items():
        bundled = get_profile(fam.source_profile)
        assert bundled.rule == rule
        assert fam.funding == bundled.funding.model_dump(mode="json", include=set(fam.funding)), rule
        policies = _figures(fam.policies)
        assert policies == _figures(bundled.policies.model_dump(mode="json", include=set(policies), exclude_none=True)), rule


def _figures(d: dict) -> dict:
    """``d`` without its prose (``description`` at any depth)."""
    return {k: _figures(v) if isinstance(v, dict) else v for k, v in d.items() if k != "description"}
