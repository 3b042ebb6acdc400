"""The trader's planning tools: size from risk, Max Open, targets, a scale-in ladder and the book's payoff.

Units and signs (as everywhere in the planner): prices in quote currency per
base unit; ``quantity`` in base units for linear contracts and in contracts for
inverse ones (formula size ``Q`` = contracts x contract size, USD); money in the
symbol's settlement currency (USDT/USDC/USD for linear, the coin for inverse);
rates as fractions; side +1 long, -1 short. A *loss* is a positive number.

Size from risk
--------------
The stop fills as a taker order and the entry is a taker order too, so the
loss at the stop of formula size ``Q`` is

* linear:  ``Q * (s*(E - X) + f*(E + X))`` (quote);
* inverse: ``Q * (s*(1/X - 1/E) + f*(1/E + 1/X))`` (coin),

with ``E`` entry, ``X`` stop, ``f`` the profile's taker fee. The size is the
risk divided by that per-unit loss, so the loss at the stop equals the risk
exactly (before rounding to the contract step). PnL formulas: Binance Futures
calculator FAQ (linear) and COIN-M FAQ (inverse), quoted in
:mod:`planner.engine.evaluate`.

Isolated margin is assumed (the leg's liquidation depends on its own margin,
``value at entry / leverage``); the liquidation price comes from the same solver
:func:`planner.engine.evaluate.evaluate` uses.

Slippage assumption: profiles carry no slippage figure, so a gapped stop fills
``slippage`` (default :data:`DEFAULT_SLIPPAGE` = 0.2 %) beyond the stop price,
against the position (a long's stop at 48,000 fills at 47,904), still paying
the taker fee. Pass the slippage you expect for the venue and size.
"""

from __future__ import annotations

import math
import re
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from planner.engine.close_fee import bankruptcy_close_fee, default_close_fee
from planner.engine.evaluate import LegResult, average_entry, evaluate, leg_inputs, target_price, unrealized_pnl
from planner.engine.liquidation import price_at_level
from planner.engine.tiers import TierTable, max_leverage_at, max_value_for_leverage, position_value, tier_measure
from planner.engine.validation import _known_symbols, check_plan, formula_quantity, position_margin_fee_rate
from planner.model.arrays import ArrayLike, FloatArray
from planner.model.enums import Side
from planner.model.errors import PlannerError, Problem
from planner.model.plan import Plan
from planner.model.profile import ExchangeProfile, SymbolSpec

__all__ = [
    "DEFAULT_SLIPPAGE",
    "LadderRow",
    "Payoff",
    "SizeResult",
    "TargetRow",
    "apply_fill",
    "isolated_liquidation",
    "ladder",
    "leg_targets",
    "max_open",
    "max_safe_leverage",
    "parse_orders",
    "parse_risk",
    "payoff",
    "size_from_risk",
    "targets",
]

#: Assumed fill beyond a gapped stop, fraction of the stop price (no profile publishes one).
DEFAULT_SLIPPAGE = 0.002


def _fail(path: str, message: str, source: str = "size") -> PlannerError:
    return PlannerError([Problem(path, message)], source)


def _finite_positive(name: str, value: float, source: str = "size") -> float:
    if not isinstance(value, (int, float)) or not math.isfinite(value) or value <= 0:
        raise _fail(name, f"must be a positive finite number (got {value!r})", source)
    return float(value)


# ---------------------------------------------------------------------------
# risk
# ---------------------------------------------------------------------------

_RISK = re.compile(r"^\s*([0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?)\s*(%|[A-Za-z]{2,10})?\s*$")


