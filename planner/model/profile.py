"""Exchange-profile schema and the registry of bundled and user profiles.

A profile is data: fees, funding schedule, liquidation policies and, per
symbol, the contract kind and the margin tiers. The only code-level knowledge
of an exchange is its *rule family* (:data:`RULE_TRAITS`), which names how the
exchange's published formulas combine that data (where maintenance margin is
evaluated, whether a close fee is reserved, which way its margin ratio points).

Units
-----
* Rates are fractions (0.004 = 0.4 %), never percent.
* ``notional_floor`` / ``notional_cap`` are in the unit named by the symbol's
  ``tier_basis``: ``"value"`` = position value at the tested price in the
  settlement currency (linear: quantity x price in quote; inverse: USD
  notional / price in coin); ``"size"`` = position size (linear: base units;
  inverse: USD notional = contracts x contract size).
* Funding rates are per funding interval of the symbol (``interval_hours``).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from planner.model.enums import ContractKind
from planner.model.profile_defaults import fill_profile_defaults

RuleName = Literal["binance", "bybit", "okx", "deribit", "kraken", "hyperliquid", "dex"]


@dataclass(frozen=True)
class RuleTraits:
    """How one exchange family turns profile data into margin figures.

    Attributes
    ----------
    mm_price_basis : "tested" re-selects the tier and values the position at the
        price being tested (Binance FAQ); "entry" values maintenance margin on
        the entry value (Bybit classic isolated formula).
    close_fee_reserved : the taker fee for closing at the liquidation price is
        part of the requirement (OKX margin-ratio definition).
    deduction : "recurrence" tiers carry a maintenance amount that makes
        maintenance margin continuous; "none" the tier rate applies to the
        whole position (OKX, Kraken), so maintenance margin jumps at a boundary.
    margin_ratio : "mm_over_equity" (Binance, Bybit: liquidated at >= 100 %) or
        "equity_over_requirement" (OKX: liquidated at <= 100 %).
    formula : short human description shown in tooltips and reports.
    close_fee_at_bankruptcy : the position margin and the maintenance margin
        both hold the estimated fee to close, valued at the bankruptcy price
        (Bybit: "Estimated Fee to Close Position" = taker rate x position value
        at the bankruptcy price). The default isolated margin then is
        initial margin + that fee, the bankruptcy price reserves the fee, and the
        liquidation price is where equity = MM + fee, so that a position margin
        copied from Bybit's screen gives Bybit's liquidation price.
    """

    mm_price_basis: Literal["tested", "entry"]
    close_fee_reserved: bool
    deduction: Literal["recurrence", "none"]
    margin_ratio: Literal["mm_over_equity", "equity_over_requirement"]
    formula: str
    close_fee_at_bankruptcy: bool = False


RULE_TRAITS: dict[str, RuleTraits] = {
    "binance": RuleTraits(
        "tested",
        False,
        "recurrence",
        "mm_over_equity",
        "Binance FAQ: LP = (WB - TMM1 + UPNL1 + cum - s*Q*E) / (Q*MMR - s*Q), tier re-selected at LP",
    ),
    "bybit": RuleTraits(
        "entry",
        False,
        "recurrence",
        "mm_over_equity",
        "Bybit isolated: LP = E - s*(position margin - fee to close - MM(entry value))/Q; fee to close = taker x value at bankruptcy",
        close_fee_at_bankruptcy=True,
    ),
    "okx": RuleTraits(
        "tested",
        True,
        "none",
        "equity_over_requirement",
        "OKX margin ratio = equity / (MM + close fee) = 1 solved for mark; tier rate on whole position",
    ),
    "deribit": RuleTraits(
        "tested",
        False,
        "none",
        "mm_over_equity",
        "Deribit standard margin: MM rate = base + size x slope; liquidation where MM = equity",
    ),
    "kraken": RuleTraits(
        "tested",
        False,
        "none",
        "mm_over_equity",
        "Kraken equity protection: liquidation where equity = band MM at the mark price",
    ),
    "hyperliquid": RuleTraits(
        "tested",
        False,
        "recurrence",
        "mm_over_equity",
        "Hyperliquid: MM = notional / (2 x tier max leverage) - deduction; liq = E - s*(M - MM)/Q/(1 - s*l)",
    ),
    "dex": RuleTraits(
        "tested",
        False,
        "none",
        "mm_over_equity",
        "Generic on-chain venue: liquidation where equity = MM at the mark price",
    ),
}

_FROZEN = ConfigDict(frozen=True, extra="forbid")
_Rate = Field(ge=0.0, lt=1.0, allow_inf_nan=False)


class Tier(BaseModel):
    """One margin bracket (risk-limit tier) of a symbol.

    The tier covers ``(notional_floor, notional_cap]``: the cap is inclusive, so
    a position exactly at the cap may use this tier's ``max_leverage``
    (Binance ``notionalCap``, OKX ``maxSz``, Hyperliquid: the next tier's
    ``lowerBound``). Hyperliquid margin tiers: ``maintenance_rate`` =
    1 / (2 x ``max_leverage``) and ``maintenance_amount`` by the recurrence
    (docs "Margin tiers").
    """

    model_config = _FROZEN

    notional_floor: float = Field(ge=0.0, allow_inf_nan=False, description="lower bound of the tier, tier_basis units")
    notional_cap: float | None = Field(default=None, gt=0.0, allow_inf_nan=False, description="upper bound; null = unbounded")
    max_leverage: float = Field(gt=0.0, le=1000.0, allow_inf_nan=False, description="largest leverage allowed in this tier")
    maintenance_rate: float = Field(ge=0.0, lt=1.0, allow_inf_nan=False, description="fraction of position value")
    maintenance_amount: float = Field(
        default=0.0, ge=0.0, allow_inf_nan=False, description="Binance cum / Bybit MM deduction, settlement currency"
    )


class SizeScaledMargin(BaseModel):
    """Deribit standard margin: rate = base + size_in_base_units x rate_per_unit."""

    model_config = _FROZEN

    initial_rate: float = Field(gt=0.0, lt=1.0, allow_inf_nan=False)
    maintenance_rate: float = Field(gt=0.0, lt=1.0, allow_inf_nan=False)
    rate_per_unit: float = Field(ge=0.0, lt=0.01, allow_inf_nan=False, description="added rate per 1 base unit of size")
    max_initial_rate: float = Field(default=1.0, gt=0.0, le=1.0, allow_inf_nan=False)
    leverage_display_decimals: int = Field(
        default=2,
        ge=0,
        le=6,
        description="decimals the venue shows leverage with; a leverage equal to 1/initial rate rounded to them is accepted",
    )


def _optional_in_schema(*names: str) -> Any:
    """JSON-Schema hook: ``names`` may be omitted (filled by :mod:`planner.model.profile_defaults`)."""

    def hook(schema: dict[str, Any]) -> None:
        schema["required"] = [n for n in schema.get("required", []) if n not in names]

    return hook


class SymbolSpec(BaseModel):
    """Contract specification and margin tiers of one symbol."""

    model_config = ConfigDict(frozen=True, extra="forbid", json_schema_extra=_optional_in_schema("tick_size", "base", "quote", "settle"))

    contract: ContractKind
    contract_size: float = Field(gt=0.0, allow_inf_nan=False, description="linear: base units per contract; inverse: USD per contract")
    tick_size: float = Field(gt=0.0, allow_inf_nan=False, description="price increment in quote currency; default 0.01 (display only)")
    base: str = Field(description="base coin; default parsed from the symbol name (BTCUSDT -> BTC)")
    quote: str = Field(description="quote currency; default parsed from the symbol name (BTCUSDT -> USDT; none or inverse -> USD)")
    settle: str = Field(description="currency margin and PnL are held in; default linear: the quote, inverse: the base")
    tier_basis: Literal["value", "size"] = "value"
    tiers: list[Tier] = Field(min_length=1)
    size_scaled: SizeScaledMargin | None = None
    funding_interval_hours: float | None = Field(default=None, gt=0.0, le=24.0, description="overrides the profile's interval")
    liquidation_fee: float | None = Field(
        default=None,
        ge=0.0,
        lt=0.1,
        allow_inf_nan=False,
        description="liquidation fee rate of this symbol (fraction of liquidated value); overrides fees.liquidation",
    )

    @field_validator("tiers")
    @classmethod
    def _tiers_contiguous(cls, tiers: list[Tier]) -> list[Tier]:
        if tiers[0].notional_floor != 0.0:
            raise ValueError(f"first tier must start at 0, not {tiers[0].notional_floor:g}")
        for i, (lo, hi) in enumerate(itertools.pairwise(tiers), start=1):
            if lo.notional_cap is None:
                raise ValueError(f"tier {i} has no cap but is followed by tier {i + 1}")
            if abs(lo.notional_cap - hi.notional_floor) > 1e-9 * max(1.0, hi.notional_floor):
                raise ValueError(f"tiers not contiguous: tier {i} cap {lo.notional_cap:g} != tier {i + 1} floor {hi.notional_floor:g}")
            if hi.maintenance_rate < lo.maintenance_rate:
                raise ValueError(f"maintenance_rate must not fall from tier {i} to tier {i + 1}")
            if hi.max_leverage > lo.max_leverage:
                raise ValueError(f"max_leverage must not rise from tier {i} to tier {i + 1}")
        for i, t in enumerate(tiers, start=1):
            if t.notional_cap is not None and t.notional_cap <= t.notional_floor:
                raise ValueError(f"tier {i}: notional_cap must exceed notional_floor")
        return tiers


class Fees(BaseModel):
    """Trading and liquidation fees as fractions of position value."""

    model_config = _FROZEN

    maker: float = Field(ge=-0.01, lt=0.05, allow_inf_nan=False)
    taker: float = Field(ge=0.0, lt=0.05, allow_inf_nan=False)
    liquidation: float = Field(ge=0.0, lt=0.1, allow_inf_nan=False, description="liquidation / clearance fee on liquidated value")


class FundingSpec(BaseModel):
    """Funding schedule. Positive rate: longs pay shorts."""

    model_config = _FROZEN

    interval_hours: float = Field(gt=0.0, le=24.0, allow_inf_nan=False)
    settlement_hours_utc: list[float] = Field(
        default_factory=list, description="first settlements of a UTC day; empty = every interval from 00:00"
    )
    interest_rate_per_interval: float = Field(default=0.0, ge=-0.01, le=0.01, allow_inf_nan=False)
    cap_per_interval: float = Field(default=0.0075, gt=0.0, le=1.0, allow_inf_nan=False)
    price_basis: Literal["mark", "oracle"] = "mark"
    accrual: Literal["discrete", "continuous"] = "discrete"


class PartialLiquidation(BaseModel):
    """How a venue liquidates in steps before (or instead of) a full close."""

    model_config = _FROZEN

    kind: Literal["none", "reduce_to_lower_tier", "two_tiers_per_round", "fraction_then_full", "increments"]
    fraction: float | None = Field(default=None, gt=0.0, le=1.0, description="fraction_then_full: share closed first")
    cooldown_seconds: float | None = Field(default=None, ge=0.0)
    min_value: float | None = Field(default=None, ge=0.0, description="fraction_then_full applies above this position value")
    increment_size: float | None = Field(default=None, gt=0.0, description="increments: size per step, position quantity units")
    description: str = ""


class Policies(BaseModel):
    """What happens at and beyond liquidation."""

    model_config = _FROZEN

    insurance_fund: bool
    adl: bool
    negative_balance_protection: bool
    leftover_margin: Literal["insurance_fund", "trader", "liquidator"]
    socialized_loss: bool = False
    partial_liquidation: PartialLiquidation = PartialLiquidation(kind="none")
    description: str = ""


class Source(BaseModel):
    """A public page a profile's numbers come from."""

    model_config = _FROZEN

    url: str
    title: str = ""
    captured: date | None = None


