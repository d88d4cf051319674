#!/usr/bin/env bash
# Takes screenshots of FluxDB Studio's main screens under Xvfb, on the sample
# database, into screenshots/out/. Needs: xvfb imagemagick xdotool and the
# run-time libraries the README's Install section lists (libgl1 libxkbcommon-x11-0).
#
#   screenshots/take.sh                 # builds (debug) if needed
#   BIN=target/release/fluxdb-studio screenshots/take.sh
#   SHOTS=diff screenshots/take.sh      # only the diff views (32-34)
#   SHOTS=copy screenshots/take.sh      # only Copy as (30)
#   SHOTS=schema screenshots/take.sh    # only the Schema tab (45-47)
#   SHOTS=explain screenshots/take.sh   # only the Explain tab (48-49)
#   SHOTS=bigvalues screenshots/take.sh # only the big values (35-42)
#   SHOTS=charts screenshots/take.sh    # only the Chart tab (50-54)
#   SHOTS=mongo MONGO_URI=mongodb://127.0.0.1:PORT screenshots/take.sh  # Studio on a server (55-59)
#
# Clicks are at window coordinates of a 1400x900 screen, scale factor 1.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
repo="$(dirname "$here")"
out="$here/out"
mkdir -p "$out"

if [[ -z "${BIN:-}" ]]; then
    target="${CARGO_TARGET_DIR:-$repo/target}"
    (cd "$repo" && cargo build --bin fluxdb-studio --bin fluxdb)
    BIN="$target/debug/fluxdb-studio"
fi

# A fresh data folder: the sample database is made in it on first use, and
# no saved settings from the user's own runs change what is shown.
data="$(mktemp -d)"
runtime="$(mktemp -d)"
chmod 700 "$runtime"
trap 'rm -rf "$data" "$runtime"' EXIT

export XDG_DATA_HOME="$data" XDG_RUNTIME_DIR="$runtime" WINIT_X11_SCALE_FACTOR=1
# A file for the import dialog's preview, with one bad line.
IMPORT_FILE="$data/people.jsonl"
printf '%s\n' '{"_id": "n1", "name": "Ada", "age": 36}' '{"_id": "n2", "name": "Linus", "age": 54, "tags": ["a"]}' \
    '{"_id": "n3", oops}' '{"_id": "n4", "name": "Grace", "age": 85}' > "$IMPORT_FILE"
BACKUP_FILE="$data/sample-backup"
# A folder "another program" writes (shot 27): the CLI beside the app.
LIVE_DIR="$data/live"
# A folder changed after its backup (shots 32-34).
DIFF_DIR="$data/diff"
DIFF_BACKUP="$data/diff-backup.fdb"
CLI="$(dirname "$BIN")/fluxdb"
SHOTS="${SHOTS:-all}"
# A collection with big values (shots 35-42): an 8 MB string, a
# 1,000,000-item array and an object nested 60 levels, beside 100 small
# records; made by the CLI, one JSON line a record.
BIG_DIR="$data/big"
if [[ "$SHOTS" == all || "$SHOTS" == bigvalues ]]; then
    "$CLI" --db "$BIG_DIR" create big >/dev/null
    {
        printf '{"_id": "big-string", "name": "Big string", "text": "BIGSTRING '
        yes "lorem ipsum dolor sit amet, consectetur adipiscing elit, line" | head -c 8388000 | tr '\n' ' ' || true  # yes ends on SIGPIPE
        printf '"}\n'
        printf '{"_id": "big-array", "name": "Big array", "items": ['
        seq -s, 0 999999 | tr -d '\n'
        printf ']}\n'
        nested='{"level": 60, "leaf": true}'
        for level in $(seq 59 -1 1); do nested="{\"level\": $level, \"child\": $nested}"; done
        printf '{"_id": "deep", "name": "Deep", "nested": %s}\n' "$nested"
        for i in $(seq 1 100); do
            printf '{"_id": "s%03d", "name": "Small %03d", "age": %d}\n' "$i" "$i" $((20 + i % 50))
        done
    } | "$CLI" --db "$BIG_DIR" insert big >/dev/null
