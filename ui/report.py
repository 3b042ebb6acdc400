"""PDF report (Qt's own PDF writer): plan, every figure, both plots, drills and action plan.

``position-planner report PLAN.json --out report.pdf`` runs it headless
(offscreen Qt); the window's File › Export › Report uses the same
``write_report``. The report is rendered from the document's ``Figures`` with
its own off-screen plot widgets: no main window is built and no setting is
read or written. The PDF is written whole or not at all (temporary file in the
target folder, then an atomic rename); a failure is a ``PlannerError`` naming
the target, which the CLI's single handler prints in one line (exit 2).
"""

from __future__ import annotations

import argparse
import html
import os
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from planner.drills.actions import action_plan
from planner.drills.scenarios import Slippage, gap_waterfall
from planner.engine.evaluate import Evaluation
from planner.model.errors import PlannerError, Problem
from planner.model.plan import Plan
from planner.model.profile import ExchangeProfile
from planner.present.format import fmt_money, fmt_pct, fmt_price, fmt_ratio
from planner.present.glossary import FIGURES
from ui.document import Figures
from ui.files.targets import check_target, write_bytes_atomic

if TYPE_CHECKING:
    from PySide6.QtGui import QImage

#: Pixel sizes of the two plot images in the report (liquidation plot, equity plot).
PLOT_SIZES = {"liquidation": (1280, 560), "equity": (1280, 380)}


def _esc(x: object) -> str:
    return html.escape(str(x))


def report_html(figures: Figures, plot_images: Sequence[str]) -> str:
    """The report body (HTML for QTextDocument); ``plot_images`` are image names or file paths."""
    plan, profile, ev, marks = figures.plan, figures.profile, figures.evaluation, figures.marks
    now = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    parts = [
        f"<h1>{_esc(plan.name)}</h1>",
        f"<p>Position Planner report, {now}. Profile <b>{_esc(profile.name)}</b> ({_esc(profile.id)}), numbers of "
        f"{profile.version.isoformat()}, rule <i>{_esc(profile.rule)}</i>: {_esc(profile.traits.formula)}.<br>"
        f"{_esc(ev.thresholds.describe()) if ev else ''}</p>",
    ]
    if marks:
        parts.append("<p>What-if marks: " + ", ".join(f"{_esc(k)} {v:,.2f}" for k, v in marks.items()) + "</p>")
    parts.append(_legs_table(plan, profile, ev))
    if ev is not None:
        parts.append(
            "<h2>Accounts</h2><table border='1' cellspacing='0' cellpadding='3'>"
            "<tr><th>currency</th><th>wallet</th><th>equity</th><th>maintenance margin</th><th>margin ratio</th><th>state</th><th>common move to liquidation</th></tr>"
        )
        for a in ev.accounts:
            cells = [
                a.currency,
                fmt_money(a.wallet_balance, a.currency),
                fmt_money(a.equity, a.currency),
                fmt_money(a.maintenance_margin, a.currency),
                fmt_ratio(a.margin_ratio),
                a.state,
                f"{fmt_pct(a.cross_liquidation_move_down)} / {fmt_pct(a.cross_liquidation_move_up)}",
            ]
            parts.append("<tr>" + "".join(f"<td>{_esc(c)}</td>" for c in cells) + "</tr>")
        parts.append("</table>")
    for path in plot_images:
        parts.append(f"<p><img src='{_esc(path)}' width='640'></p>")
    if ev is not None and plan.positions:
        parts.append("<h2>Gap through liquidation (2 % past, 1 % slippage)</h2><ul>")
        for i in range(len(plan.positions)):
            try:
                w = gap_waterfall(plan, profile, i, gap_beyond=0.02, slippage=Slippage(fixed=0.01))
            except PlannerError as exc:
                parts.append(f"<li>#{i + 1}: {_esc(exc.describe())}</li>")
                continue
            rows = "; ".join(f"{_esc(n)} {v:,.2f}" for n, v in w.rows)
            parts.append(f"<li><b>#{i + 1} {_esc(w.symbol)}</b>: fill {w.fill_price:,.2f}. {rows}. <i>{_esc(w.describe())}</i></li>")
        parts.append("</ul>")
        try:
            ap = action_plan(plan, profile, marks=marks or None)
            parts.append(f"<h2>Action plan</h2><p>{_esc(ap.trigger)}</p><ol>")
            parts += [f"<li><b>{_esc(s.title)}</b><br>{_esc(s.detail)}</li>" for s in ap.steps]
            parts.append("</ol>")
        except PlannerError as exc:
            parts.append(f"<p>No action plan: {_esc(exc.describe())}</p>")
    parts.append("<h2>What the figures mean</h2><ul>")
    parts += [f"<li><b>{_esc(f.label)}</b>: {_esc(f.explanation)}</li>" for f in FIGURES.values()]
    parts.append("</ul>")
    return "\n".join(parts)


