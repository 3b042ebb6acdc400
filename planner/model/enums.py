"""Small enumerations shared by the models and the engines."""

from __future__ import annotations

from enum import Enum


class Side(str, Enum):
    """Position direction. ``sign`` is +1 for long, -1 for short."""

    LONG = "long"
    SHORT = "short"

    @property
    def sign(self) -> int:
        return 1 if self is Side.LONG else -1


class MarginMode(str, Enum):
    """Isolated: the leg has its own margin. Cross: legs share the wallet."""

    ISOLATED = "isolated"
    CROSS = "cross"


class ContractKind(str, Enum):
    """Linear: size in base units, margin in quote. Inverse: size in USD contracts, margin in coin."""

    LINEAR = "linear"
    INVERSE = "inverse"


class MarginModel(str, Enum):
    """How the account's requirement is computed.

    Standard: leg by leg from each symbol's tier table. Portfolio: the venue's
    risk-matrix method on the whole account (worst loss over price scenarios).
    """

    STANDARD = "standard"
    PORTFOLIO = "portfolio"
