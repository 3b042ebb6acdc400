"""The margin-call action plan: ordered steps with the numbers filled in.

Every step carries the plan it would produce (``plan_after``, ``None`` for
advice that changes nothing) and the figures after it, computed by
re-evaluating that plan with :func:`planner.engine.evaluate.evaluate`, never by
re-deriving them. Money in the settlement currency; ratios in the exchange's
own meaning (``Evaluation.thresholds``).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field, replace

from planner.drills.scenarios import Slippage, portfolio_liquidation
from planner.engine.curves import funding_curves
from planner.engine.evaluate import (
    Evaluation,
    LegInput,
    LegResult,
    State,
    average_entry,
    evaluate,
    leg_inputs,
    leg_requirement,
    leg_upnl,
    margin_ratio,
    state_for,
    thresholds_for,
)
from planner.engine.tiers import position_value
from planner.engine.validation import plan_problems, wallet_for
from planner.model.errors import PlannerError, Problem
from planner.model.plan import MarginMode, Plan
from planner.model.profile import ExchangeProfile

HOURS_PER_YEAR = 24.0 * 365.0


@dataclass(frozen=True)
class ActionSettings:
    """User-editable knobs of the action plan (fractions)."""

    buffer: float = 0.05
    target_distance: float = 0.10
    stop_distance: float = 0.04
    gap_slippage: float = 0.02
    volatility: float = 0.6
    n_sigma: float = 3.0
    #: Room a stop-loss keeps from the liquidation price, as a fraction of the mark: a stop must trigger at least
    #: this far on the mark's side of liquidation, or the step says it is too late for a stop.
    stop_buffer: float = 0.005

    def problems(self) -> list[Problem]:
        out: list[Problem] = []
        for name, lo, hi in (
            ("buffer", 0.0, 1.0),
            ("target_distance", 0.001, 0.95),
            ("stop_distance", 0.001, 0.5),
            ("gap_slippage", 0.0, 0.5),
            ("volatility", 0.001, 20.0),
            ("n_sigma", 0.1, 10.0),
            ("stop_buffer", 0.0, 0.2),
        ):
            v = getattr(self, name)
            if not (math.isfinite(v) and lo <= v <= hi):
                out.append(Problem(f"actions.{name}", f"must be between {lo:g} and {hi:g} (got {v!r})"))
        return out


#: How the steps are ordered; the panel shows it as its tooltip and the CLI's JSON carries it.
RANKING_RULE = (
    "Steps that change the plan come first, ranked by how much they restore for what they cost. "
    "Restored: the distance to liquidation gained by the legs at risk (in the margin call, else closer than the wanted "
    "distance), in percentage points of the mark, each leg counted up to the wanted distance. "
    "Cost: fresh funds deposited plus any loss and fees realised, in the account's currency (coin amounts at the mark). "
    "Order: first the steps that take every leg at risk out of the margin call to at least the wanted distance, then "
    "those that only end the margin call, then the rest; within each group the most distance per unit of cost first "
    "(cheapest first on a tie). Then stop-losses (closest to liquidation first), then notes and audits."
)


def leg_name(index: int, symbol: str, margin_mode: str) -> str:
    """How a step names a leg: its 1-based row, symbol and margin mode ("#4 BTCUSDT isolated")."""
    return f"#{index + 1} {symbol} {margin_mode}"


def _name(r: LegResult) -> str:
    return leg_name(r.index, r.symbol, r.margin_mode)


@dataclass(frozen=True)
class ActionStep:
    """One step: what to do, why, the numbers, and the state after it.

    ``cost``: fresh funds plus realised loss and fees the step takes, in
    ``cost_currency`` (None for steps that change nothing). ``restored``: the
    distance to liquidation (fraction of the mark, capped per leg at the wanted
    distance) the legs at risk gain; negative when they lose it.
    """

    number: int
    kind: str
    title: str
    detail: str
    amount: float | None = None
    currency: str = ""
    plan_after: Plan | None = None
    liquidation_after: dict[int, float | None] = field(default_factory=dict)
    ratio_after: float | None = None
    state_after: str | None = None
    cost: float | None = None
    cost_currency: str = ""
    restored: float | None = None
    legs: tuple[int, ...] = ()


@dataclass(frozen=True)
class ActionPlan:
    trigger: str
    in_margin_call: bool
    steps: list[ActionStep]
    legs_in_call: tuple[int, ...] = ()
    ranking: str = RANKING_RULE


def _after(
    plan: Plan, profile: ExchangeProfile, marks: dict[str, float] | None
) -> tuple[dict[int, float | None], float | None, str | None, Evaluation | None]:
    try:
        ev = evaluate(plan, profile, marks=marks)
    except PlannerError:
        return {}, None, None, None
    worst = _worst(ev)
    return {l.index: l.liquidation_price for l in ev.legs}, worst[0], worst[1], ev


def _worst(ev: Evaluation) -> tuple[float | None, str]:
    """The riskiest ratio among isolated legs and the cross group, and its state."""
    conv = ev.thresholds.convention
    ratios = [(l.margin_ratio, l.state) for l in ev.legs]
    ratios.append((ev.account.margin_ratio, ev.account.state))
    order = {"liquidation": 2, "margin_call": 1, "safe": 0}
    best = max(ratios, key=lambda rs: (order[rs[1]], (rs[0] or 0.0) if conv == "mm_over_equity" else -(rs[0] or math.inf)))
    return best


def _target_equity(requirement: float, ev: Evaluation) -> float:
    """Equity that puts the ratio exactly at the margin-call threshold."""
    th = ev.thresholds
    return requirement / th.margin_call if th.convention == "mm_over_equity" else requirement * th.margin_call


def _replace_leg(plan: Plan, i: int, **update: object) -> Plan:
    positions = list(plan.positions)
    positions[i] = positions[i].model_copy(update=update)
    return plan.model_copy(update={"positions": positions})


def _with_wallet(plan: Plan, delta: float, currency: str, profile: ExchangeProfile) -> Plan:
    acc = plan.account
    if currency in acc.balances:
        return plan.model_copy(
            update={"account": acc.model_copy(update={"balances": {**acc.balances, currency: acc.balances[currency] + delta}})}
        )
    return plan.model_copy(update={"account": acc.model_copy(update={"wallet_balance": acc.wallet_balance + delta})})


def _legs_in_call(ev: Evaluation) -> list[LegResult]:
    """Legs in the margin call (or liquidation): isolated legs by their own state, cross legs by their wallet's."""
    return [r for r in ev.legs if r.state != "safe"]