fi
export BIN out IMPORT_FILE BACKUP_FILE LIVE_DIR DIFF_DIR DIFF_BACKUP CLI SHOTS BIG_DIR

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
place() { xdotool windowmove "$win" 0 0 windowsize "$win" 1400 900; xdotool windowfocus "$win" 2>/dev/null || true; }
click() { xdotool mousemove --window "$win" "$1" "$2" click 1; }
double_click() { xdotool mousemove --window "$win" "$1" "$2" click --repeat 2 --delay 80 1; }
# Keys go through XTEST to the focused window (winit ignores synthetic ones).
keys() { xdotool key "$@" 2>/dev/null; }
# Ctrl held a moment: winit may see a fast ctrl+key before the modifier.
ctrl() { xdotool keydown ctrl 2>/dev/null; sleep 0.15; xdotool key "$1" 2>/dev/null; sleep 0.15; xdotool keyup ctrl 2>/dev/null; }
type_text() { xdotool type --delay 15 "$1" 2>/dev/null; }
filter() { click 600 42; ctrl a; type_text "$1"; }

if [[ "$SHOTS" == all ]]; then
# 1. The start screen. A first run without a folder opens the sample
# database, so one short run comes first; the start screen then lists it
# under Recent folders.
"$BIN" & pid=$!
win="$(window)"; sleep 7  # the settings (recent folders) are saved every 5 s
kill "$pid"; wait "$pid" 2>/dev/null || true
"$BIN" & pid=$!
win="$(window)"; place
shot 01-start 2.5
kill "$pid"; wait "$pid" 2>/dev/null || true

# 2. The sample database, made on first use and opened.
"$BIN" --sample & pid=$!
win="$(window)"; place
shot 02-sample-customers 6

# 3. A filter typed in the editor and run with Ctrl+Enter.
filter "{\"city\": \"Paris\", \"age\": {\"\$gte\": 30}}"
ctrl Return
shot 03-filter-run 2

# 4. Bad JSON: marked at its line and column, not run.
filter "{\"age\": }"
shot 04-bad-json 1

# 5. Reset, then sort by a header click on age, twice: descending.
click 917 78
sleep 1.5
click 682 193; sleep 1.5; click 682 193
shot 05-sorted-age-desc 2

# 6. A nested value expanded (double-click the first address cell); Esc closes it.
double_click 1336 219
shot 06-expand-nested 1.5
keys Escape; sleep 0.5

# 7. The JSON view.
click 326 159
shot 07-json-view 1.5
click 271 159

# 8. The orders collection, on its last page.
click 40 130
sleep 2
click 650 159
shot 08-orders-last-page 2

# 9. The light theme (View menu).
click 54 12; sleep 0.7
shot 09-view-menu 0.5
click 100 55
shot 10-light-theme 1.5

# 12. Editing (dark theme again): the record editor beside the grid.
click 54 12; sleep 0.7; click 100 35; sleep 1
click 40 93; sleep 2
click 496 127; sleep 1          # the Record editor toggle
click 420 245; sleep 1          # select the second record
shot 12-record-editor 1.5

# 13. A cell edited in place (double-click), staged and tinted; the pending count.
double_click 480 245; sleep 1
shot 13-cell-editor 1
ctrl a; type_text "Edited in place"; keys Return
shot 14-staged-cell 1.5

# 15. The Edit menu, then the pending list.
click 51 12; sleep 0.7
shot 15-edit-menu 0.5
click 110 108
shot 16-pending-list 1.5
click 944 136; sleep 0.5        # its close button

# 17. The Aggregation tab with a pipeline run.
click 381 127; sleep 1
click 700 120; ctrl a
type_text "[{\"\$group\": {\"_id\": \"\$city\", \"n\": {\"\$sum\": 1}}}]"
sleep 0.5
click 300 190
shot 17-aggregation 2
click 289 43; sleep 1            # back to Documents

# 18-19. The dialogs (the typed path: no portal or zenity under Xvfb).
# They open centred near the top; each is closed before the next.
xdotool mousemove --window "$win" 45 93 click 3; sleep 0.8
shot 18-context-menu 0.5
click 80 234; sleep 1           # Import...
click 700 170; type_text "$IMPORT_FILE"
shot 19-import-preview 2.5
click 1010 137; sleep 0.5

# 20. Export: the whole collection to JSON Lines, done.
xdotool mousemove --window "$win" 45 93 click 3; sleep 0.8
click 80 211; sleep 1
click 454 385
shot 20-export-done 2
click 962 137; sleep 0.5

# 21. Indexes: a new index on country being built, then listed.
xdotool mousemove --window "$win" 45 93 click 3; sleep 0.8
click 80 257; sleep 1
click 672 248; type_text "country"; sleep 1; click 815 248
shot 21-indexes 1.5
click 900 137; sleep 0.5

# 22. New collection: its name, indexed fields and compression (zstd, level slider).
click 116 41; sleep 1
click 740 170; type_text "archive"; sleep 0.3
click 770 217; sleep 0.5
shot 22-new-collection 1
click 853 137; sleep 0.5

