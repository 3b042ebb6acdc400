"""Position-risk planner for crypto futures: pure Python, numpy and pydantic; never Qt.

The public API is what ``__all__`` lists; everything is importable from
``planner`` itself (loaded on first use, so ``import planner`` is cheap)::

    import planner

    plan = planner.load_plan("examples/btc-10x-isolated.plan.json")
    ev = planner.evaluate(plan)                      # on the plan's own profile
    ev.legs[0].liquidation_price                     # 45180.72...
    planner.liquidation_price("long", 1.0, 50_000.0, leverage=10, profile="binance-usdm", symbol="BTCUSDT")

Plans and profiles
    :class:`Plan`, :class:`Position`, :class:`Account` (pydantic models of a
    ``*.plan.json`` file), :func:`load_plan`, :func:`save_plan`;
    :class:`ExchangeProfile` (one venue's rules and tiers), :func:`get_profile`,
    :func:`bundled_profiles`, :func:`profile_for`.
Numbers
    :func:`evaluate` -> :class:`Evaluation` (every figure per leg and account);
    :func:`liquidation_price`, :func:`bankruptcy_price` (scalars in, float out;
    arrays in, arrays out).
Drills
    :func:`shock` -> :class:`ShockResult`, :func:`compare` -> list of :class:`ComparisonRow`.
Errors
    :class:`PlannerError` carries :class:`Problem` items (field path + message).

Units: prices in quote currency per base unit; quantity in base units (linear)
or contracts (inverse); money in the settlement currency; rates as fractions;
funding per interval, positive: longs pay. Layers below (``planner.model``,
``.engine``, ``.io``, ``.drills``, ``.present``, ``.cli``) are importable too.

>>> import planner
>>> planner.liquidation_price("long", 1.0, 50_000.0, leverage=10, profile="binance-usdm", symbol="BTCUSDT")
45180.72289156...
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

__version__ = "0.1.0"

# name -> module that defines it; loaded on first attribute access (PEP 562).
_EXPORTS: dict[str, str] = {
    "Account": "planner.model.plan",
    "AccountResult": "planner.engine.evaluate",
    "ComparisonRow": "planner.drills.scenarios",
    "ContractKind": "planner.model.enums",
    "Evaluation": "planner.engine.evaluate",
    "ExchangeProfile": "planner.model.profile",
    "LegResult": "planner.engine.evaluate",
    "MarginMode": "planner.model.enums",
    "Plan": "planner.model.plan",
    "PlannerError": "planner.model.errors",
    "Position": "planner.model.plan",
    "Problem": "planner.model.errors",
    "ShockResult": "planner.drills.scenarios",
    "Side": "planner.model.enums",
    "bankruptcy_price": "planner.api",
    "bundled_profiles": "planner.io.registry",
    "compare": "planner.api",
    "evaluate": "planner.api",
    "get_profile": "planner.io.registry",
    "liquidation_price": "planner.api",
    "load_plan": "planner.io.plan_files",
    "profile_for": "planner.api",
    "save_plan": "planner.io.plan_files",
    "shock": "planner.api",
}

__all__ = [
    "Account",
    "AccountResult",
    "ComparisonRow",
    "ContractKind",
    "Evaluation",
    "ExchangeProfile",
    "LegResult",
    "MarginMode",
    "Plan",
    "PlannerError",
    "Position",
    "Problem",
    "ShockResult",
    "Side",
    "__version__",
    "bankruptcy_price",
    "bundled_profiles",
    "compare",
    "evaluate",
    "get_profile",
    "liquidation_price",
    "load_plan",
    "profile_for",
    "save_plan",
    "shock",
]

if TYPE_CHECKING:
    from planner.api import bankruptcy_price, compare, evaluate, liquidation_price, profile_for, shock
    from planner.drills.scenarios import ComparisonRow, ShockResult
    from planner.engine.evaluate import AccountResult, Evaluation, LegResult
    from planner.io.plan_files import load_plan, save_plan
    from planner.io.registry import bundled_profiles, get_profile
    from planner.model.enums import ContractKind, MarginMode, Side
    from planner.model.errors import PlannerError, Problem
    from planner.model.plan import Account, Plan, Position
    from planner.model.profile import ExchangeProfile


def __getattr__(name: str) -> object:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'planner' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # later look-ups skip this hook
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
