#!/usr/bin/env bash
# `ustack connect` against the Linux kernel over a TAP device, inside a network
# namespace this script creates and deletes (also on failure); it kills only
# the processes it started. The TAP is created and configured before ustack
# attaches to it, since `ustack connect` sends its SYNs at once.
#   (0) a HOST that is not an IPv4 address: exit 2, one line on stderr;
#   (a) a kernel echo listener on 192.0.2.1:9090: --count 3 --send hello gives
#       three "established" lines, three echoed replies, exit 0;
#   (b) a closed port, 192.0.2.1:9091: the kernel answers the SYN with a RST,
#       "failed: Connection refused (ECONNREFUSED)", exit 1;
#   (c) a kernel listener with listen(fd, 0) that never accepts (see below).
# The captures of (a) and (b) are checked with tshark: expert info and flags.
# Usage: connect.sh path/to/ustack
# Prints "skipped: <reason>" and exits 0 when it cannot run here.
set -u
ustack=$1

. "$(dirname "$0")/lib.sh"
# The kernel-side listeners are a few lines of python3 (no nc/socat needed).
interop_setup ust-connect ip timeout python3
ip -n "$ns" link set lo up
ip -n "$ns" tuntap add dev ustap0 mode tap 2>"$tmp/err" || skip "cannot create a TAP: $(cat "$tmp/err")"
ip -n "$ns" link set ustap0 up
ip -n "$ns" addr add 192.0.2.1/24 dev ustap0

# listener PORT BACKLOG MODE: a kernel listener on 192.0.2.1:PORT in the
# namespace; MODE echo (accept, echo one read, close) or hold (never accept).
cat >"$tmp/listen.py" <<'PY'
import socket, sys, time
port, backlog, mode = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("192.0.2.1", port))
s.listen(backlog)
print("listening", flush=True)
if mode == "hold":
    time.sleep(120)
while True:
    c, _ = s.accept()
    c.settimeout(2)
    try:
        c.sendall(c.recv(4096))
    except OSError:
        pass
    c.close()
PY
listener() {
  ip netns exec "$ns" timeout 60 python3 "$tmp/listen.py" "$@" >"$tmp/l$1.out" 2>&1 &
  bg "$!"
  for _ in $(seq 50); do
    grep -q listening "$tmp/l$1.out" 2>/dev/null && return 0
    sleep 0.1
  done
  bad "kernel listener on port $1 did not start"; show "$tmp/l$1.out"; exit 1
}

# run NAME ARGS...: ustack connect in the namespace; output in $tmp/NAME.*, exit in rc.
run() {
  local name=$1; shift
  ip netns exec "$ns" timeout -k 2 20 "$ustack" connect --tap ustap0 --addr 192.0.2.2/24 "$@" \
    >"$tmp/$name.out" 2>"$tmp/$name.err"
  rc=$?
}
lines() { grep -c -- "$2" "$tmp/$1.out"; }

# (0) no DNS: a name is a usage error.
run usage example.org 9090
if [ "$rc" = 2 ] && [ "$(wc -l <"$tmp/usage.err")" = 1 ]; then ok "HOST example.org: exit 2, '$(cat "$tmp/usage.err")'"
else bad "HOST example.org: exit $rc (want 2)"; show "$tmp/usage.err"; fi

# (a) three connections to a kernel echo listener.
listener 9090 16 echo
run a --count 3 --send hello --timeout 5 --pcap "$tmp/a.pcap" 192.0.2.1 9090
est=$(lines a '^conn [0-9]*: established in [0-9.]* ms$')
echoed=$(lines a '^conn [0-9]*: sent 5 bytes, received 5 bytes: "hello"$')
if [ "$rc" = 0 ] && [ "$est" = 3 ] && [ "$echoed" = 3 ] &&
   grep -q '^3 established, 0 refused, 0 timed out; handshake latency min/avg/max ' "$tmp/a.out" &&
   grep -q '^TcpActiveOpens  *3 ' "$tmp/a.out"; then
  ok "count 3: exit 0, 3 established, 3 echoed, TcpActiveOpens 3"
else
  bad "count 3: exit $rc, $est established, $echoed echoed"; show "$tmp/a.out" "$tmp/a.err"
fi

# (b) a closed port: the kernel answers the SYN with RST|ACK.
run b --timeout 5 --pcap "$tmp/b.pcap" 192.0.2.1 9091
if [ "$rc" = 1 ] && grep -q '^conn 1: failed: Connection refused (ECONNREFUSED)$' "$tmp/b.out" &&
   grep -q '^0 established, 1 refused, 0 timed out' "$tmp/b.out"; then
  ok "closed port: exit 1, $(grep '^conn 1' "$tmp/b.out")"
