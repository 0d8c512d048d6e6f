#!/usr/bin/env bash
# The ustack command: help for every subcommand, exit codes that mean something.
# Usage: check-cli.sh path/to/ustack
set -u
ustack=$1
fail=0
expect() { # expect CODE DESCRIPTION -- COMMAND...
  local want=$1 what=$2; shift 3
  "$@" >/tmp/ust-cli.$$ 2>&1; local got=$?
  if [ "$got" != "$want" ]; then
    echo "FAIL: $what: exit $got, want $want"; sed 's/^/  | /' /tmp/ust-cli.$$; fail=1
  else
    echo "ok: $what (exit $got)"
  fi
}
expect 2 "no command is a usage error" -- "$ustack"
expect 2 "unknown command is a usage error" -- "$ustack" frobnicate
expect 0 "help" -- "$ustack" help
for cmd in $("$ustack" help | awk '/^commands:/ {on=1; next} on && !NF {exit} on {print $1}'); do
  expect 0 "$cmd --help" -- "$ustack" "$cmd" --help
  "$ustack" "$cmd" --help | grep -q "usage: ustack $cmd" || { echo "FAIL: $cmd --help has no usage line"; fail=1; }
  # Every command takes the same observation options and documents them.
  for opt in --trace "--pcap FILE"; do
    "$ustack" "$cmd" --help | grep -q -- "$opt" || { echo "FAIL: $cmd --help does not document $opt"; fail=1; }
  done
done
# The ones that run without root or a device: --trace and --pcap work.
tmp=$(mktemp -d "${TMPDIR:-/tmp}/ust-check-cli.XXXXXX")
expect 0 "stat --trace --pcap" -- "$ustack" stat --trace --pcap "$tmp/stat.pcap" TcpActiveOpens
[ -s "$tmp/stat.pcap" ] || { echo "FAIL: stat --pcap wrote no capture"; fail=1; }
expect 3 "stat --pcap to an unwritable place" -- "$ustack" stat --pcap /nonexistent-dir/x.pcap
expect 0 "demo --quiet --trace --pcap" -- "$ustack" demo --quiet --trace --pcap "$tmp/demo.pcap"
grep -q "tcp_set_state: .* CLOSE -> LISTEN" /tmp/ust-cli.$$ ||
  { echo "FAIL: demo --quiet --trace prints no trace events"; fail=1; }
[ -s "$tmp/demo.pcap" ] || { echo "FAIL: demo --pcap wrote no capture"; fail=1; }
rm -rf "$tmp"
rm -f /tmp/ust-cli.$$
exit $fail
