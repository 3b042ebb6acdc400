"""Dated futures: time to expiry, basis, settlement and the roll into the next contract.

Model (pure, stated once and used by the evaluation, the equity curve, the
action plan, the CLI and the report):

* **Clock.** Time to expiry counts from ``plan.as_of`` (UTC); a plan without
  one uses the time of evaluation (:func:`plan_clock`), and every output names
  the clock it used.
* **Margin and liquidation** of a dated leg work like the venue's perpetual:
  the leg's tier table at the futures mark. ``basis = mark - index`` (quote per
  base unit) is shown when the plan gives the coin's index price
  (``plan.index_prices``); it does not enter any margin figure.
* **No funding**: dated futures pay none (validation refuses a funding rate
  for them, so every funding payment of a dated leg is 0).
* **Settlement** at ``expiry`` closes the leg at the *settlement price* = the
  mark carried to expiry (marks are held over the horizon, as in the funding
  curves, and the basis is taken to converge to zero by then: the index ends
  at the futures mark). Realised PnL therefore equals the uPnL at the mark;
  the settlement fee (``delivery_fee`` of the symbol, else the taker fee:
  Binance charges settlement like a taker fee; Deribit charges half the taker
  fee) is charged on the value settled.
* **Roll** (``position.roll``): the next contract (the symbol's
  ``next_contract``, else the next expiry of its delivery cycle, margined by
  the same tiers) is opened at the settlement price, same side and size,
  at ``F = S x (1 + roll_basis x T)``, ``T`` = years from this expiry to the
  next (365-day year), paying the taker fee on its value. The basis paid,
  ``s x q x (F - S)`` (linear, quote) or ``s x Q x (1/S - 1/F)`` (inverse,
  coin), is what the new contract loses converging from ``F`` to the held
  index ``S`` by its own expiry; it is charged in full at the roll (a long in
  contango pays it, a short receives it).
* **Rollover cost** = settlement fee + opening fee + basis paid (settlement
  currency; positive = the account pays). A leg that does not roll only pays
  the settlement fee and leaves the account at expiry (its margin returns to
  the wallet; its requirement ends).

Quantities: ``q`` is the engine quantity (linear: base units; inverse: USD
notional = contracts x contract size); prices in quote per base unit.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from planner.model.dated import as_utc, hours_between, next_settlement, year_fraction
from planner.model.errors import Problem
from planner.model.plan import Plan, Position
from planner.model.profile import ExchangeProfile, SymbolSpec
from planner.model.symbols import coin_key

__all__ = [
    "DatedLeg",
    "ExpiryStep",
    "dated_legs",
    "expiry_problems",
    "plan_clock",
    "roll_figures",
]


def plan_clock(plan: Plan, now: datetime | None = None) -> datetime:
    """The plan's clock: ``plan.as_of`` (UTC), else ``now`` (default: the current UTC time)."""
    if plan.as_of is not None:
        return as_utc(plan.as_of)
    return as_utc(now) if now is not None else datetime.now(UTC)


def clock_label(plan: Plan, clock: datetime) -> str:
    """One phrase naming the clock: ``as_of 2026-12-20 08:00 UTC`` or ``now (no as_of) ...``."""
    when = f"{clock:%Y-%m-%d %H:%M} UTC"
    return f"plan as_of {when}" if plan.as_of is not None else f"now {when} (the plan has no as_of)"


@dataclass(frozen=True)
class RollFigures:
    """Settlement and roll of one leg (settlement currency; positive cost = the account pays)."""

    settlement_price: float
    settlement_fee: float
    next_symbol: str | None
    next_expiry: datetime | None
    next_price: float | None
    open_fee: float
    basis_paid: float

    @property
    def rollover_cost(self) -> float:
        return self.settlement_fee + self.open_fee + self.basis_paid


def _money(x: float, ccy: str) -> str:
    """Money as every view writes it (planner.present.format.fmt_money: 2 decimals for USD coins, 6 for others)."""
    digits = 2 if ccy.upper() in ("USDT", "USDC", "USD", "") else 6
    x = 0.0 if round(x, digits) == 0 else x
    return f"{x:,.{digits}f} {ccy}"