def parse_risk(text: str | float, wallet: float, currency: str = "") -> float:
    """Risk as an amount in the settlement currency.

    Rule: ``"1%"`` is a percent of the wallet; a plain number up to 1 (``0.01``)
    is a fraction of the wallet; a plain number above 1 (``250``) is an amount;
    a number followed by a currency code (``0.05BTC``, ``25 USDT``) is always an
    amount (use this for coin wallets, where amounts below 1 are common).

    >>> parse_risk("1%", 10_000.0), parse_risk(0.02, 10_000.0), parse_risk("250", 10_000.0), parse_risk("0.5BTC", 3.0, "BTC")
    (100.0, 200.0, 250.0, 0.5)
    """
    if isinstance(text, (int, float)):
        num, unit = float(text), None
    else:
        m = _RISK.match(text)
        if m is None:
            raise _fail("risk", f"'{text}' is not a risk; allowed: a fraction of the wallet (0.01), a percent (1%) or an amount (250)")
        num, unit = float(m.group(1)), m.group(2)
    if not math.isfinite(num) or num <= 0:
        raise _fail("risk", f"must be positive (got {text!r})")
    if unit == "%":
        if num > 100:
            raise _fail("risk", f"{num:g}% is more than the wallet; allowed: 0 < percent <= 100")
        amount = wallet * num / 100.0
    elif unit is not None:
        if currency and unit.upper() != currency.upper():
            raise _fail("risk", f"amount is in {unit} but the wallet is in {currency}")
        amount = num
    else:
        amount = wallet * num if num <= 1.0 else num
    if amount > wallet * (1 + 1e-12):
        raise _fail("risk", f"risk {amount:,.6g} {currency} is more than the wallet {wallet:,.6g} {currency}")
    return amount


# ---------------------------------------------------------------------------
# size from risk
# ---------------------------------------------------------------------------


def loss_per_unit(s: int, entry: float, exit_price: float, fee: float, inverse: bool) -> float:
    """Loss of one formula unit closed at ``exit_price``, taker fee on entry and exit included (positive = loss).

    >>> loss_per_unit(1, 50_000.0, 49_000.0, 0.0005, inverse=False)
    1049.5
    """
    if inverse:
        return s * (1.0 / exit_price - 1.0 / entry) + fee * (1.0 / entry + 1.0 / exit_price)
    return s * (entry - exit_price) + fee * (entry + exit_price)


def isolated_liquidation(profile: ExchangeProfile, spec: SymbolSpec, s: int, q: float, entry: float, leverage: ArrayLike) -> FloatArray:
    """Liquidation price(s) of a fresh isolated leg at ``leverage`` (nan: none); vectorised over ``leverage``.

    ``q`` in formula units. The position margin and the liquidation follow
    :func:`planner.engine.evaluate.evaluate` exactly: margin = value at entry /
    leverage (plus, on Bybit, the estimated fee to close at the bankruptcy price,
    which the maintenance requirement holds too), same solver, same reserved close fee.
    """
    table = TierTable.from_spec(spec)
    lev = np.atleast_1d(np.asarray(leverage, dtype=float))
    margin = float(position_value(q, entry, table.inverse)) / lev
    fee_rate = position_margin_fee_rate(profile)
    if fee_rate > 0.0:
        margin = margin + np.array([default_close_fee(s, q, entry, float(x), table.inverse, fee_rate) for x in lev])
        held = np.array([bankruptcy_close_fee(s, q, entry, float(m), table.inverse, fee_rate) for m in margin])
        margin = margin - held
    traits = profile.traits
    fee = profile.fees.taker if traits.close_fee_reserved else 0.0
    return price_at_level(s, q, entry, margin, table, k=1.0, fee=fee, mm_basis=traits.mm_price_basis)


def _beyond(s: int, lp: float, stop: float) -> bool:
    """True when liquidation ``lp`` lies beyond the stop (the stop triggers first)."""
    return (not math.isfinite(lp)) or (lp < stop if s > 0 else lp > stop)


def max_safe_leverage(profile: ExchangeProfile, spec: SymbolSpec, s: int, q: float, entry: float, stop: float) -> float:
    """Largest leverage (unrounded, at most the tier's maximum) whose liquidation lies beyond ``stop``; 0 if none."""
    table = TierTable.from_spec(spec)
    cap = float(max_leverage_at(q, entry, table))
    if _beyond(s, float(isolated_liquidation(profile, spec, s, q, entry, cap)[0]), stop):
        return cap
    lo, hi = 1e-6, cap
    if not _beyond(s, float(isolated_liquidation(profile, spec, s, q, entry, lo)[0]), stop):
        return 0.0
    grid = np.linspace(lo, hi, 65)
    for _ in range(6):  # vectorised bisection: each pass narrows the bracket 64-fold
        ok = np.array([_beyond(s, float(p), stop) for p in isolated_liquidation(profile, spec, s, q, entry, grid)])
        i = int(np.flatnonzero(~ok)[0])
        lo, hi = float(grid[i - 1]), float(grid[i])
        grid = np.linspace(lo, hi, 65)
    return lo


