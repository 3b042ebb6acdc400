"""PDF report (Qt's own PDF writer): plan, every figure, both plots, drills and action plan.

``position-planner report PLAN.json --out report.pdf`` runs it headless
(offscreen Qt); the window's File › Export › Report uses the same
``write_report``. The report is rendered from the document's ``Figures`` with
its own off-screen plot widgets: no main window is built and no setting is
read or written. The PDF is written whole or not at all (temporary file in the
target folder, then an atomic rename); a failure is a ``PlannerError`` naming
the target, which the CLI's single handler prints in one line (exit 2).

Every page carries "page N of M" and the plan name; the plots are drawn at
print resolution (:data:`PLOT_SCALE` device pixels per layout pixel); the
window passes the last result of each drill tab run in the session
(:class:`DrillRecord`), printed with the settings it ran with. All user text
(plan name, symbols, currencies) is HTML-escaped; no figure shows "-0.00".
"""

from __future__ import annotations

import argparse
import html
import os
import re
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from planner.drills.actions import action_plan
from planner.drills.scenarios import Slippage, gap_waterfall
from planner.engine.evaluate import Evaluation
from planner.engine.funding import schedule_words
from planner.engine.portfolio_margin import portfolio_levels
from planner.model.errors import PlannerError, Problem
from planner.model.plan import Plan
from planner.model.profile import ExchangeProfile
from planner.present.dated import dated_lines, rollover_total_text
from planner.present.format import fmt_money, fmt_pct, fmt_price, fmt_ratio, portfolio_lines
from planner.present.glossary import FIGURES
from planner.present.tables import positions_table
from planner.present.targets import target_row_texts
from ui.document import Figures
from ui.files.targets import check_target, write_bytes_atomic

if TYPE_CHECKING:
    from PySide6.QtGui import QImage, QTextDocument
    from PySide6.QtWidgets import QWidget

    from ui.plots.payoff_plot import PayoffSettings

#: Layout sizes of the two plot widgets drawn for the report (liquidation plot, equity plot), in pixels.
PLOT_SIZES = {"liquidation": (960, 450), "equity": (960, 315), "payoff": (960, 420)}
#: Device pixels per layout pixel of the plot images (3 -> about 300 dpi on the printed page).
PLOT_SCALE = 3.0
#: Width of a plot on the page, in CSS pixels (1/96 inch): both plots fit one A4 landscape page.
PLOT_WIDTH_CSS = 800
#: Resolution of the PDF's coordinate system (dots per inch).
PDF_DPI = 300


@dataclass(frozen=True)
class DrillRecord:
    """The last result of one drill tab, as the window showed it.

    ``setup`` says what was asked (move, leg, model); ``headers``/``rows`` are
    the table's texts (already formatted with units); ``row_labels`` name the
    rows when the table has them (the profile comparison); ``plan`` is the plan
    the drill ran on, so the report can say when the plan changed afterwards.
    """

    title: str
    setup: str
    headers: list[str]
    rows: list[list[str]]
    summary: str = ""
    row_labels: list[str] = field(default_factory=list)
    plan: Plan | None = None


def _esc(x: object) -> str:
    return html.escape(str(x))


