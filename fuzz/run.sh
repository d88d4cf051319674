#!/bin/sh
# Runs every fuzz target for SECONDS each (default 180), one after another,
# with the stable toolchain (RUSTC_BOOTSTRAP lets cargo-fuzz use the
# sanitizer flags). Crashes land in fuzz/artifacts/<target>/; copy each one
# to tests/regressions/<target>/ so CI replays it (tests/it/regressions.rs).
set -u
cd "$(dirname "$0")"
SECONDS_EACH=${1:-180}
TARGETS=${TARGETS:-"open_native open_compressed open_legacy import_backup parse_filter parse_sort parse_projection parse_update parse_pipeline import_jsonl import_csv open_checkpoint"}
for target in $TARGETS; do
    case $target in
        open_checkpoint) extra="-max_len=4096" ;;
        open_*|import_backup) extra="-max_len=16384" ;;
        # The import runs a scoped reader thread; LeakSanitizer reports the
        # standard library's and glibc's per-thread bookkeeping of such
        # threads (a few dozen bytes, not ours) as leaks, at exit too, so
        # leak checks are off for these two.
        import_csv) extra="-dict=dicts/csv.dict -detect_leaks=0" ;;
        import_jsonl) extra="-dict=dicts/query.dict -detect_leaks=0" ;;
        *) extra="-dict=dicts/query.dict" ;;
    esac
    mkdir -p "corpus/$target"
    case $target in import_jsonl|import_csv) leaks=0 ;; *) leaks=1 ;; esac
    ASAN_OPTIONS="detect_leaks=$leaks" RUSTC_BOOTSTRAP=1 cargo fuzz run -O ${FUZZ_TARGET_DIR:+--target-dir "$FUZZ_TARGET_DIR"} "$target" "corpus/$target" -- \
        -max_total_time="$SECONDS_EACH" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 $extra \
        > "fuzz-$target.log" 2>&1
    echo "$target: exit $? $(grep -E '^stat::number_of_executed_units|Done [0-9]+ runs' "fuzz-$target.log" | tail -1)"
done
