"""PDF report (Qt's own PDF writer): plan, every figure, both plots, drills and action plan.

``position-planner report PLAN.json --out report.pdf`` runs it headless
(offscreen Qt); the window's File > Export report uses the same function.
"""

from __future__ import annotations

import argparse
import html
import os
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from planner.drills.actions import action_plan
from planner.drills.scenarios import Slippage, gap_waterfall
from planner.engine.evaluate import Evaluation
from planner.model.errors import PlannerError
from planner.present.format import fmt_money, fmt_pct, fmt_price, fmt_ratio
from planner.present.glossary import FIGURES


def _esc(x) -> str:
    return html.escape(str(x))


def report_html(doc, plot_images: list[str]) -> str:
    """The report body (HTML for QTextDocument); images are file paths."""
    plan, profile, ev = doc.plan, doc.profile, doc.evaluation
    now = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    parts = [
        f"<h1>{_esc(plan.name)}</h1>",
        f"<p>Position Planner report, {now}. Profile <b>{_esc(profile.name)}</b> ({_esc(profile.id)}), numbers of "
        f"{profile.version.isoformat()}, rule <i>{_esc(profile.rule)}</i>: {_esc(profile.traits.formula)}.<br>"
        f"{_esc(ev.thresholds.describe()) if ev else ''}</p>",
    ]
    if doc.marks:
        parts.append("<p>What-if marks: " + ", ".join(f"{_esc(k)} {v:,.2f}" for k, v in doc.marks.items()) + "</p>")
    parts.append(_legs_table(plan, profile, ev))
    if ev is not None:
        parts.append(
            "<h2>Accounts</h2><table border='1' cellspacing='0' cellpadding='3'>"
            "<tr><th>currency</th><th>wallet</th><th>equity</th><th>maintenance margin</th><th>margin ratio</th><th>state</th><th>common move to liquidation</th></tr>"
        )
        for a in ev.accounts:
            parts.append(
                f"<tr><td>{a.currency}</td><td>{fmt_money(a.wallet_balance, a.currency)}</td><td>{fmt_money(a.equity, a.currency)}</td>"
                f"<td>{fmt_money(a.maintenance_margin, a.currency)}</td><td>{fmt_ratio(a.margin_ratio)}</td><td>{a.state}</td>"
                f"<td>{fmt_pct(a.cross_liquidation_move_down)} / {fmt_pct(a.cross_liquidation_move_up)}</td></tr>"
            )
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
            ap = action_plan(plan, profile, marks=doc.marks or None)
            parts.append(f"<h2>Action plan</h2><p>{_esc(ap.trigger)}</p><ol>")
            parts += [f"<li><b>{_esc(s.title)}</b><br>{_esc(s.detail)}</li>" for s in ap.steps]
            parts.append("</ol>")
        except PlannerError as exc:
            parts.append(f"<p>No action plan: {_esc(exc.describe())}</p>")
    parts.append("<h2>What the figures mean</h2><ul>")
    parts += [f"<li><b>{_esc(f.label)}</b>: {_esc(f.explanation)}</li>" for f in FIGURES.values()]
    parts.append("</ul>")
    return "\n".join(parts)


def _legs_table(plan, profile, ev: Evaluation | None) -> str:
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


def write_report(window, out: str | Path) -> Path:
    """Render the window's document and plots to a PDF at ``out``."""
    import tempfile

    from PySide6.QtCore import QMarginsF, QSizeF
    from PySide6.QtGui import QPageLayout, QPageSize, QPdfWriter, QTextDocument

    out = Path(out)
    tmp = Path(tempfile.mkdtemp(prefix="pp-report-"))
    images = []
    for name, widget in (("liquidation", window.liquidation_plot), ("equity", window.equity_plot)):
        path = tmp / f"{name}.png"
        widget.grab().save(str(path))
        images.append(str(path))
    writer = QPdfWriter(str(out))
    writer.setPageLayout(
        QPageLayout(
            QPageSize(QPageSize.PageSizeId.A4), QPageLayout.Orientation.Landscape, QMarginsF(12, 12, 12, 12), QPageLayout.Unit.Millimeter
        )
    )
    writer.setResolution(110)
    writer.setTitle(f"Position plan: {window.document.plan.name}")
    writer.setCreator("Position Planner")
    text = QTextDocument()
    text.setDefaultStyleSheet("body{font-family:sans-serif;font-size:9pt} th{background:#e9ecef} h1{font-size:16pt} h2{font-size:12pt}")
    text.setHtml(report_html(window.document, images))
    layout = writer.pageLayout().paintRectPixels(writer.resolution())
    text.setPageSize(QSizeF(layout.width(), layout.height()))
    text.print_(writer)
    for p in images:
        os.unlink(p)
    tmp.rmdir()
    return out


def main(argv: Sequence[str] | None = None) -> int:
    """``position-planner report PLAN.json --out report.pdf``."""
    ap = argparse.ArgumentParser(prog="position-planner report", description="Write a PDF report of a plan.")
    ap.add_argument("plan")
    ap.add_argument("--out", required=True, help="PDF file to write")
    args = ap.parse_args(list(argv if argv is not None else sys.argv[1:]))
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtWidgets import QApplication

    from planner.cli.main import load_and_resolve
    from planner.engine.validation import check_plan

    try:
        plan, profile = load_and_resolve(args.plan)
        check_plan(plan, profile, source=args.plan)
    except PlannerError as exc:
        print(f"position-planner: error: {exc.describe()}", file=sys.stderr)
        return 2
    app = QApplication.instance() or QApplication(sys.argv[:1])
    from ui.document import PlanDocument
    from ui.main_window import MainWindow

    win = MainWindow(PlanDocument(plan), restore=False)
    win.resize(1600, 1000)
    win.show()
    app.processEvents()
    try:
        path = write_report(win, args.out)
    except OSError as exc:
        print(f"position-planner: error: {args.out}: {exc.strerror or exc}", file=sys.stderr)
        return 2
    finally:
        win.document.undo_stack.setClean()
        win.close()
        win.deleteLater()
        app.processEvents()
    print(f"wrote {path}")
    return 0
