"""Guard against Qt bindings that drop a reference to None on void calls.

PySide6 6.12.0 on Python 3.11 decrements None's refcount on every call of a
void method (QGraphicsItem.setPos, update, ...); a live plot makes millions of
such calls and the interpreter aborts with "deallocating None". This test
fails on such a build so it is never shipped.
"""

from __future__ import annotations

import sys


def test_void_calls_keep_none_refcount(qtbot):
    from PySide6.QtWidgets import QGraphicsRectItem

    item = QGraphicsRectItem()
    before = sys.getrefcount(None)
    for _ in range(2000):
        item.setPos(1.0, 2.0)
        item.update()
    assert abs(sys.getrefcount(None) - before) < 100
