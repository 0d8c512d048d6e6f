# Sourced by the scripts that run ustack against the Linux kernel over a
# TAP/TUN device (tests/interop/*.sh, examples/tests/tap.sh).
#
#   interop_setup NAME TOOL...   skip (exit 0, "skipped: why") without root,
#                                /dev/net/tun or one of the tools; then make
#                                namespace $ns (NAME-PID) and directory $tmp,
#                                both removed on every exit path.
#   bg PID                       after `cmd &`: cleanup stops it if still running;
#   forget PID                   once it was waited for (its PID may be reused).
#   ok/bad/show                  results; bad sets fail=1.

skip() { echo "skipped: $*"; exit 0; }
ok() { echo "ok: $*"; }
bad() { echo "FAIL: $*"; fail=1; }
show() { sed 's/^/  | /' "$@"; }

bg() { pids+=("$1"); }
forget() {
  local keep=() p
  for p in "${pids[@]}"; do [ "$p" = "$1" ] || keep+=("$p"); done
  pids=("${keep[@]}")
}

interop_cleanup() {
  local p
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null && wait "$p" 2>/dev/null; done
  ip netns del "$ns" 2>/dev/null
  rm -rf "$tmp"
}

interop_setup() {
  local name=$1 tool
  shift
  [ "$(id -u)" = 0 ] || skip "needs root"
  [ -c /dev/net/tun ] || skip "no /dev/net/tun"
  for tool in "$@"; do
    command -v "$tool" >/dev/null 2>&1 || skip "no $tool"
  done
  fail=0
  pids=()
  ns="$name-$$"
  tmp=$(mktemp -d "${TMPDIR:-/tmp}/$name.XXXXXX")
  trap interop_cleanup EXIT
  trap 'exit 1' INT TERM HUP
  ip netns add "$ns" 2>"$tmp/err" || skip "cannot create a network namespace: $(cat "$tmp/err")"
}
