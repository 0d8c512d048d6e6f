#!/usr/bin/env bash
# Runs packet scripts through the real packetdrill with ustack loaded as its
# shared object (BUILD_DIR/tools/packetdrill/libustack-packetdrill.so), or,
# with --linux, against the Linux kernel.
#
# Usage: check-packetdrill.sh BUILD_DIR [--linux] [SCRIPT.pkt|DIR ...]
#   Without scripts: every tests/scripts/*/*.pkt.
#   PACKETDRILL=/path/to/packetdrill   the binary (default: packetdrill on PATH);
#                                      without one the check is skipped, loudly.
#   --linux   run the scripts against the Linux kernel instead (needs root,
#             iproute2 and /dev/net/tun).
#
# packetdrill runs a script's backtick commands (`sysctl -q ...`) itself, also
# with the adapter, which applies their sysctls to ustack. So every script
# that has one runs in a network namespace this script creates and deletes
# (root and iproute2 needed; without them such scripts are skipped, loudly),
# with a tun device named tun0 in it for commands like upstream's
# `tc qdisc add dev tun0 ...`. --linux runs every script in a namespace.
#
# A script may carry a line "// so_flags: key=value,..." with settings it needs
# (sysctls by their Linux name); they are added to --so_flags, or, with --linux,
# written as net.ipv4.* / net.core.* sysctls in the namespace.
set -u
build=${1:?usage: check-packetdrill.sh BUILD_DIR [--linux] [SCRIPT.pkt|DIR ...]}
shift
# Against Linux a script takes its real time (TIME_WAIT scripts: minutes).
mode=ustack tmo=120
if [ "${1:-}" = --linux ]; then mode=linux tmo=600; shift; fi
here=$(cd "$(dirname "$0")" && pwd)
local_ip=192.168.0.2
pd=${PACKETDRILL:-$(command -v packetdrill || true)}

if [ -z "$pd" ] || [ ! -x "$pd" ]; then
  echo "skipped: no packetdrill binary (set PACKETDRILL=/path/to/packetdrill)"
  exit 0
fi
pd=$(cd "$(dirname "$pd")" && pwd)/$(basename "$pd")

# dlopen() needs a path with a slash to avoid the library search path.
so=$(cd "$build" 2>/dev/null && pwd)/tools/packetdrill/libustack-packetdrill.so
if [ $mode = ustack ] && [ ! -f "$so" ]; then
  echo "FAIL: $so not built (cmake --build $build --target ustack-packetdrill)"
  exit 1
fi
# packetdrill dlopen()s the adapter with RTLD_DEEPBIND, which the
# AddressSanitizer runtime refuses: a sanitized build cannot run this way.
if [ $mode = ustack ] && ldd "$so" 2>/dev/null | grep -q 'libasan'; then
  echo "skipped: $so is built with AddressSanitizer (packetdrill loads it with RTLD_DEEPBIND)"
  exit 0
fi
can_ns=0
if [ "$(id -u)" = 0 ] && command -v ip >/dev/null && [ -c /dev/net/tun ]; then can_ns=1; fi
if [ $mode = linux ] && [ $can_ns = 0 ]; then
  echo "skipped: --linux needs root, iproute2 and /dev/net/tun"
  exit 0
fi

scripts=()
[ $# = 0 ] && set -- "$here"/scripts/*/
for a in "$@"; do
  if [ -d "$a" ]; then
    for f in "$a"/*.pkt; do [ -e "$f" ] && scripts+=("$(cd "$(dirname "$f")" && pwd)/$(basename "$f")"); done
  elif [ -f "$a" ]; then
    scripts+=("$(cd "$(dirname "$a")" && pwd)/$(basename "$a")")
  else
    echo "FAIL: no such script or directory: $a"; exit 2
  fi
done

# The settings a script asks for: "// so_flags: a=1,b=2" lines, comma-joined.
script_flags() {
  sed -n 's|^//[[:space:]]*so_flags:[[:space:]]*||p' "$1" | tr -d '[:space:]' | paste -sd, -
}
# Whether packetdrill would run shell commands for it (a backtick outside
# // comments).
runs_commands() {
  sed 's|//.*||' "$1" | grep -q '`'
}

ns=ustpd$$
out=$(mktemp)
trap 'rm -f "$out"; ip netns del "$ns" 2>/dev/null' EXIT
# A fresh namespace per script: the sysctls of one do not leak into the next.
new_ns() {
  ip netns del "$ns" 2>/dev/null
  ip netns add "$ns" && ip netns exec "$ns" ip link set lo up &&
    ip netns exec "$ns" ip tuntap add dev tun0 mode tun &&
    ip netns exec "$ns" ip link set tun0 up
}

fail=0 n=0 skipped=0
for f in "${scripts[@]}"; do
  n=$((n + 1))
  dir=$(dirname "$f") name=$(basename "$f")
  rel=${f#"$here"/scripts/}
  extra=$(script_flags "$f")
  start=$(date +%s.%N)
  if [ $mode = ustack ]; then
    flags=local_ip=$local_ip${extra:+,$extra}
    cmd=("$pd" --so_filename="$so" --so_flags="$flags" --local_ip=$local_ip --ip_version=ipv4 "$name")
    if ! runs_commands "$f"; then
      (cd "$dir" && timeout $tmo "${cmd[@]}") >"$out" 2>&1
      rc=$?
    elif [ $can_ns = 1 ]; then
      new_ns || { echo "FAIL: cannot create network namespace $ns"; exit 1; }
      (cd "$dir" && timeout $tmo ip netns exec "$ns" "${cmd[@]}") >"$out" 2>&1
      rc=$?
    else
      echo "not run: $rel (runs shell commands: needs root and iproute2 for a network namespace)"
      skipped=$((skipped + 1))
      continue
    fi
  else
    new_ns || { echo "FAIL: cannot create network namespace $ns"; exit 1; }
    setup=""
    for kv in ${extra//,/ }; do
      k=${kv%%=*} v=$(echo "${kv#*=}" | sed 's/:/ /g; s/\([0-9]\)-\([0-9]\)/\1 \2/g')
      case $k in net.*) key=$k ;; somaxconn|rmem_max|wmem_max) key=net.core.$k ;; *) key=net.ipv4.$k ;; esac
      setup="$setup sysctl -qw '$key=$v' &&"
    done
    ip netns exec "$ns" ip link del tun0 2>/dev/null   # packetdrill creates its own
    (cd "$dir" && timeout $tmo ip netns exec "$ns" sh -c \
       "$setup \"\$0\" --ip_version=ipv4 \"\$1\"" "$pd" "$name") >"$out" 2>&1
    rc=$?
  fi
  secs=$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { printf "%.2f", b - a }')
  if [ $rc = 0 ]; then
    echo "ok: $rel (${secs}s)"
  else
    echo "FAIL: $rel (exit $rc${extra:+, so_flags $extra})"
    sed 's/^/  | /' "$out"
    fail=1
  fi
done
if [ $n = 0 ]; then
  echo "FAIL: no scripts"
  exit 1
fi
echo "$((n - skipped)) run, $skipped not run, $([ $fail = 0 ] && echo all passed || echo some FAILED)"
exit $fail