def _at_risk(ev: Evaluation, target: float) -> list[int]:
    """Legs whose distance a step should restore: those in the call, else those closer than ``target``, else none."""
    called = _legs_in_call(ev)
    if called:
        return [r.index for r in called]
    return [r.index for r in ev.legs if r.distance_to_liquidation is not None and r.distance_to_liquidation < target]


def _capped_distance(r: LegResult, target: float) -> float:
    """Distance to liquidation (fraction of the mark) counted up to ``target``; 0 when liquidated, ``target`` without a price."""
    if r.state == "liquidation":
        return 0.0
    if r.distance_to_liquidation is None:
        return target
    return min(max(r.distance_to_liquidation, 0.0), target)


def _pct(fraction: float, digits: int = 2) -> str:
    text = f"{fraction * 100:,.{digits}f}"
    return ("0." + "0" * digits if float(text.replace(",", "")) == 0 else text) + " %"


def _outcome(loss: float, ccy: str, *, about: bool = False, start: bool = False) -> str:
    """How a stop's fill ends, fees included: "loses 12.00 USDT", or "keeps 12.00 USDT of profit" beyond the entry.

    ``start``: capitalised, to open a sentence.
    """
    approx = "about " if about else ""
    text = f"keeps {approx}{_money(-loss, ccy)} of profit" if loss < 0 else f"loses {approx}{_money(loss, ccy)}"
    return text[0].upper() + text[1:] if start else text


def _money(value: float, currency: str) -> str:
    digits = 2 if currency.upper() in ("USDT", "USDC", "USD", "") else 6
    text = f"{value:,.{digits}f}"
    return f"{'0.' + '0' * digits if float(text.replace(',', '')) == 0 else text} {currency}".strip()


def _leg_after_text(ev: Evaluation, indices: list[int]) -> str:
    """ "Leaves #4 BTCUSDT isolated 9.80 % from liquidation (45,000.00), safe." for the legs at risk."""
    parts = []
    for i in indices:
        r = ev.legs[i]
        if r.state == "liquidation":
            parts.append(f"{_name(r)} still liquidated")
        elif r.liquidation_price is None:
            parts.append(f"{_name(r)} with no liquidation price ({r.state.replace('_', ' ')})")
        else:
            parts.append(
                f"{_name(r)} {_pct(r.distance_to_liquidation or 0.0)} from liquidation "
                f"({r.liquidation_price:,.2f}, {r.state.replace('_', ' ')})"
            )
    return ("Leaves " + "; ".join(parts) + ".") if parts else ""


