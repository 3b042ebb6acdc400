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
import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from planner.model.dated import as_utc
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
    default_margin_call : margin-call threshold for profiles that state none,
        in the direction of ``margin_ratio`` (below 1 for MM / equity, above 1
        for equity / requirement).
    price_display : how liquidation-type prices are rounded to the tick for
        display: "safe" rounds towards the mark (a long's up, a short's down;
        used where a venue documents nothing else, which today is every rule,
        OKX included); "tick_towards_mark" cuts the price to the tick away
        from the mark, then moves one whole tick towards it (so even an exact
        multiple is shown one tick nearer). No venue's documentation found so
        far states that convention, so no rule uses it.
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
    default_margin_call: float = 0.8
    price_display: Literal["safe", "tick_towards_mark"] = "safe"
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
        # Liquidation at <= 100 % (OKX "When would my order be liquidated?",
        # https://www.okx.com/learn/when-would-my-order-be-liquidated). OKX's mgnRatio is the same plain
        # ratio (1.0 = 100 %; docs-v5 positions example: "mgnRatio":"11.731726509588816").
        # Margin call at 300 % (equity three times the requirement): a planner default, NOT an OKX figure.
        # OKX's liquidation-warning channel (https://www.okx.com/docs-v5/en/#trading-account-websocket-liquidation-warning-channel)
        # says only that the warning is sent "when a position is at risk of liquidation", with no threshold;
        # no OKX help or API page stating a warning level was found (searched 2026-11-25). 300 % appears
        # only as an uncited third-party constant (sk-quantfidential/okx-client-gw-py, "OKX sends warning at 300%").
        default_margin_call=3.0,
        # OKX documents no rounding of its displayed liquidation price (its API returns liqPx unrounded,
        # e.g. "2352.8496681818233" in the docs-v5 positions example), so the safe-side rounding applies.
        price_display="safe",
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

_FROZEN = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)
_Rate = Field(ge=0.0, lt=1.0, allow_inf_nan=False)

#: Physical bounds. Every count the engine derives from a profile (settlements
#: over a horizon, price ticks) is bounded by these, so a small file cannot ask
#: for billions of points; denormal magnitudes (5e-324) are refused.
MIN_FUNDING_INTERVAL_HOURS = 1.0 / 60.0  # one minute; real venues settle every 1 to 8 hours
MAX_FUNDING_INTERVAL_HOURS = 24.0
MAX_SETTLEMENTS_PER_DAY = 1440
MIN_TICK = 1e-12
MAX_TICK = 1e6
MIN_CONTRACT_SIZE = 1e-12
MAX_CONTRACT_SIZE = 1e9
MAX_NOTIONAL = 1e15
MIN_MARGIN_CALL_RATIO = 0.01
MIN_LEVERAGE = 0.01


