"""Column form of a symbol's margin tiers and vectorised tier lookup.

A :class:`TierTable` is built once from a validated :class:`SymbolSpec` and
then used on numpy arrays of any length (one position, a 2,000-point price
grid, a million random positions).

Tier caps are inclusive: tier ``n`` covers ``(floor_n, cap_n]`` (the first
tier ``[0, cap_1]``). A position exactly at a tier's cap belongs to that tier
and may use its maximum leverage (Binance: 50,000 USDT at 125x in the first
BTCUSDT bracket; OKX: the last contract count of a tier, ``maxSz``).

Quantities here are in *formula units*: ``q`` is base units for linear
contracts and USD notional (contracts x contract size) for inverse ones.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from planner.model.arrays import ArrayLike, FloatArray, IntArray
from planner.model.enums import ContractKind
from planner.model.profile import SymbolSpec, Tier


@dataclass(frozen=True)
class TierTable:
    """Margin tiers of one symbol as numpy columns.

    Attributes
    ----------
    floors, caps : tier bounds in ``basis`` units (caps: ``inf`` = unbounded).
    mmr, cum : maintenance rate (fraction) and maintenance amount (settlement currency).
    max_leverage : largest leverage allowed in each tier.
    basis : "value" (position value at the tested price, settlement currency)
        or "size" (formula-unit size, price independent).
    inverse : coin-margined contract.
    continuous : maintenance margin is continuous in position value (a
        deduction that follows the recurrence, or a single tier), so the
        liquidation price is unique and tier re-selection converges.
    size_scaled : ``(initial_base, maintenance_base, rate_per_base_unit, max_initial)``
        for Deribit-style margin, else None.
    display_decimals : decimals the venue shows a size-scaled leverage cap with.
    """

    floors: FloatArray
    caps: FloatArray
    mmr: FloatArray
    cum: FloatArray
    max_leverage: FloatArray
    basis: str
    inverse: bool
    continuous: bool
    size_scaled: tuple[float, float, float, float] | None = None
    display_decimals: int = 2

    @property
    def n_tiers(self) -> int:
        return int(self.floors.shape[0])

    @property
    def inner_floors(self) -> FloatArray:
        """Floors of tiers 2..n (the boundaries a lookup searches)."""
        return self.floors[1:]

    @property
    def last_cap(self) -> float:
        """Largest position the table covers (``basis`` units); ``inf`` when the last tier is unbounded."""
        return float(self.caps[-1])

    @classmethod
    def from_tiers(
        cls,
        tiers: list[Tier],
        *,
        inverse: bool = False,
        basis: str = "value",
        size_scaled: tuple[float, float, float, float] | None = None,
        display_decimals: int = 2,
    ) -> TierTable:
        floors = np.array([t.notional_floor for t in tiers], dtype=float)
        caps = np.array([np.inf if t.notional_cap is None else t.notional_cap for t in tiers], dtype=float)
        mmr = np.array([t.maintenance_rate for t in tiers], dtype=float)
        cum = np.array([t.maintenance_amount for t in tiers], dtype=float)
        lev = np.array([t.max_leverage for t in tiers], dtype=float)
        continuous = len(tiers) == 1 or basis == "size" or _follows_recurrence(floors, mmr, cum)
        return cls(floors, caps, mmr, cum, lev, basis, inverse, continuous, size_scaled, display_decimals)

    @classmethod
    def from_spec(cls, spec: SymbolSpec) -> TierTable:
        """Column form of a symbol's tiers (cached per spec object: specs are frozen)."""
        hit = _SPEC_CACHE.get(id(spec))
        if hit is not None and hit[0] is spec:
            return hit[1]
        table = cls._build_from_spec(spec)
        if len(_SPEC_CACHE) > 512:
            _SPEC_CACHE.clear()
        _SPEC_CACHE[id(spec)] = (spec, table)
        return table

    @classmethod
    def _build_from_spec(cls, spec: SymbolSpec) -> TierTable:
        ss = spec.size_scaled
        scaled = None if ss is None else (ss.initial_rate, ss.maintenance_rate, ss.rate_per_unit, ss.max_initial_rate)
        decimals = 2 if ss is None else ss.leverage_display_decimals
        return cls.from_tiers(
            spec.tiers, inverse=spec.contract is ContractKind.INVERSE, basis=spec.tier_basis, size_scaled=scaled, display_decimals=decimals
        )


