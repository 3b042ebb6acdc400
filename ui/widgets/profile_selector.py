"""Exchange-profile selector: bundled plus user profiles, version date, details button."""

from __future__ import annotations

from datetime import date

from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QPushButton, QWidget

from planner.io.registry import bundled_profiles
from ui.widgets.problem_marks import mark

#: Data older than these many days is shown amber, then red.
AMBER_DAYS, RED_DAYS = 183, 365
AMBER, RED = "#d08700", "#e03131"


def data_age(captured: date, today: date) -> tuple[str, str]:
    """Tooltip sentence and label colour ("" = normal) for numbers captured on ``captured``."""
    days = (today - captured).days
    how = (
        "To update: Profiles > Import tiers… with the venue's saved tier response "
        "(or position-planner import-tiers SAVED.json --profile ID), which saves a user profile."
    )
    if days > RED_DAYS:
        return f"These numbers are {days // 30} months old (over 12): venues change tiers often. {how}", RED
    if days > AMBER_DAYS:
        return f"These numbers are {days // 30} months old (over 6). {how}", AMBER
    return f"Captured {max(days, 0)} days ago.", ""


class ProfileSelector(QWidget):
    def __init__(self, document, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.document = document
        self.combo = QComboBox()
        self.combo.setMinimumContentsLength(22)
        self.version = QLabel()
        self.details = QPushButton("Profile details…")
        lay = QHBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(QLabel("Exchange profile:"))
        lay.addWidget(self.combo, 1)
        lay.addWidget(self.version)
        lay.addWidget(self.details)
        self.reload()
        self.combo.currentIndexChanged.connect(self._picked)
        document.changed.connect(lambda *_: self.sync())
        document.problemsChanged.connect(lambda *_: self.sync())
        document.userProfilesChanged.connect(self.reload)

    def reload(self) -> None:
        self.combo.blockSignals(True)
        self.combo.clear()
        for pid, prof in sorted(bundled_profiles().items()):
            self.combo.addItem(prof.name, pid)
        for pid, prof in sorted(self.document.user_profiles.items()):
            self.combo.addItem(f"{prof.name} (user)", pid)
        self.combo.blockSignals(False)
        self.sync()

    def sync(self) -> None:
        doc = self.document
        pid = doc.draft.profile_id
        i = self.combo.findData(pid)
        if i < 0 and not isinstance(doc.draft.profile, str):
            self.combo.addItem(f"{doc.draft.profile.name} (in plan)", pid)
            i = self.combo.count() - 1
        if i != self.combo.currentIndex():
            self.combo.blockSignals(True)
            self.combo.setCurrentIndex(i)
            self.combo.blockSignals(False)
        if doc.draft.profile_id != doc.profile.id:
            # The figures are still those of the last valid plan's venue: say so, never show its date as the new one's.
            label = f"figures still for {doc.profile.name}"
            style = "color: #e8590c; font-weight: bold;"
            tip = "The plan on screen does not fit the chosen profile yet; see the problems at the fields."
        else:
            label = f"data of {doc.profile.version.isoformat()}"
            text, colour = data_age(doc.profile.version, date.today())
            style = f"color: {colour};" if colour else ""
            tip = f"{doc.profile.name}: numbers captured {doc.profile.version.isoformat()}; rule '{doc.profile.rule}'. {text}"
        self.version.setText(label)
        if self.version.styleSheet() != style:  # a style sheet re-polishes the label: only when it changes
            self.version.setStyleSheet(style)
        self.version.setToolTip(tip)
        mark(self.combo, doc.problems_at("profile"), "Exchange whose tiers, fees and liquidation rule are used")

    def _picked(self, index: int) -> None:
        pid = self.combo.itemData(index)
        if pid and pid != self.document.draft.profile_id:
            self.document.set_profile(pid)