def report_html(
    figures: Figures,
    plot_images: Sequence[str],
    drills: Sequence[DrillRecord] = (),
    payoff: PayoffSettings | None = None,
    payoff_image: str | None = None,
) -> str:
    """The report body (HTML for QTextDocument); ``plot_images`` are image names or file paths.

    ``payoff`` (default: the liquidation plot's coin, beta 1, +/-30 %) sets the payoff page, drawn from ``payoff_image``.
    """
    from ui.plots.payoff_plot import PayoffSettings, payoff_report_html

    plan, profile, ev, marks = figures.plan, figures.profile, figures.evaluation, figures.marks
    now = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    parts = [
        f"<h1>{_esc(plan.name)}</h1>",
        f"<p>Position Planner report, {now}. Profile <b>{_esc(profile.name)}</b> ({_esc(profile.id)}), numbers of "
        f"{profile.version.isoformat()}, rule <i>{_esc(profile.rule)}</i>: {_esc(profile.traits.formula)}.<br>"
        f"{_esc(ev.thresholds.describe()) if ev else ''}</p>",
    ]
    if marks:
        ticks = {k: profile.symbols[k].tick_size if k in profile.symbols else 0.01 for k in marks}
        parts.append(
            "<p>Figures at what-if marks (not the plan's): "
            + ", ".join(f"{_esc(k)} {fmt_price(v, ticks[k])}" for k, v in marks.items())
            + "</p>"
        )
    parts.append(_legs_table(plan, profile, ev))
    parts.append(_targets_table(figures))
    if ev is not None:
        parts.append(
            f"<h2>Accounts{' (standard margin; portfolio margin below)' if ev.portfolio is not None else ''}</h2>"
            "<table border='1' cellspacing='0' cellpadding='3'><thead>"
            "<tr><th>currency</th><th>wallet</th><th>equity</th><th>maintenance margin</th><th>margin ratio</th><th>state</th><th>common move to liquidation</th></tr></thead>"
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
        dated = dated_lines(ev)
        if dated:
            total = rollover_total_text(ev)
            parts.append(f"<h2>Dated futures</h2><p>{_esc(dated[0])}</p><ul>")
            parts += [f"<li>{_esc(line.strip())}</li>" for line in dated[1:]]
            parts.append("</ul>" + (f"<p><b>{_esc(total)}</b></p>" if total else ""))
        if ev.portfolio is not None:
            parts.append(_portfolio_html(figures))
    # On the first page: both plots fill the next one, and a line after them would take a page of its own.
    schedule = schedule_words(plan, profile, (p.symbol for p in plan.positions)) if ev is not None else ""
    if schedule:
        parts.append(f"<p>Funding settlements on the equity plot (hours from the plan's clock): {_esc(schedule)}.</p>")
    for k, path in enumerate(plot_images):
        style = " class='newpage'" if k == 0 else ""
        parts.append(f"<p{style}><img src='{_esc(path)}' width='{PLOT_WIDTH_CSS}'></p>")
    parts.append(payoff_report_html(figures, payoff or PayoffSettings(), payoff_image, PLOT_WIDTH_CSS))
    if ev is not None and plan.positions:
        parts.append("<h2 class='newpage'>Gap through liquidation (2 % past, 1 % slippage)</h2><ul>")
        for i in range(len(plan.positions)):
            try:
                w = gap_waterfall(plan, profile, i, gap_beyond=0.02, slippage=Slippage(fixed=0.01))
            except PlannerError as exc:
                parts.append(f"<li>#{i + 1}: {_esc(exc.describe())}</li>")
                continue
            tick = profile.symbols[w.symbol].tick_size if w.symbol in profile.symbols else 0.01
            rows = "; ".join(f"{_esc(n)} {_esc(fmt_money(v, w.currency))}" for n, v in w.rows)
            parts.append(
                f"<li><b>#{i + 1} {_esc(w.symbol)}</b>: fill {_esc(fmt_price(w.fill_price, tick))}. {rows}. <i>{_esc(w.describe())}</i></li>"
            )
        parts.append("</ul>")
        try:
            ap = action_plan(plan, profile, marks=marks or None)
            parts.append(f"<h2>Action plan</h2><p>{_esc(ap.trigger)}</p><ol>")
            parts += [f"<li><b>{_esc(s.title)}</b><br>{_esc(s.detail)}</li>" for s in ap.steps]
            parts.append("</ol>")
        except PlannerError as exc:
            parts.append(f"<p>No action plan: {_esc(exc.describe())}</p>")
    if drills:
        parts.append(_drills_html(figures.plan, drills))
    parts.append("<h2>What the figures mean</h2><ul>")
    parts += [f"<li><b>{_esc(f.label)}</b>: {_esc(f.explanation)}</li>" for f in FIGURES.values()]
    parts.append("</ul>")
    return no_negative_zero_text("\n".join(parts))


#: A zero printed with a minus sign ("-0.00", "-0.000000 BTC", "-0 %"), not part of a longer number.
_NEGATIVE_ZERO = re.compile(r"(?<![\w.,])-(0(?:[.,]0+)?)(?![.,]?\d)")


def no_negative_zero_text(text: str) -> str:
    """``text`` with every printed negative zero unsigned: the report's last guard, since it also prints
    texts formatted elsewhere (drill tables as the window showed them, action-plan sentences).

    >>> no_negative_zero_text("uPnL -0.00 USDT, -0.001 BTC, -0 %, 2026-03-05")
    'uPnL 0.00 USDT, -0.001 BTC, 0 %, 2026-03-05'
    """
    return _NEGATIVE_ZERO.sub(r"\1", text)


def _portfolio_html(figures: Figures) -> str:
    """Portfolio margin (PM plans): PM IM/MM beside standard, saving, worst scenario, liquidation moves and prices, notes."""
    ev, profile, plan = figures.evaluation, figures.profile, figures.plan
    pm = ev.portfolio if ev is not None else None
    if ev is None or pm is None:
        return ""
    kind = "cross (X:PM, all currencies in USD)" if pm.collateral == "cross" else "segregated (S:PM, each settlement currency alone)"
    out = [
        f"<h2>Portfolio margin</h2><p>{_esc(profile.name)}, {_esc(kind)}: initial margin = worst loss over the risk matrix's "
        f"price scenarios + roll shock; maintenance margin = IM × {pm.mm_factor:g}. Standard (leg-by-leg) margin beside it.</p>",
    ]
    # One column per account, one row per figure: narrow enough for coin amounts on a portrait page.
    accs = pm.accounts
    rows: list[tuple[str, list[str]]] = [
        ("equity", [fmt_money(a.equity, a.currency) for a in accs]),
        ("portfolio IM", [fmt_money(a.initial_margin, a.currency) for a in accs]),
        ("portfolio MM", [fmt_money(a.maintenance_margin, a.currency) for a in accs]),
        ("standard IM", [fmt_money(a.standard_initial_margin, a.currency) for a in accs]),
        ("standard MM", [fmt_money(a.standard_maintenance_margin, a.currency) for a in accs]),
        (
            "portfolio vs standard MM",
            [f"{'saves' if a.saving >= 0 else 'adds'} {fmt_money(abs(a.saving), a.currency)}" for a in accs],
        ),
        ("margin ratio (PM MM / equity)", [fmt_ratio(a.margin_ratio) for a in accs]),
        ("state", [a.state.replace("_", " ") for a in accs]),
        (
            "worst scenario",
            [
                "no scenario loses" if a.worst_move is None else f"{fmt_money(a.worst_loss, a.currency)} at {fmt_pct(a.worst_move)}"
                for a in accs
            ],
        ),
        ("roll shock", [fmt_money(a.roll_shock, a.currency) for a in accs]),
        (
            "common move to PM liquidation (down / up)",
            [f"{fmt_pct(a.liquidation_move_down)} / {fmt_pct(a.liquidation_move_up)}" for a in accs],
        ),
    ]
    out.append(
        "<table border='1' cellspacing='0' cellpadding='3'><thead><tr><th>portfolio account</th>"
        + "".join(f"<th>{_esc(a.currency)}</th>" for a in accs)
        + "</tr></thead>"
    )
    out += ["<tr><td>" + _esc(name) + "</td>" + "".join(f"<td>{_esc(x)}</td>" for x in cells) + "</tr>" for name, cells in rows]
    out.append("</table>")
    # The common moves read as each listed symbol's price (the engine's portfolio_levels at the marks evaluated).
    prices: list[str] = []
    for sym in dict.fromkeys(p.symbol for p in plan.positions):
        if sym not in profile.symbols:
            continue
        mark = figures.marks.get(sym, next(p.mark for p in plan.positions if p.symbol == sym))
        tick = profile.symbols[sym].tick_size
        for lv in portfolio_levels(pm, profile, sym, mark):
            side = 1 if lv.direction == "down" else -1
            prices.append(f"{sym} {fmt_price(lv.price, tick, side)} ({lv.direction} {fmt_pct(lv.move)}, {lv.account} account)")
    if prices:
        out.append("<p>PM liquidation as prices (every underlying moving together): " + _esc("; ".join(prices)) + ".</p>")
    past = [a.currency for a in pm.accounts if a.state == "liquidation"]
    if past:
        out.append(f"<p><b>Already at or past the portfolio MM (liquidation now): {_esc(', '.join(past))} account.</b></p>")
    vectors = [line.strip() for line in portfolio_lines(pm) if line.strip().startswith("risk vector")]
    out.append("<ul>" + "".join(f"<li>{_esc(n)}</li>" for n in [*vectors, *pm.notes]) + "</ul>")
    return "\n".join(out)


def _drills_html(plan: Plan, drills: Sequence[DrillRecord]) -> str:
    """One section per drill tab run in the window (its last result), marked when the plan changed since."""
    parts = ["<h2>Drills run in this session</h2>"]
    for d in drills:
        parts.append(f"<h3>{_esc(d.title)}</h3><p>{_esc(d.setup)}")
        if d.plan is not None and d.plan != plan:
            parts.append(" <b>(ran on an earlier version of the plan; run it again for the figures above)</b>")
        parts.append("</p>")
        if d.headers and d.rows and d.row_labels:
            parts.append(_grid_as_rows(d))
        elif d.headers and d.rows:
            parts.append(
                "<table border='1' cellspacing='0' cellpadding='3'><thead><tr>"
                + "".join(f"<th>{_esc(h)}</th>" for h in d.headers)
                + "</tr></thead>"
            )
            for row in d.rows:
                parts.append("<tr>" + "".join(f"<td>{_esc(c)}</td>" for c in row) + "</tr>")
            parts.append("</table>")
        if d.summary:
            parts.append(f"<p>{_esc(d.summary)}</p>")
    return "".join(parts)


def _grid_as_rows(d: DrillRecord) -> str:
    """A row-label x column grid (legs x venues) as one table row per column and row label, so any number of
    venues fits the page width: "venue | leg | figures" (a cell's lines joined by "; ")."""
    rows = [
        "<table border='1' cellspacing='0' cellpadding='3' width='100%'><thead><tr><th>profile</th><th>leg</th><th>figures</th></tr></thead>"
    ]
    for c, column in enumerate(d.headers):
        for r, label in enumerate(d.row_labels):
            cell = d.rows[r][c] if r < len(d.rows) and c < len(d.rows[r]) else ""
            figures = "; ".join(line.strip() for line in cell.splitlines() if line.strip())
            first = f"<td rowspan='{len(d.row_labels)}'><b>{_esc(column)}</b></td>" if r == 0 else ""
            rows.append(f"<tr>{first}<td>{_esc(label)}</td><td>{_esc(figures)}</td></tr>")
    rows.append("</table>")
    return "".join(rows)


#: The report's positions table: the CLI's columns with the margin-call price instead of ROE.
REPORT_COLUMNS = (
    "index", "symbol", "side", "mode", "quantity", "entry", "mark", "leverage", "liquidation", "bankruptcy",
    "margin_call", "distance", "initial_margin", "maintenance_margin", "ratio", "upnl", "state",
)  # fmt: skip


LONG_HEADERS = {"liq": "liquidation", "bankr": "bankruptcy"}


def _legs_table(plan: Plan, profile: ExchangeProfile, ev: Evaluation | None) -> str:
    if ev is None:
        return "<p><b>No figures: the plan has problems against its profile.</b></p>"
    head, cells = positions_table(ev, profile, REPORT_COLUMNS)
    rows = [
        "<h2>Positions</h2><table border='1' cellspacing='0' cellpadding='3' width='100%'><thead><tr>"
        + "".join(f"<th>{_esc(LONG_HEADERS.get(h, h))}</th>" for h in head)
        + "</tr></thead>"
    ]
    rows += ["<tr>" + "".join(f"<td>{_esc(c)}</td>" for c in row) + "</tr>" for row in cells]
    rows.append("</table>")
    return "".join(rows)


def _targets_table(figures: Figures) -> str:
    """Stops and take-profits of the legs that have them (the document's Figures.targets); "" when none has one."""
    rows = [t for _, t in sorted(figures.targets.items()) if t.stop is not None or t.take_profit is not None]
    if figures.evaluation is None or not rows:
        return ""
    head = ["#", "symbol", "side", "stop", "PnL at stop", "ROE at stop", "take-profit", "PnL at TP", "ROE at TP", "R:R"]
    out = [
        "<h2>Stops and take-profits</h2><p>PnL after the taker fee on entry and on exit; ROE on the initial margin at entry; "
        "R:R = PnL at the take-profit / loss at the stop.</p><table border='1' cellspacing='0' cellpadding='3'><thead><tr>"
        + "".join(f"<th>{_esc(h)}</th>" for h in head)
        + "</tr></thead>"
    ]
    for t in rows:
        x = target_row_texts(t, figures.profile)
        stop = x["stop"] + (" (after liquidation!)" if t.liquidation_first else "")
        cells = [str(t.index + 1), t.symbol, t.side, stop, x["stop_pnl"], x["stop_roe"], x["tp"], x["tp_pnl"], x["tp_roe"], x["rr"]]
        out.append("<tr>" + "".join(f"<td>{_esc(c)}</td>" for c in cells) + "</tr>")
    out.append("</table>")
    return "".join(out)


def plot_images(
    figures: Figures, scale: float = PLOT_SCALE, keep: dict[str, QWidget] | None = None, payoff: PayoffSettings | None = None
) -> dict[str, QImage]:
    """The plots of ``figures`` drawn by plot widgets that are never shown (light style), by name.

    The payoff plot follows ``payoff`` (default: the liquidation plot's coin, beta 1); it is left out when it has no curve.

    Each image has ``scale`` device pixels per layout pixel (fonts and lines
    drawn at that resolution, not enlarged afterwards). ``keep`` receives the
    plot widgets as drawn (tests inspect them; the caller deletes them).
    """
    from PySide6.QtCore import QPoint, Qt
    from PySide6.QtGui import QImage, QPainter
    from PySide6.QtWidgets import QApplication, QWidget

    from ui.plots.equity_plot import EquityPlot
    from ui.plots.liquidation_plot import LiquidationPlot
    from ui.plots.payoff_plot import PayoffPlot

    out: dict[str, QImage] = {}
    payoff_plot = PayoffPlot()
    payoff_plot.show_controls(False)
    if payoff is not None:
        payoff_plot.apply_settings(payoff)
    widgets: tuple[tuple[str, LiquidationPlot | EquityPlot | PayoffPlot], ...] = (
        ("liquidation", LiquidationPlot()),
        ("equity", EquityPlot()),
        ("payoff", payoff_plot),
    )
    for name, widget in widgets:
        w, h = PLOT_SIZES[name]
        widget.resize(w, h)
        widget.set_figures(figures)
        if widget is payoff_plot and payoff_plot.view is None:
            widget.deleteLater()
            continue
        if isinstance(widget, LiquidationPlot):
            widget.readout.hide()  # the cursor readout: an empty grey strip on paper
        # The axes learn how wide their tick labels are when first painted and resize after it, so the
        # first paint is a rehearsal: the image kept is painted once the layout has taken the widths.
        for _attempt in range(2):
            for _ in range(3):  # let the graphics layouts settle (axis widths, label positions)
                QApplication.processEvents()
            image = QImage(round(w * scale), round(h * scale), QImage.Format.Format_RGB32)
            image.setDevicePixelRatio(scale)
            image.fill(Qt.GlobalColor.white)
            painter = QPainter(image)
            painter.setRenderHint(QPainter.RenderHint.Antialiasing)
            painter.setRenderHint(QPainter.RenderHint.TextAntialiasing)
            widget.render(painter, QPoint(0, 0), renderFlags=QWidget.RenderFlag.DrawChildren | QWidget.RenderFlag.DrawWindowBackground)
            painter.end()
        out[name] = image
        if keep is not None:
            keep[name] = widget
        else:
            widget.deleteLater()
    return out


def render_pdf(figures: Figures, drills: Sequence[DrillRecord] = (), payoff: PayoffSettings | None = None) -> bytes:
    """The report as PDF bytes (A4 landscape); raises PlannerError if Qt's writer produced no complete PDF."""
    pdf = _qt_pdf(figures, drills, payoff)
    if not pdf.startswith(b"%PDF-") or b"%%EOF" not in pdf[-64:]:
        raise PlannerError([Problem("", "Qt's PDF writer did not produce a complete PDF; nothing was written")], source="report")
    return pdf


def _qt_pdf(figures: Figures, drills: Sequence[DrillRecord] = (), payoff: PayoffSettings | None = None) -> bytes:
    """What Qt's PDF writer produced for the report: the QTextDocument laid out page by page, each page footed
    with the plan name and "page N of M", into an in-memory buffer."""
    from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QMarginsF, QRectF, QSizeF, Qt, QUrl
    from PySide6.QtGui import QFont, QPageLayout, QPageSize, QPainter, QPdfWriter, QTextDocument

    images = plot_images(figures, payoff=payoff)
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    writer = QPdfWriter(buffer)
    writer.setPageLayout(
        QPageLayout(
            QPageSize(QPageSize.PageSizeId.A4), QPageLayout.Orientation.Landscape, QMarginsF(12, 10, 12, 10), QPageLayout.Unit.Millimeter
        )
    )
    writer.setResolution(PDF_DPI)
    writer.setTitle(f"Position plan: {figures.plan.name}")
    writer.setCreator("Position Planner")
    text = QTextDocument()
    text.documentLayout().setPaintDevice(writer)  # fonts and images sized for the page, not the screen
    text.setDefaultStyleSheet(
        "body{font-family:sans-serif;font-size:9pt} td{font-size:8pt} th{font-size:8pt;background:#e9ecef;white-space:nowrap} "
        "h1{font-size:16pt} h2{font-size:12pt} h3{font-size:10pt} .newpage{page-break-before:always}"
    )
    names = []
    for name, image in images.items():
        url = f"plot://{name}.png"
        text.addResource(QTextDocument.ResourceType.ImageResource, QUrl(url), image)
        names.append(url)
    payoff_url = "plot://payoff.png" if "payoff" in images else None
    text.setHtml(report_html(figures, [u for u in names if u != payoff_url], drills, payoff, payoff_url))
    page = writer.pageLayout().paintRectPixels(writer.resolution())
    footer_h = round(PDF_DPI * 0.22)  # about 5.6 mm for the footer line
    body = QSizeF(page.width(), page.height() - footer_h)
    text.setPageSize(body)
    keep_headings_with_content(text, body.height())
    pages = text.pageCount()
    painter = QPainter(writer)
    foot_font = QFont("sans-serif")
    foot_font.setPointSizeF(7.5)
    name = figures.plan.name
    for n in range(pages):
        if n:
            writer.newPage()
        painter.save()
        painter.translate(0, -n * body.height())
        text.drawContents(painter, QRectF(0, n * body.height(), body.width(), body.height()))
        painter.restore()
        painter.setFont(foot_font)
        painter.setPen(Qt.GlobalColor.darkGray)
        foot = QRectF(0, body.height(), body.width(), footer_h)
        painter.drawText(foot, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignBottom, f"{name} — Position Planner report")
        painter.drawText(foot, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignBottom, f"page {n + 1} of {pages}")
    painter.end()
    del writer  # the writer finishes the PDF when it goes
    buffer.close()
    return bytes(data.data())


def keep_headings_with_content(text: QTextDocument, page_height: float) -> None:
    """Page breaks so no heading ends a page away from what it heads (``text`` already has its page size).

    A heading's group runs over the headings right after it and, when a table comes before the
    next heading, over the paragraphs up to that table and the whole table (or, for a table
    taller than a page, its first rows: Qt repeats its ``<thead>`` rows on every page it spans);
    without a table, over the first paragraph or list item. A group that would cross a page
    boundary and fits one page starts a new page.
    """
    from PySide6.QtGui import QTextBlock, QTextCursor, QTextFormat, QTextTable

    layout = text.documentLayout()
    items: list[QTextBlock | QTextTable] = []
    it = text.rootFrame().begin()
    while not it.atEnd():
        frame = it.currentFrame()
        if isinstance(frame, QTextTable):
            items.append(frame)
        elif frame is None and it.currentBlock().isValid():
            items.append(it.currentBlock())
        it += 1

    def heading(item: QTextBlock | QTextTable) -> bool:
        return isinstance(item, QTextBlock) and item.blockFormat().headingLevel() > 0

    for k, item in enumerate(items):
        if not isinstance(item, QTextBlock) or not heading(item) or (k and heading(items[k - 1])):
            continue  # a heading right after another one moves with it
        j = k + 1
        while j < len(items) and heading(items[j]):
            j += 1
        section = items[j:]
        end = next((n for n, x in enumerate(section) if heading(x)), len(section))
        table = next((x for x in section[:end] if isinstance(x, QTextTable)), None)
        top = layout.blockBoundingRect(item).top()
        if table is not None:
            rect = layout.frameBoundingRect(table)
            bottom = (
                rect.bottom() if rect.bottom() - top <= page_height else rect.top() + rect.height() * min(3, table.rows()) / table.rows()
            )
        else:
            first = next((x for x in section[:end] if isinstance(x, QTextBlock) and x.text().strip()), None)
            bottom = layout.blockBoundingRect(first).bottom() if first is not None else top  # nothing to keep it with
        if int(top // page_height) != int((bottom - 1e-6) // page_height) and bottom - top <= page_height:
            fmt = item.blockFormat()
            fmt.setPageBreakPolicy(QTextFormat.PageBreakFlag.PageBreak_AlwaysBefore)
            QTextCursor(item).setBlockFormat(fmt)


def write_report(
    figures: Figures, out: str | os.PathLike[str], drills: Sequence[DrillRecord] = (), payoff: PayoffSettings | None = None
) -> Path:
    """Render ``figures`` (and the ``drills`` run in the window) to a PDF at ``out``: whole or not at all.

    The previous file stays on failure.

    Raises PlannerError naming ``out`` for a missing folder, a folder as target,
    a place that cannot be written or a full disk.
    """
    target = Path(out)
    check_target(target)
    write_bytes_atomic(target, render_pdf(figures, drills, payoff))
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