_SPEC_CACHE: dict[int, tuple[SymbolSpec, TierTable]] = {}


def _follows_recurrence(floors: FloatArray, mmr: FloatArray, cum: FloatArray) -> bool:
    expected = np.concatenate([[0.0], np.cumsum(floors[1:] * np.diff(mmr))])
    return bool(np.allclose(cum, expected, rtol=1e-6, atol=1e-9)) and bool(np.all(np.diff(mmr) >= 0))


def position_value(q: ArrayLike, price: ArrayLike, inverse: bool) -> FloatArray:
    """Position value in settlement currency: linear ``q*P`` (quote), inverse ``q/P`` (coin).

    Inverse notional in coin = contracts x contract size / mark (Binance COIN-M,
    https://www.binance.com/en/support/faq/introduction-to-binance-futures-funding-rates-360033525031).
    """
    q = np.asarray(q, dtype=float)
    price = np.asarray(price, dtype=float)
    return q / price if inverse else q * price


def size_in_base(q: ArrayLike, price: ArrayLike, inverse: bool) -> FloatArray:
    """Size in base units (coins): linear ``q``; inverse USD notional / price."""
    q = np.asarray(q, dtype=float)
    return q / np.asarray(price, dtype=np.float64) if inverse else q * np.ones_like(np.asarray(price, dtype=np.float64))


def tier_measure(q: ArrayLike, price: ArrayLike, table: TierTable) -> FloatArray:
    """The number a tier is chosen by: value at ``price`` or size, per ``table.basis``."""
    if table.basis == "size":
        return np.asarray(q, dtype=np.float64) * np.ones_like(np.asarray(price, dtype=np.float64))
    return position_value(q, price, table.inverse)


def tier_index(measure: ArrayLike, table: TierTable) -> IntArray:
    """Index of the tier whose ``(floor, cap]`` contains ``measure`` (clipped to the table).

    Caps are inclusive, so a measure exactly at a cap stays in the lower tier.
    A measure beyond the last cap maps to the last tier; callers that must not
    extrapolate check :attr:`TierTable.last_cap` first (validation does).

    Examples
    --------
    Binance BTCUSDT, notional 170.3 USDT -> tier 0 (0.4 %, cum 0);
    notional 50,000 -> tier 0 (125x allowed); 50,000.01 -> tier 1 (100x).
    """
    # Counting the inner floors strictly below the measure gives 0 .. n-1 directly.
    return np.searchsorted(table.inner_floors, measure, side="left")


def maintenance_rate_amount(q: ArrayLike, price: ArrayLike, table: TierTable) -> tuple[FloatArray, FloatArray]:
    """Maintenance rate and amount that apply to size ``q`` at ``price``."""
    if table.size_scaled is not None:
        _, mm_base, slope, _ = table.size_scaled
        rate = mm_base + slope * size_in_base(q, price, table.inverse)
        return rate, np.zeros_like(rate)
    j = tier_index(tier_measure(q, price, table), table)
    return table.mmr[j], table.cum[j]


def maintenance_margin(q: ArrayLike, price: ArrayLike, table: TierTable) -> FloatArray:
    """Maintenance margin in settlement currency: ``value(P) * rate - amount`` (never negative).

    Binance: ``MM = notional x MMR(level) - maintenance amount(level)``
    (https://www.binance.com/en/support/faq/b3c689c1f50a44cabb3a84e663b81d93); Bybit: ``PV x MMR - MM deduction``
    (https://bybit-tr.com/en-TR/announcement-info/margin-parameters); Deribit's
    size-scaled rate: https://support.deribit.com/hc/en-us/articles/25944826427293-11-January-2022
    """
    value = position_value(q, price, table.inverse)
    if table.size_scaled is not None or table.basis != "value":
        rate, amount = maintenance_rate_amount(q, price, table)
    else:
        rate, amount = _rate_amount_at(value, table)
    return np.maximum(value * rate - amount, 0.0)