def action_plan(
    plan: Plan,
    profile: ExchangeProfile,
    *,
    marks: dict[str, float] | None = None,
    settings: ActionSettings = ActionSettings(),
    evaluation: Evaluation | None = None,
) -> ActionPlan:
    """Ordered steps for the plan at ``marks`` (what-if marks or a drill's end state).

    ``evaluation``: the caller's ``evaluate(plan, profile, marks=marks)`` of a
    plan it has already validated (the window's document has one); it is reused
    instead of evaluating the book again. Without it the plan is validated and
    evaluated here (raises :class:`PlannerError` when it cannot be).

    Steps are ordered by :data:`RANKING_RULE` and numbered in that order. Legs
    are named by :func:`leg_name`. A stop-loss step always sits between the
    mark and the liquidation price, at least ``settings.stop_buffer`` of the
    mark away from liquidation, or says it is too late for a stop. Steps that
    change nothing (funding that rounds to zero, a repeated step) are left out.

    Cost: one evaluation of the book, one per step that changes the plan (its
    figures), one per cross leg for the size audit (plus a bisection when the
    whole leg would not survive the move), and for each isolated leg a
    bisection over whole leverages on that leg alone (see
    :func:`_max_leverage_for_move`).
    """
    if settings.problems():
        raise PlannerError(settings.problems(), "actions")
    ev = evaluate(plan, profile, marks=marks) if evaluation is None else evaluation
    legs = leg_inputs(plan, profile, marks)
    traits, taker = profile.traits, profile.fees.taker
    target_d = settings.target_distance
    _worst_ratio, worst_state = _worst(ev)
    pm = ev.portfolio
    if pm is not None:  # the account's state is the portfolio requirement's, not the legs' standard one
        worst_state = _pm_worst_state(ev)
    in_call = worst_state != "safe"
    called = _legs_in_call(ev) if pm is None else [ev.legs[i] for i in portfolio_liquidation(ev)[0]]
    at_risk = _at_risk(ev, target_d)
    before = {i: _capped_distance(ev.legs[i], target_d) for i in at_risk}
    if in_call:
        what = "Liquidation" if worst_state == "liquidation" else "Margin call"
        who = ", ".join(
            f"{_name(r)} ({_pct(r.distance_to_liquidation)} from liquidation)" if r.distance_to_liquidation is not None else _name(r)
            for r in called
        )
        trigger = f"{what} on {who or 'the cross wallet'}: {ev.thresholds.describe()}"
        if pm is not None:
            hit = ", ".join(
                f"{a.currency} (portfolio MM {a.maintenance_margin:,.6g} / equity {a.equity:,.6g} = "
                + ("n/a" if a.margin_ratio is None else f"{a.margin_ratio:.2%}")
                + ")"
                for a in pm.accounts
                if a.state != "safe"
            )
            trigger = f"{what} on the portfolio-margin account {hit}: {ev.thresholds.describe()}"
    else:
        trigger = "No margin call at these marks; these are the moves to make when it comes."
    changing: list[tuple[tuple[int, float, float], ActionStep]] = []
    protective: list[tuple[float, ActionStep]] = []
    other: list[ActionStep] = []
    seen: set[tuple[str, str]] = set()
    liq_before = {r.index: r.liquidation_price for r in ev.legs}

    def value_in_account(amount: float, r: LegResult) -> float:
        """A money amount in leg ``r``'s settlement currency as account-currency value (coins at the leg's mark)."""
        return amount if r.settle == ev.account.currency else amount * r.mark_price

    def add(
        kind: str,
        title: str,
        detail: str,
        amount: float | None = None,
        currency: str = "",
        plan_after: Plan | None = None,
        *,
        leg: LegResult | None = None,
        cost: float | None = None,
        urgency: float = 0.0,
    ) -> None:
        if (kind, title) in seen:
            return  # the same advice twice says nothing new
        if pm is not None and (kind in PORTFOLIO_NOT_ALLOWED or (leg is not None and kind == "note" and leg.margin_mode == "isolated")):
            return  # portfolio margin has no per-leg (isolated) margin or leverage: the venue does not allow these steps
        seen.add((kind, title))
        legs_of = () if leg is None else (leg.index,)
        if plan_after is None:
            step = ActionStep(0, kind, title, detail, amount, currency, legs=legs_of)
            if kind == "stop_loss":
                protective.append((urgency, step))
            else:
                other.append(step)
            return
        liq, ratio, state, ev_after = _after(plan_after, profile, marks)
        restored: float | None = None
        group = 2
        if ev_after is not None:
            restored = sum(_capped_distance(ev_after.legs[i], target_d) - before[i] for i in at_risk)
            detail = f"{detail} {_leg_after_text(ev_after, at_risk)}".strip()
            risk_ok = _worst(ev_after)[1] == "safe"
            full = all(_capped_distance(ev_after.legs[i], target_d) >= target_d * (1 - 1e-6) for i in at_risk)
            group = 0 if risk_ok and full and restored > 1e-12 else 1 if risk_ok and restored > 1e-12 else 2
            if liq == liq_before and ratio == _worst(ev)[0]:
                return  # changes none of the figures that matter
            if at_risk and restored <= 1e-12:
                return  # does nothing for the legs at risk (or takes distance from them)
        c = 0.0 if cost is None else max(cost, 0.0)
        c_acc = value_in_account(c, leg) if leg is not None else c
        efficiency = (restored or 0.0) / max(c_acc, 1e-9)
        step = ActionStep(
            0, kind, title, detail, amount, currency, plan_after, liq, ratio, state,
            c, ev.account.currency if leg is None or leg.settle == ev.account.currency else leg.settle, restored, legs_of,
        )  # fmt: skip
        changing.append(((group, -efficiency, c_acc), step))

    # 1. Top-up -----------------------------------------------------------------
    if pm is not None:
        changing += [((0, 0.0, 0.0), st) for st in _portfolio_top_ups(plan, profile, marks, ev, settings.buffer)]
    for r in ev.legs:
        l = legs[r.index]
        if r.margin_mode == "isolated" and r.state != "safe":
            need = (_target_equity(float(leg_requirement(l, l.mark, traits, taker)), ev) - r.equity) * (1 + settings.buffer)
            bare = max(float(leg_requirement(l, l.mark, traits, taker)) - r.equity, 0.0)
            if need > 0:
                after = _deposit_to_leg(plan, r.index, need, r.settle, profile)
                add(
                    "top_up",
                    f"Deposit and add {_money(need, r.settle)} margin to {_name(r)} (the least that ends its margin call)",
                    f"Brings the leg's margin ratio just out of the margin-call zone with a {settings.buffer:.0%} buffer; "
                    "fresh funds, so the cross wallet is not drained "
                    f"(maintenance requirement minus equity alone is {_money(bare, r.settle)}).",
                    need,
                    r.settle,
                    after,
                    leg=r,
                    cost=need,
                )
    acc = ev.account
    cross_legs = [r for r in ev.legs if r.margin_mode == "cross" and r.settle == acc.currency]
    if cross_legs and acc.state != "safe":
        cross_req = sum(float(leg_requirement(legs[r.index], legs[r.index].mark, traits, taker)) for r in cross_legs)
        cross_eq = cross_legs[0].equity
        need = (_target_equity(cross_req, ev) - cross_eq) * (1 + settings.buffer)
        if need > 0:
            add(
                "top_up",
                f"Transfer {_money(need, acc.currency)} into the cross wallet (the least that ends its margin call)",
                f"Lifts cross equity from {cross_eq:,.2f} to {cross_eq + need:,.2f} {acc.currency} against a requirement of {cross_req:,.2f} "
                f"(threshold plus a {settings.buffer:.0%} buffer).",
                need,
                acc.currency,
                _with_wallet(plan, need, acc.currency, profile),
                cost=need,
            )
    for r in ev.legs:
        l = legs[r.index]
        target = l.mark * (1 - l.s * target_d)
        if (
            r.liquidation_price is not None
            and r.distance_to_liquidation is not None
            and r.distance_to_liquidation < target_d
            and target > 0
        ):
            margin_needed = float(leg_requirement(l, target, traits, taker) - leg_upnl(l, target))
            behind = r.collateral if r.margin_mode == "isolated" else _cross_margin(ev, r)
            delta = (margin_needed - behind) * (1 + 1e-9)
            if delta > 0:
                after = (
                    _deposit_to_leg(plan, r.index, delta, r.settle, profile)
                    if r.margin_mode == "isolated"
                    else _with_wallet(plan, delta, r.settle, profile)
                )
                add(
                    "top_up_distance",
                    f"Add {_money(delta, r.settle)} to put {_name(r)}'s liquidation {target_d:.0%} from the mark",
                    f"Moves the liquidation price from {r.liquidation_price:,.2f} to {target:,.2f}.",
                    delta,
                    r.settle,
                    after,
                    leg=r,
                    cost=delta,
                )

    # 2. Reduce exposure: losing cross legs first ----------------------------------
    losing = sorted([r for r in cross_legs if r.unrealized_pnl < 0], key=lambda r: r.unrealized_pnl)
    if acc.state != "safe":
        for r in losing:
            frac = _fraction_to_close(plan, profile, marks, r, ev)
            if frac is None:
                continue
            q_close = plan.positions[r.index].quantity * frac
            realised = r.unrealized_pnl * frac - taker * r.position_value * frac
            after = _with_wallet(
                _replace_leg(plan, r.index, quantity=plan.positions[r.index].quantity - q_close), realised, r.settle, profile
            )
            add(
                "reduce",
                f"Close {q_close:,.6g} of {_name(r)} ({frac:.0%} of the leg)",
                f"Largest unrealised loss first ({r.unrealized_pnl:,.2f} {r.settle}); realises {realised:,.2f} {r.settle} including the taker fee "
                "and brings the cross ratio back to the margin-call threshold.",
                q_close,
                r.symbol,
                after,
                leg=r,
                cost=-realised,
            )
            break
    for r in ev.legs:
        if r.margin_mode == "isolated" and r.state != "safe":
            add(
                "note",
                f"Reducing {_name(r)} does not fix its ratio",
                "Closing part of an isolated leg releases margin in proportion, so its margin ratio barely moves; add margin instead.",
                leg=r,
            )

    # 3. Lower leverage / isolate -------------------------------------------------
    for r in ev.legs:
        if r.margin_mode == "isolated" and r.leverage > 5:
            new_lev = max(1.0, math.floor(r.leverage / 2))
            extra = r.initial_margin * r.leverage / new_lev - r.collateral  # IM is on the entry value
            if extra <= 0:
                continue  # the leg already holds the lower leverage's margin: lowering it changes nothing
            after = _with_wallet(
                _replace_leg(plan, r.index, leverage=new_lev, isolated_margin=None, added_margin=0.0), extra, r.settle, profile
            )
            add(
                "lower_leverage",
                f"Lower {_name(r)} from {r.leverage:g}x to {new_lev:g}x",
                f"Needs {_money(extra, r.settle)} more margin in the leg (deposited, so the cross wallet keeps its balance).",
                new_lev,
                "x",
                after,
                leg=r,
                cost=extra,
            )
    if len(cross_legs) >= 2:
        worst_leg = min(cross_legs, key=lambda r: r.unrealized_pnl)
        im = worst_leg.initial_margin
        after = _replace_leg(plan, worst_leg.index, margin_mode=MarginMode.ISOLATED, isolated_margin=im * 2, added_margin=0.0)
        add(
            "isolate",
            f"Switch {_name(worst_leg)} to isolated with {_money(im * 2, worst_leg.settle)}",
            "Stops its losses from eating the margin of the other cross legs; the rest of the wallet no longer backs it "
            "(no fresh funds: the margin moves from the cross wallet).",
            im * 2,
            worst_leg.settle,
            after,
            leg=worst_leg,
            cost=0.0,
        )

    # 4. Stop-loss ------------------------------------------------------------------
    slip = Slippage(fixed=settings.gap_slippage)
    for r in ev.legs:
        l = legs[r.index]
        # A cross leg's liquidation price is its symbol's for the whole cross group: for a hedge leg it can lie on
        # the side where the leg gains, where it does not limit the leg's stop.
        lp = r.liquidation_price if r.liquidation_price is not None and (l.mark - r.liquidation_price) * l.s > 0 else None
        dist = r.distance_to_liquidation
        state: str = r.state
        if pm is not None:  # the account's common move to its portfolio MM, on the side where this leg loses
            lp, dist, state = _pm_leg_levels(ev, r, l.s)
        wanted = l.mark * (1 - l.s * settings.stop_distance)
        urgency = math.inf if lp is None or dist is None else dist
        if state == "liquidation":
            add(
                "stop_loss",
                f"Too late for a stop on {_name(r)}: it is past its liquidation price at this mark",
                "The exchange closes the leg before any stop; only closing it now or adding margin at once can help.",
                leg=r,
                urgency=-1.0,
            )
            continue
        limit = None if lp is None else lp + l.s * settings.stop_buffer * l.mark  # the furthest a stop may sit
        if limit is not None and (limit - l.mark) * l.s >= 0:
            add(
                "stop_loss",
                f"Too late for a stop on {_name(r)}: liquidation comes first at {lp:,.2f}",
                f"The mark {l.mark:,.2f} is only {_pct(dist or 0.0)} from liquidation, inside the "
                f"{_pct(settings.stop_buffer, 1)} buffer a stop needs to fire before it; add margin or reduce instead.",
                leg=r,
                urgency=urgency,
            )
            continue
        stop, moved = wanted, False
        if limit is not None and (wanted - limit) * l.s < 0:
            stop, moved = limit, True
        if stop <= 0:
            continue
        loss = -float(leg_upnl(l, stop)) + taker * float(position_value(l.q, stop, l.table.inverse))
        gap_fill = slip.fill_price(stop, l.s, 0.0)
        if lp is not None and (gap_fill - lp) * l.s <= 0:
            gap = f"A {settings.gap_slippage:.0%} gap past the stop would reach liquidation at {lp:,.2f} first."
        else:
            gap_loss = -float(leg_upnl(l, gap_fill)) + taker * float(position_value(l.q, gap_fill, l.table.inverse))
            gap = f"A gap can skip it: filled {settings.gap_slippage:.0%} further at {gap_fill:,.2f} it {_outcome(gap_loss, r.settle)}."
        dist = abs(stop - l.mark) / l.mark
        where = (
            f"{_pct(dist)} beyond the mark, moved in from {settings.stop_distance:.0%} to stay {_pct(settings.stop_buffer, 1)} of the mark "
            f"before liquidation at {lp:,.2f}"
            if moved and lp is not None
            else f"{settings.stop_distance:.0%} beyond the mark"
            + (
                ""
                if lp is None or abs(stop - lp) > 3 * settings.stop_distance * l.mark
                else f", {abs(stop - lp) / l.mark:.1%} of the mark before liquidation at {lp:,.2f}"
            )
        )
        add(
            "stop_loss",
            f"Stop-loss for {_name(r)} at {stop:,.2f} ({where})",
            f"{_outcome(loss, r.settle, about=True, start=True)} if filled at the stop. {gap}",
            stop,
            "price",
            leg=r,
            urgency=urgency,
        )

    # 5. Risk audit ----------------------------------------------------------------
    # Every settlement wallet with a leg (coin-margined legs pay in their coin), the profile's first.
    held = {profile.symbols[p.symbol].settle for p in plan.positions}
    for ccy in sorted(held | {profile.settle_currency}, key=lambda c: (c != profile.settle_currency, c)):
        fc = funding_curves(plan, profile, marks=marks, currency=ccy)
        paid = float(fc.funding_paid[-1]) if fc.funding_paid.size else 0.0
        digits = 2 if fc.currency in ("USDT", "USDC", "USD") else 6
        if round(abs(paid), digits) == 0 and fc.liquidation_hour is None:
            continue  # "pays 0.00": nothing to act on
        add(
            "audit_funding",
            f"Funding over {plan.horizon_hours:g} h: {'pays' if paid >= 0 else 'receives'} {abs(paid):,.{digits}f} {fc.currency}",
            "At the plan's funding rates (positive: longs pay)"
            + (
                f"; funding alone would liquidate the cross wallet after {fc.liquidation_hour:g} h."
                if fc.liquidation_hour is not None
                else "."
            ),
            paid,
            fc.currency,
        )
    # Dated futures: settlement at expiry and the cost of rolling (planner.engine.expiry states the model).
    for d in ev.dated:
        r = ev.legs[d.index]
        when = f"{d.expiry[:16].replace('T', ' ')} UTC" + ("" if d.in_horizon else ", after the horizon")
        if d.roll:
            title = f"Rollover of {_name(r)} at expiry {when}: costs {_money(d.rollover_cost, d.settle)}"
        else:
            title = f"{_name(r)} settles at expiry {when} (no roll): settlement fee {_money(d.settlement_fee, d.settle)}"
        add(
            "audit_rollover",
            title,
            f"{d.describe()}. Time to expiry counts from the {ev.clock}.",
            d.rollover_cost,
            d.settle,
            leg=r,
        )
    move = settings.n_sigma * settings.volatility * math.sqrt(plan.horizon_hours / HOURS_PER_YEAR)
    for r in ev.legs:
        head = f"{_name(r)}: a {settings.n_sigma:g}-sigma move over {plan.horizon_hours:g} h is {move:.1%}"
        if r.margin_mode == "isolated" and pm is not None:
            pass  # no leverage to choose under portfolio margin
        elif r.margin_mode == "isolated":
            ok_lev = _max_leverage_for_move(plan, profile, marks, r, move)
            add(
                "audit_size",
                head,
                (
                    f"At {settings.volatility:.0%} annual volatility, keep leverage at or below {ok_lev:g}x so that move stays short of the margin-call zone."
                    if ok_lev
                    else "Even 1x would reach the margin-call zone on that move; reduce size or add collateral."
                ),
                ok_lev,
                "x",
                leg=r,
            )
        else:
            frac = _max_size_for_move(plan, profile, marks, r, move)
            q = plan.positions[r.index].quantity * frac
            add(
                "audit_size",
                head,
                f"With this wallet, a cross position of at most {q:,.6g} ({frac:.0%} of the current size) stays short of the margin-call zone on that move.",
                q,
                r.symbol,
                leg=r,
            )
        if r.unrealized_pnl < 0:
            l = legs[r.index]
            new_entry = average_entry(l.q, l.entry, l.q, l.mark, l.table.inverse)
            doubled = _replace_leg(
                plan,
                r.index,
                quantity=plan.positions[r.index].quantity * 2,
                entry_price=new_entry,
                isolated_margin=None if (iso_margin := plan.positions[r.index].isolated_margin) is None else iso_margin * 2,
            )
            liq_after = _liquidation_after(doubled, profile, marks, r)
            add(
                "audit_average_down",
                f"Do not average down {_name(r)}",
                f"Doubling the losing leg at {l.mark:,.2f} lowers the average entry to {new_entry:,.2f} but moves liquidation from "
                f"{_fmt(r.liquidation_price)} to {_fmt(liq_after)} and doubles the exposure.",
                leg=r,
            )
    changing.sort(key=lambda ks: ks[0])  # stable: equal keys keep the order above
    protective.sort(key=lambda us: us[0])
    ordered = [s for _, s in changing] + [s for _, s in protective] + other
    steps = [replace(s, number=k + 1) for k, s in enumerate(ordered)]
    return ActionPlan(trigger, in_call, steps, tuple(r.index for r in called))