class ExchangeProfile(BaseModel):
    """One exchange product family (for example Binance USD-M perpetuals).

    Only ``id``, ``name``, ``rule``, ``fees`` and ``symbols`` (each with
    ``contract``, ``contract_size``, ``tiers``) are required; the rest is filled
    from the rule family and the symbol names (:mod:`planner.model.profile_defaults`).
    """

    model_config = ConfigDict(
        frozen=True,
        extra="forbid",
        json_schema_extra=_optional_in_schema("version", "settle_currency", "funding", "policies", "sources"),
    )

    format: Literal["exchange-profile"] = "exchange-profile"
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9._-]{0,63}$")
    name: str = Field(min_length=1, max_length=120)
    version: date = Field(description="date the numbers were captured; default 1970-01-01 (unknown)")
    rule: RuleName
    settle_currency: str = Field(min_length=1, max_length=12, description="default wallet currency; default the first symbol's settle")
    margin_call_ratio: float = Field(
        default=0.8,
        gt=0.0,
        le=10.0,
        allow_inf_nan=False,
        description="margin ratio (exchange meaning) at which a margin call is raised; default the rule family's (okx 3.0, others 0.8)",
    )
    fees: Fees
    funding: FundingSpec = Field(description="funding schedule; default the rule family's (binance/bybit/okx/deribit 8 h, others 1 h)")
    policies: Policies = Field(description="what happens at and beyond liquidation; default the rule family's")
    symbols: dict[str, SymbolSpec] = Field(min_length=1)
    sources: list[Source] = Field(min_length=1, description="where the numbers come from; default one 'inline' entry")
    notes: str = ""

    @property
    def traits(self) -> RuleTraits:
        return RULE_TRAITS[self.rule]

    def liquidation_fee_for(self, symbol: str) -> float:
        """Liquidation fee rate (fraction of liquidated value) of ``symbol``: its own, else the profile's."""
        spec = self.symbols.get(symbol)
        if spec is not None and spec.liquidation_fee is not None:
            return spec.liquidation_fee
        return self.fees.liquidation

    def warnings_for(self, symbols: Iterable[str] | None = None) -> list[str]:
        """One-line notes on data used as published although it is unusual (all symbols, or ``symbols``).

        Today: maintenance amounts that do not follow the recurrence of a rule
        that publishes one (issue 12 item 8). The engine uses such a table as
        published; its maintenance margin then jumps at the named tier.
        """
        out: list[str] = []
        if self.traits.deduction != "recurrence":
            return out
        wanted = set(self.symbols) if symbols is None else set(symbols)
        for sym, spec in self.symbols.items():
            if sym not in wanted:
                continue
            for i, given, expected in maintenance_amount_mismatches(spec.tiers):
                out.append(
                    f"profile '{self.id}': symbols.{sym}.tiers.{i}.maintenance_amount {given:,.10g} does not follow the recurrence "
                    f"cum_n = cum_(n-1) + floor_n x (rate_n - rate_(n-1)) (expected {expected:,.10g}); used as published, "
                    f"so maintenance margin jumps at tier {i}"
                )
        return out

    @property
    def warnings(self) -> list[str]:
        """:meth:`warnings_for` every symbol."""
        return self.warnings_for()

    @model_validator(mode="before")
    @classmethod
    def _fill_defaults(cls, data: Any) -> Any:
        return fill_profile_defaults(data)

    @model_validator(mode="after")
    def _rule_consistency(self) -> ExchangeProfile:
        traits = RULE_TRAITS[self.rule]
        for sym, spec in self.symbols.items():
            for i, t in enumerate(spec.tiers, start=1):
                if traits.deduction == "none" and t.maintenance_amount != 0.0:
                    raise ValueError(f"symbols.{sym}.tiers.{i}: rule '{self.rule}' publishes no maintenance amount; must be 0")
                if self.rule == "hyperliquid" and abs(t.maintenance_rate - 1.0 / (2.0 * t.max_leverage)) > 1e-12:
                    raise ValueError(
                        f"symbols.{sym}.tiers.{i}: hyperliquid maintenance_rate must be 1/(2 x max_leverage)"
                        f" = {1.0 / (2.0 * t.max_leverage):.6g}"
                    )
            if self.rule == "deribit" and spec.size_scaled is None:
                raise ValueError(f"symbols.{sym}.size_scaled is required for rule 'deribit'")
        return self


