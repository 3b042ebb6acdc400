"""PlanDocument: the plan being edited, its profile, evaluation, undo stack and file.

Two plans are kept: ``plan`` is the last valid plan (what every figure and
curve shows) and ``draft`` is the plan as the user typed it, which may have
problems against its profile (a leverage above the tier maximum, a symbol the
new profile does not list). Nothing typed is lost; nothing invalid is shown
as a figure.
"""

from __future__ import annotations

import time
import zlib
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import ValidationError
from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QUndoCommand, QUndoStack

from planner.drills.plan_targets import LegTargets, plan_targets
from planner.drills.sizing import DEFAULT_SLIPPAGE, SizeResult, size_from_risk
from planner.drills.snapshots import with_snapshot
from planner.engine.curves import FundingCurves, PriceCurves, default_price_range, funding_curves, price_curves
from planner.engine.evaluate import Evaluation, evaluate
from planner.engine.portfolio_margin import PortfolioLevel, portfolio_levels
from planner.engine.tiers import TierTable, max_leverage_at
from planner.engine.validation import formula_quantity, plan_problems, wallet_for
from planner.engine.venues import LegMapping, VenueMapping, map_plan, symbol_coin
from planner.io.plan_files import load_plan, resolve_profile, save_plan
from planner.model.enums import MarginMode
from planner.model.errors import PlannerError, Problem, problems_from_validation
from planner.model.plan import Account, Plan, Position
from planner.model.profile import ExchangeProfile

EXAMPLE_PLAN = Path(__file__).resolve().parents[1] / "resources" / "examples" / "btc-10x-isolated.plan.json"

#: Points of the liquidation plot's price grid (the price-grid CSV has this many rows).
GRID_POINTS = 2000
#: Points of the equity plot's time axis (settlement instants are added to them).
FUNDING_POINTS = 200


@dataclass(frozen=True)
class Figures:
    """Everything the plots draw for one state of the document, computed once per change.

    ``evaluation`` is None when the plan has problems (then both curves are None).
    ``symbol`` is the symbol the liquidation plot shows; ``price`` its curves over
    the price grid (prices in the symbol's quote currency, equity and requirement
    in its settlement currency); ``mark`` its current (what-if) mark price.
    ``view_range`` is the (low, high) mark range that shows the symbol's entry, mark,
    liquidation and bankruptcy prices now; the plot zooms to it when ``view_serial``
    changes (a new symbol, profile or file, or "Reset plot zoom") and when a level
    has left its view (unless the user zoomed).
    ``funding`` is equity over ``plan.horizon_hours`` under funding (positive rate: longs pay).
    ``targets`` maps the 0-based index of each leg with a stop or take-profit (of every leg once a
    target ROE is set) to its figures (PnL, ROE, R:R and the price for the document's target ROE),
    computed with the evaluation.
    """

    plan: Plan
    profile: ExchangeProfile
    evaluation: Evaluation | None
    marks: dict[str, float] = field(default_factory=dict)
    symbol: str | None = None
    mark: float | None = None
    price: PriceCurves | None = None
    funding: FundingCurves | None = None
    view_range: tuple[float, float] | None = None
    view_serial: int = 0
    #: Portfolio-margin plans: the PM liquidation of the shown symbol's account as prices of that symbol
    #: (``planner.engine.portfolio_margin.portfolio_levels``); empty otherwise.
    portfolio_levels: tuple[PortfolioLevel, ...] = ()
    targets: dict[int, LegTargets] = field(default_factory=dict)


def price_grid(
    plan: Plan, profile: ExchangeProfile, evaluation: Evaluation, symbol: str, marks: dict[str, float]
) -> tuple[np.ndarray, tuple[float, float]]:
    """The liquidation plot's price grid for ``symbol`` and the range it zooms to.

    The range shows entry, mark, liquidation, bankruptcy, stop and take-profit prices
    of the symbol's legs (quote currency); the grid runs 1.5 range widths beyond it on both sides
    (never below 2 % of the range's low end) so a pan or zoom-out still has curves.
    """
    legs = [l for l in evaluation.legs if l.symbol == symbol]
    levels = [l.liquidation_price for l in legs] + [l.bankruptcy_price for l in legs]
    # The trader's stop and take-profit prices are in view too (the plot shades entry..stop and entry..target).
    levels += [v for p in plan.positions if p.symbol == symbol for v in (p.stop_price, p.take_profit_price) if v is not None]
    lo, hi = default_price_range(plan, profile, symbol, levels, marks)
    width = hi - lo
    return np.linspace(max(lo - 1.5 * width, lo * 0.02), hi + 1.5 * width, GRID_POINTS), (lo, hi)