#: Step kinds a portfolio-margin account cannot take: it margins every leg together, so there is no isolated
#: margin to add to one leg, no switch of one leg to isolated and no per-leg leverage (Deribit PM: "the portfolio
#: of positions in the account are looked at together", https://support.deribit.com/hc/en-us/articles/25944756247837-Portfolio-Margin).
PORTFOLIO_NOT_ALLOWED = frozenset({"isolate", "lower_leverage", "top_up", "top_up_distance"})


def _pm_leg_levels(ev: Evaluation, r: LegResult, s: int) -> tuple[float | None, float | None, str]:
    """A leg's liquidation price, distance and state under portfolio margin: the mark moved by its account's
    common liquidation move on the side where the leg loses (None when that side has none)."""
    pm = ev.portfolio
    if pm is None:
        return r.liquidation_price, r.distance_to_liquidation, r.state
    acc = pm.accounts[0] if pm.collateral == "cross" else next((a for a in pm.accounts if a.currency == r.settle), None)
    if acc is None:
        return None, None, "safe"
    move = acc.liquidation_move_down if s > 0 else acc.liquidation_move_up
    if move is None:
        return None, None, acc.state
    return r.mark_price * (1.0 + move), abs(move), acc.state


def _pm_worst_state(ev: Evaluation) -> str:
    order = {"liquidation": 2, "margin_call": 1, "safe": 0}
    states = [a.state for a in ev.portfolio.accounts] if ev.portfolio is not None else []
    return max(states, key=lambda st: order[st], default="safe")


