"""Plan file model: account, positions and the plan itself (pydantic, frozen).

Units and signs
---------------
* ``quantity``: linear contracts in base units (BTC); inverse contracts in
  number of contracts (USD notional = contracts x the symbol's contract size).
* prices in quote currency (USD/USDT) per base unit.
* ``isolated_margin``, ``added_margin`` and ``wallet_balance`` in the
  settlement currency of the symbol / profile (USDT for linear, coin for
  inverse).
* funding rates are per funding interval of the symbol; positive: longs pay.
* ``stop_price`` / ``take_profit_price``: the trader's exit prices for a leg,
  quote per base unit; a stop sits on the loss side of the entry (below it for
  a long), a take-profit on the profit side.

* ``roll`` / ``roll_basis``: a dated-future leg rolls into the next contract at
  expiry when ``roll`` is true; ``roll_basis`` is the next contract's
  annualised basis to the index as a fraction (0.05 = it trades 5 % a year
  above the index), over a 365-day year.
* ``index_prices``: index price per base coin (quote per coin), for the basis
  (mark - index) of dated legs.

Format versions: 1 (2026 releases); 2 adds stop/take-profit prices per leg,
``account.margin_model`` (standard or portfolio margin) and ``as_of``, the
plan's clock for dated futures, and (dated futures) ``roll``, ``roll_basis``
and ``index_prices``, all optional. Version 1 files read unchanged.
"""

from __future__ import annotations

from datetime import datetime
from typing import Final, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from planner.model.enums import ContractKind, MarginMode, MarginModel, Side
from planner.model.profile import ExchangeProfile

__all__ = ["PLAN_FORMAT", "PLAN_VERSION", "Account", "ContractKind", "MarginMode", "MarginModel", "Plan", "Position", "Side"]

PLAN_FORMAT: Final = "position-plan"
PLAN_VERSION: Final = 2

#: Prices and sizes beyond these bounds do not describe a real market.
MAX_PRICE = 1e9
MAX_QUANTITY = 1e12
MAX_BALANCE = 1e13
#: Lower bounds: smaller positive numbers are not real prices or sizes (and
#: denormals such as 5e-324 overflow the formulas that divide by them).
MIN_PRICE = 1e-12
MIN_QUANTITY = 1e-12
MIN_LEVERAGE = 0.01
MIN_HORIZON_HOURS = 1.0 / 60.0
MAX_HORIZON_HOURS = 24.0 * 366
MIN_MARGIN_CALL_RATIO = 0.01

_FROZEN = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)


class Position(BaseModel):
    """One leg of a plan."""

    model_config = _FROZEN

    symbol: str = Field(min_length=1, max_length=40, description="symbol as listed in the profile")
    side: Side
    quantity: float = Field(ge=MIN_QUANTITY, le=MAX_QUANTITY, allow_inf_nan=False, description="base units (linear) or contracts (inverse)")
    entry_price: float = Field(ge=MIN_PRICE, le=MAX_PRICE, allow_inf_nan=False, description="average entry, quote per base unit")
    mark_price: float | None = Field(default=None, ge=MIN_PRICE, le=MAX_PRICE, allow_inf_nan=False, description="mark price; null = entry")
    leverage: float = Field(
        ge=MIN_LEVERAGE, le=1000.0, allow_inf_nan=False, description="chosen leverage; initial margin = value / leverage"
    )
    margin_mode: MarginMode = MarginMode.ISOLATED
    isolated_margin: float | None = Field(
        default=None,
        ge=0.0,
        le=MAX_BALANCE,
        allow_inf_nan=False,
        description="margin assigned to an isolated leg, settlement currency; null = initial margin at entry",
    )
    added_margin: float = Field(
        default=0.0,
        ge=-MAX_BALANCE,
        le=MAX_BALANCE,
        allow_inf_nan=False,
        description="margin added (+) or removed (-) on top of isolated_margin",
    )
    stop_price: float | None = Field(
        default=None,
        ge=MIN_PRICE,
        le=MAX_PRICE,
        allow_inf_nan=False,
        description="stop-loss price, quote per base unit; loss side of the entry",
    )
    take_profit_price: float | None = Field(
        default=None,
        ge=MIN_PRICE,
        le=MAX_PRICE,
        allow_inf_nan=False,
        description="take-profit price, quote per base unit; profit side of the entry",
    )

    roll: bool = Field(default=False, description="dated futures: reopen the next contract at expiry (close, reopen, fees)")
    roll_basis: float | None = Field(
        default=None,
        ge=-1.0,
        le=1.0,
        allow_inf_nan=False,
        description="dated futures: annualised basis of the next contract to the index, fraction (-1 to 1); null = 0",
    )

    @model_validator(mode="after")
    def _targets_on_their_side(self) -> Position:
        below, above = ("below", "above") if self.side is Side.LONG else ("above", "below")
        sign = self.side.sign
        if self.stop_price is not None and sign * (self.stop_price - self.entry_price) >= 0:
            raise ValueError(
                f"stop_price: a {self.side.value} stop must be {below} the entry {self.entry_price:g} (got {self.stop_price:g})"
            )
        if self.take_profit_price is not None and sign * (self.take_profit_price - self.entry_price) <= 0:
            raise ValueError(
                f"take_profit_price: a {self.side.value} take-profit must be {above} the entry {self.entry_price:g} "
                f"(got {self.take_profit_price:g})"
            )
        return self

    @property
    def mark(self) -> float:
        return self.entry_price if self.mark_price is None else self.mark_price