def _value(q: float, price: float, inverse: bool) -> float:
    """Position value: linear ``q x P`` (quote); inverse ``Q / P`` (coin)."""
    return q / price if inverse else q * price


def roll_figures(
    s: int, q: float, settlement_price: float, spec: SymbolSpec, profile: ExchangeProfile, roll: bool, roll_basis: float | None
) -> RollFigures:
    """Settlement fee, and if ``roll`` the next contract's price, opening fee and basis paid.

    ``s`` +1 long / -1 short; ``q`` engine quantity (linear base units, inverse
    USD notional); ``settlement_price`` quote per base unit; ``roll_basis``
    annualised fraction (None = 0).

    Example (tests/planner/test_dated.py): Binance BTCUSDT_261225 long 1 BTC
    settling at 100,000 with taker 0.05 %, next contract 91 days later at 3.65 %
    a year: F = 100,910, fees 50 + 50.455, basis paid 910 USDT.
    """
    inverse = spec.contract.value == "inverse"
    fee_rate = spec.delivery_fee if spec.delivery_fee is not None else profile.fees.taker
    settle_fee = fee_rate * _value(q, settlement_price, inverse)
    if not roll:
        return RollFigures(settlement_price, settle_fee, None, None, None, 0.0, 0.0)
    assert spec.expiry is not None and spec.delivery in ("quarterly", "monthly")
    nxt_sym = spec.next_contract
    nxt_spec = profile.symbols.get(nxt_sym) if nxt_sym else None
    if nxt_spec is not None and nxt_spec.expiry is not None:
        nxt_expiry = nxt_spec.expiry
    else:
        nxt_sym = None
        nxt_expiry = next_settlement(spec.expiry, spec.delivery)
    years = year_fraction(hours_between(spec.expiry, nxt_expiry))
    f = settlement_price * (1.0 + (roll_basis or 0.0) * years)
    open_fee = profile.fees.taker * _value(q, f, inverse)
    basis = s * q * (1.0 / settlement_price - 1.0 / f) if inverse else s * q * (f - settlement_price)
    return RollFigures(settlement_price, settle_fee, nxt_sym, nxt_expiry, f, open_fee, basis)


@dataclass(frozen=True)
class DatedLeg:
    """Expiry figures of one dated leg (evaluation output; money in ``settle``, prices in quote).

    ``hours_to_expiry`` from the plan's clock; ``basis`` = mark - index (None
    without an index price); ``annualised_basis`` = (mark / index - 1) / years to
    expiry; ``in_horizon``: the expiry falls within the plan's horizon, so the
    equity curve settles (and rolls) the leg; ``rollover_cost`` = settlement fee
    + opening fee + basis paid if the leg rolls, else the settlement fee alone.
    """

    index: int
    symbol: str
    delivery: str
    expiry: str
    hours_to_expiry: float
    days_to_expiry: float
    mark_price: float
    index_price: float | None
    basis: float | None
    annualised_basis: float | None
    roll: bool
    roll_basis: float
    in_horizon: bool
    settle: str
    settlement_price: float
    settlement_fee: float
    next_symbol: str | None
    next_expiry: str | None
    next_price: float | None
    open_fee: float
    basis_paid: float
    rollover_cost: float

    def describe(self) -> str:
        """One line for the CLI, the action plan and the report."""
        when = f"expires {self.expiry[:16].replace('T', ' ')} UTC, in {self.days_to_expiry:,.2f} days"
        basis = "" if self.basis is None else f"; basis {self.basis:+,.2f} (mark - index)"
        if self.roll:
            nxt = self.next_symbol or f"next contract ({(self.next_expiry or '')[:10]})"
            what = (
                f"roll into {nxt} at {self.next_price:,.2f} ({self.roll_basis:+.2%} a year):"
                f" rollover cost {_money(self.rollover_cost, self.settle)}"
                f" = fees {_money(self.settlement_fee + self.open_fee, self.settle)} + basis {_money(self.basis_paid, self.settle)}"
            )
        else:
            what = f"settles at {self.settlement_price:,.2f}, no roll: settlement fee {_money(self.settlement_fee, self.settle)}"
        horizon = "" if self.in_horizon else " (after the plan's horizon)"
        return f"#{self.index + 1} {self.symbol}: {when}{horizon}{basis}; {what}"


