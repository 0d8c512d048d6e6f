#!/usr/bin/env bash
# Checks two promises of the library, read off the built objects:
#  1. no global mutable state: no symbol of libustack.a lives in a writable data
#     section (.data, .bss, thread-local); constants (.rodata, .data.rel.ro) are fine;
#  2. the shared library exports nothing but the public ust_* API.
# Usage: check-library.sh libustack.a libustack.so
set -eu
static_lib=$1
shared_lib=$2
fail=0

writable=$(nm -f sysv --defined-only "$static_lib" 2>/dev/null |
  awk -F'|' 'NF >= 7 { s=$7; gsub(/ /, "", s); n=$1; gsub(/ /, "", n);
    if (s ~ /^\.(data|bss|tdata|tbss)(\.|$)/ && s !~ /^\.data\.rel\.ro/) print n " (" s ")" }' | sort -u)
if [ -n "$writable" ]; then
  echo "FAIL: writable global or static data in $static_lib:"
  echo "$writable"
  fail=1
else
  echo "ok: no writable data symbols in $(basename "$static_lib")"
fi

exported=$(nm -D --defined-only "$shared_lib" | awk '$2 ~ /[TDBRVW]/ {print $3}' | grep -v '^ust_' || true)
if [ -n "$exported" ]; then
  echo "FAIL: symbols exported from $(basename "$shared_lib") outside ust_*:"
  echo "$exported"
  fail=1
else
  n=$(nm -D --defined-only "$shared_lib" | awk '$2 ~ /[TDBRVW]/' | wc -l)
  echo "ok: $(basename "$shared_lib") exports $n symbols, all ust_*"
fi
exit $fail