def _floor_leverage(x: float) -> float:
    """A leverage a trader can type: whole above 1x, two decimals below (rounded down)."""
    if x >= 1.0:
        return float(math.floor(x + 1e-9))
    return math.floor(x * 100 + 1e-9) / 100.0


def max_open(profile: ExchangeProfile, symbol: str, price: float, wallet: float, leverage: float) -> tuple[float, float]:
    """Binance-style "Max Open": the largest size the wallet, leverage and tier table allow.

    ``value/leverage + taker * value <= wallet`` (margin plus the opening fee; on
    Bybit also the fee to close held in the position margin, taken at its
    largest, ``taker * value * (1 + 1/leverage)``) and
    the value (or size) within the largest tier that still allows ``leverage``.
    Returns ``(quantity in plan units, position value in settlement currency)``.

    >>> from planner.io.registry import get_profile
    >>> q, v = max_open(get_profile("binance-usdm"), "BTCUSDT", 50_000.0, 1_000.0, 10)
    >>> round(v, 4), round(q, 8)
    (9950.2488, 0.19900498)
    """
    spec = profile.symbols[symbol]
    table = TierTable.from_spec(spec)
    f = profile.fees.taker
    fee_rate = position_margin_fee_rate(profile)
    value_cap = wallet / (1.0 / leverage + f + fee_rate * (1.0 + 1.0 / leverage))
    bound = max_value_for_leverage(leverage, table)
    if table.size_scaled is not None:  # bound in base units
        value_cap = min(value_cap, bound * (1.0 if table.inverse else price))
    elif table.basis == "size":  # bound in formula units
        value_cap = min(value_cap, float(position_value(bound, price, table.inverse)) if math.isfinite(bound) else math.inf)
    else:
        value_cap = min(value_cap, bound)
    q = value_cap * price if table.inverse else value_cap / price
    return (q / spec.contract_size if table.inverse else q), value_cap