# 23. A bulk update previewed: the records it would change.
filter "{\"city\": \"Oslo\"}"
ctrl Return; sleep 1.5
click 51 12; sleep 0.7; click 120 218; sleep 1
click 694 232; ctrl a; type_text "{\"\$set\": {\"vip\": true}}"
sleep 0.5; click 425 281
shot 23-bulk-preview 2
click 997 137; sleep 0.5

# 24. Restore: a backup made first, then checked before anything is replaced.
click 16 12; sleep 0.7; click 80 154; sleep 1       # File > Backup database...
click 745 186; ctrl a; type_text "$BACKUP_FILE"
sleep 0.5; click 456 222; sleep 3
shot 24-backup-done 1
click 962 137; sleep 0.5
click 16 12; sleep 0.7; click 80 176; sleep 1       # File > Restore...
click 745 186; ctrl a; type_text "$BACKUP_FILE"
sleep 0.5; click 458 222
shot 25-restore-confirm 2.5
click 962 137; sleep 0.5

# 26. Compression of products: rewritten as zstd, the size before and after.
xdotool mousemove --window "$win" 45 178 click 3; sleep 0.8
click 80 388; sleep 1
shot 26-compression-dialog 1
click 790 193; sleep 0.5; click 575 262
shot 26-compression-done 2.5
click 900 137; sleep 0.5

sleep 6  # the settings (theme, recent folders) are saved every 5 s
kill "$pid"; wait "$pid" 2>/dev/null || true

# 27. A folder another program writes opens read-only and live. The lock
# is held first by flock (the program starting), then commits come from
# CLI processes, each taking the lock for its write.
"$CLI" --db "$LIVE_DIR" create orders --index status >/dev/null
for i in $(seq 1 30); do echo "{\"_id\": \"o$i\", \"status\": \"open\", \"total\": $i}"; done \
    | "$CLI" --db "$LIVE_DIR" insert orders >/dev/null
exec 9>"$LIVE_DIR/.fluxdb.lock"; flock 9              # this shell holds the lock
"$BIN" "$LIVE_DIR" 9>&- & pid=$!
win="$(window)"; place; sleep 3
exec 9>&-                                           # ...and lets it go
(for i in $(seq 31 60); do
    "$CLI" --db "$LIVE_DIR" insert orders "{\"_id\": \"o$i\", \"status\": \"new\", \"total\": $i}" >/dev/null
    "$CLI" --db "$LIVE_DIR" update orders "o$((i - 29))" "{\"\$set\": {\"status\": \"shipped\"}}" >/dev/null
    sleep 0.1
done) & writes=$!
shot 27-live-following 2
wait "$writes"
shot 28-live-writer-gone 1.5
kill "$pid"; wait "$pid" 2>/dev/null || true

# 29. Nobody holds the lock for good: Studio opens the folder shared and
# follows the CLI, whose writes (shared too) go in between its own.
"$BIN" "$LIVE_DIR" & pid=$!
win="$(window)"; place; sleep 3
(for i in $(seq 61 75); do
    "$CLI" --db "$LIVE_DIR" insert orders "{\"_id\": \"o$i\", \"status\": \"new\", \"total\": $i}" >/dev/null
    sleep 0.1
done) & writes=$!
shot 29-shared-live 2.5
wait "$writes"
kill "$pid"; wait "$pid" 2>/dev/null || true

# 11. The start screen again, now with a recent folder.
"$BIN" & pid=$!
win="$(window)"; place
shot 11-start-recent 2.5
kill "$pid"; wait "$pid" 2>/dev/null || true
fi

if [[ "$SHOTS" == all || "$SHOTS" == copy ]]; then
# 30. Copy as: the query on screen (a filter, a sort) as code.
"$BIN" --sample & pid=$!
win="$(window)"; place; sleep 5
filter "{\"city\": \"Paris\"}"; sleep 0.8
click 360 76; ctrl a; type_text "{\"age\": -1}"; sleep 0.8
ctrl Return; sleep 2
click 1047 76; sleep 0.8
shot 30-copy-as-menu 0.5
keys Escape; sleep 0.3
kill "$pid"; wait "$pid" 2>/dev/null || true
fi

