"""The margin engine: tiers, liquidation solver, evaluation, curves, funding, validation."""
