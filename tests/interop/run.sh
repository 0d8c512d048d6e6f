#!/usr/bin/env bash
# Runs interop_tap (ustack vs the Linux kernel over a TAP device) in a network
# namespace of its own, then checks the capture with tshark. All traffic stays
# inside that namespace, which is deleted on exit, also on failure.
# Usage: run.sh path/to/interop_tap
# Prints "skipped: <reason>" and exits 0 when it cannot run here.
set -u
prog=$1

skip() { echo "skipped: $*"; exit 0; }
[ "$(id -u)" = 0 ] || skip "needs root"
[ -c /dev/net/tun ] || skip "no /dev/net/tun"
for tool in ip tshark ping timeout; do
  command -v "$tool" >/dev/null 2>&1 || skip "no $tool"
done

ns="ust-interop-$$"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/ust-interop.XXXXXX")
pcap="$tmp/tap.pcap"
cleanup() {
  ip netns del "$ns" 2>/dev/null
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

ip netns add "$ns" 2>"$tmp/err" || skip "cannot create a network namespace: $(cat "$tmp/err")"

fail=0
echo "== $prog in namespace $ns"
timeout -k 2 20 ip netns exec "$ns" "$prog" "$pcap" || { echo "FAIL: interop_tap exited with $?"; fail=1; }

if [ ! -s "$pcap" ]; then
  echo "FAIL: no capture"
  exit 1
fi

# Pairs "src flags" of TCP segments matching a filter, in capture order.
segs() { tshark -r "$pcap" -Y "$1" -T fields -e ip.src -e tcp.flags 2>/dev/null; }

malformed=$(tshark -r "$pcap" -Y '_ws.malformed' -T fields -e frame.number 2>/dev/null | wc -l)
if [ "$malformed" -ne 0 ]; then
  echo "FAIL: $malformed malformed packets in the capture"; fail=1
else
  echo "ok: capture has $(tshark -r "$pcap" 2>/dev/null | wc -l) packets, none malformed"
fi

check_handshake() {   # filter client server
  local got want
  got=$(segs "$1" | head -3 | tr '\t' ' ' | tr '\n' ';')
  want="$2 0x0002;$3 0x0012;$2 0x0010;"
  if [ "$got" = "$want" ]; then
    echo "ok: $1 opens with SYN, SYN-ACK, ACK"
  else
    echo "FAIL: $1 handshake: got '$got', want '$want'"; fail=1
  fi
}
check_handshake "tcp.port == 8080" 192.0.2.1 192.0.2.2
check_handshake "tcp.port == 9090" 192.0.2.2 192.0.2.1

rsts=$(segs "tcp.flags.reset == 1" | wc -l)
[ "$rsts" -eq 0 ] && echo "ok: no RST" || { echo "FAIL: $rsts RST segments"; fail=1; }
replies=$(tshark -r "$pcap" -Y "icmp.type == 0 && ip.src == 192.0.2.2" 2>/dev/null | wc -l)
[ "$replies" -ge 2 ] && echo "ok: $replies echo replies" || { echo "FAIL: $replies echo replies"; fail=1; }

if [ "$fail" -ne 0 ]; then
  echo "capture:"; tshark -r "$pcap" 2>/dev/null | head -60
  exit 1
fi
echo "interop: all passed"