if [[ "$SHOTS" == all || "$SHOTS" == schema ]]; then
# 45. The Schema tab: every field of the sample customers, exactly.
"$BIN" --sample & pid=$!
win="$(window)"; place; sleep 5
click 462 127
shot 45-schema-tab 3
# 46. A field selected: its ten most frequent values below the table.
click 290 260
shot 46-schema-field-details 1.5
# 47. A type clicked (phone is null in 300 records): the Documents tab
# shows those records.
click 648 596
shot 47-schema-type-clicked 2.5
kill "$pid"; wait "$pid" 2>/dev/null || true
fi

if [[ "$SHOTS" == all || "$SHOTS" == explain ]]; then
# 48. The Explain tab: an indexed filter and a sort, as a tree.
"$BIN" --sample & pid=$!
win="$(window)"; place; sleep 5
filter "{\"age\": {\"\$gte\": 30}, \"city\": \"Paris\"}"; sleep 0.8
click 360 76; ctrl a; type_text "{\"name\": 1}"; sleep 0.8
ctrl Return; sleep 2
click 578 127
shot 48-explain-query 2
# 49. A pipeline run on the Aggregation tab, then its stages explained.
click 381 127; sleep 1
click 700 120; ctrl a
type_text "[{\"\$match\": {\"vip\": true}}, {\"\$unwind\": \"\$tags\"}, {\"\$group\": {\"_id\": \"\$tags\", \"n\": {\"\$sum\": 1}}}, {\"\$sort\": {\"n\": -1}}]"
sleep 0.5
click 300 190; sleep 2
click 578 43
shot 49-explain-pipeline 2
kill "$pid"; wait "$pid" 2>/dev/null || true
fi

if [[ "$SHOTS" == all || "$SHOTS" == charts ]]; then
# 50. The Chart tab: bars of the sample customers by country, every record.
"$BIN" --sample & pid=$!
win="$(window)"; place; sleep 5
click 520 127
shot 50-chart-bars 3
# 51. A histogram of the customers ages (the first numeric field).
click 772 159
shot 51-chart-histogram 2
# 52. A scatter of two numeric fields.
click 847 159
shot 52-chart-scatter 2
# 53. Orders over time: a line over an ISO date field, in buckets.
click 41 130; sleep 2
click 904 159
shot 53-chart-line-dates 3
# 54. Bars of the orders in the light theme (View menu).
click 706 159; sleep 1.5
click 91 12; sleep 0.7; click 134 62
shot 54-chart-bars-light 2
kill "$pid"; wait "$pid" 2>/dev/null || true
fi

if [[ "$SHOTS" == mongo ]]; then
# 55-59. Studio on a MongoDB server (MONGO_URI, e.g. nx-27017 as in
# tests/mongodb/README.md): a folder made by the CLI is copied there with
# fluxdb copy, then opened by its URI; the File menu; the plan of the server
# in the Explain tab; the Connect dialog.
[[ -n "${MONGO_URI:-}" ]] || { echo "SHOTS=mongo needs MONGO_URI=mongodb://HOST:PORT" >&2; exit 1; }
server_db="${MONGO_URI%/}/fluxdb_screenshots"
"$CLI" --db "$server_db" drop people >/dev/null 2>&1 || true
"$CLI" --db "$LIVE_DIR" create people --index age >/dev/null
for i in $(seq 1 60); do
    echo "{\"_id\": \"p$i\", \"name\": \"Person $i\", \"age\": $((20 + i % 50)), \"city\": \"Oslo\", \"tags\": [\"a\", $i], \"address\": {\"zip\": \"0$i\"}}"
done | "$CLI" --db "$LIVE_DIR" insert people >/dev/null
"$CLI" copy "$LIVE_DIR" "$server_db"
"$BIN" "$server_db" & pid=$!
win="$(window)"; place
shot 55-mongodb-server-open 4
click 16 12
shot 56-file-menu-connect 0.8
keys Escape; sleep 0.3
# 59. An indexed filter on the server, then the Explain tab: the plan the
# server gave (its index, its stages) in the tree and in the status bar.
filter "{\"age\": {\"\$gte\": 40}}"; sleep 0.5
ctrl Return; sleep 2
click 578 127
shot 59-mongodb-explain 2
kill "$pid"; wait "$pid" 2>/dev/null || true
"$BIN" & pid=$!
win="$(window)"; place; sleep 2
click 809 195                             # Connect to MongoDB… on the start screen
shot 57-connect-dialog 1
click 663 170; ctrl a; type_text "$MONGO_URI"   # the URI, then Test
click 852 170
shot 58-connect-tested 2.5
kill "$pid"; wait "$pid" 2>/dev/null || true
exit 0
fi


