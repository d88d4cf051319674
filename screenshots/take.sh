#!/usr/bin/env bash
# Takes screenshots of FluxDB Studio's main screens under Xvfb, on the sample
# database, into screenshots/out/. Needs: xvfb imagemagick xdotool and the
# run-time libraries in shared/design/egui-notes.md.
#
#   screenshots/take.sh                 # builds (debug) if needed
#   BIN=target/release/fluxdb-studio screenshots/take.sh
#
# Clicks are at window coordinates of a 1400x900 screen, scale factor 1.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
repo="$(dirname "$here")"
out="$here/out"
mkdir -p "$out"

if [[ -z "${BIN:-}" ]]; then
    target="${CARGO_TARGET_DIR:-$repo/target}"
    (cd "$repo" && cargo build --bin fluxdb-studio)
    BIN="$target/debug/fluxdb-studio"
fi

# A fresh data folder: the sample database is made in it on first use, and
# no saved settings from the user's own runs change what is shown.
data="$(mktemp -d)"
runtime="$(mktemp -d)"
chmod 700 "$runtime"
trap 'rm -rf "$data" "$runtime"' EXIT

export XDG_DATA_HOME="$data" XDG_RUNTIME_DIR="$runtime" WINIT_X11_SCALE_FACTOR=1
export BIN out

xvfb-run -a -s "-screen 0 1400x900x24" bash -c '
set -euo pipefail
shot() { sleep "${2:-1.5}"; import -window root "$out/$1.png"; echo "saved $out/$1.png"; }
window() {
    for _ in $(seq 1 100); do
        id="$(xdotool search --name "FluxDB Studio" 2>/dev/null | head -1 || true)"
        [[ -n "$id" ]] && { echo "$id"; return; }
        sleep 0.2
    done
    echo "no Studio window appeared" >&2; exit 1
}
click() { xdotool mousemove --window "$win" "$1" "$2" click 1; }
keys() { xdotool windowfocus --sync "$win" 2>/dev/null || true; xdotool key --window "$win" "$@"; }
type_text() { xdotool windowfocus --sync "$win" 2>/dev/null || true; xdotool type --delay 20 --window "$win" "$1"; }

# 1. The start screen.
"$BIN" & pid=$!
win="$(window)"
xdotool windowmove "$win" 0 0 windowsize "$win" 1400 900
shot 01-start 2.5
kill "$pid"; wait "$pid" 2>/dev/null || true

# 2. The sample database, made on first use and opened.
"$BIN" --sample & pid=$!
win="$(window)"
xdotool windowmove "$win" 0 0 windowsize "$win" 1400 900
shot 02-sample-customers 6

# 3. A filter typed in the editor and run with Ctrl+Enter.
click 600 52
keys ctrl+a
type_text "{\"city\": \"Paris\", \"age\": {\"\$gte\": 30}}"
keys ctrl+Return
shot 03-filter-run 2.5

# 4. Bad JSON: marked at its line and column, not run.
click 600 52
keys ctrl+a
type_text "{\"age\": }"
shot 04-bad-json 1.5

# 5. Reset, then sort by a header click (age, twice: descending).
keys ctrl+a
type_text "{}"
keys ctrl+Return
sleep 1.5
echo "${HEADER_X:=500} ${HEADER_Y:=160}" >/dev/null
click "$HEADER_X" "$HEADER_Y"; sleep 1; click "$HEADER_X" "$HEADER_Y"
shot 05-sorted 2.5

# 6. The orders collection, on its last page.
click 60 "${ORDERS_Y:=130}"
sleep 2
click "${LAST_X:=700}" "${PAGER_Y:=118}"
shot 06-orders-last-page 2.5

kill "$pid"; wait "$pid" 2>/dev/null || true
'
echo "screenshots in $out"
