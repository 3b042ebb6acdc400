"""Position-risk planner model layer: pure Python, numpy and pydantic; never Qt.

Public entry points: :func:`planner.engine.evaluate.evaluate`, the plan/profile
models, :mod:`planner.engine.liquidation` (vectorised solvers) and the CLI.
"""

__version__ = "0.1.0"