if [[ "$SHOTS" == all || "$SHOTS" == diff ]]; then
# 32-34. The diff views, on a folder changed after its backup by the CLI:
# a number turned to text, a nested field and an array element changed, a
# field removed, a record deleted and one added.
"$CLI" --db "$DIFF_DIR" create people >/dev/null
for i in $(seq 1 8); do
    echo "{\"_id\": \"p$i\", \"name\": \"Person $i\", \"age\": $((30 + i)), \"email\": \"p$i@example.org\", \"tags\": [\"a\", \"b\"], \"address\": {\"city\": \"Oslo\", \"zip\": \"015$i\"}}"
done | "$CLI" --db "$DIFF_DIR" insert people >/dev/null
"$CLI" --db "$DIFF_DIR" backup "$DIFF_BACKUP" >/dev/null
"$CLI" --db "$DIFF_DIR" update people p1 "{\"\$set\": {\"age\": \"31\"}}" >/dev/null
"$CLI" --db "$DIFF_DIR" update people p2 "{\"\$set\": {\"address.city\": \"Bergen\", \"tags.1\": \"vip\"}}" >/dev/null
"$CLI" --db "$DIFF_DIR" update people p4 "{\"\$unset\": {\"email\": \"\"}}" >/dev/null
"$CLI" --db "$DIFF_DIR" delete people p3 >/dev/null
"$CLI" --db "$DIFF_DIR" insert people "{\"_id\": \"p9\", \"name\": \"Newcomer\", \"age\": 25}" >/dev/null
"$BIN" "$DIFF_DIR" & pid=$!
win="$(window)"; place; sleep 3

# 32. File > Compare with backup...: the records that differ, each with its diff.
click 16 12; sleep 0.7; click 80 209; sleep 1
click 592 204; type_text "$DIFF_BACKUP"
sleep 0.5; click 381 263
shot 32-compare-backup 2.5

# 33. p1 (changed) and p3 (only in the backup) ticked and restored:
# staged in the pending list, not written.
click 354 354; click 354 515; sleep 0.5
click 579 331
shot 33-compare-restored-pending 1.5

# 34. p1 changed on disk meanwhile (a bulk update), then Write: the
# conflict dialog shows yours and on disk, each from where you started.
click 942 137; sleep 0.5                  # close the pending list
filter "{\"_id\": \"p1\"}"
ctrl Return; sleep 1.5
click 51 12; sleep 0.7; click 120 218; sleep 1
click 694 232; ctrl a; type_text "{\"\$set\": {\"age\": 32, \"vip\": true}}"
sleep 0.5; click 425 281; sleep 1.5; click 524 282; sleep 2
ctrl s
shot 34-conflict-three-versions 2
kill "$pid"; wait "$pid" 2>/dev/null || true
fi

if [[ "$SHOTS" == all || "$SHOTS" == bigvalues ]]; then
# 35-42. Big values, folded in every view; show all opens the viewer.
"$BIN" "$BIG_DIR" & pid=$!
win="$(window)"; place; sleep 4

# 35. The record editor on the 8 MB string: the record folded, read only.
click 496 127; sleep 1                    # the Record editor toggle
click 300 223                             # big-string, the first row
shot 35-bigvalues-record-editor 2

# 36. Show all: the value viewer, a screenful of rows of the whole text.
click 1272 260
shot 36-bigvalues-viewer 2

# 37. Search within it: every match marked, the current one brighter.
click 353 193; sleep 0.5; type_text "line lorem"; sleep 0.3; keys Return
shot 37-bigvalues-search 1.5

# 38. Edit this page: one page of rows in a text field.
click 223 631
shot 38-bigvalues-page-editor 1.5
click 251 631; sleep 0.5              # Close
click 496 127; sleep 1                    # the Record editor off

# 39. The JSON view: each big value folded, with show all.
click 326 159
shot 39-bigvalues-json-view 2
click 271 159; sleep 1

# 40. The expand view of the 1,000,000-item array: 100 items, then show all.
double_click 714 245
shot 40-bigvalues-expand 2
keys Escape; sleep 0.5

# 41. The cell editor on the 8 MB string: folded, with show all instead of a text field.
double_click 580 220
shot 41-bigvalues-cell-editor 1.5
keys Escape; sleep 0.5

# 42. The 8 MB record deleted: the pending list shows its fields, the big one folded.
click 300 223; sleep 0.5; keys Delete; sleep 0.5
click 51 12; sleep 0.7; click 110 108
shot 42-bigvalues-pending 1.5
kill "$pid"; wait "$pid" 2>/dev/null || true
fi
'
echo "screenshots in $out"
