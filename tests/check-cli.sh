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
done
rm -f /tmp/ust-cli.$$
exit $fail
