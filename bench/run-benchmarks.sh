#!/usr/bin/env bash
# Runs every built benchmark in this directory, one after another (they measure
# time, so never in parallel), and stops at the first that fails.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
found=0
for b in "$here"/bench_*; do
  [ -x "$b" ] || continue
  found=1
  echo "== $(basename "$b")"
  "$b"
done
[ "$found" = 1 ] || { echo "no benchmarks built in $here" >&2; exit 1; }
