#!/usr/bin/env bash
# Smoke test of the built installers (slow; not part of `make test`).
# Installs the .deb into a temporary root (dpkg -x), then runs the installed app:
# --version, evaluate --json on the example plan (figures compared with the source
# tree's engine) and --screenshot offscreen. Prints sizes and timings.
# Usage: bash packaging/build.sh && bash packaging/smoke_test.sh
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
DIST="$ROOT/packaging/dist"
DEB="$(ls -t "$DIST"/position-planner_*.deb | head -1)"
TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT
dpkg-deb -x "$DEB" "$TMP/root"
APP="$TMP/root/opt/position-planner/position-planner"
[ -L "$TMP/root/usr/bin/position-planner" ] || { echo "FAIL: /usr/bin/position-planner missing"; exit 1; }
[ "$(readlink "$TMP/root/usr/bin/position-planner")" = /opt/position-planner/position-planner ] || { echo "FAIL: /usr/bin symlink target"; exit 1; }
[ -f "$TMP/root/usr/share/applications/position-planner.desktop" ] || { echo "FAIL: desktop entry missing"; exit 1; }
[ -f "$TMP/root/usr/share/icons/hicolor/256x256/apps/position-planner.png" ] || { echo "FAIL: icon missing"; exit 1; }
for lic in NOTICE.md PySide6_Essentials-*/LGPL-3.0.txt PySide6_Essentials-*/GPL-3.0.txt numpy-*/LICENSE.txt pydantic-*/LICENSE; do
  ls "$TMP/root/usr/share/doc/position-planner/licenses/"$lic >/dev/null 2>&1 || { echo "FAIL: license $lic missing in /usr/share/doc"; exit 1; }
  ls "$TMP/root/opt/position-planner/licenses/"$lic >/dev/null 2>&1 || { echo "FAIL: license $lic missing next to the executable"; exit 1; }
done
export QT_QPA_PLATFORM=offscreen
PY="${PYTHON:-$ROOT/.venv/bin/python}"
EXAMPLE="$TMP/root/opt/position-planner/_internal/resources/examples/btc-10x-isolated.plan.json"

now() { date +%s.%N; }
t0=$(now); "$APP" --version; t1=$(now)
"$APP" evaluate "$EXAMPLE" --json > "$TMP/bundle.json"
(cd "$ROOT" && "$PY" -m planner evaluate resources/examples/btc-10x-isolated.plan.json --json) > "$TMP/source.json"
"$PY" - "$TMP/bundle.json" "$TMP/source.json" <<'PYEOF'
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:3])
for x, y in zip(a["positions"], b["positions"]):
    for k in ("liquidation_price", "bankruptcy_price", "initial_margin", "maintenance_margin", "margin_ratio", "unrealized_pnl"):
        assert x[k] == y[k], (k, x[k], y[k])
assert a["account"] == b["account"]
print(f"figures identical to the source tree ({len(a['positions'])} legs)")
PYEOF
t2=$(now); "$APP" --screenshot "$TMP/shot.png" "$EXAMPLE"; t3=$(now)
"$PY" - "$TMP/shot.png" <<'PYEOF'
import struct, sys
head = open(sys.argv[1], "rb").read(24)
assert head[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
w, h = struct.unpack(">II", head[16:24])
assert (w, h) == (1600, 1000), (w, h)
print(f"screenshot {w}x{h} written")
PYEOF
"$APP" drill "$EXAMPLE" --scenario gap > /dev/null
"$APP" report "$EXAMPLE" --out "$TMP/report.pdf" > /dev/null
head -c 5 "$TMP/report.pdf" | grep -q "%PDF-" || { echo "FAIL: report is not a PDF"; exit 1; }
echo "drill and PDF report ran"

# The .tar.gz: unpack and run from the folder (no install).
TAR="$(ls -t "$DIST"/position-planner-*-linux-*.tar.gz | head -1)"
mkdir "$TMP/tar" && tar -C "$TMP/tar" -xzf "$TAR"
[ "$("$TMP/tar/position-planner/position-planner" --version)" = "$("$APP" --version)" ] || { echo "FAIL: tar.gz --version"; exit 1; }
echo ".tar.gz folder runs"

secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b - a }'; }
echo "installed size: $(du -sh "$TMP/root/opt/position-planner" | cut -f1); deb $(du -h "$DEB" | cut -f1); tar.gz $(du -h "$TAR" | cut -f1)"
echo "first start after unpacking: --version $(secs "$t0" "$t1") s; --screenshot $(secs "$t2" "$t3") s"
echo "SMOKE TEST PASSED"