@dataclass(frozen=True)
class SizeResult:
    """Answer of :func:`size_from_risk` (money in ``settle``, prices in quote)."""

    profile: str
    symbol: str
    side: str
    contract: str
    settle: str
    quantity_unit: str
    entry: float
    stop: float
    wallet: float
    taker_fee: float
    risk_amount: float
    risk_fraction: float
    quantity: float
    quantity_rounded: float
    position_value: float
    leverage: float
    leverage_chosen: bool
    initial_margin: float
    position_margin: float
    entry_fee: float
    exit_fee_at_stop: float
    loss_at_stop: float
    loss_at_stop_rounded: float
    liquidation_price: float | None
    max_safe_leverage: float
    liquidation_before_gap_fill: bool
    slippage: float
    gap_fill_price: float
    loss_at_gap: float
    max_quantity: float
    max_position_value: float
    targets: list[TargetRow] = field(default_factory=list)
    target_roe_prices: dict[str, float | None] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def size_from_risk(
    profile: ExchangeProfile,
    symbol: str,
    side: Side | str,
    *,
    entry: float,
    stop: float,
    wallet: float,
    risk: float | str,
    leverage: float | None = None,
    slippage: float = DEFAULT_SLIPPAGE,
    take_profits: list[float] | None = None,
    target_roes: list[float] | None = None,
) -> SizeResult:
    """The quantity whose loss at ``stop`` (taker fee on entry and exit) equals the risk.

    ``risk``: see :func:`parse_risk`. ``leverage`` None picks the largest whole
    leverage whose liquidation lies beyond the gapped stop fill (``stop`` moved
    ``slippage`` against the position), capped by the tier table.
    Raises :class:`PlannerError` naming the field when the stop is on the wrong
    side, when liquidation would come before the stop (with the leverage to
    use), or when the wallet cannot hold the margin.

    BTC long at 50,000, stop 49,000, wallet 10,000 USDT, risk 1 %, 10x on
    Binance USD-M (taker 0.05 %): per BTC 1,000 + 25 + 24.5 = 1,049.5, so
    0.0952834683 BTC:

    >>> from planner.io.registry import get_profile
    >>> r = size_from_risk(get_profile("binance-usdm"), "BTCUSDT", "long", entry=50_000, stop=49_000, wallet=10_000, risk="1%", leverage=10)
    >>> round(r.quantity, 10), round(r.loss_at_stop, 9)
    (0.0952834683, 100.0)
    """
    spec = profile.symbols.get(symbol)
    if spec is None:
        raise _fail("symbol", f"'{symbol}' is not listed by profile '{profile.id}'; allowed: {_known_symbols(profile, symbol)}")
    try:
        sd = Side(side)
    except ValueError:
        raise _fail("side", f"must be long or short (got {side!r})") from None
    s = sd.sign
    entry = _finite_positive("entry", entry)
    stop = _finite_positive("stop", stop)
    wallet = _finite_positive("wallet", wallet)
    if not (math.isfinite(slippage) and 0.0 <= slippage < 1.0):
        raise _fail("slippage", f"must be a fraction from 0 to below 1 (got {slippage!r})")
    if s * (entry - stop) <= 0:
        where = "below" if s > 0 else "above"
        raise _fail("stop", f"a {sd.value}'s stop must be {where} the entry {entry:g} (got {stop:g})")
    amount = parse_risk(risk, wallet, spec.settle)
    table = TierTable.from_spec(spec)
    inv = table.inverse
    f = profile.fees.taker
    q = amount / loss_per_unit(s, entry, stop, f, inv)
    value = float(position_value(q, entry, inv))
    measure = float(tier_measure(q, entry, table))
    if table.size_scaled is None and math.isfinite(table.caps[-1]) and measure > table.caps[-1]:
        unit = spec.settle if table.basis == "value" else ("USD" if inv else spec.base)
        raise _fail(
            "risk",
            f"this risk needs a position of {measure:,.6g} {unit}, beyond the largest tier of {symbol} on {profile.id}"
            f" ({table.caps[-1]:,.6g} {unit}); risk less or move the stop further from the entry",
        )
    cap = float(max_leverage_at(q, entry, table))
    safe = max_safe_leverage(profile, spec, s, q, entry, stop)
    chosen = leverage is None
    gap = stop * (1.0 - s * slippage)
    if leverage is None:
        leverage = min(_floor_leverage(max_safe_leverage(profile, spec, s, q, entry, gap)), cap)
        if leverage <= 0:
            raise _fail("stop", f"the stop {stop:g} is beyond the bankruptcy price even at 1x; move the stop closer")
    else:
        leverage = _finite_positive("leverage", leverage)
        if leverage > cap + 1e-9:
            raise _fail(
                "leverage",
                f"{leverage:g}x exceeds the maximum {cap:g}x for a position value of {value:,.6g} {spec.settle}; allowed: 0 < leverage <= {cap:g}",
            )
    lp = float(isolated_liquidation(profile, spec, s, q, entry, leverage)[0])
    if not _beyond(s, lp, stop):
        use = _floor_leverage(safe)
        raise _fail(
            "leverage",
            f"at {leverage:g}x liquidation ({lp:,.6g}) comes before the stop ({stop:g}); use at most {use:g}x",
        )
    im = value / leverage
    fee_rate = position_margin_fee_rate(profile)
    held = default_close_fee(s, q, entry, leverage, inv, fee_rate) if fee_rate > 0 else 0.0
    entry_fee = f * value
    if im + held + entry_fee > wallet * (1 + 1e-12):
        need = value / max(wallet - entry_fee - held, 1e-300) if wallet > entry_fee + held else math.inf
        raise _fail(
            "wallet",
            f"margin {im + held:,.6g} + opening fee {entry_fee:,.6g} {spec.settle} exceed the wallet {wallet:,.6g}; "
            + (f"use at least {math.ceil(need * 100) / 100:g}x" if need <= safe else "risk less or move the stop closer"),
        )
    step = spec.contract_size
    qty = q / spec.contract_size if inv else q
    qty_rounded = math.floor(qty / (1.0 if inv else step) + 1e-9) * (1.0 if inv else step)
    q_rounded = qty_rounded * spec.contract_size if inv else qty_rounded
    mq, mv = max_open(profile, symbol, entry, wallet, leverage)
    tps = targets(s, entry, q, leverage, stop, take_profits or [], f, inv)
    roe_prices = {f"{r:g}": target_price(entry, s, leverage, r, inv) for r in (target_roes or [])}
    return SizeResult(
        profile=profile.id,
        symbol=symbol,
        side=sd.value,
        contract=spec.contract.value,
        settle=spec.settle,
        quantity_unit="contracts" if inv else spec.base,
        entry=entry,
        stop=stop,
        wallet=wallet,
        taker_fee=f,
        risk_amount=amount,
        risk_fraction=amount / wallet,
        quantity=qty,
        quantity_rounded=qty_rounded,
        position_value=value,
        leverage=float(leverage),
        leverage_chosen=chosen,
        initial_margin=im,
        position_margin=im + held,
        entry_fee=entry_fee,
        exit_fee_at_stop=f * float(position_value(q, stop, inv)),
        loss_at_stop=q * loss_per_unit(s, entry, stop, f, inv),
        loss_at_stop_rounded=q_rounded * loss_per_unit(s, entry, stop, f, inv),
        liquidation_price=lp if math.isfinite(lp) else None,
        max_safe_leverage=safe,
        liquidation_before_gap_fill=not _beyond(s, lp, gap),
        slippage=slippage,
        gap_fill_price=gap,
        loss_at_gap=q * loss_per_unit(s, entry, gap, f, inv),
        max_quantity=mq,
        max_position_value=mv,
        targets=tps,
        target_roe_prices=roe_prices,
    )


