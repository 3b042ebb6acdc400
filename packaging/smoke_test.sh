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
[ -f "$TMP/root/usr/share/applications/position-planner.desktop" ] || { echo "FAIL: desktop entry missing"; exit 1; }
export QT_QPA_PLATFORM=offscreen
PY="${PYTHON:-$ROOT/.venv/bin/python}"
EXAMPLE="$TMP/root/opt/position-planner/_internal/resources/examples/btc-10x-isolated.plan.json"

t0=$(date +%s.%N); "$APP" --version; t1=$(date +%s.%N)
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
t2=$(date +%s.%N); "$APP" --screenshot "$TMP/shot.png" "$EXAMPLE"; t3=$(date +%s.%N)
"$PY" - "$TMP/shot.png" <<'PYEOF'
import struct, sys
head = open(sys.argv[1], "rb").read(24)
assert head[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
w, h = struct.unpack(">II", head[16:24])
assert (w, h) == (1600, 1000), (w, h)
print(f"screenshot {w}x{h} written")
PYEOF
"$APP" drill "$EXAMPLE" --scenario gap > /dev/null
echo "installed size: $(du -sh "$TMP/root/opt/position-planner" | cut -f1); deb $(du -h "$DEB" | cut -f1)"
echo "cold start --version: $(echo "$t1 - $t0" | bc) s; --screenshot: $(echo "$t3 - $t2" | bc) s"
echo "SMOKE TEST PASSED"