def check_interval_hours(value: float | None) -> float | None:
    """Funding interval in hours: from one minute (1/60 h) to 24 h."""
    if value is None:
        return None
    if not (MIN_FUNDING_INTERVAL_HOURS - 1e-12 <= value <= MAX_FUNDING_INTERVAL_HOURS):
        raise ValueError(f"must be between 1/60 h (one minute) and {MAX_FUNDING_INTERVAL_HOURS:g} h (got {value!r})")
    return value


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

    notional_floor: float = Field(ge=0.0, le=MAX_NOTIONAL, allow_inf_nan=False, description="lower bound of the tier, tier_basis units")
    notional_cap: float | None = Field(
        default=None, gt=0.0, le=MAX_NOTIONAL, allow_inf_nan=False, description="upper bound; null = unbounded"
    )
    max_leverage: float = Field(ge=MIN_LEVERAGE, le=1000.0, allow_inf_nan=False, description="largest leverage allowed in this tier")
    maintenance_rate: float = Field(ge=0.0, lt=1.0, allow_inf_nan=False, description="fraction of position value")
    maintenance_amount: float = Field(
        default=0.0, ge=0.0, le=MAX_NOTIONAL, allow_inf_nan=False, description="Binance cum / Bybit MM deduction, settlement currency"
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
    contract_size: float = Field(
        ge=MIN_CONTRACT_SIZE,
        le=MAX_CONTRACT_SIZE,
        allow_inf_nan=False,
        description="linear: base units per contract; inverse: USD per contract",
    )
    tick_size: float = Field(
        ge=MIN_TICK, le=MAX_TICK, allow_inf_nan=False, description="price increment in quote currency; default 0.01 (display only)"
    )
    base: str = Field(description="base coin; default parsed from the symbol name (BTCUSDT -> BTC)")
    quote: str = Field(description="quote currency; default parsed from the symbol name (BTCUSDT -> USDT; none or inverse -> USD)")
    settle: str = Field(description="currency margin and PnL are held in; default linear: the quote, inverse: the base")
    tier_basis: Literal["value", "size"] = "value"
    tiers: list[Tier] = Field(min_length=1, max_length=2000)
    size_scaled: SizeScaledMargin | None = None
    funding_interval_hours: float | None = Field(
        default=None, allow_inf_nan=False, description="overrides the profile's interval; hours, from 1/60 (one minute) to 24"
    )
    liquidation_fee: float | None = Field(
        default=None,
        ge=0.0,
        lt=0.1,
        allow_inf_nan=False,
        description="liquidation fee rate of this symbol (fraction of liquidated value); overrides fees.liquidation",
    )

    delivery: Literal["perpetual", "quarterly", "monthly"] | None = Field(
        default=None, description="perpetual (null) or a dated future settling at expiry: quarterly or monthly"
    )
    expiry: datetime | None = Field(default=None, description="dated futures: settlement time, UTC (ISO 8601; no zone = UTC)")
    next_contract: str | None = Field(
        default=None,
        max_length=40,
        description="dated futures: the listed symbol a roll reopens; null = the next expiry of the delivery cycle"
        " (last Friday of the month / quarter, 08:00 UTC), margined by this symbol's tiers",
    )
    delivery_fee: float | None = Field(
        default=None,
        ge=0.0,
        lt=0.05,
        allow_inf_nan=False,
        description="dated futures: fee on the value settled at expiry (fraction); null = the taker fee (Binance charges settlement like a taker fee)",
    )

    @field_validator("funding_interval_hours")
    @classmethod
    def _interval_bounds(cls, v: float | None) -> float | None:
        return check_interval_hours(v)

    @field_validator("expiry")
    @classmethod
    def _expiry_utc(cls, v: datetime | None) -> datetime | None:
        return None if v is None else as_utc(v)

    @model_validator(mode="after")
    def _dated_fields(self) -> SymbolSpec:
        if self.is_dated and self.expiry is None:
            raise ValueError(f"expiry: a {self.delivery} future needs its settlement time (UTC), e.g. 2026-12-25T08:00:00Z")
        if not self.is_dated:
            for name in ("expiry", "next_contract", "delivery_fee"):
                if getattr(self, name) is not None:
                    raise ValueError(f"{name}: only dated futures (delivery quarterly or monthly) have one; this symbol is a perpetual")
        return self

    @property
    def is_dated(self) -> bool:
        """True for a quarterly or monthly future (no funding; settles at :attr:`expiry`)."""
        return self.delivery in ("quarterly", "monthly")

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

    interval_hours: float = Field(allow_inf_nan=False, description="hours between settlements, from 1/60 (one minute) to 24")
    settlement_hours_utc: list[float] = Field(
        default_factory=list,
        max_length=MAX_SETTLEMENTS_PER_DAY,
        description="first settlements of a UTC day, hours in [0, 24); empty = every interval from 00:00",
    )
    interest_rate_per_interval: float = Field(default=0.0, ge=-0.01, le=0.01, allow_inf_nan=False)
    cap_per_interval: float = Field(default=0.0075, gt=0.0, le=1.0, allow_inf_nan=False)
    price_basis: Literal["mark", "oracle"] = "mark"
    accrual: Literal["discrete", "continuous"] = "discrete"

    @field_validator("interval_hours")
    @classmethod
    def _interval_bounds(cls, v: float) -> float:
        check_interval_hours(v)
        return v

    @field_validator("settlement_hours_utc")
    @classmethod
    def _hours_of_day(cls, v: list[float]) -> list[float]:
        for i, h in enumerate(v):
            if not (math.isfinite(h) and 0.0 <= h < 24.0):
                raise ValueError(f"item {i}: must be an hour of the day from 0 to below 24 (got {h!r})")
        return v


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


class PortfolioPair(BaseModel):
    """Risk-matrix parameters of one underlying (Deribit ``model_params.currency_pair``, e.g. ``btc_usd``).

    ``price_range`` is the largest price move tested, a fraction (0.16 = +/-16 %).
    The delta-shock parameters are recorded as published; their formula is not
    (the engine applies no delta shock and warns when the book's delta exceeds
    ``delta_total_liq_shock_threshold``).
    """

    model_config = _FROZEN

    price_range: float = Field(gt=0.0, lt=1.0, allow_inf_nan=False, description="largest tested move, fraction of the mark")
    m_inc: float = Field(default=0.0, ge=0.0, lt=0.01, allow_inf_nan=False, description="size slope per base unit (recorded, not applied)")
    max_delta_shock: float = Field(default=0.0, ge=0.0, lt=1.0, allow_inf_nan=False, description="recorded, not applied")
    delta_total_liq_shock_threshold: float = Field(
        default=0.0,
        ge=0.0,
        le=MAX_NOTIONAL,
        allow_inf_nan=False,
        description="USD delta above which a delta shock applies (warned, not applied)",
    )
    extended_table_factor: float = Field(default=1.0, ge=0.0, le=10.0, allow_inf_nan=False, description="recorded, not applied")


class PortfolioCurrency(BaseModel):
    """Parameters of one currency (Deribit ``model_params.currency``, e.g. ``btc``, ``usd``).

    * ``min_annualised_move``: the roll-shock rate of a perpetual, fraction of
      the leg's size in base units valued at the mark (Deribit ETH example:
      0.005 x 0.999487053 ETH = 0.004997435 ETH roll_shock).
    * ``pnl_offset``: share of a scenario's *gain* that counts (losses count
      whole); the aggregated vector is ``where(pnl > 0, pnl x pnl_offset, pnl)``.
    * ``haircut``: fraction taken off this currency's equity when it backs the
      initial margin of a cross (X:PM) account.
    * ``stable``: valued at 1 USD in a cross account (USD, USDC).
    """

    model_config = _FROZEN

    min_annualised_move: float = Field(ge=0.0, lt=1.0, allow_inf_nan=False)
    annualised_move_risk: float = Field(
        default=0.0, ge=0.0, lt=1.0, allow_inf_nan=False, description="recorded; dated-future use not published"
    )
    pnl_offset: float = Field(default=0.0, ge=0.0, le=1.0, allow_inf_nan=False)
    max_offsetable_pnl: float = Field(default=0.0, ge=0.0, le=MAX_NOTIONAL, allow_inf_nan=False, description="recorded, unit not published")
    haircut: float = Field(default=0.0, ge=0.0, lt=1.0, allow_inf_nan=False)
    extended_dampener: float = Field(
        default=0.0, ge=0.0, le=MAX_NOTIONAL, allow_inf_nan=False, description="recorded, formula not published"
    )
    equity_side_impact: Literal["none", "both", "up", "down"] = "none"
    correlation_set: bool = False
    stable: bool = False


class PortfolioMarginRule(BaseModel):
    """A venue's portfolio-margin method and its published parameters (profile data, never code constants).

    ``method`` "risk_matrix" (Deribit S:PM / X:PM): every leg is repriced at
    ``2 x buckets_per_side + 1`` evenly spaced moves of its underlying from
    ``-price_range`` to ``+price_range``; the initial margin is the worst loss
    of the aggregated vector plus the roll shock; MM = IM x ``mm_factor``.
    ``pairs`` are keyed by base coin (BTC), ``currencies`` by currency (BTC,
    ETH, USD); ``currency_aliases`` maps a settlement currency to its
    parameters (USDC -> USD).
    """

    model_config = _FROZEN

    method: Literal["risk_matrix"] = "risk_matrix"
    buckets_per_side: int = Field(ge=1, le=50, description="price buckets on each side of zero (Deribit buckets_count)")
    mm_factor: float = Field(gt=0.0, le=1.0, allow_inf_nan=False, description="maintenance margin = initial margin x mm_factor")
    extended_moves: list[float] = Field(default_factory=list, max_length=50, description="extended-table moves, fractions (recorded)")
    pairs: dict[str, PortfolioPair] = Field(min_length=1, max_length=500)
    currencies: dict[str, PortfolioCurrency] = Field(min_length=1, max_length=500)
    currency_aliases: dict[str, str] = Field(default_factory=dict, max_length=100)
    sources: list[Source] = Field(default_factory=list, max_length=50)
    notes: str = ""

    @model_validator(mode="after")
    def _aliases_known(self) -> PortfolioMarginRule:
        for k, v in self.currency_aliases.items():
            if v not in self.currencies:
                raise ValueError(f"currency_aliases.{k}: '{v}' is not in currencies ({', '.join(sorted(self.currencies))})")
        for k in self.pairs:
            if k not in self.currencies:
                raise ValueError(f"pairs.{k}: no currencies.{k} entry (its roll-shock rate and pnl offset)")
        return self

    def currency_params(self, currency: str) -> PortfolioCurrency | None:
        """Parameters of ``currency`` (a settlement currency or coin), through the aliases; None if absent."""
        return self.currencies.get(self.currency_aliases.get(currency, currency))


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
        ge=MIN_MARGIN_CALL_RATIO,
        le=10.0,
        allow_inf_nan=False,
        description="margin ratio (exchange meaning) at which a margin call is raised; absent = the rule's default"
        " (0.8 for MM / equity, 3.0 for OKX's equity / requirement)",
    )
    fees: Fees
    funding: FundingSpec = Field(description="funding schedule; default the rule family's (binance/bybit/okx/deribit 8 h, others 1 h)")
    policies: Policies = Field(description="what happens at and beyond liquidation; default the rule family's")
    symbols: dict[str, SymbolSpec] = Field(min_length=1, max_length=5000)
    sources: list[Source] = Field(min_length=1, max_length=100, description="where the numbers come from; default one 'inline' entry")
    notes: str = ""
    portfolio_margin: PortfolioMarginRule | None = Field(
        default=None, description="the venue's portfolio-margin method and parameters; null = standard margin only"
    )

    @property
    def traits(self) -> RuleTraits:
        return RULE_TRAITS[self.rule]

    @model_validator(mode="before")
    @classmethod
    def _default_margin_call(cls, data: object) -> object:
        """A profile without ``margin_call_ratio`` gets its rule's default, in that rule's direction."""
        if isinstance(data, dict) and data.get("margin_call_ratio") is None and data.get("rule") in RULE_TRAITS:
            data = {**data, "margin_call_ratio": RULE_TRAITS[str(data["rule"])].default_margin_call}
        return data

    @model_validator(mode="after")
    def _margin_call_direction(self) -> ExchangeProfile:
        problem = margin_call_problem(self.margin_call_ratio, self.traits)
        if problem:
            raise ValueError(f"margin_call_ratio: {problem}")
        return self

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
            if spec.next_contract is not None:
                nxt = self.symbols.get(spec.next_contract)
                if nxt is None or not nxt.is_dated:
                    raise ValueError(f"symbols.{sym}.next_contract: '{spec.next_contract}' is not a dated future of this profile")
                assert nxt.expiry is not None and spec.expiry is not None
                if nxt.expiry <= spec.expiry:
                    raise ValueError(
                        f"symbols.{sym}.next_contract: '{spec.next_contract}' expires {nxt.expiry:%Y-%m-%d %H:%M} UTC,"
                        f" not after {sym} ({spec.expiry:%Y-%m-%d %H:%M} UTC)"
                    )
                if nxt.contract != spec.contract or nxt.settle != spec.settle:
                    raise ValueError(f"symbols.{sym}.next_contract: '{spec.next_contract}' must have the same contract kind and settlement")
        return self


def margin_call_problem(ratio: float, traits: RuleTraits) -> str | None:
    """Why ``ratio`` cannot be a margin-call threshold under ``traits`` (None if it can).

    Liquidation is at a ratio of 1 in both conventions, so the margin call must
    come first: below 1 for MM / equity (rising towards liquidation), above 1
    for equity / requirement (falling towards it).
    """
    if traits.margin_ratio == "mm_over_equity" and not ratio < 1.0:
        return f"{ratio:g} is at or beyond liquidation (MM / equity >= 1); allowed: 0 < ratio < 1"
    if traits.margin_ratio == "equity_over_requirement" and not ratio > 1.0:
        return f"{ratio:g} is at or beyond liquidation (equity / requirement <= 1); allowed: 1 < ratio <= 10"
    return None


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