# ---------------------------------------------------------------------------
# targets
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class TargetRow:
    """One exit price: PnL net of taker fees on entry and exit, ROE on initial margin, reward-to-risk."""

    price: float
    kind: str
    pnl: float
    pnl_gross: float
    roe: float
    reward_risk: float | None


def targets(
    s: int, entry: float, q: float, leverage: float, stop: float | None, prices: list[float], fee: float, inverse: bool
) -> list[TargetRow]:
    """PnL, ROE and R:R at the stop and at each take-profit price (formula size ``q``).

    ``reward_risk`` = net PnL at the target / net loss at the stop (None without a stop).

    >>> rows = targets(1, 50_000.0, 1.0, 10.0, 49_000.0, [52_000.0], 0.0, inverse=False)
    >>> [(r.kind, r.pnl, r.roe, r.reward_risk) for r in rows]
    [('stop', -1000.0, -0.2, None), ('take_profit', 2000.0, 0.4, 2.0)]
    """
    im = float(position_value(q, entry, inverse)) / leverage
    risk = q * loss_per_unit(s, entry, stop, fee, inverse) if stop is not None else None
    out = []
    for kind, p in ([("stop", stop)] if stop is not None else []) + [("take_profit", float(x)) for x in prices]:
        assert p is not None
        if not (math.isfinite(p) and p > 0):
            raise _fail("take_profit", f"prices must be positive (got {p!r})", "targets")
        gross = float(unrealized_pnl(s, q, entry, p, inverse))
        net = -q * loss_per_unit(s, entry, p, fee, inverse)
        rr = None if kind == "stop" or not risk else net / risk
        out.append(TargetRow(p, kind, net, gross, net / im if im > 0 else 0.0, rr))
    return out


def leg_targets(
    plan: Plan,
    profile: ExchangeProfile,
    leg: int,
    *,
    stop: float | None,
    take_profits: list[float],
    target_roes: tuple[float, ...] | list[float] = (),
) -> tuple[list[TargetRow], dict[str, float | None]]:
    """Targets of plan leg ``leg`` (0-based): rows at the stop and take-profits, and the price for each target ROE."""
    if not 0 <= leg < len(plan.positions):
        raise _fail("leg", f"must be 1 to {len(plan.positions)} (got {leg + 1})", "targets")
    pos = plan.positions[leg]
    spec = profile.symbols[pos.symbol]
    inv = TierTable.from_spec(spec).inverse
    s = pos.side.sign
    if stop is not None and s * (pos.entry_price - stop) <= 0:
        raise _fail("stop", f"a {pos.side.value}'s stop must be on the losing side of the entry {pos.entry_price:g}", "targets")
    rows = targets(s, pos.entry_price, formula_quantity(pos, spec), pos.leverage, stop, take_profits, profile.fees.taker, inv)
    return rows, {f"{r:g}": target_price(pos.entry_price, s, pos.leverage, r, inv) for r in target_roes}