def _rate_amount_at(measure: FloatArray, table: TierTable) -> tuple[FloatArray, FloatArray]:
    """Maintenance rate and amount of the tiers that hold ``measure`` (tiered tables).

    A row (last axis) whose smallest and largest measure fall in one tier lies
    wholly in it (the lookup is monotone), so its rate and amount are looked up
    once: the same numbers as element by element, for a root search's narrow
    price brackets at a fraction of the cost.
    """
    if measure.ndim and measure.shape[-1] > 16:
        lo = measure.min(axis=-1, keepdims=True)
        j = tier_index(lo, table)
        if not np.isnan(lo).any() and np.array_equal(j, tier_index(measure.max(axis=-1, keepdims=True), table)):
            return table.mmr[j], table.cum[j]
    j = tier_index(measure, table)
    return table.mmr[j], table.cum[j]


def initial_margin_rate(q: ArrayLike, price: ArrayLike, table: TierTable) -> FloatArray | None:
    """Deribit-style size-scaled initial-margin rate, or None for tiered tables.

    BTC: ``IM = 2 % + size_BTC x 0.005 %``
    (https://support.deribit.com/hc/en-us/articles/25944826427293-11-January-2022).
    """
    if table.size_scaled is None:
        return None
    im_base, _, slope, cap = table.size_scaled
    return np.minimum(im_base + slope * size_in_base(q, price, table.inverse), cap)


def max_leverage_at(q: ArrayLike, price: ArrayLike, table: TierTable) -> FloatArray:
    """Largest leverage the venue allows for size ``q`` valued at ``price``.

    The tier's maximum leverage (Binance brackets' ``initialLeverage``,
    https://www.binance.com/en/support/faq/b3c689c1f50a44cabb3a84e663b81d93; Bybit risk
    limits' ``maxLeverage``, https://bybit-exchange.github.io/docs/derivatives/public/risk-limit),
    or ``1 / IM rate`` for size-scaled margin (Deribit,
    https://support.deribit.com/hc/en-us/articles/25944826427293-11-January-2022).
    """
    im_rate = initial_margin_rate(q, price, table)
    if im_rate is not None:
        return 1.0 / im_rate
    return table.max_leverage[tier_index(tier_measure(q, price, table), table)]


def max_value_for_leverage(leverage: float, table: TierTable) -> float:
    """Largest tier bound (``basis`` units) at which ``leverage`` is still allowed; inf if unbounded, 0 if never."""
    if table.size_scaled is not None:
        im_base, _, slope, _ = table.size_scaled
        if slope == 0.0:
            return np.inf if 1.0 / leverage >= im_base else 0.0
        return max((1.0 / leverage - im_base) / slope, 0.0)
    ok = table.max_leverage >= leverage - 1e-12
    if not ok.any():
        return 0.0
    return float(table.caps[ok].max())


def initial_margin(q: float, entry: float, mark: float, leverage: float, table: TierTable) -> float:
    """Initial margin of a position, settlement currency.

    Tiered tables: position value at entry / leverage (Binance calculator FAQ).
    Size-scaled (Deribit standard margin): the size-scaled initial rate applied to
    the position value at the mark, ``(a + b x size_in_base(mark)) x value(mark)``
    (Deribit "Linear Perpetual": 25 BTC at 100,000 -> 2.125 % = 53,125 USDC);
    Deribit has no leverage setting, so ``leverage`` is not used there.
    """
    rate = initial_margin_rate(q, mark, table)
    if rate is not None:
        return float(rate * position_value(q, mark, table.inverse))
    return float(position_value(q, entry, table.inverse)) / leverage


def leverage_cap_shown(cap: float, table: TierTable) -> float:
    """The largest leverage a venue accepts as it displays it.

    Size-scaled margin (Deribit) allows ``1 / initial rate`` exactly, a number
    like 24.998x that the venue shows rounded (25x); the rounded figure is
    accepted. Tiered tables publish their caps exactly and are returned as they are.
    """
    if table.size_scaled is None:
        return cap
    decimals = table.display_decimals
    return float(np.round(cap, decimals)) if math.isfinite(cap) else cap