class PlanCommand(QUndoCommand):
    """Swap whole plans: undo restores the exact previous plan (and its legs left off by a venue switch)."""

    def __init__(
        self,
        doc: PlanDocument,
        old: Plan,
        new: Plan,
        text: str,
        merge_key: str | None,
        old_unmapped: list[LegMapping] | None = None,
        new_unmapped: list[LegMapping] | None = None,
    ) -> None:
        super().__init__(text)
        self.doc, self.old, self.new, self.key = doc, old, new, merge_key
        self.old_unmapped = list(old_unmapped or [])
        self.new_unmapped = list(new_unmapped or [])
        # A venue switch keeps its mapping, so redo shows the same header notes and keeps the plot on the same leg.
        self.mapping = (doc.mapping, doc.mapping_source_name) if merge_key == "venue" else None

    def id(self) -> int:
        return (zlib.crc32(self.key.encode()) & 0x3FFFFFFF) + 1 if self.key else -1

    def mergeWith(self, other: QUndoCommand) -> bool:
        if not isinstance(other, PlanCommand) or other.key != self.key or self.key is None:
            return False
        self.new = other.new
        self.new_unmapped = other.new_unmapped
        self.mapping = other.mapping
        self.setText(other.text())
        # Switching through venues and back to the first one is no step at all.
        self.setObsolete(self.new == self.old and self.new_unmapped == self.old_unmapped)
        return True

    def redo(self) -> None:
        if self.mapping is not None:
            self.doc.mapping, self.doc.mapping_source_name = self.mapping
        self.doc._install(self.new, unmapped=self.new_unmapped)

    def undo(self) -> None:
        self.doc._install(self.old, unmapped=self.old_unmapped)