# ---------------------------------------------------------------------------
# scale-in ladder
# ---------------------------------------------------------------------------


def parse_orders(text: str, source: str = "--orders") -> list[tuple[float, float]]:
    """``"48000:0.1,47000:0.2"`` -> ``[(48000.0, 0.1), (47000.0, 0.2)]`` (price, quantity in plan units)."""
    out = []
    items = [t for t in text.split(",") if t.strip()]
    if not items:
        raise _fail(source, "give at least one order as PRICE:QTY (e.g. 48000:0.1,47000:0.2)", "ladder")
    for i, item in enumerate(items, start=1):
        parts = item.split(":")
        try:
            if len(parts) != 2:
                raise ValueError
            price, qty = float(parts[0]), float(parts[1])
        except ValueError:
            raise _fail(source, f"order {i} '{item.strip()}' is not PRICE:QTY (e.g. 48000:0.1)", "ladder") from None
        if not (math.isfinite(price) and price > 0 and math.isfinite(qty) and qty > 0):
            raise _fail(source, f"order {i} '{item.strip()}': price and quantity must be positive numbers", "ladder")
        out.append((price, qty))
    return out


def apply_fill(plan: Plan, profile: ExchangeProfile, leg: int, price: float, quantity: float, *, mark_at_fill: bool = True) -> Plan:
    """``plan`` with ``quantity`` (plan units) bought/sold at ``price`` added to leg ``leg`` (0-based).

    The entry becomes the size-weighted (inverse: harmonic) average; an
    assigned isolated margin grows by the fill's initial margin (value at the
    fill / leverage); with ``mark_at_fill`` the mark moves to the fill price
    (the market is there when the order fills), on every leg of the symbol
    that gives a mark (a plan has one mark per symbol).
    """
    pos = plan.positions[leg]
    spec = profile.symbols[pos.symbol]
    inv = TierTable.from_spec(spec).inverse
    new_entry = average_entry(pos.quantity, pos.entry_price, quantity, price, inv)
    update: dict[str, Any] = {"quantity": pos.quantity + quantity, "entry_price": new_entry}
    if pos.isolated_margin is not None:
        fill_q = quantity * spec.contract_size if inv else quantity
        update["isolated_margin"] = pos.isolated_margin + float(position_value(fill_q, price, inv)) / pos.leverage
    if mark_at_fill:
        update["mark_price"] = price
    positions = list(plan.positions)
    positions[leg] = pos.model_copy(update=update)
    if mark_at_fill:
        for i, other in enumerate(positions):
            if i != leg and other.symbol == pos.symbol and other.mark_price is not None:
                positions[i] = other.model_copy(update={"mark_price": price})
    return plan.model_copy(update={"positions": positions})


@dataclass(frozen=True)
class LadderRow:
    """The leg after fill ``fill`` (0 = before any order)."""

    fill: int
    price: float | None
    quantity_added: float
    quantity: float
    average_entry: float
    liquidation_price: float | None
    initial_margin: float
    maintenance_margin: float
    margin_ratio: float | None
    state: str


def _row(i: int, price: float | None, added: float, leg: LegResult) -> LadderRow:
    return LadderRow(
        i,
        price,
        added,
        leg.quantity,
        leg.entry_price,
        leg.liquidation_price,
        leg.initial_margin,
        leg.maintenance_margin,
        leg.margin_ratio,
        leg.state,
    )


def ladder(
    plan: Plan, profile: ExchangeProfile, leg: int, orders: list[tuple[float, float]], *, mark_at_fill: bool = True
) -> tuple[list[LadderRow], Plan]:
    """Rows before and after each fill (each row is :func:`evaluate` of the plan with the fills so far), and the final plan.

    Raises :class:`PlannerError` naming the order when a fill makes the plan
    invalid (leverage above the tier's maximum, isolated margins beyond the wallet).
    """
    if not 0 <= leg < len(plan.positions):
        raise _fail("--leg", f"must be 1 to {len(plan.positions)} (got {leg + 1})", "ladder")
    check_plan(plan, profile)
    rows = [_row(0, None, 0.0, evaluate(plan, profile, validate=False).legs[leg])]
    current = plan
    for i, (price, qty) in enumerate(orders, start=1):
        current = apply_fill(current, profile, leg, price, qty, mark_at_fill=mark_at_fill)
        try:
            ev = evaluate(current, profile)
        except PlannerError as exc:
            raise PlannerError([Problem(f"order {i} ({price:g}:{qty:g})", str(p)) for p in exc.problems], "ladder") from None
        rows.append(_row(i, price, qty, ev.legs[leg]))
    return rows, current


