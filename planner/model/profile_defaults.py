"""Defaults that complete a minimal exchange profile (pure, no I/O).

A plan's inline profile (or a profile file) may give only the names the
format fixes: ``id``, ``name``, ``rule``, ``fees`` and, per symbol,
``contract``, ``contract_size`` and ``tiers``. Everything else is filled here
from the *rule family* and the symbol's name before validation:

==========================  ==================================================================
field                       default
==========================  ==================================================================
``version``                 1970-01-01 (capture date unknown; the data-age warning shows it)
``settle_currency``         the first symbol's ``settle``
``margin_call_ratio``       the rule family's ``RuleTraits.default_margin_call`` (filled by the profile schema)
``funding``                 the rule family's schedule (:data:`FAMILY_DEFAULTS`)
``policies``                the rule family's policies (:data:`FAMILY_DEFAULTS`)
``sources``                 one entry: "inline profile: numbers given by the plan's author"
symbol ``base``, ``quote``  parsed from the symbol name (``BTCUSDT`` -> BTC / USDT; no quote -> USD)
symbol ``settle``           linear: the quote; inverse: the base
symbol ``tick_size``        0.01 (display rounding only)
symbol ``size_scaled``      rule "deribit" only: IM 1 / tier-1 max leverage, MM tier-1 rate, no slope
tier ``maintenance_amount`` rules with a deduction (binance, bybit): rebuilt by the recurrence
                            when no tier gives one; otherwise 0
==========================  ==================================================================

Rule-family funding and policies are those of the bundled profile named in
:attr:`FamilyDefaults.source_profile` (copied here so the model layer stays free of I/O).
"""

from __future__ import annotations

import contextlib
import copy
from dataclasses import dataclass
from typing import Any

from planner.model.symbols import parse_symbol

UNKNOWN_VERSION = "1970-01-01"
DEFAULT_TICK_SIZE = 0.01
INLINE_SOURCE = {"url": "inline", "title": "inline profile: numbers given by the plan's author"}


@dataclass(frozen=True)
class FamilyDefaults:
    """Funding schedule, policies and margin-call ratio a rule family starts from."""

    source_profile: str
    funding: dict[str, Any]
    policies: dict[str, Any]


FAMILY_DEFAULTS: dict[str, FamilyDefaults] = {
    "binance": FamilyDefaults(
        source_profile="binance-usdm",
        funding={
            "interval_hours": 8,
            "settlement_hours_utc": [0, 8, 16],
            "interest_rate_per_interval": 0.0001,
            "cap_per_interval": 0.003,
            "price_basis": "mark",
            "accrual": "discrete",
        },
        policies={
            "insurance_fund": True,
            "adl": True,
            "negative_balance_protection": True,
            "leftover_margin": "insurance_fund",
            "partial_liquidation": {"kind": "reduce_to_lower_tier"},
            "description": "Default of rule family 'binance': the policies of the bundled 'binance-usdm' profile.",
        },
    ),
    "bybit": FamilyDefaults(
        source_profile="bybit-linear",
        funding={
            "interval_hours": 8,
            "settlement_hours_utc": [0, 8, 16],
            "interest_rate_per_interval": 0.0001,
            "cap_per_interval": 0.0075,
            "price_basis": "mark",
            "accrual": "discrete",
        },
        policies={
            "insurance_fund": True,
            "adl": True,
            "negative_balance_protection": True,
            "leftover_margin": "insurance_fund",
            "partial_liquidation": {"kind": "reduce_to_lower_tier"},
            "description": "Default of rule family 'bybit': the policies of the bundled 'bybit-linear' profile.",
        },
    ),
    "okx": FamilyDefaults(
        source_profile="okx",
        funding={
            "interval_hours": 8,
            "settlement_hours_utc": [0, 8, 16],
            "interest_rate_per_interval": 0.0,
            "cap_per_interval": 0.00375,
            "price_basis": "mark",
            "accrual": "discrete",
        },
        policies={
            "insurance_fund": True,
            "adl": True,
            "negative_balance_protection": True,
            "leftover_margin": "insurance_fund",
            "partial_liquidation": {"kind": "two_tiers_per_round"},
            "description": "Default of rule family 'okx': the policies of the bundled 'okx' profile.",
        },
    ),
    "deribit": FamilyDefaults(
        source_profile="deribit",
        funding={
            "interval_hours": 8,
            "settlement_hours_utc": [8],
            "interest_rate_per_interval": 0.0,
            "cap_per_interval": 0.005,
            "price_basis": "mark",
            "accrual": "continuous",
        },
        policies={
            "insurance_fund": True,
            "adl": False,
            "negative_balance_protection": True,
            "leftover_margin": "trader",
            "socialized_loss": True,
            "partial_liquidation": {"kind": "increments", "increment_size": 200.0},
            "description": "Default of rule family 'deribit': the policies of the bundled 'deribit' profile.",
        },
    ),
    "kraken": FamilyDefaults(
        source_profile="kraken",
        funding={
            "interval_hours": 1,
            "settlement_hours_utc": [],
            "interest_rate_per_interval": 0.0,
            "cap_per_interval": 0.0025,
            "price_basis": "mark",
            "accrual": "discrete",
        },
        policies={
            "insurance_fund": True,
            "adl": True,
            "negative_balance_protection": True,
            "leftover_margin": "trader",
            "partial_liquidation": {"kind": "none"},
            "description": "Default of rule family 'kraken': the policies of the bundled 'kraken' profile.",
        },
    ),
    "hyperliquid": FamilyDefaults(
        source_profile="hyperliquid",
        funding={
            "interval_hours": 1,
            "settlement_hours_utc": [],
            "interest_rate_per_interval": 1.25e-05,
            "cap_per_interval": 0.04,
            "price_basis": "oracle",
            "accrual": "discrete",
        },
        policies={
            "insurance_fund": False,
            "adl": True,
            "negative_balance_protection": True,
            "leftover_margin": "trader",
            "partial_liquidation": {"kind": "fraction_then_full", "fraction": 0.2, "cooldown_seconds": 30, "min_value": 100000},
            "description": "Default of rule family 'hyperliquid': the policies of the bundled 'hyperliquid' profile.",
        },
    ),
    "dex": FamilyDefaults(
        source_profile="dex-generic",
        funding={
            "interval_hours": 1,
            "settlement_hours_utc": [],
            "interest_rate_per_interval": 0.0,
            "cap_per_interval": 0.01,
            "price_basis": "oracle",
            "accrual": "discrete",
        },
        policies={
            "insurance_fund": False,
            "adl": False,
            "negative_balance_protection": False,
            "leftover_margin": "liquidator",
            "partial_liquidation": {"kind": "none"},
            "description": "Default of rule family 'dex': the policies of the bundled 'dex-generic' profile.",
        },
    ),
}