else
  bad "closed port: exit $rc"; show "$tmp/b.out" "$tmp/b.err"
fi

# The captures of (a) and (b), when tshark is there: expert info (no errors;
# warnings only the one expected RST of (b)) and the flags of each connection.
expert() { tshark -r "$1" -q -z expert,warn 2>/dev/null | awk '/^ +[0-9]+ / { $2 = $3 = ""; print }' | tr -s ' ' | sed 's/^ //'; }
opening() { # pcap: per connection (client port), the first three distinct flag values
  # A repeat of the same flags is a retransmission (a SYN the kernel missed
  # while the freshly made TAP settled, on a loaded machine): correct TCP, so
  # the opening is judged without it.
  tshark -r "$1" -Y tcp -T fields -e tcp.stream -e tcp.flags 2>/dev/null |
    awk '{ if ($2 == last[$1]) next; last[$1] = $2; n[$1]++; if (n[$1] <= 3) s[$1] = s[$1] $2 " " }
         END { for (k in s) print s[k] }' | sort | uniq -c | tr -s ' ' | sed 's/^ //'
}
if command -v tshark >/dev/null 2>&1; then
  got=$(expert "$tmp/a.pcap")
  [ -z "$got" ] && ok "count 3 capture: no expert warnings or errors" || bad "count 3 capture: expert '$got'"
  got=$(opening "$tmp/a.pcap")
  [ "$got" = "3 0x0002 0x0012 0x0010 " ] && ok "count 3 capture: 3 connections open SYN, SYN-ACK, ACK" ||
    bad "count 3 capture: openings '$got'"
  got=$(expert "$tmp/b.pcap")
  [ "$got" = "1 Connection reset (RST)" ] && ok "closed port capture: only the RST warning" ||
    bad "closed port capture: expert '$got'"
  got=$(opening "$tmp/b.pcap")
  [ "$got" = "1 0x0002 0x0014 " ] && ok "closed port capture: SYN, RST-ACK" || bad "closed port capture: '$got'"
else
  echo "note: no tshark, captures not checked"
fi

# (c) A kernel listener with listen(fd, 0) that never accepts. Linux admits one
# child to the accept queue (it is full when its length > backlog, i.e. at 1).
# Observed on Linux 6.x (tcp_syncookies=1, the namespace default), every run:
#  - paced (--rate 10, 100 ms apart): conn 1 completes and its child fills the
#    accept queue; tcp_conn_request then drops each later SYN (ListenOverflows,
#    no answer at all), so ustack retransmits them (1 s linear timeouts) and
#    they are still in SYN_SENT at --timeout: 1 established, 4 timed out, exit 1.
#  - all at once: the five SYNs arrive before conn 1's ACK, while the accept
#    queue is still empty; the SYN queue counts as full at backlog 0, so SYNs
#    2-5 get syncookie SYN-ACKs (TCPReqQFullDoCookies). ustack's side is then
#    established for all five (exit 0), while the kernel drops their ACKs on the
#    accept-queue overflow and never creates those children: the client cannot
#    see a kernel accept-queue overflow at handshake time.
listener 9092 0 hold
run c1 --count 5 --rate 10 --timeout 3 192.0.2.1 9092
synre=$(awk '$1 == "TcpExtTCPSynRetrans" { print $2 }' "$tmp/c1.out")
if [ "$rc" = 1 ] && grep -q '^conn 1: established in ' "$tmp/c1.out" &&
   [ "$(lines c1 '^conn [2-5]: timed out (no answer before --timeout)$')" = 4 ] &&
   grep -q '^1 established, 0 refused, 4 timed out' "$tmp/c1.out" && [ "${synre:-0}" -ge 4 ]; then
  ok "backlog 0, paced: exit 1, 1 established, 4 timed out (SYNs dropped), TcpExtTCPSynRetrans $synre"
else
  bad "backlog 0, paced: exit $rc, TcpExtTCPSynRetrans '$synre'"; show "$tmp/c1.out" "$tmp/c1.err"
fi
# A fresh listener, so that the accept queue is empty again.
listener 9093 0 hold
run c2 --count 5 --timeout 3 192.0.2.1 9093
if [ "$rc" = 0 ] && [ "$(lines c2 '^conn [1-5]: established in ')" = 5 ]; then
  ok "backlog 0, all at once: exit 0, 5 established (SYN-ACKs, 4 of them syncookies)"
else
  bad "backlog 0, all at once: exit $rc"; show "$tmp/c2.out" "$tmp/c2.err"
fi

[ "$fail" = 0 ] && echo "connect interop: all passed"
exit "$fail"