def _legs_table(plan: Plan, profile: ExchangeProfile, ev: Evaluation | None) -> str:
    if ev is None:
        return "<p><b>No figures: the plan has problems against its profile.</b></p>"
    head = [
        "#",
        "symbol",
        "side",
        "mode",
        "qty",
        "entry",
        "mark",
        "lev",
        "liquidation",
        "bankruptcy",
        "margin call",
        "to liq",
        "IM",
        "MM",
        "ratio",
        "uPnL",
        "state",
    ]
    rows = ["<h2>Positions</h2><table border='1' cellspacing='0' cellpadding='3'><tr>" + "".join(f"<th>{h}</th>" for h in head) + "</tr>"]
    for l in ev.legs:
        tick = profile.symbols[l.symbol].tick_size
        s = 1 if l.side == "long" else -1
        cells = [
            l.index + 1,
            l.symbol,
            l.side,
            l.margin_mode,
            f"{l.quantity:g}",
            fmt_price(l.entry_price, tick),
            fmt_price(l.mark_price, tick),
            f"{l.leverage:g}x",
            fmt_price(l.liquidation_price, tick, s),
            fmt_price(l.bankruptcy_price, tick, s),
            fmt_price(l.margin_call_price, tick, s),
            fmt_pct(l.distance_to_liquidation),
            fmt_money(l.initial_margin, l.settle),
            fmt_money(l.maintenance_margin, l.settle),
            fmt_ratio(l.margin_ratio),
            fmt_money(l.unrealized_pnl, l.settle),
            l.state,
        ]
        rows.append("<tr>" + "".join(f"<td>{_esc(c)}</td>" for c in cells) + "</tr>")
    rows.append("</table>")
    return "".join(rows)


def plot_images(figures: Figures) -> dict[str, QImage]:
    """Both plots of ``figures`` drawn by plot widgets that are never shown (light style), by name."""
    from ui.plots.equity_plot import EquityPlot
    from ui.plots.liquidation_plot import LiquidationPlot

    out: dict[str, QImage] = {}
    for name, widget in (("liquidation", LiquidationPlot()), ("equity", EquityPlot())):
        widget.resize(*PLOT_SIZES[name])
        widget.set_figures(figures)
        out[name] = widget.grab().toImage()
        widget.deleteLater()
    return out


def render_pdf(figures: Figures) -> bytes:
    """The report as PDF bytes (A4 landscape); raises PlannerError if Qt's writer produced no complete PDF."""
    pdf = _qt_pdf(figures)
    if not pdf.startswith(b"%PDF-") or b"%%EOF" not in pdf[-64:]:
        raise PlannerError([Problem("", "Qt's PDF writer did not produce a complete PDF; nothing was written")], source="report")
    return pdf


def _qt_pdf(figures: Figures) -> bytes:
    """What Qt's PDF writer produced for the report (QTextDocument printed into an in-memory buffer)."""
    from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QMarginsF, QSizeF, QUrl
    from PySide6.QtGui import QPageLayout, QPageSize, QPdfWriter, QTextDocument

    images = plot_images(figures)
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    writer = QPdfWriter(buffer)
    writer.setPageLayout(
        QPageLayout(
            QPageSize(QPageSize.PageSizeId.A4), QPageLayout.Orientation.Landscape, QMarginsF(12, 12, 12, 12), QPageLayout.Unit.Millimeter
        )
    )
    writer.setResolution(110)
    writer.setTitle(f"Position plan: {figures.plan.name}")
    writer.setCreator("Position Planner")
    text = QTextDocument()
    text.setDefaultStyleSheet("body{font-family:sans-serif;font-size:9pt} th{background:#e9ecef} h1{font-size:16pt} h2{font-size:12pt}")
    names = []
    for name, image in images.items():
        url = f"plot://{name}.png"
        text.addResource(QTextDocument.ResourceType.ImageResource, QUrl(url), image)
        names.append(url)
    text.setHtml(report_html(figures, names))
    page = writer.pageLayout().paintRectPixels(writer.resolution())
    text.setPageSize(QSizeF(page.width(), page.height()))
    text.print_(writer)
    del writer  # the writer finishes the PDF when it goes
    buffer.close()
    return bytes(data.data())


def write_report(figures: Figures, out: str | os.PathLike[str]) -> Path:
    """Render ``figures`` to a PDF at ``out``: whole or not at all (the previous file stays on failure).

    Raises PlannerError naming ``out`` for a missing folder, a folder as target,
    a place that cannot be written or a full disk.
    """
    target = Path(out)
    check_target(target)
    write_bytes_atomic(target, render_pdf(figures))
    return target


class _Parser(argparse.ArgumentParser):
    """Usage errors in one line and exit code 2, like the other sub-commands."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(2, f"position-planner report: {message} (see --help)\n")


def _run(args: argparse.Namespace) -> int:
    from planner.cli.main import load_and_resolve
    from planner.engine.validation import check_plan
    from planner.io.user_profiles import load_user_profiles

    plan, profile = load_and_resolve(args.plan)
    check_plan(plan, profile, source=args.plan)
    check_target(Path(args.out))
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtWidgets import QApplication

    from ui.document import PlanDocument

    app = QApplication.instance() or QApplication(sys.argv[:1])
    doc = PlanDocument(plan, user_profiles=load_user_profiles())
    doc.set_focus(plan.positions[0].symbol if plan.positions else None)
    path = write_report(doc.figures, args.out)
    app.processEvents()  # let the off-screen plots go while Qt is alive
    print(f"wrote {path}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """``position-planner report PLAN.json --out report.pdf`` (exit 0 written, 2 bad input or target, 1 unexpected)."""
    from planner.cli.main import run_guarded

    ap = _Parser(prog="position-planner report", description="Write a PDF report of a plan.")
    ap.add_argument("plan")
    ap.add_argument("--out", required=True, help="PDF file to write")
    try:
        args = ap.parse_args(list(argv if argv is not None else sys.argv[1:]))
    except SystemExit as exc:
        return int(exc.code or 0)
    return run_guarded(_run, args)
