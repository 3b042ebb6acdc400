"""The front door: what ``import planner`` offers a script or a notebook.

Thin wrappers over the engine that take what a person has at hand (a plan or
a plan file, a profile id, plain numbers or numpy arrays) and return plain
answers: a Python ``float`` for scalar inputs, a numpy array of the broadcast
shape for array inputs.

Units and signs (as everywhere in the planner): prices in quote currency per
base unit; ``quantity`` in base units for linear contracts, in contracts for
inverse ones; ``margin`` in the symbol's settlement currency (USDT for linear,
the coin for inverse); ``side`` is ``"long"`` / ``"short"`` or +1 / -1; rates
are fractions; a positive funding rate means longs pay. A price that does not
exist (a 1x long cannot be liquidated) is ``nan`` here and ``None`` in an
:class:`~planner.engine.evaluate.Evaluation`.
"""

from __future__ import annotations

import os

import numpy as np

from planner.drills.scenarios import ComparisonRow, ShockResult, compare_profiles
from planner.drills.scenarios import shock as _shock
from planner.engine.close_fee import bankruptcy_close_fee, default_close_fee
from planner.engine.evaluate import Evaluation
from planner.engine.evaluate import evaluate as _evaluate
from planner.engine.liquidation import bankruptcy_price as _bankruptcy_price
from planner.engine.liquidation import liquidation_price as _liquidation_price
from planner.engine.tiers import TierTable, position_value
from planner.engine.validation import position_margin_fee_rate
from planner.io.plan_files import load_plan, resolve_profile
from planner.io.registry import bundled_profiles, get_profile
from planner.model.arrays import ArrayLike, FloatArray
from planner.model.enums import Side
from planner.model.errors import PlannerError, Problem
from planner.model.plan import Plan
from planner.model.profile import ExchangeProfile

__all__ = ["bankruptcy_price", "compare", "evaluate", "liquidation_price", "profile_for", "shock"]

SideLike = str | Side | ArrayLike


def profile_for(plan: Plan, profile: ExchangeProfile | str | None = None) -> ExchangeProfile:
    """The profile to evaluate ``plan`` on: ``profile`` if given (an object or a bundled id),
    else the plan's own (its inline snapshot, or the bundled profile it names).

    >>> profile_for(Plan(profile="okx", account={"wallet_balance": 1000.0})).name
    'OKX USDT-margined perpetual swaps'
    """
    if isinstance(profile, ExchangeProfile):
        return profile
    if profile is None:
        return resolve_profile(plan)
    return _bundled(profile)


def evaluate(
    plan: Plan | str | os.PathLike[str],
    profile: ExchangeProfile | str | None = None,
    *,
    marks: dict[str, float] | None = None,
) -> Evaluation:
    """Evaluate a plan (or a ``*.plan.json`` path) on its own profile, or on ``profile``.

    ``marks`` overrides mark prices by symbol (what-if). Raises :class:`PlannerError`
    naming the field when the plan does not fit the profile.

    BTC 1 @ 50,000 at 10x isolated on Binance USDⓈ-M (initial margin 5,000 USDT,
    maintenance rate 0.4 %): liquidation at (50,000 - 5,000) / (1 - 0.004).

    >>> plan = Plan(
    ...     profile="binance-usdm",
    ...     account={"wallet_balance": 10_000.0},
    ...     positions=[{"symbol": "BTCUSDT", "side": "long", "quantity": 1.0, "entry_price": 50_000.0, "leverage": 10}],
    ... )
    >>> ev = evaluate(plan)
    >>> ev.legs[0].liquidation_price
    45180.72289156...
    >>> ev.legs[0].bankruptcy_price, ev.legs[0].maintenance_margin
    (45000.0, 200.0)
    >>> evaluate(plan, marks={"BTCUSDT": 45_000.0}).legs[0].state
    'liquidation'
    """
    if not isinstance(plan, Plan):
        plan = load_plan(plan)
    return _evaluate(plan, profile_for(plan, profile), marks=marks)


