"""Event presets (CPI, FOMC, weekend, listing): the move distribution a drill uses.

Data lives in ``resources/events/*.json`` with its public sources. A preset
turns into a :class:`planner.drills.montecarlo.MarketModel`: diffusion at
``volatility`` plus, for a scheduled release, on average ``expected_jumps``
log-jumps of standard deviation ``typical_move`` within the horizon.
"""

from __future__ import annotations

from functools import lru_cache
from importlib import resources
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from planner.drills.montecarlo import HOURS_PER_YEAR, MIN_VOLATILITY, MarketModel
from planner.io.jsonread import read_json_file
from planner.model.errors import PlannerError, Problem, problems_from_validation
from planner.model.plan import MIN_HORIZON_HOURS
from planner.model.profile import Source


class EventPreset(BaseModel):
    """A volatile event's move distribution (fractions; volatility annualised)."""

    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)

    format: str = Field(default="event-preset", pattern="^event-preset$")
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,40}$")
    name: str = Field(min_length=1, max_length=80)
    horizon_hours: float = Field(ge=MIN_HORIZON_HOURS, le=24 * 31, allow_inf_nan=False, description="hours, one minute to 31 days")
    typical_move: float = Field(ge=1e-6, lt=1, allow_inf_nan=False, description="one-standard-deviation move caused by the event")
    tail_move: float = Field(ge=1e-6, lt=1, allow_inf_nan=False, description="a rare but seen move (about 1 in 20 events)")
    volatility: float = Field(
        ge=MIN_VOLATILITY, le=20, allow_inf_nan=False, description="background annualised volatility during the horizon"
    )
    expected_jumps: float = Field(
        ge=0, le=100, allow_inf_nan=False, description="jumps expected within the horizon (1 for a scheduled release)"
    )
    correlation: float = Field(default=0.8, ge=0, le=1, allow_inf_nan=False)
    sources: list[Source] = Field(min_length=1)
    notes: str = ""

    def model(self, volatility: float | None = None) -> MarketModel:
        """The Monte Carlo model this preset implies."""
        years = self.horizon_hours / HOURS_PER_YEAR
        return MarketModel(
            volatility=self.volatility if volatility is None else volatility,
            jump_intensity=self.expected_jumps / years,
            jump_mean=0.0,
            jump_std=self.typical_move,
            correlation=self.correlation,
        )


def load_event_file(path: str | Path) -> EventPreset:
    """Read and validate an event-preset JSON file."""
    data = read_json_file(path)
    if not isinstance(data, dict):
        raise PlannerError([Problem("", "an event preset file must hold a JSON object")], str(path))
    try:
        return EventPreset.model_validate(data)
    except ValidationError as exc:
        raise PlannerError(problems_from_validation(exc), str(path)) from None


@lru_cache(maxsize=1)
def bundled_events() -> dict[str, EventPreset]:
    folder = Path(str(resources.files("resources") / "events"))
    return {e.id: e for e in (load_event_file(p) for p in sorted(folder.glob("*.json")))}