_RECURRENCE_RULES = ("binance", "bybit")


def _symbol_defaults(name: str, spec: dict[str, Any], rule: str) -> dict[str, Any]:
    out = dict(spec)
    parsed = parse_symbol(name)
    inverse = out.get("contract") == "inverse"
    out.setdefault("base", parsed.base.upper() if parsed.base and not parsed.base[0].islower() else parsed.base)
    out.setdefault("quote", "USD" if inverse or not parsed.quote else parsed.quote)
    out.setdefault("settle", out["base"] if inverse else out["quote"])
    out.setdefault("tick_size", DEFAULT_TICK_SIZE)
    tiers = out.get("tiers")
    if isinstance(tiers, list) and tiers and all(isinstance(t, dict) for t in tiers):
        if rule in _RECURRENCE_RULES and not any("maintenance_amount" in t for t in tiers):
            cum, rebuilt = 0.0, []
            for i, t in enumerate(tiers):
                if i > 0:
                    try:
                        cum += float(t["notional_floor"]) * (float(t["maintenance_rate"]) - float(tiers[i - 1]["maintenance_rate"]))
                    except (KeyError, TypeError, ValueError):
                        return out  # let validation name the bad field
                rebuilt.append({**t, "maintenance_amount": cum})
            out["tiers"] = rebuilt
        if rule == "deribit" and "size_scaled" not in out:
            first = tiers[0]
            with contextlib.suppress(KeyError, TypeError, ValueError, ZeroDivisionError):  # validation names the bad field
                out["size_scaled"] = {
                    "initial_rate": 1.0 / float(first["max_leverage"]),
                    "maintenance_rate": float(first["maintenance_rate"]),
                    "rate_per_unit": 0.0,
                }
    return out


def fill_profile_defaults(data: Any) -> Any:
    """Return ``data`` (a profile as JSON data) with every omitted field filled; anything else unchanged.

    Only missing keys are filled; a given value is never replaced. Data that
    is not an object, or whose ``rule`` is unknown, is returned as is so that
    validation reports the problem.
    """
    if not isinstance(data, dict):
        return data
    rule = data.get("rule")
    if not isinstance(rule, str) or rule not in FAMILY_DEFAULTS:
        return data
    fam = FAMILY_DEFAULTS[rule]
    out = dict(data)
    symbols = out.get("symbols")
    if isinstance(symbols, dict):
        out["symbols"] = {k: _symbol_defaults(k, v, rule) if isinstance(v, dict) else v for k, v in symbols.items()}
        first = next((v for v in out["symbols"].values() if isinstance(v, dict)), None)
        if first is not None and "settle" in first:
            out.setdefault("settle_currency", first["settle"])
    out.setdefault("version", UNKNOWN_VERSION)
    out.setdefault("funding", copy.deepcopy(fam.funding))
    out.setdefault("policies", copy.deepcopy(fam.policies))
    out.setdefault("sources", [dict(INLINE_SOURCE)])
    return out