def liquidation_price(
    side: SideLike,
    quantity: ArrayLike,
    entry_price: ArrayLike,
    *,
    profile: ExchangeProfile | str,
    symbol: str,
    leverage: ArrayLike | None = None,
    margin: ArrayLike | None = None,
) -> float | FloatArray:
    """Mark price at which an isolated position is liquidated on ``profile``; ``nan`` if none.

    Give the collateral either as ``margin`` (settlement currency, what the venue
    calls isolated margin, added margin included) or as ``leverage`` (margin =
    position value at entry / leverage). The venue's own rule applies: its
    margin tiers (re-selected at the liquidation price where it does so), the
    basis of its maintenance margin (Bybit classic: entry value) and a reserved
    close fee (OKX). For a cross leg pass the wallet share behind it as
    ``margin``. Same numbers as :func:`evaluate` gives for isolated legs.

    Sources: the solved equation and every venue's formula with its page are in
    :mod:`planner.engine.liquidation`; Binance USDⓈ-M:
    https://www.binance.com/en/support/faq/b3c689c1f50a44cabb3a84e663b81d93

    Scalars in, a float out:

    >>> liquidation_price("long", 1.0, 50_000.0, leverage=10, profile="binance-usdm", symbol="BTCUSDT")
    45180.72289156...

    A short: (50,000 + 5,000) / (1 + 0.004), the first bracket's rate (0.4 % up to
    300,000 USDT in the bundled table).

    >>> liquidation_price("short", 1.0, 50_000.0, margin=5_000.0, profile="binance-usdm", symbol="BTCUSDT")
    54780.87649402...
    >>> liquidation_price("long", 1.0, 50_000.0, leverage=1, profile="binance-usdm", symbol="BTCUSDT")
    nan

    Arrays in, an array of the broadcast shape out (here: three leverages):

    >>> liquidation_price(+1, 1.0, 50_000.0, leverage=np.array([5.0, 10.0, 20.0]), profile="binance-usdm", symbol="BTCUSDT").round(2)
    array([40160.64, 45180.72, 47690.76])

    Bad input is refused with the field named:

    >>> liquidation_price("lng", 1.0, 50_000.0, leverage=10, profile="binance-usdm", symbol="BTCUSDT")
    Traceback (most recent call last):
    ...
    planner.model.errors.PlannerError: liquidation_price: side: must be 'long', 'short', +1 or -1 (got 'lng')
    """
    return _position_price("liquidation_price", side, quantity, entry_price, profile, symbol, leverage, margin)


def bankruptcy_price(
    side: SideLike,
    quantity: ArrayLike,
    entry_price: ArrayLike,
    *,
    profile: ExchangeProfile | str,
    symbol: str,
    leverage: ArrayLike | None = None,
    margin: ArrayLike | None = None,
) -> float | FloatArray:
    """Mark price at which an isolated position's margin is used up (after a reserved close fee).

    Arguments and return as :func:`liquidation_price`. Linear: ``BP = (Q*E - s*M) / (Q*(1 - s*f))``
    (``f`` = taker fee where the venue reserves the close fee, else 0); inverse:
    ``BP = Q*(s + f) / (M + s*Q/E)``. Sources: Bybit "Bankruptcy Price (USDT Contract)"
    (``BP = E*(1 - 1/L)`` for a long), https://testnet.bybit.com/en-US/help-center/s/article/Liquidation-Price-USDT-Contract;
    OKX/Gate fee-reserving form, https://www.gate.io/help/futures/futures/27724/liquidation-price-bankruptcy-price

    >>> bankruptcy_price("long", 1.0, 50_000.0, leverage=10, profile="binance-usdm", symbol="BTCUSDT")
    45000.0
    >>> bankruptcy_price(np.array([1, -1]), 1.0, 50_000.0, leverage=50, profile="bybit-linear", symbol="BTCUSDT")
    array([49000., 51000.])
    """
    return _position_price("bankruptcy_price", side, quantity, entry_price, profile, symbol, leverage, margin)


def shock(plan: Plan, move: float, profile: ExchangeProfile | str | None = None) -> ShockResult:
    """Evaluate ``plan`` with every mark moved by ``move`` (a fraction: -0.1 = -10 %).

    >>> plan = Plan(
    ...     profile="binance-usdm",
    ...     account={"wallet_balance": 10_000.0},
    ...     positions=[{"symbol": "BTCUSDT", "side": "long", "quantity": 1.0, "entry_price": 50_000.0, "leverage": 10}],
    ... )
    >>> r = shock(plan, -0.1)
    >>> r.marks, r.liquidated
    ({'BTCUSDT': 45000.0}, [0])
    """
    return _shock(plan, profile_for(plan, profile), move=move)


