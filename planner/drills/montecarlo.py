"""Probability of liquidation over a horizon: Monte Carlo and a closed-form check.

Price model (per leg, in log space): geometric Brownian motion with Merton
jumps, legs correlated through one common factor::

    d ln S = (mu - sigma^2/2) dt + sigma (sqrt(rho) dF + sqrt(1-rho) dW) + J dN

``mu``, ``sigma`` are annualised (fractions), time in hours; ``J ~ N(jump_mean,
jump_std)`` log-jumps arriving at ``jump_intensity`` per year.

* One leg (isolated, or cross alone): liquidation is the first time the mark
  crosses the leg's liquidation price. Paths are monitored at each step *and*
  between steps with the Brownian-bridge crossing probability
  ``exp(-2 ln(S_i/b) ln(S_i+1/b) / (sigma^2 dt))``, so coarse steps are unbiased;
  the estimate uses the conditional hit probability (lower variance).
* Several legs: the cross account is liquidated when its equity falls below
  its requirement at a monitoring step (all legs re-valued together). One
  price path per symbol: legs of a symbol share its mark and move together.

Simulation runs in chunks of paths so peak memory stays bounded whatever the
path count; ``progress(fraction) -> bool`` is called after each chunk and
returning False cancels (``cancelled=True`` in the result).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

import numpy as np

from planner.drills.marks import plan_at_marks
from planner.engine.evaluate import Evaluation, cross_wallet, evaluate, leg_inputs, leg_requirement, leg_upnl
from planner.engine.expiry import clock_label, plan_clock
from planner.engine.portfolio_margin import portfolio_surplus
from planner.model.dated import hours_between
from planner.model.errors import PlannerError, Problem
from planner.model.plan import Plan
from planner.model.profile import ExchangeProfile

if TYPE_CHECKING:  # annotations only
    from planner.engine.evaluate import LegInput
    from planner.model.profile import RuleTraits

HOURS_PER_YEAR = 24.0 * 365.0
#: Smallest annual volatility a drill accepts (0.1 % a year); below it the
#: diffusion terms divide by numbers that underflow.
MIN_VOLATILITY = 1e-3
MAX_VOLATILITY = 20.0

Progress = Callable[[float], bool]


@dataclass(frozen=True)
class MarketModel:
    """Price dynamics for a drill (annualised rates, fractions)."""

    volatility: float = 0.6
    drift: float = 0.0
    jump_intensity: float = 0.0
    jump_mean: float = 0.0
    jump_std: float = 0.0
    correlation: float = 0.8

    def problems(self) -> list[Problem]:
        out = []
        if not (math.isfinite(self.volatility) and MIN_VOLATILITY <= self.volatility <= MAX_VOLATILITY):
            out.append(Problem("volatility", f"must be between 0.001 (0.1 % a year) and 20 (2,000 % a year); got {self.volatility!r}"))
        if not (math.isfinite(self.drift) and abs(self.drift) <= 50.0):
            out.append(Problem("drift", f"must be between -50 and 50 per year; got {self.drift!r}"))
        if not (math.isfinite(self.jump_intensity) and 0.0 <= self.jump_intensity <= 1e5):
            out.append(Problem("jump_intensity", f"must be between 0 and 100,000 jumps a year; got {self.jump_intensity!r}"))
        if not (math.isfinite(self.jump_mean) and abs(self.jump_mean) <= 5.0):
            out.append(Problem("jump_mean", f"must be a log-jump between -5 and 5; got {self.jump_mean!r}"))
        if not (math.isfinite(self.jump_std) and 0.0 <= self.jump_std <= 5.0):
            out.append(Problem("jump_std", f"must be between 0 and 5; got {self.jump_std!r}"))
        if not (math.isfinite(self.correlation) and 0.0 <= self.correlation <= 1.0):
            out.append(Problem("correlation", f"must be between 0 and 1; got {self.correlation!r}"))
        return out


@dataclass(frozen=True)
class McResult:
    """Liquidation probability estimate with its 95 % half-width (fractions).

    ``already_liquidated`` lists the legs (0-based) that are past liquidation at
    the starting marks: they get no probability (they are not in ``per_leg``) and
    ``probability`` covers the other legs only (0 with ``paths`` 0 when none is left).
    """

    probability: float
    half_width: float
    paths: int
    steps: int
    horizon_hours: float
    seed: int
    per_leg: dict[int, float] = field(default_factory=dict)
    closed_form: float | None = None
    cancelled: bool = False
    already_liquidated: tuple[int, ...] = ()
    #: stated simplifications, e.g. a dated leg whose expiry falls inside the horizon
    notes: tuple[str, ...] = ()


def _norm_cdf(x: float) -> float:
    return 0.5 * math.erfc(-x / math.sqrt(2.0))


def barrier_hit_probability(spot: float, barrier: float, volatility: float, drift: float, horizon_years: float) -> float:
    """P(GBM touches ``barrier`` within the horizon), no jumps (reflection principle).

    ``nu = drift - sigma^2/2``; for a barrier below spot
    ``P = N((ln(b/S) - nu T)/(sigma sqrt T)) + (b/S)^(2 nu / sigma^2) N((ln(b/S) + nu T)/(sigma sqrt T))``,
    mirrored for a barrier above: the first-passage law of Brownian motion with
    drift (https://en.wikipedia.org/wiki/Inverse_Gaussian_distribution, section
    "Relationship with Brownian motion"; reflection principle,
    https://en.wikipedia.org/wiki/Reflection_principle_(Wiener_process)).

    A 10 % drop within a day at 50 % volatility is rare; within a month at 80 %, likely:

    >>> round(barrier_hit_probability(100.0, 90.0, 0.5, 0.0, 1/365), 5)
    6e-05
    >>> round(barrier_hit_probability(100.0, 90.0, 0.8, 0.0, 30/365), 4)
    0.6796
    """
    if not (barrier > 0 and spot > 0) or barrier / spot <= 1e-300 or spot / barrier <= 1e-300:
        return 0.0
    T, sig = horizon_years, volatility
    nu = drift - 0.5 * sig * sig
    k = math.log(barrier / spot)
    srt = sig * math.sqrt(T)
    power: float = (barrier / spot) ** (2.0 * nu / (sig * sig))
    if barrier < spot:
        return min(1.0, _norm_cdf((k - nu * T) / srt) + power * _norm_cdf((k + nu * T) / srt))
    return min(1.0, _norm_cdf((-k + nu * T) / srt) + power * _norm_cdf((-k - nu * T) / srt))


def _increments(
    rng: np.random.Generator,
    n_paths: int,
    n_legs: int,
    steps: int,
    dt_years: float,
    model: MarketModel,
    dtype: type[np.float32] | type[np.float64] = np.float64,
) -> np.ndarray:
    """Log-price increments, shape (legs, paths, steps)."""
    sig = model.volatility
    nu_dt = (model.drift - 0.5 * sig * sig) * dt_years
    sd = sig * math.sqrt(dt_years)
    if n_legs == 1:
        z = rng.standard_normal((1, n_paths, steps), dtype=dtype)
    else:
        common = rng.standard_normal((1, n_paths, steps), dtype=dtype)
        z = rng.standard_normal((n_legs, n_paths, steps), dtype=dtype)
        rho = model.correlation
        # In place (one array of legs x paths x steps, no temporaries of that size):
        # the same numbers as sqrt(rho) * common + sqrt(1 - rho) * own.
        z *= math.sqrt(1.0 - rho)
        z += math.sqrt(rho) * common
    z *= dtype(sd)
    z += dtype(nu_dt)
    if model.jump_intensity > 0.0:
        lam = model.jump_intensity * dt_years * steps
        counts = rng.poisson(lam, size=n_paths)
        total = int(counts.sum())
        if total:
            paths = np.repeat(np.arange(n_paths), counts)
            at = rng.integers(0, steps, size=total)
            sizes = rng.normal(model.jump_mean, model.jump_std, size=total) if model.jump_std > 0 else np.full(total, model.jump_mean)
            sizes = sizes.astype(dtype)
            # A market-wide jump moves every leg (the common factor).
            for leg in range(n_legs):
                np.add.at(z[leg], (paths, at), sizes)
    return z


def single_barrier_mc(
    spot: float,
    barrier: float,
    *,
    model: MarketModel,
    horizon_hours: float,
    steps: int,
    paths: int,
    seed: int,
    chunk: int = 8192,
    progress: Progress | None = None,
    bridge: bool = True,
) -> tuple[float, float, int, bool]:
    """P(one price touches ``barrier``) by simulation; returns (p, half_width, paths_done, cancelled)."""
    rng = np.random.Generator(np.random.PCG64(seed))
    dt = horizon_hours / HOURS_PER_YEAR / steps
    lb = math.log(barrier / spot)
    down = barrier < spot
    var_dt = model.volatility**2 * dt
    total = 0.0
    total_sq = 0.0
    done = 0
    while done < paths:
        n = min(chunk, paths - done)
        x = _increments(rng, n, 1, steps, dt, model, dtype=np.float32)[0]
        np.cumsum(x, axis=1, out=x)
        d = (x - np.float32(lb)) if down else (np.float32(lb) - x)  # distance to the barrier, > 0 = safe
        hit = d.min(axis=1) <= 0.0
        p_path = hit.astype(float)
        if bridge:
            # Only step pairs within a few standard deviations of the barrier can
            # cross unseen; elsewhere exp(-2 d_i d_i+1 / (sigma^2 dt)) is below 1e-13.
            prod = np.empty_like(d)
            prod[:, 0] = d[:, 0] * np.float32(-lb if down else lb)
            np.multiply(d[:, 1:], d[:, :-1], out=prod[:, 1:])
            rows, cols = np.nonzero((prod > 0) & (prod < np.float32(15.0 * var_dt)))
            if rows.size:
                with np.errstate(under="ignore"):
                    log_surv = np.log1p(-np.exp(-2.0 * prod[rows, cols].astype(float) / var_dt))
                surv = np.zeros(n)
                np.add.at(surv, rows, log_surv)
                p_path = np.where(hit, 1.0, 1.0 - np.exp(surv))
        total += float(p_path.sum())
        total_sq += float((p_path * p_path).sum())
        done += n
        if progress is not None and not progress(done / paths):
            return (*_estimate(total, total_sq, done), done, True)
    return (*_estimate(total, total_sq, done), done, False)


def _estimate(total: float, total_sq: float, n: int) -> tuple[float, float]:
    if n == 0:
        return 0.0, 1.0
    mean = total / n
    var = max(total_sq / n - mean * mean, 0.0)
    return mean, 1.96 * math.sqrt(var / n) if n > 1 else 1.0


#: Most leg x path x step price points a non-interactive run simulates (10 to 20
#: seconds on one core); the window's runs are cancellable instead.
MAX_WORK = 200_000_000


def default_steps(horizon_hours: float) -> int:
    """Monitoring steps over a horizon: four an hour, from 24 to 1,440."""
    return max(24, min(1440, round(horizon_hours * 4)))


def work_problem(n_legs: int, paths: int, horizon_hours: float, steps: int | None = None) -> Problem | None:
    """A problem when ``legs x paths x steps`` exceeds :data:`MAX_WORK`, naming the largest path count allowed."""
    per_path = max(1, n_legs) * (steps if steps is not None else default_steps(horizon_hours))
    if paths * per_path <= MAX_WORK:
        return None
    allowed = max(1, MAX_WORK // per_path)
    return Problem(
        "paths",
        f"{paths:,} paths x {n_legs} legs x {per_path // max(1, n_legs)} steps is too much work for one run; "
        f"use at most {allowed:,} paths for this plan",
    )


def _check(paths: int, steps: int, horizon_hours: float, model: MarketModel) -> None:
    problems = model.problems()
    if not isinstance(paths, int) or paths < 1 or paths > 10_000_000:
        problems.append(Problem("paths", f"must be a whole number from 1 to 10,000,000; got {paths!r}"))
    if not isinstance(steps, int) or steps < 1 or steps > 100_000:
        problems.append(Problem("steps", f"must be a whole number from 1 to 100,000; got {steps!r}"))
    if not (math.isfinite(horizon_hours) and 1.0 / 60.0 - 1e-12 <= horizon_hours <= 24 * 366):
        problems.append(Problem("horizon_hours", f"must be between 1/60 (one minute) and 8,784 hours; got {horizon_hours!r}"))
    if problems:
        raise PlannerError(problems, "drill")


def liquidation_probability(
    plan: Plan,
    profile: ExchangeProfile,
    *,
    model: MarketModel,
    horizon_hours: float,
    paths: int = 100_000,
    steps: int | None = None,
    seed: int = 1,
    target_half_width: float | None = None,
    chunk: int = 8192,
    progress: Progress | None = None,
    marks: dict[str, float] | None = None,
) -> McResult:
    """Probability that the plan is (partly) liquidated within ``horizon_hours``.

    ``marks`` (symbol -> price in quote currency, e.g. the what-if marks on screen)
    are where the paths start. A leg already liquidated at those marks is
    reported in ``already_liquidated`` and left out of the simulation (a cross
    account in liquidation takes all its legs with it).

    For a plan whose only exposure is one leg (or one isolated leg per symbol
    and nothing cross) each leg's barrier is its liquidation price and the
    bridge correction applies; the result is the probability that any leg is
    liquidated (legs simulated with the common factor). A cross account is
    monitored at every step. ``target_half_width`` stops early once the 95 %
    interval is that tight (fraction, e.g. 0.005 for +/-0.5 pp).

    Dated futures: the simulation has no funding for any leg and keeps a dated
    leg open to the horizon even when its expiry falls inside it; ``notes``
    says so for each such leg (a rolled leg continues in the next contract on
    the same price, so only the rollover cost is missing; a leg that settles
    would leave the book, so its probability after expiry is overstated).
    """
    result = _liquidation_probability(plan, profile, model, horizon_hours, paths, steps, seed, target_half_width, chunk, progress, marks)
    notes = expiry_notes(plan, profile, horizon_hours)
    return replace(result, notes=notes) if notes else result


def expiry_notes(plan: Plan, profile: ExchangeProfile, horizon_hours: float) -> tuple[str, ...]:
    """One sentence per dated leg whose expiry (from the plan's clock) falls within ``horizon_hours``."""
    out: list[str] = []
    clock = plan_clock(plan)
    for i, pos in enumerate(plan.positions):
        spec = profile.symbols.get(pos.symbol)
        if spec is None or not spec.is_dated or spec.expiry is None:
            continue
        hour = hours_between(clock, spec.expiry)
        if 0.0 < hour <= horizon_hours:
            fate = "rolls into the next contract (its rollover cost is not charged here)" if pos.roll else "settles and leaves the book"
            out.append(
                f"leg #{i + 1} {pos.symbol} expires after {hour:,.1f} h ({clock_label(plan, clock)}) and {fate};"
                " the simulation keeps it open to the horizon"
            )
    return tuple(out)


def _liquidation_probability(
    plan: Plan,
    profile: ExchangeProfile,
    model: MarketModel,
    horizon_hours: float,
    paths: int,
    steps: int | None,
    seed: int,
    target_half_width: float | None,
    chunk: int,
    progress: Progress | None,
    marks: dict[str, float] | None,
) -> McResult:
    steps = steps if steps is not None else default_steps(horizon_hours)
    _check(paths, steps, horizon_hours, model)
    if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed < 2**63:
        raise PlannerError([Problem("seed", f"must be a whole number from 0 to 2^63 - 1 (got {seed!r})")], "drill")
    plan = plan_at_marks(plan, marks)
    ev = evaluate(plan, profile)
    gone = tuple(l.index for l in ev.legs if l.state == "liquidation")
    if ev.portfolio is not None:  # a portfolio-margin account: its legs go when the account is past its PM MM
        down = {a.currency for a in ev.portfolio.accounts if a.state == "liquidation"}
        cross_pm = ev.portfolio.collateral == "cross"
        gone = tuple(l.index for l in ev.legs if (cross_pm and down) or l.settle in down)
    if gone:
        keep = [i for i in range(len(plan.positions)) if i not in gone]
        if not keep:
            return McResult(0.0, 0.0, 0, steps, horizon_hours, seed, {}, None, False, gone)
        rest = plan.model_copy(update={"positions": [plan.positions[i] for i in keep]})
        r = liquidation_probability(
            rest,
            profile,
            model=model,
            horizon_hours=horizon_hours,
            paths=paths,
            steps=steps,
            seed=seed,
            target_half_width=target_half_width,
            chunk=chunk,
            progress=progress,
        )
        return replace(
            r,
            per_leg={keep[j]: p for j, p in r.per_leg.items()},
            already_liquidated=tuple(sorted(gone + tuple(keep[j] for j in r.already_liquidated))),
        )
    legs = leg_inputs(plan, profile)
    if not legs:
        raise PlannerError([Problem("positions", "the plan has no positions to drill")], "drill")
    closed = None
    if ev.portfolio is not None:
        return _portfolio_legs(plan, profile, model, horizon_hours, steps, paths, seed, chunk, progress, target_half_width)
    if len(legs) == 1:
        l, lp = legs[0], ev.legs[0].liquidation_price
        if lp is None or not (lp / l.mark > 1e-300 and l.mark / lp > 1e-300):  # no reachable barrier
            return McResult(0.0, 0.0, 0, steps, horizon_hours, seed, {0: 0.0}, 0.0)
        if model.jump_intensity == 0.0:
            closed = barrier_hit_probability(l.mark, lp, model.volatility, model.drift, horizon_hours / HOURS_PER_YEAR)
        p, hw, done, cancelled = _single_adaptive(l.mark, lp, model, horizon_hours, steps, paths, seed, chunk, progress, target_half_width)
        return McResult(p, hw, done, steps, horizon_hours, seed, {0: p}, closed, cancelled)
    return _multi_leg(plan, profile, ev, model, horizon_hours, steps, paths, seed, chunk, progress, target_half_width)


def _single_adaptive(
    spot: float,
    barrier: float,
    model: MarketModel,
    horizon_hours: float,
    steps: int,
    paths: int,
    seed: int,
    chunk: int,
    progress: Progress | None,
    target: float | None,
) -> tuple[float, float, int, bool]:
    if target is None:
        return single_barrier_mc(
            spot, barrier, model=model, horizon_hours=horizon_hours, steps=steps, paths=paths, seed=seed, chunk=chunk, progress=progress
        )
    # Grow the sample until the interval is tight enough (or paths are used up).
    n = min(paths, 4 * chunk)
    while True:
        p, hw, done, cancelled = single_barrier_mc(
            spot, barrier, model=model, horizon_hours=horizon_hours, steps=steps, paths=n, seed=seed, chunk=chunk, progress=progress
        )
        if cancelled or hw <= target or n >= paths:
            return p, hw, done, cancelled
        n = min(paths, n * 2)


def _leg_margin(leg: LegInput, price: float, traits: RuleTraits, taker: float) -> float:
    """uPnL less requirement of one leg at one price (settlement currency)."""
    return float(leg_upnl(leg, price) - leg_requirement(leg, price, traits, taker))


def _affine_margin(leg: LegInput, lo: float, hi: float, traits: RuleTraits, taker: float) -> tuple[float, float] | None:
    """``(a, b)`` with uPnL - requirement = ``a * price + b`` for every price in ``[lo, hi]``, or None.

    For a linear contract within one maintenance tier every term is affine in
    the price (``s q (P - e)``, ``r q P - amount``, ``taker q P``). A tier
    boundary inside the range makes the requirement convex there (rates grow
    with the tier), so the leg's margin drops below the chord at every interior
    point: matching the chord at three interior points proves one tier. Inverse
    and size-scaled legs return None (the caller evaluates them price by price).
    """
    if leg.table.inverse or leg.table.size_scaled is not None or not (0.0 < lo <= hi):
        return None
    f_lo, f_hi = _leg_margin(leg, lo, traits, taker), _leg_margin(leg, hi, traits, taker)
    if hi == lo:
        return 0.0, f_lo
    a = (f_hi - f_lo) / (hi - lo)
    b = f_lo - a * lo
    scale = max(1.0, abs(f_lo), abs(f_hi), abs(a) * hi)
    for t in (0.25, 0.5, 0.75):
        p = lo + t * (hi - lo)
        if abs(_leg_margin(leg, p, traits, taker) - (a * p + b)) > 1e-9 * scale:
            return None
    return a, b


def _multi_leg(
    plan: Plan,
    profile: ExchangeProfile,
    ev: Evaluation,
    model: MarketModel,
    horizon_hours: float,
    steps: int,
    paths: int,
    seed: int,
    chunk: int,
    progress: Progress | None,
    target: float | None,
) -> McResult:
    """All legs together; isolated legs by their own barrier, the cross group by its equity.

    One price path per symbol (legs of a symbol share its mark, so they move
    together; a hedge on one symbol is not two independent prices), symbols
    correlated through the common factor. Prices are float32 (7 significant
    digits, far finer than the 95 % interval); sums of money are float64.
    With ``target`` the run stops at the first chunk (from 4,096 paths on)
    whose 95 % interval is that tight.
    """
    legs = leg_inputs(plan, profile)
    traits, taker = profile.traits, profile.fees.taker
    rng = np.random.Generator(np.random.PCG64(seed))
    dt = horizon_hours / HOURS_PER_YEAR / steps
    n_legs = len(legs)
    symbols = list(dict.fromkeys(l.pos.symbol for l in legs))
    sym_of = [symbols.index(l.pos.symbol) for l in legs]
    n_sym = len(symbols)
    marks = np.array([next(l.mark for l in legs if l.pos.symbol == s) for s in symbols])
    cross = [i for i, l in enumerate(legs) if l.cross]
    iso = [i for i, l in enumerate(legs) if not l.cross]
    lps = [ev.legs[i].liquidation_price for i in range(n_legs)]
    cw = {c: cross_wallet(plan, profile, legs, c) for c in {legs[i].spec.settle for i in cross}}
    # At most 4e7 prices (160 MB) per chunk whatever the symbol count; chunks of
    # 4,096 paths or fewer so an early stop does not overshoot by much.
    budget = int(4e7 // max(1, n_sym * steps))
    chunk = max(256, min(chunk, 4096, budget)) if budget >= 256 else max(1, min(chunk, budget))
    hits_any = 0.0
    hits_leg = np.zeros(n_legs)
    done = 0
    cancelled = False
    while done < paths:
        n = min(chunk, paths - done)
        x = _increments(rng, n, n_sym, steps, dt, model, dtype=np.float32)
        np.cumsum(x, axis=2, out=x)
        np.exp(x, out=x)
        x *= marks.astype(np.float32)[:, None, None]  # prices, (symbols, paths, steps)
        lo = x.min(axis=2) if any(lps[i] is not None and legs[i].s > 0 for i in iso) else None
        hi = x.max(axis=2) if any(lps[i] is not None and legs[i].s < 0 for i in iso) else None
        liq = np.zeros((n_legs, n), dtype=bool)
        for i in iso:
            lp = lps[i]
            if lp is None:
                continue
            k = sym_of[i]
            liq[i] = (lo[k] <= lp) if legs[i].s > 0 and lo is not None else (hi[k] >= lp) if hi is not None else False
        lo_sym = x.min(axis=(1, 2)) if cross else None
        hi_sym = x.max(axis=(1, 2)) if cross else None
        for ccy, wallet in cw.items():
            members = [i for i in cross if legs[i].spec.settle == ccy]
            margin = np.full((n, steps), wallet)  # equity less requirement
            slope = np.zeros(n_sym)  # legs whose equity less requirement is affine in the price over this chunk
            for i in members:
                k = sym_of[i]
                assert lo_sym is not None and hi_sym is not None
                ab = _affine_margin(legs[i], float(lo_sym[k]), float(hi_sym[k]), traits, taker)
                if ab is not None:
                    slope[k] += ab[0]
                    margin += ab[1]
                    continue
                price = x[k]
                margin += leg_upnl(legs[i], price)
                margin -= leg_requirement(legs[i], price, traits, taker)
            for kk in np.nonzero(slope)[0]:
                margin += slope[kk] * x[kk]
            gone = (margin < 0.0).any(axis=1)
            for i in members:
                liq[i] |= gone
        hits_any += float(liq.any(axis=0).sum())
        hits_leg += liq.sum(axis=1)
        done += n
        if progress is not None and not progress(done / paths):
            cancelled = True
            break
        if target is not None and done >= 4096:
            p = hits_any / done
            if 1.96 * math.sqrt(max(p * (1 - p), 1e-12) / done) <= target:
                break
    p = hits_any / max(done, 1)
    hw = 1.96 * math.sqrt(p * (1 - p) / max(done, 1))
    return McResult(p, hw, done, steps, horizon_hours, seed, {i: float(hits_leg[i] / max(done, 1)) for i in range(n_legs)}, None, cancelled)


def _portfolio_legs(
    plan: Plan,
    profile: ExchangeProfile,
    model: MarketModel,
    horizon_hours: float,
    steps: int,
    paths: int,
    seed: int,
    chunk: int,
    progress: Progress | None,
    target: float | None,
) -> McResult:
    """A portfolio-margin plan: every step re-prices the risk matrix at the path's marks (legs correlated
    through the common factor); an account is liquidated when its equity falls below its portfolio MM, and
    takes its legs with it. Monitored at the steps (no bridge correction)."""
    n_legs = len(plan.positions)
    rng = np.random.Generator(np.random.PCG64(seed))
    dt = horizon_hours / HOURS_PER_YEAR / steps
    # The risk matrix holds (paths x steps, buckets) arrays per group: a smaller budget than the leg-by-leg walk.
    budget = int(4e6 // max(1, n_legs * steps))
    chunk = max(1, min(chunk, budget))
    hits_any = 0.0
    hits_leg = np.zeros(n_legs)
    done = 0
    cancelled = False
    while done < paths:
        n = min(chunk, paths - done)
        x = _increments(rng, n, n_legs, steps, dt, model)
        np.cumsum(x, axis=2, out=x)
        np.exp(x, out=x)  # factors of each leg's mark, (legs, paths, steps)
        mult = x.reshape(n_legs, n * steps).T
        surplus = portfolio_surplus(plan, profile, mult)
        liq = np.zeros((n_legs, n), dtype=bool)
        for value, members in (surplus or {}).values():
            gone = (value.reshape(n, steps) < 0.0).any(axis=1)
            for i in members:
                liq[i] |= gone
        hits_any += float(liq.any(axis=0).sum())
        hits_leg += liq.sum(axis=1)
        done += n
        if progress is not None and not progress(done / paths):
            cancelled = True
            break
        if target is not None and done >= 4 * chunk:
            p = hits_any / done
            if 1.96 * math.sqrt(max(p * (1 - p), 1e-12) / done) <= target:
                break
    p = hits_any / max(done, 1)
    hw = 1.96 * math.sqrt(p * (1 - p) / max(done, 1))
    return McResult(p, hw, done, steps, horizon_hours, seed, {i: float(hits_leg[i] / max(done, 1)) for i in range(n_legs)}, None, cancelled)