class PlanDocument(QObject):
    """The open plan: edits go in through methods, figures come out through ``changed``."""

    changed = Signal(object, object)  # plan, evaluation
    figuresChanged = Signal(object)  # Figures: what the plots draw (after every change, symbol switch, zoom reset)
    userProfilesChanged = Signal()
    problemsChanged = Signal(list)  # list[Problem]
    pathChanged = Signal(object)  # Path | None
    dirtyChanged = Signal(bool)
    marksChanged = Signal(object)  # dict[str, float]

    def __init__(
        self, plan: Plan | None = None, user_profiles: dict[str, ExchangeProfile] | None = None, parent: QObject | None = None
    ) -> None:
        super().__init__(parent)
        self.user_profiles: dict[str, ExchangeProfile] = dict(user_profiles or {})
        self.undo_stack = QUndoStack(self)
        self.undo_stack.cleanChanged.connect(self._on_clean_changed)
        self.path: Path | None = None
        self.marks: dict[str, float] = {}
        self.problems: list[Problem] = []
        self.eval_ms = 0.0
        self.evaluation: Evaluation | None = None
        self.focus: str | None = None  # symbol of the liquidation plot
        #: Legs of the draft that the last venue switch could not map (each with its reason):
        #: they are not in the plan, the Results table shows them as rows with "—" and the reason.
        self.unmapped: list[LegMapping] = []
        self._plan_unmapped: list[LegMapping] = []  # the same for ``plan`` (what undo restores)
        #: The last venue switch's mapping (notes for the Results header), None after other changes of venue.
        self.mapping: VenueMapping | None = None
        self.mapping_source_name = ""  # the venue the last switch mapped from
        #: The draft (and its unmapped legs) before a run of venue switches with no edit between
        #: them: each switch of the run maps from it, so stepping through the list with the
        #: arrow keys never loses a leg a venue on the way does not list.
        self._venue_origin: tuple[Plan, list[LegMapping]] | None = None
        self._grid: np.ndarray | None = None
        self._view_range: tuple[float, float] | None = None
        self._view_serial = 0
        self._checked: tuple[Plan, ExchangeProfile | None, list[Problem]] | None = None
        #: Return on initial margin (fraction) whose exit price Figures.targets gives per leg (None: none).
        self.target_roe: float | None = None
        self._targets_key: tuple[object, ...] | None = None
        self._targets: dict[int, LegTargets] = {}
        self._draft_caps: tuple[Plan | None, dict[int, float | None]] = (None, {})  # max_leverage(), per draft
        self.plan = plan if plan is not None else load_plan(EXAMPLE_PLAN)
        self.draft = self.plan
        self.profile = self._profile_for(self.plan)
        self.figures = Figures(self.plan, self.profile, None)
        self._install(self.plan, initial=True)

    # -- reading -----------------------------------------------------------
    def _profile_for(self, plan: Plan) -> ExchangeProfile:
        return resolve_profile(plan, self.user_profiles)

    def draft_profile_name(self) -> str:
        """Name of the draft's venue (its id when the id names no known profile)."""
        profile, _ = self.check(self.draft)
        return profile.name if profile is not None else self.draft.profile_id

    def is_dirty(self) -> bool:
        return not self.undo_stack.isClean()

    def left_out_lines(self) -> list[str]:
        """One line per leg a venue switch left out of the plan (``unmapped``): the leg and why.

        E.g. ``#2 SOLUSDT short 40 at 150 on Binance USDS-M perpetuals: OKX USDT-margined
        perpetual swaps lists no SOL perpetual quoted in USD``; quantity and price in the units of the
        venue the leg was last mapped on (named). Empty when every leg is in the plan.
        """
        out = []
        for m in self.unmapped:
            pos = m.position
            leg = f"#{m.index + 1} {m.source_symbol}"
            if pos is not None:
                leg += f" {pos.side.value} {pos.quantity:,.8g} at {pos.entry_price:,.8g}"
            if m.origin is not None and not m.carried:  # a carried leg's reason names its venue
                leg += f" on {m.origin.name}"
            out.append(f"{leg}: {m.reason}")
        return out

    def problems_at(self, prefix: str) -> list[Problem]:
        """Problems whose field path starts with ``prefix`` (e.g. ``positions.0``)."""
        return [p for p in self.problems if p.path == prefix or p.path.startswith(prefix + ".")]

    def max_leverage(self, index: int) -> float | None:
        """The most leverage the venue allows leg ``index`` of the draft (the plan on screen) at its size.

        Same basis as validation and ``evaluate``: the position value at entry (quote currency
        for linear, contracts x contract size for inverse) looked up in the symbol's tier table.
        When the draft is the evaluated plan this is the evaluation's ``max_leverage`` (nothing
        computed); for a draft that differs (a refused edit, a venue the legs do not fit yet) it is
        computed once per draft and leg. None when the draft's profile does not list the leg's symbol.
        """
        draft = self.draft
        if not 0 <= index < len(draft.positions):
            return None
        ev = self.evaluation
        if draft is self.plan and ev is not None and index < len(ev.legs) and ev.legs[index].index == index:
            return ev.legs[index].max_leverage
        plan, caps = self._draft_caps
        if plan is not draft:
            caps = {}
            self._draft_caps = (draft, caps)
        if index not in caps:
            profile, _ = self.check(draft)
            pos = draft.positions[index]
            spec = profile.symbols.get(pos.symbol) if profile is not None else None
            caps[index] = (
                None if spec is None else float(max_leverage_at(formula_quantity(pos, spec), pos.entry_price, TierTable.from_spec(spec)))
            )
        return caps[index]

    def check(self, plan: Plan) -> tuple[ExchangeProfile | None, list[Problem]]:
        """Profile and problems of ``plan`` (unknown profile -> a problem at ``profile``).

        The result for the last plan checked is kept, so an edit that is checked
        in ``apply_plan`` is not validated again when its undo command installs it.
        """
        cached = self._checked
        if cached is not None and cached[0] is plan:
            return cached[1], list(cached[2])
        try:
            profile = self._profile_for(plan)
        except PlannerError as exc:
            result: tuple[ExchangeProfile | None, list[Problem]] = (None, list(exc.problems))
        else:
            result = (profile, plan_problems(plan, profile))
        self._checked = (plan, result[0], result[1])
        return result[0], list(result[1])

    # -- editing -----------------------------------------------------------
    def apply_plan(self, new_plan: Plan, text: str, merge_key: str | None = None, unmapped: list[LegMapping] | None = None) -> bool:
        """Validate ``new_plan`` and, if it is fine, push it as one undoable edit.

        Consecutive edits with the same ``merge_key`` (keystrokes in one field)
        merge into one undo step. On problems the draft keeps the new plan, the
        problems are emitted and the last valid plan stays on show.
        ``unmapped``: legs a venue switch left out of ``new_plan`` (None keeps the draft's).
        """
        self.draft = new_plan
        self._venue_origin = None  # an edit ends a run of venue switches
        if unmapped is not None:
            self.unmapped = list(unmapped)
        profile, problems = self.check(new_plan)
        if problems or profile is None:
            self._set_problems(problems)
            return False
        if new_plan == self.plan and self.unmapped == self._plan_unmapped:
            self._set_problems([])
            return True
        self.undo_stack.push(PlanCommand(self, self.plan, new_plan, text, merge_key, self._plan_unmapped, self.unmapped))
        return True

    def refuse(self, problems: list[Problem]) -> None:
        """Report problems of an input that could not even form a plan (draft unchanged)."""
        self._set_problems(problems)

    def update_position(self, index: int, text: str = "", merge_key: str | None = None, **changes: Any) -> bool:
        """Change fields of leg ``index`` of the draft (validated field by field)."""
        base = self.draft
        try:
            pos = Position.model_validate({**base.positions[index].model_dump(), **changes})
        except ValidationError as exc:
            self.refuse(_leg_problems(index, problems_from_validation(exc), changes))
            return False
        positions = list(base.positions)
        positions[index] = pos
        if "mark_price" in changes:
            self.marks.pop(pos.symbol, None)
        field = ", ".join(changes)
        return self.apply_plan(base.model_copy(update={"positions": positions}), text or f"Edit leg {index + 1} {field}", merge_key)

    def update_account(self, text: str = "", merge_key: str | None = None, **changes: Any) -> bool:
        try:
            acc = Account.model_validate({**self.draft.account.model_dump(), **changes})
        except ValidationError as exc:
            self.refuse([Problem(f"account.{p.path}", p.message) for p in problems_from_validation(exc)])
            return False
        return self.apply_plan(self.draft.model_copy(update={"account": acc}), text or "Edit account", merge_key)

    def update_plan(self, text: str = "", merge_key: str | None = None, **changes: Any) -> bool:
        """Change top-level plan fields (funding_rates, horizon_hours, name, ...), validated."""
        data = {k: getattr(self.draft, k) for k in Plan.model_fields}
        data.update(changes)
        try:
            plan = Plan.model_validate(data)
        except ValidationError as exc:
            self.refuse(problems_from_validation(exc))
            return False
        return self.apply_plan(plan, text or "Edit plan", merge_key)

    def add_position(self, pos: Position, at: int | None = None) -> bool:
        positions = list(self.draft.positions)
        at = len(positions) if at is None else at
        positions.insert(at, pos)
        moved = self._unmapped_moved(at, removed=False)
        return self.apply_plan(self.draft.model_copy(update={"positions": positions}), f"Add {pos.symbol} leg", unmapped=moved)

    def wallet_in(self, currency: str) -> float | None:
        """The shown plan's wallet in ``currency`` (a settlement currency); None when the plan gives none."""
        return wallet_for(self.plan, self.profile, currency)

    def size_trade(
        self,
        symbol: str,
        side: str,
        *,
        entry: float,
        stop: float,
        risk: str,
        wallet: float | None = None,
        leverage: float | None = None,
        slippage: float = DEFAULT_SLIPPAGE,
        take_profit: float | None = None,
    ) -> SizeResult:
        """Size a new trade on the shown plan's profile (:func:`planner.drills.sizing.size_from_risk`).

        ``wallet`` None: the plan's wallet in the symbol's settlement currency. Raises
        PlannerError naming the field (``symbol``, ``wallet``, ``risk``, ``stop``, ``leverage``, ...).
        """
        if wallet is None:
            spec = self.profile.symbols.get(symbol)
            wallet = self.wallet_in(spec.settle) if spec is not None else None
            if wallet is None and spec is not None:
                raise PlannerError([Problem("wallet", f"the plan has no {spec.settle} wallet; type one")], "size")
        return size_from_risk(
            self.profile,
            symbol,
            side,
            entry=entry,
            stop=stop,
            wallet=wallet if wallet is not None else 0.0,
            risk=risk,
            leverage=leverage,
            slippage=slippage,
            take_profits=[take_profit] if take_profit is not None else None,
        )

    def add_sized_leg(self, result: SizeResult, take_profit: float | None = None) -> bool:
        """Add the leg ``result`` sized (isolated, its leverage and stop, the quantity rounded down to the
        contract step) as one undoable step. Raises PlannerError when the rounded quantity is zero."""
        if result.quantity_rounded <= 0:
            raise PlannerError(
                [Problem("risk", f"the size {result.quantity:.6g} {result.quantity_unit} is below one contract step; risk more")], "size"
            )
        pos = Position(
            symbol=result.symbol,
            side=result.side,
            quantity=result.quantity_rounded,
            entry_price=result.entry,
            leverage=result.leverage,
            margin_mode=MarginMode.ISOLATED,
            stop_price=result.stop,
            take_profit_price=take_profit,
        )
        positions = [*self.draft.positions, pos]
        return self.apply_plan(self.draft.model_copy(update={"positions": positions}), f"Add {pos.symbol} leg sized from risk")

    def remove_position(self, index: int) -> bool:
        positions = list(self.draft.positions)
        gone = positions.pop(index)
        moved = self._unmapped_moved(index, removed=True)
        return self.apply_plan(self.draft.model_copy(update={"positions": positions}), f"Remove {gone.symbol} leg", unmapped=moved)

    def _unmapped_moved(self, at: int, removed: bool) -> list[LegMapping] | None:
        """The unmapped legs renumbered for draft leg ``at`` removed (or a leg inserted before it).

        An unmapped leg's ``index`` is its place among the plan's legs (the next switch puts it
        back there, like :func:`map_plan` with ``carried``); a leg removed or inserted before it
        moves it, so it returns between the same neighbours. None when there are none.
        """
        if not self.unmapped:
            return None
        n = len(self.draft.positions)
        slots: list[int | LegMapping] = list(range(n))  # draft legs by index, the unmapped legs at their places
        for m in sorted(self.unmapped, key=lambda m: m.index):
            slots.insert(min(m.index, len(slots)), m)
        if removed:
            slots.remove(at)
        else:
            slots.insert(slots.index(at) if at < n else len(slots), -1)
        return [replace(m, index=i) for i, m in enumerate(slots) if isinstance(m, LegMapping)]

    def bring_back(self, gone: LegMapping, pos: Position, funding_rate: float | None, text: str) -> tuple[bool, int, str]:
        """Put the unmapped leg ``gone`` back into the plan as ``pos`` at its place: one undoable step.

        Its place is where its row stands among the plan's legs and the other unmapped legs (the
        slots of :meth:`_unmapped_moved`, ``gone.index`` clamped to their count), so #2 comes back as
        the leg after #1; the other unmapped legs keep their places (renumbered the same way as
        after an add or a remove). ``funding_rate`` (fraction per interval of ``pos.symbol``) is
        used when the plan has no rate for the symbol yet; one rate per symbol, so a rate another
        leg set is kept. Returns (accepted, the leg's index in the draft, a note naming the rate
        kept and the one dropped, or "").
        """
        n = len(self.draft.positions)
        slots: list[int | LegMapping] = list(range(n))
        for m in sorted(self.unmapped, key=lambda m: m.index):
            slots.insert(min(m.index, len(slots)), m)
        k = next(i for i, m in enumerate(slots) if m is gone)
        at = sum(1 for m in slots[:k] if isinstance(m, int))
        rest = [replace(m, index=i) for i, m in enumerate(slots) if isinstance(m, LegMapping) and m is not gone]
        rates = dict(self.draft.funding_rates)
        note = ""
        if funding_rate is not None:
            kept = rates.setdefault(pos.symbol, funding_rate)
            if abs(kept - funding_rate) > 1e-15:
                note = (
                    f"#{at + 1} {pos.symbol}: funding rate of {pos.symbol} already set by another leg "
                    f"({kept:.6%} kept); its own {funding_rate:.6%} not used (one rate per symbol)"
                )
        positions = list(self.draft.positions)
        positions.insert(at, pos)
        plan = self.draft.model_copy(update={"positions": positions, "funding_rates": rates})
        return self.apply_plan(plan, text, unmapped=rest), at, note

    def set_profile(self, profile_id: str) -> bool:
        """Switch the exchange profile: one undoable step ("Switch to OKX") that maps the legs.

        Legs go to the new venue's perpetual of the same coin with
        :func:`planner.engine.venues.map_plan` (the mapping ``evaluate --profile``
        and the comparison drill use): linear <-> inverse at equal USD value at
        entry, funding rates carried by coin at the same rate per hour. A leg the
        venue does not list is left out of the plan and kept in ``unmapped`` with
        its reason, as it was on its venue: the next switch (after edits too) maps it
        from there, so it comes back on a venue that lists it and stays listed
        otherwise. What-if marks are carried to the new symbols (old keys kept, so
        undo finds them). If the draft's venue cannot be read, only the id changes.
        """
        try:
            target = resolve_profile(self.draft.model_copy(update={"profile": profile_id}), self.user_profiles)
        except PlannerError as exc:
            self.refuse(list(exc.problems))
            return False
        origin = self._venue_origin or (self.draft, list(self.unmapped))
        base, base_unmapped = origin
        try:
            source: ExchangeProfile | None = self._profile_for(base)
        except PlannerError:
            source = None
        text = f"Switch to {target.name}"
        if source is None or source.id == target.id:
            self.mapping = None
            if source is None:
                new, unmapped = base.model_copy(update={"profile": profile_id}), base_unmapped
            else:
                new, unmapped = base, base_unmapped  # back to the run's first venue: its exact plan
            ok = self.apply_plan(new, text, merge_key="venue", unmapped=unmapped)
        else:
            mapping = map_plan(base, target, source, carried=base_unmapped)
            for leg in mapping.legs:
                if leg.target_symbol is None or leg.source_symbol not in self.marks:
                    continue
                self.marks[leg.target_symbol] = self.marks[leg.source_symbol] * leg.price_scale
            self.mapping, self.mapping_source_name = mapping, source.name
            ok = self.apply_plan(mapping.plan, text, merge_key="venue", unmapped=mapping.unmapped)
        self._venue_origin = origin
        return ok

    def set_mark(self, symbol: str, price: float | None) -> None:
        """What-if mark for ``symbol`` (not undoable); None returns to the plan's mark."""
        if price is None:
            self.marks.pop(symbol, None)
        elif price > 0:
            self.marks[symbol] = float(price)
        else:
            return
        self._evaluate()
        self.marksChanged.emit(dict(self.marks))
        self.changed.emit(self.plan, self.evaluation)
        self.figuresChanged.emit(self.figures)

    def set_target_roe(self, roe: float | None) -> None:
        """The return on initial margin (fraction, 0.5 = +50 %) whose exit price each leg shows (not undoable)."""
        if roe == self.target_roe:
            return
        self.target_roe = roe
        self._compute_figures(funding=False)
        self.changed.emit(self.plan, self.evaluation)
        self.figuresChanged.emit(self.figures)

    def set_focus(self, symbol: str | None) -> None:
        """Show ``symbol`` in the liquidation plot (curves recomputed, zoom reset; no re-evaluation)."""
        if symbol == self.focus:
            return
        self.focus = symbol
        self.reset_view()

    def reset_view(self) -> None:
        """Rebuild the price grid around the focus symbol's levels and ask the plot to zoom to them."""
        self._grid = None
        self._view_serial += 1
        self._compute_figures(funding=False)
        self.figuresChanged.emit(self.figures)

    def set_user_profiles(self, user_profiles: dict[str, ExchangeProfile]) -> None:
        """Replace the user profiles (after an import or an edit); selectors reload their lists."""
        self.user_profiles = dict(user_profiles)
        self._checked = None
        self.userProfilesChanged.emit()

    # -- files -------------------------------------------------------------
    def load(self, path: str | Path) -> None:
        """Open a plan file (raises PlannerError with every problem of the file)."""
        plan = load_plan(path)
        self.plan = self.draft = plan
        self.marks = {}
        self.unmapped, self._plan_unmapped, self.mapping = [], [], None
        self.path = Path(path)
        self.undo_stack.clear()
        self._grid = None
        self._view_serial += 1
        self._install(plan, initial=True)
        self.pathChanged.emit(self.path)

    def new(self) -> None:
        """An empty plan on the current profile."""
        plan = Plan(profile=self.plan.profile, account=Account(wallet_balance=10000.0), name="Untitled plan")
        self.plan = self.draft = plan
        self.marks = {}
        self.unmapped, self._plan_unmapped, self.mapping = [], [], None
        self.path = None
        self.undo_stack.clear()
        self._grid = None
        self._view_serial += 1
        self._install(plan, initial=True)
        self.pathChanged.emit(None)

    def open_unsaved(self, plan: Plan) -> None:
        """Show ``plan`` as a new plan that has no file yet (imported positions): fresh undo history, marked modified."""
        self.plan = self.draft = plan
        self.marks = {}
        self.unmapped, self._plan_unmapped, self.mapping = [], [], None
        self.path = None
        self.undo_stack.clear()
        self.focus = plan.positions[0].symbol if plan.positions else None
        self._grid = None
        self._view_serial += 1
        self._install(plan, initial=True)
        self.undo_stack.resetClean()  # nothing on disk holds it: closing asks to save
        self.pathChanged.emit(None)

    def save(self, path: str | Path | None = None) -> Path:
        """Save the last valid plan (atomic write); returns the path written."""
        target = Path(path) if path is not None else self.path
        if target is None:
            raise ValueError("no file name given")
        # The file carries the profile it was planned on, so it re-opens with the same numbers.
        save_plan(with_snapshot(self.plan, self.profile), target)
        self.undo_stack.setClean()
        if target != self.path:
            self.path = target
            self.pathChanged.emit(target)
        return target

    # -- internals -----------------------------------------------------------
    def _on_clean_changed(self, clean: bool) -> None:
        self.dirtyChanged.emit(not clean)

    def _set_problems(self, problems: list[Problem], quiet_if_same: bool = False) -> None:
        """Keep ``problems`` and emit ``problemsChanged``.

        ``quiet_if_same``: no signal when they equal the ones on show (``_install``: ``changed``
        follows at once and every view that follows the draft listens to it, so an accepted
        edit renders once, not twice).
        """
        if problems != self.problems:
            self.problems = list(problems)
        elif quiet_if_same:
            return
        self.problemsChanged.emit(self.problems)

    def _install(self, plan: Plan, initial: bool = False, unmapped: list[LegMapping] | None = None) -> None:
        """Make ``plan`` the shown plan (from a command or a load) and re-evaluate."""
        profile, problems = self.check(plan)
        self.draft = plan
        self._venue_origin = None  # undo/redo/load: the next switch maps from what is on screen
        if unmapped is not None:
            self.unmapped = list(unmapped)
        if profile is not None and not problems:
            if unmapped is not None:
                self._plan_unmapped = list(unmapped)
            if profile.id != self.profile.id:
                self._grid = None  # another venue's numbers: zoom to the new levels
                self._view_serial += 1
                if self.mapping is not None and self.mapping.target_id != profile.id:
                    self.mapping = None  # undone (or another way to this venue): its notes do not apply
                self._follow_focus(plan, self.profile, profile)
            self.plan = plan
            self.profile = profile
            self._evaluate()
        elif initial:
            # A file that does not fit its profile: show it with its problems, no figures.
            self.plan = plan
            if profile is not None:
                self.profile = profile
            self.evaluation = None
            self._compute_figures()
        self._set_problems(problems, quiet_if_same=True)
        self.changed.emit(self.plan, self.evaluation)
        self.figuresChanged.emit(self.figures)

    def _follow_focus(self, new: Plan, old_profile: ExchangeProfile, new_profile: ExchangeProfile) -> None:
        """Keep the liquidation plot on the same leg when a venue switch renames its symbol.

        The switch's mapping names the leg when it mapped from the plan on show; otherwise
        (a run of switches, undo) the first leg of the same coin (BTCUSDT -> PF_XBTUSD), else the first leg.
        """
        if self.focus is None or any(p.symbol == self.focus for p in new.positions):
            return
        focus, self.focus = self.focus, None
        if self.mapping is not None:
            hit = next((m.target_index for m in self.mapping.legs if m.source_symbol == focus and m.target_index is not None), None)
            if hit is not None and hit < len(new.positions):
                self.focus = new.positions[hit].symbol
                return
        coin = symbol_coin(focus, old_profile).coin
        self.focus = next((p.symbol for p in new.positions if symbol_coin(p.symbol, new_profile).coin == coin), None)
        if self.focus is None and new.positions:
            self.focus = new.positions[0].symbol

    def _evaluate(self) -> None:
        """The one evaluation of this change (the plan was validated by ``check``), then the plots' curves."""
        t0 = time.perf_counter()
        try:
            self.evaluation = evaluate(self.plan, self.profile, marks=self.marks or None, validate=False)
        except PlannerError as exc:
            self.evaluation = None
            self._set_problems(list(exc.problems))
        self.eval_ms = (time.perf_counter() - t0) * 1000.0
        self._compute_figures()

    def _compute_figures(self, funding: bool = True) -> None:
        """Curves of both plots for the current plan, marks and focus symbol (no evaluation here).

        ``funding=False`` keeps the funding curves of the last change (the plan and marks did not change).
        """
        plan, profile, ev, marks = self.plan, self.profile, self.evaluation, dict(self.marks)
        symbol = self.focus
        price = None
        mark = None
        shown = ev is not None and symbol is not None and symbol in profile.symbols and any(p.symbol == symbol for p in plan.positions)
        # The equity plot follows the wallet of the leg in the liquidation plot (a BTC and an ETH wallet on COIN-M).
        wallet = profile.symbols[symbol].settle if shown and symbol is not None else profile.settle_currency
        last = self.figures.funding
        kept = (
            last
            if not funding and self.figures.plan is plan and self.figures.marks == marks and last is not None and last.currency == wallet
            else None
        )
        if ev is not None and shown and symbol is not None:
            grid, rng = price_grid(plan, profile, ev, symbol, marks)
            g = self._grid
            # Rebuild the grid when a level leaves it or it has grown coarse around the levels;
            # the plot decides whether to refit its view (it keeps a user's zoom).
            if g is None or rng[0] < g[0] or rng[1] > g[-1] or (rng[1] - rng[0]) * 40 < g[-1] - g[0]:
                self._grid = grid
            self._view_range = rng
            price = price_curves(plan, profile, symbol, grid if self._grid is None else self._grid, marks=marks or None)
            mark = marks.get(symbol, next(p.mark for p in plan.positions if p.symbol == symbol))
        funding_c = kept
        if ev is not None and funding_c is None:
            funding_c = funding_curves(
                plan, profile, horizon_hours=plan.horizon_hours, currency=wallet, marks=marks or None, n_points=FUNDING_POINTS
            )
        self.figures = Figures(
            plan=plan,
            profile=profile,
            evaluation=ev,
            marks=marks,
            symbol=symbol if shown else None,
            mark=mark,
            price=price,
            funding=funding_c if ev is not None else None,
            view_range=self._view_range if shown else None,
            view_serial=self._view_serial,
            portfolio_levels=(
                tuple(portfolio_levels(ev.portfolio, profile, symbol, mark))
                if ev is not None and ev.portfolio is not None and symbol is not None and mark is not None and shown
                else ()
            ),
            targets=self._leg_targets(plan, profile, ev),
        )

    def _leg_targets(self, plan: Plan, profile: ExchangeProfile, ev: Evaluation | None) -> dict[int, LegTargets]:
        """Stop / take-profit figures (every leg when a target ROE is set), once per plan, evaluation and target ROE."""
        if ev is None:
            return {}
        key = (plan, ev, self.target_roe)
        if self._targets_key is None or any(a is not b for a, b in zip(key, self._targets_key, strict=True)):
            try:
                # Legs without a stop or take-profit have figures only for a target ROE.
                rows = plan_targets(plan, profile, ev, target_roe=self.target_roe, every_leg=self.target_roe is not None)
            except PlannerError:
                rows = []
            self._targets = {t.index: t for t in rows}
            self._targets_key = key
        return self._targets


def _leg_problems(index: int, problems: list[Problem], changes: dict[str, Any]) -> list[Problem]:
    """Problems of leg ``index`` at their field: a check across fields (the stop on the wrong side of the
    entry) names its field in the message (``stop_price: ...``); it is shown there and, when another field's
    edit caused it, at that field too."""
    out = []
    for p in problems:
        if p.path:
            out.append(Problem(f"positions.{index}.{p.path}", p.message))
            continue
        name, sep, rest = p.message.partition(": ")
        if sep and name in Position.model_fields:
            out.append(Problem(f"positions.{index}.{name}", rest))
            out += [Problem(f"positions.{index}.{f}", rest) for f in changes if f != name and f in Position.model_fields]
        else:
            out.append(Problem(f"positions.{index}", p.message))
    return out
