"""Profile details: tiers, fees, funding, liquidation rule, policies and sources."""

from __future__ import annotations

import html

from PySide6.QtWidgets import QComboBox, QDialog, QDialogButtonBox, QTableWidget, QTableWidgetItem, QTextBrowser, QVBoxLayout, QWidget

from planner.model.profile import RULE_TRAITS, ExchangeProfile


def profile_summary_html(p: ExchangeProfile) -> str:
    t = RULE_TRAITS[p.rule]
    pol = p.policies
    srcs = "".join(
        f"<li><a href='{html.escape(s.url)}'>{html.escape(s.title or s.url)}</a>"
        f"{' (captured ' + s.captured.isoformat() + ')' if s.captured else ''}</li>"
        for s in p.sources
    )
    return (
        f"<h3>{html.escape(p.name)}</h3><p>Profile <code>{p.id}</code>, data of {p.version.isoformat()}</p>"
        f"<p><b>Liquidation rule</b> ({p.rule}): {html.escape(t.formula)}<br>"
        f"Margin ratio: {'MM / equity' if t.margin_ratio == 'mm_over_equity' else 'equity / (MM + close fee)'}; "
        f"margin call at {p.margin_call_ratio:.0%}; MM valued at the {'tested' if t.mm_price_basis == 'tested' else 'entry'} price; "
        f"close fee reserved: {'yes' if t.close_fee_reserved else 'no'}</p>"
        f"<p><b>Fees</b>: maker {p.fees.maker:.4%}, taker {p.fees.taker:.4%}, liquidation {p.fees.liquidation:.4%}</p>"
        f"<p><b>Funding</b>: every {p.funding.interval_hours:g} h, cap {p.funding.cap_per_interval:.4%} per interval, "
        f"{p.funding.accrual} accrual on the {p.funding.price_basis} price</p>"
        f"<p><b>Policies</b>: insurance fund {'yes' if pol.insurance_fund else 'no'}; ADL {'yes' if pol.adl else 'no'}; "
        f"negative-balance protection {'yes' if pol.negative_balance_protection else 'no'}; leftover margin goes to {pol.leftover_margin}; "
        f"partial liquidation: {pol.partial_liquidation.kind}. {html.escape(pol.description)}</p>"
        f"<p><b>Sources</b></p><ul>{srcs}</ul>{('<p>' + html.escape(p.notes) + '</p>') if p.notes else ''}"
    )


class ProfileDetailsDialog(QDialog):
    def __init__(self, profile: ExchangeProfile, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"Profile details — {profile.name}")
        self.resize(820, 640)
        self.profile = profile
        text = QTextBrowser()
        text.setOpenExternalLinks(False)
        text.setHtml(profile_summary_html(profile))
        self.symbol = QComboBox()
        self.symbol.addItems(sorted(profile.symbols))
        self.tiers = QTableWidget()
        lay = QVBoxLayout(self)
        lay.addWidget(text, 2)
        lay.addWidget(self.symbol)
        lay.addWidget(self.tiers, 3)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        lay.addWidget(buttons)
        self.symbol.currentTextChanged.connect(self._fill)
        self._fill(self.symbol.currentText())

    def _fill(self, symbol: str) -> None:
        spec = self.profile.symbols.get(symbol)
        if spec is None:
            return
        heads = ["Tier", f"Floor ({spec.tier_basis})", "Cap", "Max leverage", "MM rate", f"MM amount ({spec.settle})"]
        self.tiers.setColumnCount(len(heads))
        self.tiers.setHorizontalHeaderLabels(heads)
        self.tiers.setRowCount(len(spec.tiers))
        for r, t in enumerate(spec.tiers):
            vals = [
                str(r + 1),
                f"{t.notional_floor:,.0f}",
                "∞" if t.notional_cap is None else f"{t.notional_cap:,.0f}",
                f"{t.max_leverage:g}x",
                f"{t.maintenance_rate:.4%}",
                f"{t.maintenance_amount:,.2f}",
            ]
            for c, v in enumerate(vals):
                self.tiers.setItem(r, c, QTableWidgetItem(v))
        self.tiers.resizeColumnsToContents()