def _portfolio_top_ups(
    plan: Plan, profile: ExchangeProfile, marks: dict[str, float] | None, ev: Evaluation, buffer: float
) -> list[ActionStep]:
    """Deposits that bring each portfolio-margin account out of its margin call (MM / equity below the threshold).

    Segregated: into that settlement currency's wallet. Cross (USD): into the
    first stable wallet of the plan (USDC), else the profile's wallet at its price.
    """
    pm = ev.portfolio
    out: list[ActionStep] = []
    if pm is None:
        return out
    call = ev.thresholds.margin_call
    for a in pm.accounts:
        if a.state == "safe":
            continue
        need = (a.maintenance_margin / call - a.equity) * (1 + buffer)
        if need <= 0:
            continue
        ccy, amount = a.currency, need
        if a.currency == "USD":
            stable = [
                c
                for c in plan.account.balances
                if (prm := (profile.portfolio_margin and profile.portfolio_margin.currency_params(c))) and prm.stable
            ]
            if stable:
                ccy = stable[0]
            else:
                ccy = profile.settle_currency
                price = next((r.mark_price for r in ev.legs if profile.symbols[r.symbol].base == ccy), None)
                if not price:
                    continue
                amount = need / price
        after = _with_wallet(plan, amount, ccy, profile)
        state_after: str | None = None
        ratio_after: float | None = None
        try:
            ev_after = evaluate(after, profile, marks=marks)
            if ev_after.portfolio is not None:
                acc_after = next(x for x in ev_after.portfolio.accounts if x.currency == a.currency)
                state_after, ratio_after = acc_after.state, acc_after.margin_ratio
        except PlannerError:
            pass
        out.append(
            ActionStep(
                0,
                "top_up_portfolio",
                f"Transfer {_money(amount, ccy)} into the portfolio-margin account (the least that ends its margin call)",
                f"Lifts equity from {a.equity:,.2f} to {a.equity + need:,.2f} {a.currency} against a portfolio MM of "
                f"{a.maintenance_margin:,.2f} {a.currency} (worst scenario loss {a.worst_loss:,.2f} plus roll shock, x "
                f"{pm.mm_factor:g}; threshold plus a {buffer:.0%} buffer).",
                amount,
                ccy,
                after,
                {},
                ratio_after,
                state_after,
                amount,
                ccy,
            )
        )
    return out