def rebuild_maintenance_amounts(tiers: list[Tier]) -> list[Tier]:
    """Return tiers with the maintenance amount rebuilt by the recurrence.

    ``cum_1 = 0``, ``cum_n = cum_(n-1) + floor_n * (rate_n - rate_(n-1))``
    (Binance FAQ, https://www.binance.com/en/support/faq/b3c689c1f50a44cabb3a84e663b81d93;
    Bybit margin parameters, https://bybit-tr.com/en-TR/announcement-info/margin-parameters).
    Used when a source (ccxt's Bybit tiers) omits the deduction.
    """
    out: list[Tier] = []
    cum = 0.0
    for i, t in enumerate(tiers):
        if i > 0:
            cum += t.notional_floor * (t.maintenance_rate - tiers[i - 1].maintenance_rate)
        out.append(t.model_copy(update={"maintenance_amount": cum}))
    return out


def maintenance_amount_mismatches(tiers: list[Tier], rel_tol: float = 1e-6) -> list[tuple[int, float, float]]:
    """``(tier_number, given, expected)`` of every tier whose amount breaks the recurrence (tier numbers from 1).

    The recurrence is ``cum_n = cum_(n-1) + floor_n x (rate_n - rate_(n-1))``,
    run on the expected amounts (the arithmetic of :func:`rebuild_maintenance_amounts`,
    without copying the tiers: a 682-symbol profile is checked at every start).
    """
    out: list[tuple[int, float, float]] = []
    cum = 0.0
    for i, t in enumerate(tiers):
        if i > 0:
            cum += t.notional_floor * (t.maintenance_rate - tiers[i - 1].maintenance_rate)
        if abs(t.maintenance_amount - cum) > rel_tol * max(1.0, abs(cum)):
            out.append((i + 1, t.maintenance_amount, cum))
    return out


def check_maintenance_amounts(tiers: list[Tier], rel_tol: float = 1e-6) -> tuple[int, float] | None:
    """Return ``(tier_number, expected)`` of the first tier breaking the recurrence, else None."""
    bad = maintenance_amount_mismatches(tiers, rel_tol)
    return (bad[0][0], bad[0][2]) if bad else None
