#!/usr/bin/env bash
# Bulk data both ways between ustack on a TAP and the Linux kernel, inside a
# network namespace this script creates and deletes (also on failure); it
# kills only the processes it started.
#   (a) ustack sends: examples/http_server serves a random file, curl in the
#       namespace downloads it; same sha256.
#   (b) ustack receives: python3's http.server in the namespace serves the
#       same file, examples/http_get downloads it; same sha256.
# Each prints its throughput, the kernel's TCP counters that tell about loss
# (retransmissions) and the TAP's drops. A capture of the headers only
# (tcpdump -s 96) of each transfer is checked with tshark: no malformed
# packets, no expert errors (warnings such as zero windows and segments
# lost on the TAP are printed, not failed).
# Usage: bulk.sh EXAMPLES_DIR [MEGABYTES]   (default 100)
# Prints "skipped: <reason>" and exits 0 when it cannot run here.
set -u
bin=$1
mb=${2:-100}

. "$(dirname "$0")/lib.sh"
interop_setup bk-bulk ip curl python3 timeout sha256sum
sha() { sha256sum <"$1" | cut -d' ' -f1; }
K=192.0.2.1 U=192.0.2.2

ip -n "$ns" link set lo up
mkdir -p "$tmp/www"
head -c $((mb * 1000000)) /dev/urandom >"$tmp/www/big.bin"
want=$(sha "$tmp/www/big.bin")
echo "file: $mb MB, sha256 $want"

# capture DEV NAME: headers only, from the kernel's side of the TAP.
capture() {
  td=
  command -v tcpdump >/dev/null 2>&1 || return 0
  ip netns exec "$ns" timeout 60 tcpdump -i "$1" -n -s 96 -U -w "$tmp/$2.pcap" 2>"$tmp/$2.td" &
  td=$!; bg "$td"
  for _ in $(seq 50); do grep -q "listening on" "$tmp/$2.td" && return; sleep 0.1; done
  bad "tcpdump on $1 did not start"; show "$tmp/$2.td"
}
# check_capture NAME: malformed packets and expert errors fail; warnings are shown.
check_capture() {
  [ -n "$td" ] || { echo "note: no tcpdump, nothing captured"; return; }
  kill -INT "$td" 2>/dev/null; wait "$td" 2>/dev/null; forget "$td"
  command -v tshark >/dev/null 2>&1 || { echo "note: no tshark, capture $1 not checked"; return; }
  local f="$tmp/$1.pcap" n mal errs
  # The payload is random and cut at 96 bytes: shown as bare data, so that
  # neither HTTP nor a heuristic dissector (Thrift was seen) parses it.
  local ts=(tshark -d tcp.port==8080,data -d tcp.port==8000,data -r "$f")
  n=$("${ts[@]}" 2>/dev/null | wc -l)
  mal=$("${ts[@]}" -Y '_ws.malformed' 2>/dev/null | wc -l)
  "${ts[@]}" -q -z expert,warn 2>/dev/null | awk '/^(Errors|Warns) \(/ { sev=$1; next }
    sev && /^ +[0-9]+ / { n=$1; $1=$2=$3=""; sub(/^ +/, ""); print sev ": " n " x " $0 }' >"$tmp/$1.expert"
  errs=$(grep -c '^Errors' "$tmp/$1.expert")
  if [ "$n" -gt 0 ] && [ "$mal" = 0 ] && [ "$errs" = 0 ]; then
    ok "capture $1: $n packets (headers), none malformed, no expert errors"
  else
    bad "capture $1: $n packets, $mal malformed, $errs expert errors"
  fi
  show "$tmp/$1.expert"
}
# kernel_stats DEV: what the namespace's kernel counted (loss shows here).
kernel_stats() {
  NSTAT_HISTORY="$tmp/nstat.hist" ip netns exec "$ns" nstat -sz 2>/dev/null |
    awk '$1 ~ /^(TcpRetransSegs|TcpExtTCPFastRetrans|TcpExtTCPLostRetransmit|TcpExtTCPTimeouts|TcpExtTCPSynRetrans|TcpExtTCPOFOQueue|TcpExtTCPRcvQDrop|TcpExtTCPZeroWindowDrop)$/ { printf "%s %s  ", $1, $2 } END { print "" }' |
    sed 's/^/  kernel: /'
  ip -s -n "$ns" link show "$1" | awk '/RX:/ { getline; rx = $4 } /TX:/ { getline; tx = $4 }
    END { print "  " dev ": kernel dropped " rx " frames from ustack (RX), " tx " to ustack (TX: its ring to ustack full, or no reader)" }' dev="$1"
  NSTAT_HISTORY="$tmp/nstat.hist" ip netns exec "$ns" nstat -n >/dev/null 2>&1   # zero for the next part
}

