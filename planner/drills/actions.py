"""The margin-call action plan: ordered steps with the numbers filled in.

Every step carries the plan it would produce (``plan_after``, ``None`` for
advice that changes nothing) and the figures after it, computed by
re-evaluating that plan with :func:`planner.engine.evaluate.evaluate`, never by
re-deriving them. Money in the settlement currency; ratios in the exchange's
own meaning (``Evaluation.thresholds``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from planner.drills.scenarios import Slippage
from planner.engine.curves import funding_curves
from planner.engine.evaluate import Evaluation, LegResult, average_entry, evaluate, leg_inputs, leg_requirement, leg_upnl
from planner.engine.tiers import position_value
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

    def problems(self) -> list[Problem]:
        out = []
        for name, lo, hi in (
            ("buffer", 0.0, 1.0),
            ("target_distance", 0.001, 0.95),
            ("stop_distance", 0.001, 0.5),
            ("gap_slippage", 0.0, 0.5),
            ("volatility", 0.001, 20.0),
            ("n_sigma", 0.1, 10.0),
        ):
            v = getattr(self, name)
            if not (math.isfinite(v) and lo <= v <= hi):
                out.append(Problem(f"actions.{name}", f"must be between {lo:g} and {hi:g} (got {v!r})"))
        return out


@dataclass(frozen=True)
class ActionStep:
    """One step: what to do, why, the numbers, and the state after it."""

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


@dataclass(frozen=True)
class ActionPlan:
    trigger: str
    in_margin_call: bool
    steps: list[ActionStep]


def _after(
    plan: Plan, profile: ExchangeProfile, marks: dict[str, float] | None
) -> tuple[dict[int, float | None], float | None, str | None]:
    try:
        ev = evaluate(plan, profile, marks=marks)
    except PlannerError:
        return {}, None, None
    worst = _worst(ev)
    return {l.index: l.liquidation_price for l in ev.legs}, worst[0], worst[1]


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


def action_plan(
    plan: Plan, profile: ExchangeProfile, *, marks: dict[str, float] | None = None, settings: ActionSettings = ActionSettings()
) -> ActionPlan:
    """Ordered steps for the plan at ``marks`` (what-if marks or a drill's end state)."""
    if settings.problems():
        raise PlannerError(settings.problems(), "actions")
    ev = evaluate(plan, profile, marks=marks)
    legs = leg_inputs(plan, profile, marks)
    traits, taker = profile.traits, profile.fees.taker
    _worst_ratio, worst_state = _worst(ev)
    in_call = worst_state != "safe"
    trigger = (
        f"{'Liquidation' if worst_state == 'liquidation' else 'Margin call'}: {ev.thresholds.describe()}"
        if in_call
        else "No margin call at these marks; these are the moves to make when it comes."
    )
    steps: list[ActionStep] = []

    def add(kind: str, title: str, detail: str, amount: float | None = None, currency: str = "", plan_after: Plan | None = None) -> None:
        liq, ratio, state = _after(plan_after, profile, marks) if plan_after is not None else ({}, None, None)
        steps.append(ActionStep(len(steps) + 1, kind, title, detail, amount, currency, plan_after, liq, ratio, state))

    # 1. Top-up -----------------------------------------------------------------
    for r in ev.legs:
        l = legs[r.index]
        if r.margin_mode == "isolated" and r.state != "safe":
            need = (_target_equity(float(leg_requirement(l, l.mark, traits, taker)), ev) - r.equity) * (1 + settings.buffer)
            bare = max(float(leg_requirement(l, l.mark, traits, taker)) - r.equity, 0.0)
            if need > 0:
                after = _deposit_to_leg(plan, r.index, need, r.settle, profile)
                add(
                    "top_up",
                    f"Deposit and add {need:,.2f} {r.settle} margin to {r.symbol}",
                    f"Brings the leg's margin ratio back out of the margin-call zone with a {settings.buffer:.0%} buffer; "
                    "fresh funds, so the cross wallet is not drained "
                    f"(maintenance requirement minus equity alone is {bare:,.2f} {r.settle}).",
                    need,
                    r.settle,
                    after,
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
                f"Transfer {need:,.2f} {acc.currency} into the cross wallet",
                f"Lifts cross equity from {cross_eq:,.2f} to {cross_eq + need:,.2f} {acc.currency} against a requirement of {cross_req:,.2f} "
                f"(threshold plus a {settings.buffer:.0%} buffer).",
                need,
                acc.currency,
                _with_wallet(plan, need, acc.currency, profile),
            )
    for r in ev.legs:
        l = legs[r.index]
        target = l.mark * (1 - l.s * settings.target_distance)
        if (
            r.liquidation_price is not None
            and r.distance_to_liquidation is not None
            and r.distance_to_liquidation < settings.target_distance
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
                    f"Add {delta:,.2f} {r.settle} to put {r.symbol}'s liquidation {settings.target_distance:.0%} from the mark",
                    f"Moves the liquidation price from {r.liquidation_price:,.2f} to {target:,.2f}.",
                    delta,
                    r.settle,
                    after,
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
                f"Close {q_close:,.6g} of {r.symbol} ({frac:.0%} of the leg)",
                f"Largest unrealised loss first ({r.unrealized_pnl:,.2f} {r.settle}); realises {realised:,.2f} {r.settle} including the taker fee "
                "and brings the cross ratio back to the margin-call threshold.",
                q_close,
                r.symbol,
                after,
            )
            break
    for r in ev.legs:
        if r.margin_mode == "isolated" and r.state != "safe":
            add(
                "note",
                f"Reducing isolated {r.symbol} does not fix its ratio",
                "Closing part of an isolated leg releases margin in proportion, so its margin ratio barely moves; add margin instead.",
            )

    # 3. Lower leverage / isolate -------------------------------------------------
    for r in ev.legs:
        if r.margin_mode == "isolated" and r.leverage > 5:
            new_lev = max(1.0, math.floor(r.leverage / 2))
            extra = max(r.initial_margin * r.leverage / new_lev - r.collateral, 0.0)  # IM is on the entry value
            after = _with_wallet(
                _replace_leg(plan, r.index, leverage=new_lev, isolated_margin=None, added_margin=0.0), extra, r.settle, profile
            )
            add(
                "lower_leverage",
                f"Once equity recovers, lower {r.symbol} from {r.leverage:g}x to {new_lev:g}x",
                f"Needs {extra:,.2f} {r.settle} more margin in the leg (deposited, so the cross wallet keeps its balance).",
                new_lev,
                "x",
                after,
            )
    if len(cross_legs) >= 2:
        worst_leg = min(cross_legs, key=lambda r: r.unrealized_pnl)
        im = worst_leg.initial_margin
        after = _replace_leg(plan, worst_leg.index, margin_mode=MarginMode.ISOLATED, isolated_margin=im * 2, added_margin=0.0)
        add(
            "isolate",
            f"Switch {worst_leg.symbol} to isolated with {im * 2:,.2f} {worst_leg.settle}",
            "Stops its losses from eating the margin of the other cross legs; the leg then has its own liquidation price (below) "
            "and the rest of the wallet no longer backs it.",
            im * 2,
            worst_leg.settle,
            after,
        )

    # 4. Stop-loss ------------------------------------------------------------------
    slip = Slippage(fixed=settings.gap_slippage)
    for r in ev.legs:
        l = legs[r.index]
        stop = l.mark * (1 - l.s * settings.stop_distance)
        loss = -float(leg_upnl(l, stop)) + taker * float(position_value(l.q, stop, l.table.inverse))
        gap_fill = slip.fill_price(stop, l.s, 0.0)
        gap_loss = -float(leg_upnl(l, gap_fill)) + taker * float(position_value(l.q, gap_fill, l.table.inverse))
        add(
            "stop_loss",
            f"Stop-loss for {r.symbol} at {stop:,.2f} ({settings.stop_distance:.0%} beyond the mark; 3-5 % is usual)",
            f"Loses about {loss:,.2f} {r.settle} if filled at the stop. A gap can skip it: filled {settings.gap_slippage:.0%} further "
            f"at {gap_fill:,.2f} it loses {gap_loss:,.2f} {r.settle}.",
            stop,
            "price",
        )

    # 5. Risk audit ----------------------------------------------------------------
    fc = funding_curves(plan, profile, marks=marks)
    paid = float(fc.funding_paid[-1]) if fc.funding_paid.size else 0.0
    add(
        "audit_funding",
        f"Funding over {plan.horizon_hours:g} h: {'pays' if paid >= 0 else 'receives'} {abs(paid):,.2f} {fc.currency}",
        "At the plan's funding rates (positive: longs pay)"
        + (
            f"; funding alone would liquidate the cross wallet after {fc.liquidation_hour:g} h." if fc.liquidation_hour is not None else "."
        ),
        paid,
        fc.currency,
    )
    move = settings.n_sigma * settings.volatility * math.sqrt(plan.horizon_hours / HOURS_PER_YEAR)
    for r in ev.legs:
        head = f"{r.symbol}: a {settings.n_sigma:g}-sigma move over {plan.horizon_hours:g} h is {move:.1%}"
        if r.margin_mode == "isolated":
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
            liq, _, _ = _after(doubled, profile, marks)
            add(
                "audit_average_down",
                f"Do not average down {r.symbol}",
                f"Doubling the losing leg at {l.mark:,.2f} lowers the average entry to {new_entry:,.2f} but moves liquidation from "
                f"{_fmt(r.liquidation_price)} to {_fmt(liq.get(r.index))} and doubles the exposure.",
            )
    return ActionPlan(trigger, in_call, steps)


def _fmt(p: float | None) -> str:
    return "none" if p is None else f"{p:,.2f}"


def _cross_margin(ev: Evaluation, r: LegResult) -> float:
    others = [l for l in ev.legs if l.margin_mode == "cross" and l.settle == r.settle and l.index != r.index]
    return r.collateral + sum(l.unrealized_pnl - l.maintenance_margin for l in others)


def _fraction_to_close(plan: Plan, profile: ExchangeProfile, marks: dict[str, float] | None, r: LegResult, ev: Evaluation) -> float | None:
    """Smallest fraction of leg ``r`` to close so the cross account leaves the margin-call zone (bisection)."""

    def safe(frac: float) -> bool:
        q = plan.positions[r.index].quantity * (1 - frac)
        if q <= 0:
            return True
        realised = r.unrealized_pnl * frac - profile.fees.taker * r.position_value * frac
        cand = _with_wallet(_replace_leg(plan, r.index, quantity=q), realised, r.settle, profile)
        try:
            return evaluate(cand, profile, marks=marks).account.state == "safe"
        except PlannerError:
            return False

    if not safe(0.999999):
        return None
    lo, hi = 0.0, 1.0
    for _ in range(40):
        mid = 0.5 * (lo + hi)
        lo, hi = (lo, mid) if safe(mid) else (mid, hi)
    return hi


def _deposit_to_leg(plan: Plan, i: int, amount: float, currency: str, profile: ExchangeProfile) -> Plan:
    """Deposit ``amount`` and assign it to isolated leg ``i``."""
    bumped = _replace_leg(plan, i, added_margin=plan.positions[i].added_margin + amount)
    return _with_wallet(bumped, amount, currency, profile)


def _max_size_for_move(plan: Plan, profile: ExchangeProfile, marks: dict[str, float] | None, r: LegResult, move: float) -> float:
    """Largest fraction (0..1) of cross leg ``r`` that keeps the account safe after an adverse ``move`` (bisection)."""
    s = 1 if r.side == "long" else -1
    shocked = {**(marks or {}), r.symbol: r.mark_price * max(1 - s * move, 1e-9)}

    def safe(frac: float) -> bool:
        if frac <= 0:
            return True
        cand = _replace_leg(plan, r.index, quantity=plan.positions[r.index].quantity * frac)
        try:
            return evaluate(cand, profile, marks=shocked, validate=False).account.state == "safe"
        except PlannerError:
            return False

    if safe(1.0):
        return 1.0
    lo, hi = 0.0, 1.0
    for _ in range(30):
        mid = 0.5 * (lo + hi)
        lo, hi = (mid, hi) if safe(mid) else (lo, mid)
    return lo


def _max_leverage_for_move(plan: Plan, profile: ExchangeProfile, marks: dict[str, float] | None, r: LegResult, move: float) -> float | None:
    """Largest whole leverage at which the leg stays out of the margin-call zone after an adverse ``move``."""
    s = 1 if r.side == "long" else -1
    shocked = {**(marks or {}), r.symbol: r.mark_price * max(1 - s * move, 1e-9)}
    best = None
    cap = int(min(r.max_leverage, 200))
    for lev in range(cap, 0, -1):
        cand = _replace_leg(plan, r.index, leverage=float(lev), isolated_margin=None, added_margin=0.0)
        try:
            state = evaluate(cand, profile, marks=shocked).legs[r.index].state
        except PlannerError:
            continue
        if state == "safe":
            best = float(lev)
            break
    return best