def _fmt(p: float | None) -> str:
    return "none" if p is None else f"{p:,.2f}"


def _cross_margin(ev: Evaluation, r: LegResult) -> float:
    others = [l for l in ev.legs if l.margin_mode == "cross" and l.settle == r.settle and l.index != r.index]
    return r.collateral + sum(l.unrealized_pnl - l.maintenance_margin for l in others)


def _fraction_to_close(plan: Plan, profile: ExchangeProfile, marks: dict[str, float] | None, r: LegResult, ev: Evaluation) -> float | None:
    """Smallest fraction of leg ``r`` to close so the cross account leaves the margin-call zone (bisection).

    Closing ``frac`` of the leg realises ``frac`` of its uPnL less the taker
    fee on the closed value into the wallet. 40 halvings of [0, 1]: the answer
    is within 2**-40 of the exact boundary, above it. Each candidate is
    validated and its account state taken from :class:`_AccountProbe` (the
    evaluation's own sums without solving any liquidation price); the two
    final brackets are checked with :func:`evaluate`, and should the probe
    ever disagree, the bisection is redone with full evaluations.
    """

    def candidate(frac: float) -> Plan | None:
        q = plan.positions[r.index].quantity * (1 - frac)
        if q <= 0:
            return None
        realised = r.unrealized_pnl * frac - profile.fees.taker * r.position_value * frac
        return _with_wallet(_replace_leg(plan, r.index, quantity=q), realised, r.settle, profile)

    def safe_full(frac: float) -> bool:
        cand = candidate(frac)
        if cand is None:
            return True
        try:
            return evaluate(cand, profile, marks=marks).account.state == "safe"
        except PlannerError:
            return False

    probe = _AccountProbe(plan, profile, marks)

    def safe_fast(frac: float) -> bool:
        cand = candidate(frac)
        if cand is None:
            return True
        return not plan_problems(cand, profile) and probe.state(cand, r.index) == "safe"

    def search(safe: Callable[[float], bool]) -> tuple[float, float] | None:
        if not safe(0.999999):
            return None
        lo, hi = 0.0, 1.0
        for _ in range(40):
            mid = 0.5 * (lo + hi)
            lo, hi = (lo, mid) if safe(mid) else (mid, hi)
        return lo, hi

    found = search(safe_fast)
    if found is None:
        found = None if not safe_full(0.999999) else search(safe_full)
    elif not safe_full(found[1]) or (found[0] > 0 and safe_full(found[0])):
        found = search(safe_full)
    return None if found is None else found[1]


