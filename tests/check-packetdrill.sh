#!/usr/bin/env bash
# Runs every tests/scripts/packetdrill-adapter/*.pkt through the real
# packetdrill with ustack loaded as its shared object
# (BUILD_DIR/tools/packetdrill/libustack-packetdrill.so).
#
# Usage: check-packetdrill.sh BUILD_DIR [--linux]
#   PACKETDRILL=/path/to/packetdrill   the binary (default: packetdrill on PATH);
#                                      without one the check is skipped, loudly.
#   --linux   run the same scripts against the Linux kernel instead (needs root,
#             iproute2 and /dev/net/tun): each in a network namespace this script
#             creates and deletes, with the script's so_flags sysctls set there.
#
# A script may carry a line "// so_flags: key=value,..." with settings it needs
# (sysctls by their Linux name); they are added to --so_flags, or, with --linux,
# written as net.ipv4.* / net.core.* sysctls in the namespace.
set -u
build=${1:?usage: check-packetdrill.sh BUILD_DIR [--linux]}
mode=${2:-ustack}
here=$(cd "$(dirname "$0")" && pwd)
scripts=$here/scripts/packetdrill-adapter
local_ip=192.168.0.2
pd=${PACKETDRILL:-$(command -v packetdrill || true)}

if [ -z "$pd" ] || [ ! -x "$pd" ]; then
  echo "skipped: no packetdrill binary (set PACKETDRILL=/path/to/packetdrill)"
  exit 0
fi

# dlopen() needs a path with a slash to avoid the library search path.
so=$(cd "$build" 2>/dev/null && pwd)/tools/packetdrill/libustack-packetdrill.so
case $mode in
  ustack)
    if [ ! -f "$so" ]; then
      echo "FAIL: $so not built (cmake --build $build --target ustack-packetdrill)"
      exit 1
    fi ;;
  --linux)
    if [ "$(id -u)" != 0 ] || ! command -v ip >/dev/null || [ ! -c /dev/net/tun ]; then
      echo "skipped: --linux needs root, iproute2 and /dev/net/tun"
      exit 0
    fi
    ns=ustpd$$
    ip netns add "$ns" || { echo "FAIL: cannot create network namespace $ns"; exit 1; }
    trap 'ip netns del "$ns" 2>/dev/null' EXIT ;;
  *)
    echo "usage: check-packetdrill.sh BUILD_DIR [--linux]"; exit 2 ;;
esac

# The settings a script asks for: "// so_flags: a=1,b=2" lines, comma-joined.
script_flags() {
  sed -n 's|^//[[:space:]]*so_flags:[[:space:]]*||p' "$1" | tr -d '[:space:]' | paste -sd, -
}

out=$(mktemp)
trap 'rm -f "$out"; [ -n "${ns:-}" ] && ip netns del "$ns" 2>/dev/null' EXIT
fail=0 n=0
for f in "$scripts"/*.pkt; do
  [ -e "$f" ] || continue
  n=$((n + 1))
  name=$(basename "$f")
  extra=$(script_flags "$f")
  start=$(date +%s.%N)
  if [ "$mode" = ustack ]; then
    flags=local_ip=$local_ip${extra:+,$extra}
    (cd "$scripts" && timeout 120 "$pd" --so_filename="$so" --so_flags="$flags" \
       --local_ip=$local_ip --ip_version=ipv4 "$name") >"$out" 2>&1
    rc=$?
  else
    # Fresh namespace per script: sysctls of one script do not leak into the next.
    ip netns del "$ns" 2>/dev/null; ip netns add "$ns"
    setup=""
    for kv in ${extra//,/ }; do
      k=${kv%%=*} v=$(echo "${kv#*=}" | sed 's/:/ /g; s/\([0-9]\)-\([0-9]\)/\1 \2/g')
      case $k in net.*) key=$k ;; somaxconn|rmem_max|wmem_max) key=net.core.$k ;; *) key=net.ipv4.$k ;; esac
      setup="$setup sysctl -qw '$key=$v' &&"
    done
    (cd "$scripts" && timeout 120 ip netns exec "$ns" sh -c \
       "$setup \"\$0\" --ip_version=ipv4 \"\$1\"" "$pd" "$name") >"$out" 2>&1
    rc=$?
  fi
  secs=$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { printf "%.2f", b - a }')
  if [ $rc = 0 ]; then
    echo "ok: $name (${secs}s)"
  else
    echo "FAIL: $name (exit $rc${extra:+, so_flags $extra})"
    sed 's/^/  | /' "$out"
    fail=1
  fi
done
if [ $n = 0 ]; then
  echo "FAIL: no scripts in $scripts"
  exit 1
fi
exit $fail