@dataclass(frozen=True)
class ExpiryStep:
    """A settlement (and roll) on the equity-over-time curve: hour from the clock, amount the account pays."""

    hour: float
    index: int
    symbol: str
    amount: float
    rolled: bool


def _index_price(plan: Plan, pos: Position, spec: SymbolSpec) -> float | None:
    """The plan's index price for the leg's coin (keyed by the symbol's base, or its canonical coin: XBT -> BTC)."""
    wanted = {spec.base.upper(), coin_key(pos.symbol, spec.base).coin}
    for coin, price in plan.index_prices.items():
        if coin.upper() in wanted:
            return price
    return None


def dated_legs(
    plan: Plan, profile: ExchangeProfile, clock: datetime, legs: list[tuple[int, Position, SymbolSpec, int, float, float]]
) -> list[DatedLeg]:
    """Expiry figures of the dated legs among ``legs`` = (index, position, spec, side sign, engine quantity, mark)."""
    out: list[DatedLeg] = []
    for index, pos, spec, s, q, mark in legs:
        if not spec.is_dated or spec.expiry is None:
            continue
        hours = hours_between(clock, spec.expiry)
        idx = _index_price(plan, pos, spec)
        basis = mark - idx if idx is not None else None
        years = year_fraction(hours)
        ann = (mark / idx - 1.0) / years if idx is not None and years > 0 else None
        r = roll_figures(s, q, mark, spec, profile, pos.roll, pos.roll_basis)
        out.append(
            DatedLeg(
                index=index,
                symbol=pos.symbol,
                delivery=str(spec.delivery),
                expiry=spec.expiry.isoformat(),
                hours_to_expiry=hours,
                days_to_expiry=hours / 24.0,
                mark_price=mark,
                index_price=idx,
                basis=basis,
                annualised_basis=ann,
                roll=pos.roll,
                roll_basis=pos.roll_basis or 0.0,
                in_horizon=hours <= plan.horizon_hours,
                settle=spec.settle,
                settlement_price=r.settlement_price,
                settlement_fee=r.settlement_fee,
                next_symbol=r.next_symbol,
                next_expiry=r.next_expiry.isoformat() if r.next_expiry is not None else None,
                next_price=r.next_price,
                open_fee=r.open_fee,
                basis_paid=r.basis_paid,
                rollover_cost=r.rollover_cost,
            )
        )
    return out


def expiry_problems(plan: Plan, profile: ExchangeProfile, clock: datetime) -> list[Problem]:
    """Dated-leg problems: an expired contract, a roll on a perpetual, a funding rate on a dated symbol."""
    problems: list[Problem] = []
    for i, pos in enumerate(plan.positions):
        spec = profile.symbols.get(pos.symbol)
        if spec is None:
            continue
        if spec.is_dated and spec.expiry is not None and spec.expiry <= clock:
            problems.append(
                Problem(
                    f"positions.{i}.symbol",
                    f"{pos.symbol} expired {spec.expiry:%Y-%m-%d %H:%M} UTC, before the plan's clock {clock_label(plan, clock)};"
                    " choose a contract that expires later",
                )
            )
        if not spec.is_dated and (pos.roll or pos.roll_basis is not None):
            field = "roll" if pos.roll else "roll_basis"
            problems.append(Problem(f"positions.{i}.{field}", f"{pos.symbol} is a perpetual; only dated futures roll at expiry"))
    for sym in plan.funding_rates:
        spec = profile.symbols.get(sym)
        if spec is not None and spec.is_dated and plan.funding_rates[sym] != 0.0:
            problems.append(
                Problem(f"funding_rates.{sym}", f"{sym} is a dated ({spec.delivery}) future: it pays no funding; allowed: 0 or no entry")
            )
    return problems


def expiry_steps(dated: list[DatedLeg]) -> list[ExpiryStep]:
    """Settlements within the horizon, in time order: what the account pays at each (rollover cost or settlement fee)."""
    steps = [ExpiryStep(d.hours_to_expiry, d.index, d.symbol, d.rollover_cost, d.roll) for d in dated if d.in_horizon]
    return sorted(steps, key=lambda st: (st.hour, st.index))