def _deposit_to_leg(plan: Plan, i: int, amount: float, currency: str, profile: ExchangeProfile) -> Plan:
    """Deposit ``amount`` and assign it to isolated leg ``i``."""
    bumped = _replace_leg(plan, i, added_margin=plan.positions[i].added_margin + amount)
    return _with_wallet(bumped, amount, currency, profile)


def _max_size_for_move(plan: Plan, profile: ExchangeProfile, marks: dict[str, float] | None, r: LegResult, move: float) -> float:
    """Largest fraction (0..1) of cross leg ``r`` that keeps the account safe after an adverse ``move`` (bisection).

    ``move`` is a fraction of the mark against the leg, applied to its symbol
    only. 30 halvings of [0, 1]: the answer is within 2**-30 of the exact
    boundary, below it. Candidates' account states come from
    :class:`_AccountProbe`; the answer (and the bracket above it) are checked
    with :func:`evaluate`, and should the probe ever disagree, the bisection is
    redone with full evaluations.
    """
    s = 1 if r.side == "long" else -1
    shocked = {**(marks or {}), r.symbol: r.mark_price * max(1 - s * move, 1e-9)}

    def candidate(frac: float) -> Plan:
        return _replace_leg(plan, r.index, quantity=plan.positions[r.index].quantity * frac)

    def safe_full(frac: float) -> bool:
        if frac <= 0:
            return True
        try:
            return evaluate(candidate(frac), profile, marks=shocked, validate=False).account.state == "safe"
        except PlannerError:
            return False

    probe = _AccountProbe(plan, profile, shocked)

    def safe_fast(frac: float) -> bool:
        return frac <= 0 or probe.state(candidate(frac), r.index) == "safe"

    def search(safe: Callable[[float], bool]) -> tuple[float, float]:
        if safe(1.0):
            return 1.0, 1.0
        lo, hi = 0.0, 1.0
        for _ in range(30):
            mid = 0.5 * (lo + hi)
            lo, hi = (mid, hi) if safe(mid) else (lo, mid)
        return lo, hi

    lo, hi = search(safe_fast)
    if not safe_full(lo) or (hi > lo and safe_full(hi)):
        lo, hi = search(safe_full)
    return lo