class Account(BaseModel):
    """The wallet behind the plan."""

    model_config = _FROZEN

    wallet_balance: float = Field(ge=0.0, le=MAX_BALANCE, allow_inf_nan=False, description="wallet in the profile's settlement currency")
    balances: dict[str, float] = Field(
        default_factory=dict, max_length=100, description="wallets in other settlement currencies (coin-margined symbols), by currency"
    )
    margin_mode_default: MarginMode = MarginMode.ISOLATED
    margin_model: MarginModel = Field(
        default=MarginModel.STANDARD,
        description="standard: each leg margined by its tier table; portfolio: the venue's risk-matrix requirement for the whole account",
    )
    portfolio_collateral: Literal["segregated", "cross"] = Field(
        default="segregated",
        description="portfolio margin only: segregated (each settlement currency alone, Deribit S:PM) or cross (all currencies in USD, X:PM)",
    )

    @model_validator(mode="after")
    def _balances_finite(self) -> Account:
        import math

        for ccy, value in self.balances.items():
            if not math.isfinite(value) or value < 0 or value > MAX_BALANCE:
                raise ValueError(f"balances.{ccy}: must be a finite number between 0 and {MAX_BALANCE:g}")
        return self


class Plan(BaseModel):
    """A position plan (``*.plan.json``)."""

    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)

    format: Literal["position-plan"] = PLAN_FORMAT
    version: Literal[2] = PLAN_VERSION
    name: str = Field(default="Untitled plan", max_length=200)
    profile: str | ExchangeProfile = Field(description="bundled/user profile id, or an inline profile object")
    account: Account
    positions: list[Position] = Field(default_factory=list, max_length=500)
    funding_rates: dict[str, float] = Field(
        default_factory=dict, max_length=5000, description="funding rate per symbol, per funding interval; positive: longs pay"
    )
    horizon_hours: float = Field(
        default=72.0,
        ge=MIN_HORIZON_HOURS,
        le=MAX_HORIZON_HOURS,
        allow_inf_nan=False,
        description="funding / drill horizon, hours (one minute to 366 days)",
    )
    margin_call_ratio: float | None = Field(
        default=None,
        ge=MIN_MARGIN_CALL_RATIO,
        le=10.0,
        allow_inf_nan=False,
        description="overrides the profile's margin-call threshold",
    )
    notes: str = Field(default="", max_length=20000)
    as_of: datetime | None = Field(
        default=None,
        description=(
            "the plan's clock (UTC): dated futures count time to expiry from it and funding settles at the venue's"
            " UTC hours after it; null = when evaluated (funding then takes hour 0 as 00:00 UTC)"
        ),
    )
    index_prices: dict[str, float] = Field(
        default_factory=dict, max_length=500, description="index price per base coin (BTC, ETH), quote per coin; basis = mark - index"
    )

    @model_validator(mode="before")
    @classmethod
    def _read_version_1(cls, data: object) -> object:
        """Version 1 documents differ only by the number: their new fields take their defaults."""
        if isinstance(data, dict) and data.get("version") == 1:
            return {**data, "version": PLAN_VERSION}
        return data

    @model_validator(mode="after")
    def _funding_rates_sane(self) -> Plan:
        import math

        for sym, rate in self.funding_rates.items():
            if not math.isfinite(rate) or abs(rate) > 0.1:
                raise ValueError(f"funding_rates.{sym}: must be a finite fraction between -0.1 and 0.1 per interval")
        return self

    @model_validator(mode="after")
    def _index_prices_sane(self) -> Plan:
        import math

        for coin, price in self.index_prices.items():
            if not math.isfinite(price) or not (MIN_PRICE <= price <= MAX_PRICE):
                raise ValueError(f"index_prices.{coin}: must be a price between {MIN_PRICE:g} and {MAX_PRICE:g} (got {price!r})")
        return self

    @property
    def profile_id(self) -> str:
        return self.profile if isinstance(self.profile, str) else self.profile.id
