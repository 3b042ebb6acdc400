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
"""

from __future__ import annotations

from typing import Final, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from planner.model.enums import ContractKind, MarginMode, Side
from planner.model.profile import ExchangeProfile

__all__ = ["PLAN_FORMAT", "PLAN_VERSION", "Account", "ContractKind", "MarginMode", "Plan", "Position", "Side"]

PLAN_FORMAT: Final = "position-plan"
PLAN_VERSION: Final = 1

#: Prices and sizes beyond these bounds do not describe a real market.
MAX_PRICE = 1e9
MAX_QUANTITY = 1e12
MAX_BALANCE = 1e13

_FROZEN = ConfigDict(frozen=True, extra="forbid")


class Position(BaseModel):
    """One leg of a plan."""

    model_config = _FROZEN

    symbol: str = Field(min_length=1, max_length=40, description="symbol as listed in the profile")
    side: Side
    quantity: float = Field(gt=0.0, le=MAX_QUANTITY, allow_inf_nan=False, description="base units (linear) or contracts (inverse)")
    entry_price: float = Field(gt=0.0, le=MAX_PRICE, allow_inf_nan=False, description="average entry, quote per base unit")
    mark_price: float | None = Field(default=None, gt=0.0, le=MAX_PRICE, allow_inf_nan=False, description="mark price; null = entry")
    leverage: float = Field(gt=0.0, le=1000.0, allow_inf_nan=False, description="chosen leverage; initial margin = value / leverage")
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

    @property
    def mark(self) -> float:
        return self.entry_price if self.mark_price is None else self.mark_price


class Account(BaseModel):
    """The wallet behind the plan."""

    model_config = _FROZEN

    wallet_balance: float = Field(ge=0.0, le=MAX_BALANCE, allow_inf_nan=False, description="wallet in the profile's settlement currency")
    balances: dict[str, float] = Field(
        default_factory=dict, description="wallets in other settlement currencies (coin-margined symbols), by currency"
    )
    margin_mode_default: MarginMode = MarginMode.ISOLATED

    @model_validator(mode="after")
    def _balances_finite(self) -> Account:
        import math

        for ccy, value in self.balances.items():
            if not math.isfinite(value) or value < 0 or value > MAX_BALANCE:
                raise ValueError(f"balances.{ccy}: must be a finite number between 0 and {MAX_BALANCE:g}")
        return self


class Plan(BaseModel):
    """A position plan (``*.plan.json``)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    format: Literal["position-plan"] = PLAN_FORMAT
    version: Literal[1] = PLAN_VERSION
    name: str = Field(default="Untitled plan", max_length=200)
    profile: str | ExchangeProfile = Field(description="bundled/user profile id, or an inline profile object")
    account: Account
    positions: list[Position] = Field(default_factory=list, max_length=500)
    funding_rates: dict[str, float] = Field(
        default_factory=dict, description="funding rate per symbol, per funding interval; positive: longs pay"
    )
    horizon_hours: float = Field(default=72.0, gt=0.0, le=24.0 * 366, allow_inf_nan=False, description="funding / drill horizon")
    margin_call_ratio: float | None = Field(
        default=None, gt=0.0, le=10.0, allow_inf_nan=False, description="overrides the profile's margin-call threshold"
    )
    notes: str = Field(default="", max_length=20000)

    @model_validator(mode="after")
    def _funding_rates_sane(self) -> Plan:
        import math

        for sym, rate in self.funding_rates.items():
            if not math.isfinite(rate) or abs(rate) > 0.1:
                raise ValueError(f"funding_rates.{sym}: must be a finite fraction between -0.1 and 0.1 per interval")
        return self

    @property
    def profile_id(self) -> str:
        return self.profile if isinstance(self.profile, str) else self.profile.id