# ---------------------------------------------------------------------------
# payoff
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Payoff:
    """The book's PnL against the chosen coin's price (arrays over ``prices``).

    ``pnl_legs`` (legs x grid) and ``pnl`` in quote currency (USD/USDT/USDC:
    a coin-settled leg's PnL is converted at its own price on the grid);
    ``pnl_capped`` floors each isolated leg's loss at its margin (it is
    liquidated there). ``liquidation_on_axis`` is the chosen coin's price at
    which each leg's own price reaches its liquidation price (None: never).
    """

    symbol: str
    prices: FloatArray
    pnl: FloatArray
    pnl_capped: FloatArray
    pnl_legs: FloatArray
    liquidation_on_axis: list[float | None]
    currency: str


def payoff(
    plan: Plan,
    profile: ExchangeProfile,
    symbol: str,
    prices: FloatArray | None = None,
    *,
    beta: float | dict[str, float] = 1.0,
    n: int = 201,
    span: float = 0.3,
) -> Payoff:
    """PnL of every leg when ``symbol`` trades at each price of ``prices``.

    Another symbol ``j`` moves by ``beta_j`` in log terms:
    ``P_j = mark_j * (P / mark_symbol) ** beta_j`` (beta 1: the same percent move;
    0: it stays put). Default grid: ``n`` prices within +/- ``span`` of the mark.
    Pure function: no state, arrays out.

    >>> from planner.io.registry import get_profile
    >>> plan = Plan(profile="binance-usdm", account={"wallet_balance": 10_000.0},
    ...     positions=[{"symbol": "BTCUSDT", "side": "long", "quantity": 1.0, "entry_price": 50_000.0, "leverage": 10}])
    >>> po = payoff(plan, get_profile("binance-usdm"), "BTCUSDT", np.array([45_000.0, 55_000.0]))
    >>> po.pnl.round(6).tolist(), round(po.liquidation_on_axis[0], 4)
    ([-5000.0, 5000.0], 45180.7229)
    """
    legs = leg_inputs(plan, profile)
    if not legs:
        raise _fail("positions", "the plan has no positions", "payoff")
    marks = {l.pos.symbol: l.mark for l in legs}
    if symbol not in marks:
        raise _fail("symbol", f"'{symbol}' is not in the plan; allowed: {', '.join(sorted(marks))}", "payoff")
    m0 = marks[symbol]
    grid = m0 * np.linspace(1 - span, 1 + span, n) if prices is None else np.asarray(prices, dtype=float)
    if grid.ndim != 1 or not np.all(np.isfinite(grid)) or np.any(grid <= 0):
        raise _fail("prices", "must be a 1-D array of positive prices", "payoff")
    ev = evaluate(plan, profile)

    def beta_of(sym: str) -> float:
        if sym == symbol:
            return 1.0
        b = beta.get(sym, 1.0) if isinstance(beta, dict) else beta
        if not math.isfinite(b):
            raise _fail(f"beta.{sym}", f"must be a finite number (got {b!r})", "payoff")
        return float(b)

    rows, capped, liq_axis = [], [], []
    for l in legs:
        b = beta_of(l.pos.symbol)
        p = l.mark * (grid / m0) ** b
        pnl = np.asarray(unrealized_pnl(l.s, l.q, l.entry, p, l.table.inverse), dtype=float)
        conv = p if l.table.inverse else 1.0
        rows.append(pnl * conv)
        capped.append((pnl if l.cross else np.maximum(pnl, -l.collateral)) * conv)
        lp = ev.legs[l.index].liquidation_price
        liq_axis.append(m0 * (lp / l.mark) ** (1.0 / b) if lp is not None and b != 0 else None)
    legs_arr = np.vstack(rows)
    return Payoff(symbol, grid, legs_arr.sum(axis=0), np.vstack(capped).sum(axis=0), legs_arr, liq_axis, "quote")