class _AccountProbe:
    """The account state of plans that differ from a base plan in one leg and the wallet, at fixed ``marks``.

    ``state(candidate, i)`` equals ``evaluate(candidate, profile,
    marks=marks, validate=False).account.state`` when ``candidate`` is the
    base plan with leg ``i`` changed (size, entry, margin) and any wallet
    balance changed: it forms the evaluation's account sums (wallet in the
    profile's settlement currency plus each leg's uPnL, an isolated leg's loss
    capped at its margin, against the summed requirement) from the same
    per-leg figures in the same order, so the ratio is the same number, but
    solves no liquidation price. The base legs' figures are computed once;
    each call computes leg ``i`` only. Its callers check their final answer
    with :func:`evaluate`.
    """

    def __init__(self, plan: Plan, profile: ExchangeProfile, marks: dict[str, float] | None) -> None:
        self.profile, self.marks = profile, marks
        self.currency = profile.settle_currency  # ``Evaluation.account``: the profile's settlement currency
        self.thresholds = thresholds_for(profile, plan)
        self.legs = leg_inputs(plan, profile, marks)
        self.upnl = [self._upnl(l) for l in self.legs]
        self.requirement = [self._requirement(l) for l in self.legs]

    def _upnl(self, leg: LegInput) -> float:
        return float(leg_upnl(leg, leg.mark))

    def _requirement(self, leg: LegInput) -> float:
        return float(leg_requirement(leg, leg.mark, self.profile.traits, self.profile.fees.taker))

    def state(self, candidate: Plan, i: int) -> State:
        """``Evaluation.account.state`` of ``candidate`` (the base plan with leg ``i`` and the wallet changed)."""
        legs = list(self.legs)
        upnl, req = list(self.upnl), list(self.requirement)
        new = leg_inputs(_leg_alone(candidate, i), self.profile, self.marks)[0]
        legs[i] = new
        upnl[i], req[i] = self._upnl(new), self._requirement(new)
        mine = [k for k, l in enumerate(legs) if l.spec.settle == self.currency]
        wallet = wallet_for(candidate, self.profile, self.currency) or 0.0
        equity = wallet + sum(upnl[k] if legs[k].cross else max(upnl[k], -legs[k].collateral) for k in mine)
        requirement = sum(req[k] for k in mine)
        return state_for(margin_ratio(equity, requirement, self.thresholds.convention), equity, self.thresholds)


def _leg_alone(plan: Plan, i: int) -> Plan:
    """``plan`` with leg ``i`` as its only leg (same account, rates, thresholds and horizon).

    An isolated leg's own figures (equity, requirement, ratio, state,
    liquidation/bankruptcy/margin-call prices) depend on nothing but the leg,
    the profile, the plan's margin-call threshold and the marks, so evaluating
    this one-leg plan gives exactly the figures the whole book's evaluation
    gives that leg, at the cost of one leg instead of all of them. Cross legs
    share the wallet: never use this for them.
    """
    return plan.model_copy(update={"positions": [plan.positions[i]]})


def _liquidation_after(plan: Plan, profile: ExchangeProfile, marks: dict[str, float] | None, r: LegResult) -> float | None:
    """Liquidation price of leg ``r.index`` in ``plan`` as :func:`_after` would report it (None if the plan is refused).

    Isolated legs: the plan is validated whole, then the leg evaluated alone
    (:func:`_leg_alone`); cross legs: the whole book is evaluated.
    """
    if r.margin_mode != "isolated":
        return _after(plan, profile, marks)[0].get(r.index)
    if plan_problems(plan, profile):
        return None
    return evaluate(_leg_alone(plan, r.index), profile, marks=marks, validate=False).legs[0].liquidation_price


def _max_leverage_for_move(plan: Plan, profile: ExchangeProfile, marks: dict[str, float] | None, r: LegResult, move: float) -> float | None:
    """Largest whole leverage at which isolated leg ``r`` stays out of the margin-call zone after an adverse ``move``.

    ``move`` is a fraction of the mark against the leg (longs: the mark falls
    by ``move``). A candidate leverage ``L`` (whole, 1 .. min(the leg's maximum
    at the mark, 200)) re-margins the leg at its initial margin, position
    value at entry / ``L`` (settlement currency), with no added margin; it
    counts when the plan with it passes validation and the leg's state at the
    moved mark is "safe". ``None`` when no candidate counts (not even 1x).

    Found by bisection over the whole leverages: about log2(cap) + 1 (8 for a
    125x cap) validations and evaluations of the leg alone (:func:`_leg_alone`)
    and one validation of the book, instead of a scan of up to 200 evaluations of the
    whole book. Tolerance: none; the answer is the same whole leverage the scan
    from the cap downwards finds, because each condition is monotone in ``L``:

    * the leg's margin (value / ``L``) falls as ``L`` rises, and with it the
      leg's equity after the move and its ratio, so "safe" holds for every
      ``L`` up to some L* and for none above;
    * the leg's own validation problems (leverage above its tier's maximum,
      margin not covering maintenance; found by validating the leg alone, as
      they do not depend on the other legs) appear only above some ``L``;
    * the remaining (account) problem, isolated margins exceeding the wallet,
      appears only below some ``L``: if the largest ``L`` passing the first two
      fails it, every smaller ``L`` fails it too.
    """
    s = 1 if r.side == "long" else -1
    shocked = {**(marks or {}), r.symbol: r.mark_price * max(1 - s * move, 1e-9)}
    cap = int(min(r.max_leverage, 200))

    def candidate(lev: int) -> Plan:
        return _replace_leg(plan, r.index, leverage=float(lev), isolated_margin=None, added_margin=0.0)

    def leg_ok(lev: int) -> bool:
        """No problem of the leg itself and safe after the move (monotone: true up to some leverage, false above).

        The leg's own problems do not depend on the other legs, so the leg is validated alone too.
        """
        alone = _leg_alone(candidate(lev), r.index)
        if any(p.path.startswith("positions.0.") for p in plan_problems(alone, profile)):
            return False
        return evaluate(alone, profile, marks=shocked, validate=False).legs[0].state == "safe"

    if cap < 1 or not leg_ok(1):
        return None
    lo, hi = 1, cap + 1  # leg_ok(lo) holds; hi is the first leverage known not to (cap + 1 is out of range)
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if leg_ok(mid):
            lo = mid
        else:
            hi = mid
    return None if plan_problems(candidate(lo), profile) else float(lo)