def compare(plan: Plan, profile: ExchangeProfile | str | None = None, profiles: list[ExchangeProfile] | None = None) -> list[ComparisonRow]:
    """The same positions on every bundled profile (or on ``profiles``), symbols mapped by base coin.

    >>> plan = Plan(
    ...     profile="binance-usdm",
    ...     account={"wallet_balance": 10_000.0},
    ...     positions=[{"symbol": "BTCUSDT", "side": "long", "quantity": 1.0, "entry_price": 50_000.0, "leverage": 10}],
    ... )
    >>> rows = {r.profile_id: r for r in compare(plan)}
    >>> round(rows["binance-usdm"].legs[0].liquidation_price, 2), rows["binance-coinm"].legs[0].symbol
    (45180.72, 'BTCUSD_PERP')
    """
    base = profile_for(plan, profile)
    return compare_profiles(plan, base, list(bundled_profiles().values()) if profiles is None else profiles)


# ---------------------------------------------------------------------------


def _bundled(profile_id: str) -> ExchangeProfile:
    try:
        return get_profile(profile_id)
    except KeyError as exc:
        raise PlannerError([Problem("profile", str(exc.args[0]))], "planner") from None


def _side_sign(side: SideLike, source: str) -> FloatArray:
    if isinstance(side, str):
        try:
            return np.asarray(float(Side(side.strip().lower()).sign))
        except ValueError:
            raise PlannerError([Problem("side", f"must be 'long', 'short', +1 or -1 (got {side!r})")], source) from None
    s = np.asarray(side, dtype=float)
    if not np.all((s == 1.0) | (s == -1.0)):
        raise PlannerError([Problem("side", "must be 'long', 'short', +1 or -1 (every element)")], source)
    return s


def _checked(name: str, value: ArrayLike, source: str, *, allow_zero: bool = False) -> FloatArray:
    x = np.asarray(value, dtype=float)
    ok = np.isfinite(x) & ((x >= 0.0) if allow_zero else (x > 0.0))
    if not np.all(ok):
        bad = x if x.ndim == 0 else x[~ok][0]
        limit = "0 or more" if allow_zero else "more than 0"
        raise PlannerError([Problem(name, f"must be a finite number, {limit} (got {float(bad)!r})")], source)
    return x


def _position_price(
    which: str,
    side: SideLike,
    quantity: ArrayLike,
    entry_price: ArrayLike,
    profile: ExchangeProfile | str,
    symbol: str,
    leverage: ArrayLike | None,
    margin: ArrayLike | None,
) -> float | FloatArray:
    prof = profile if isinstance(profile, ExchangeProfile) else _bundled(profile)
    spec = prof.symbols.get(symbol)
    if spec is None:
        raise PlannerError(
            [Problem("symbol", f"'{symbol}' is not listed by profile '{prof.id}'; allowed: {', '.join(sorted(prof.symbols))}")], which
        )
    if leverage is not None and margin is None:
        backing = _checked("leverage", leverage, which)
    elif margin is not None and leverage is None:
        backing = _checked("margin", margin, which, allow_zero=True)
    else:
        raise PlannerError([Problem("leverage", "give either leverage or margin (exactly one)")], which)
    sign = _side_sign(side, which)
    qty = _checked("quantity", quantity, which)
    entry = _checked("entry_price", entry_price, which)
    shape = np.broadcast_shapes(sign.shape, qty.shape, entry.shape, backing.shape)
    s, n, e, b = (np.broadcast_to(a, shape).ravel() for a in (sign, qty, entry, backing))
    table = TierTable.from_spec(spec)
    q = n * spec.contract_size if table.inverse else n  # formula units: inverse = USD notional
    collateral = position_value(q, e, table.inverse) / b if leverage is not None else b
    fee = prof.fees.taker if prof.traits.close_fee_reserved else 0.0
    held_rate = position_margin_fee_rate(prof)
    if held_rate > 0.0:
        # Bybit: the position margin holds the estimated fee to close at the bankruptcy
        # price, which the margin cannot spend (planner/engine/close_fee.py).
        if leverage is not None:
            collateral = collateral + np.array(
                [default_close_fee(int(si), qi, ei, bi, table.inverse, held_rate) for si, qi, ei, bi in zip(s, q, e, b, strict=True)]
            )
        held = np.array(
            [
                bankruptcy_close_fee(int(si), qi, ei, ci, table.inverse, held_rate)
                for si, qi, ei, ci in zip(s, q, e, collateral, strict=True)
            ]
        )
        collateral = collateral - held
    if which == "liquidation_price":
        price = _liquidation_price(s, q, e, collateral, table, fee=fee, mm_basis=prof.traits.mm_price_basis)
    else:
        price = _bankruptcy_price(s, q, e, collateral, table, fee=fee)
    if shape == ():
        return float(price[0])
    return price.reshape(shape)
