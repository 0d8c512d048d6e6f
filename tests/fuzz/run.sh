#!/usr/bin/env bash
# Runs every fuzz target of a build for a while; used by `make fuzz`.
# Usage: tests/fuzz/run.sh BUILD_DIR SECONDS
#
# Each BUILD_DIR/tests/fuzz/fuzz_<name> runs for SECONDS on a scratch copy of
# tests/fuzz/corpus/<name>/ (the checked-in corpus is never written). Crash
# inputs are kept in BUILD_DIR/tests/fuzz/artifacts/<name>/ to replay with
# `fuzz_<name> FILE`. Exits 1 if any target crashed, 2 on bad usage.
set -u

if [ $# -ne 2 ] || ! [ "$2" -gt 0 ] 2>/dev/null; then
  echo "usage: $0 BUILD_DIR SECONDS" >&2
  exit 2
fi
build=$1
secs=$2
src=$(cd "$(dirname "$0")" && pwd)
bindir=$build/tests/fuzz
work=$(mktemp -d "${TMPDIR:-/tmp}/ustack-fuzz.XXXXXX")
trap 'rm -rf "$work"' EXIT

found=0
failed=""
for bin in "$bindir"/fuzz_*; do
  [ -f "$bin" ] && [ -x "$bin" ] || continue
  name=$(basename "$bin")
  short=${name#fuzz_}
  found=$((found + 1))
  corpus=$work/$short
  mkdir -p "$corpus"
  if [ -d "$src/corpus/$short" ]; then
    cp -R "$src/corpus/$short/." "$corpus/"
  fi
  artifacts=$(cd "$bindir" && pwd)/artifacts/$short
  mkdir -p "$artifacts"
  echo "== $name: ${secs}s"
  if ! "$bin" -max_total_time="$secs" -timeout=25 -print_final_stats=1 \
       -artifact_prefix="$artifacts/" "$corpus" >"$work/$name.log" 2>&1; then
    tail -n 40 "$work/$name.log"
    echo "== $name: FAILED; inputs in $artifacts/" >&2
    failed="$failed $name"
  else
    grep -E '^(Done|stat::number_of_executed_units|.*corpus inputs)' "$work/$name.log" || true
    echo "== $name: ok"
  fi
done

if [ "$found" -eq 0 ]; then
  echo "$0: no fuzz_* binaries in $bindir (configure with -DUSTACK_FUZZ=ON)" >&2
  exit 2
fi
if [ -n "$failed" ]; then
  echo "fuzz targets failed:$failed" >&2
  exit 1
fi
echo "all $found fuzz targets ran ${secs}s without a crash"