# (a) ustack sends: http_server creates bk-tap0 itself.
ip netns exec "$ns" timeout -k 2 60 "$bin/http_server" --root "$tmp/www" --tap bk-tap0 --addr $U/24 \
  >"$tmp/a.out" 2>"$tmp/a.err" &
srv=$!; bg "$srv"
for _ in $(seq 50); do ip -n "$ns" link show bk-tap0 >/dev/null 2>&1 && break; sleep 0.1; done
if ip -n "$ns" link set bk-tap0 up && ip -n "$ns" addr add $K/24 dev bk-tap0; then
  capture bk-tap0 a
  NSTAT_HISTORY="$tmp/nstat.hist" ip netns exec "$ns" nstat -n >/dev/null 2>&1
  res=$(ip netns exec "$ns" curl -s --max-time 40 -o "$tmp/a.bin" \
        -w '%{http_code} %{size_download} %{time_total} %{speed_download} %{time_connect}' http://$U:8080/big.bin)
  read -r code size secs speed conn <<<"$res"
  got=$(sha "$tmp/a.bin")
  rm -f "$tmp/a.bin"
  if [ "$code" = 200 ] && [ "$got" = "$want" ]; then
    ok "(a) curl <- http_server: $size bytes, same sha256, $secs s, $(awk -v s="$speed" 'BEGIN { printf "%.1f", s / 1e6 }') MB/s, connected in $(awk -v c="$conn" 'BEGIN { printf "%.0f", c * 1e3 }') ms"
  else
    bad "(a) curl <- http_server: status '$code', $size bytes in $secs s, sha256 $got"
  fi
  kernel_stats bk-tap0
  kill -INT $srv; wait $srv; rc=$?; forget "$srv"
  if [ $rc = 0 ] && grep -q '^http_server: 1 connections served$' "$tmp/a.out"; then
    ok "(a) http_server stopped on SIGINT after 1 connection"
  else
    bad "(a) http_server: exit $rc"; show "$tmp/a.out" "$tmp/a.err"
  fi
  check_capture a
else
  bad "(a) http_server did not create bk-tap0"; show "$tmp/a.err"
fi

# (b) ustack receives: http_get attaches to a TAP that is already up, since
# its SYN goes out at once.
ip -n "$ns" tuntap add dev bk-tap1 mode tap
ip -n "$ns" link set bk-tap1 up
ip -n "$ns" addr add $K/24 dev bk-tap1
ip netns exec "$ns" timeout 60 python3 -u -m http.server --bind $K --directory "$tmp/www" 8000 \
  >"$tmp/py.out" 2>&1 &
bg "$!"
for _ in $(seq 50); do grep -q "Serving HTTP" "$tmp/py.out" && break; sleep 0.1; done
grep -q "Serving HTTP" "$tmp/py.out" || { bad "(b) python3 http.server did not start"; show "$tmp/py.out"; exit 1; }
capture bk-tap1 b
NSTAT_HISTORY="$tmp/nstat.hist" ip netns exec "$ns" nstat -n >/dev/null 2>&1
ip netns exec "$ns" timeout -k 2 50 "$bin/http_get" --tap bk-tap1 --addr $U/24 --timeout 40 \
  --output "$tmp/b.bin" --stats $K 8000 /big.bin >"$tmp/b.out" 2>"$tmp/b.err"
rc=$?
got=$(sha "$tmp/b.bin")
rm -f "$tmp/b.bin"
line=$(grep '^GET ' "$tmp/b.out")
if [ $rc = 0 ] && [ "$got" = "$want" ] &&
   [[ "$line" == "GET /big.bin -> HTTP/1.0 200 OK, $((mb * 1000000)) bytes in "* ]]; then
  ok "(b) http_get <- python3 http.server: same sha256; ${line#GET /big.bin -> }"
else
  bad "(b) http_get: exit $rc, sha256 $got"; show "$tmp/b.out" "$tmp/b.err"
fi
awk '$1 ~ /^(TcpRetransSegs|TcpExtTCPSynRetrans|TcpExtTCPOFOQueue|TcpExtTCPOFODrop|TcpExtTCPRcvQDrop|TcpExtPruneCalled|TcpExtTCPFromZeroWindowAdv|TcpExtTCPToZeroWindowAdv)$/ { printf "%s %s  ", $1, $2 } END { print "" }' \
  "$tmp/b.out" | sed 's/^/  ustack: /'
kernel_stats bk-tap1
check_capture b

[ "$fail" = 0 ] && echo "bulk interop: all passed"
exit "$fail"
