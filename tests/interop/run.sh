#!/usr/bin/env bash
# Runs interop_tap (ustack vs the Linux kernel over a TAP or a TUN device) in a
# network namespace of its own, then checks the capture with tshark. All
# traffic stays inside that namespace, which is deleted on exit, also on
# failure.
# Usage: run.sh path/to/interop_tap tap|tun
# Prints "skipped: <reason>" and exits 0 when it cannot run here.
#
# The capture checks:
#   - tshark's expert info: no errors; the only warnings are "Connection
#     reset (RST)", one per refused connect (2), on the closed port 8081;
#   - per connection, the TCP flags in order: the handshake exactly (SYN,
#     SYN-ACK, ACK); then for each direction the segments that carry
#     something (data, FIN, RST) in order; the last segment a bare ACK of
#     the last FIN; retransmissions aside. Bare ACKs in between are not compared: how many there are
#     depends on how the two sides' reads interleave;
#   - the refused connects: SYN, then RST-ACK from the closed side, nothing else;
#   - ping: two echo replies from ustack;
#   - TAP: ustack's gratuitous ARP, the kernel's broadcast request for
#     192.0.2.2 and ustack's unicast reply with its own MAC.
set -u
prog=$1
mode=${2:-tap}

[ "$mode" = tap ] || [ "$mode" = tun ] || { echo "usage: run.sh PROG tap|tun"; exit 2; }
. "$(dirname "$0")/lib.sh"
interop_setup "ust-interop-$mode" ip tshark ping timeout sysctl
pcap="$tmp/$mode.pcap"
echo "== $prog $mode in namespace $ns"
timeout -k 2 30 ip netns exec "$ns" "$prog" "$mode" "$pcap" || bad "interop_tap exited with $?"

if [ ! -s "$pcap" ]; then
  echo "FAIL: no capture"
  exit 1
fi

ts() { tshark -r "$pcap" "$@" 2>/dev/null; }

malformed=$(ts -Y '_ws.malformed' -T fields -e frame.number | wc -l)
if [ "$malformed" -ne 0 ]; then
  bad "$malformed malformed packets in the capture"
else
  echo "ok: capture has $(ts | wc -l) packets, none malformed"
fi

# Expert info at warning level and above, one "count|protocol|summary" line each.
expert=$(ts -q -z expert,warn | awk '/^(Errors|Warns) \(/ { sev=$1; next }
  sev && /^ +[0-9]+ / { n=$1; proto=$3; $1=$2=$3=""; sub(/^ +/, ""); print sev "|" n "|" proto "|" $0 }')
want_expert="Warns|2|TCP|Connection reset (RST)"
if [ "$expert" = "$want_expert" ]; then
  echo "ok: expert info: only the 2 expected RST warnings"
else
  bad "expert info: got '$expert', want '$want_expert'"
fi
rst_ports=$(ts -Y 'tcp.flags.reset == 1' -T fields -e tcp.srcport | sort -u | tr '\n' ' ')
[ "$rst_ports" = "8081 " ] && echo "ok: RSTs only from the closed port 8081" ||
  bad "RSTs from ports '$rst_ports', want only 8081"

# "src flags len" of the TCP segments of one connection (filter), in order.
segs() { ts -Y "$1" -T fields -e ip.src -e tcp.flags -e tcp.len | tr '\t' ' '; }

# Segments that carry something, of one direction: SYN, SYN-ACK, DATA, FIN, RST.
# Retransmissions are left out: on a loaded machine the stack thread may run
# late, and the kernel's tail loss probe then resends its FIN (a Note in
# tshark's expert info, not a warning).
events() { # filter src
  ts -Y "($1) && ip.src == $2 && !tcp.analysis.retransmission" -T fields -e tcp.flags.syn -e tcp.flags.ack -e tcp.flags.fin \
     -e tcp.flags.reset -e tcp.len | awk '{
    e = "";
    if ($4 == 1) e = "RST"; else if ($1 == 1) e = $2 == 1 ? "SYN-ACK" : "SYN";
    if ($5 > 0) e = e (e ? "+" : "") "DATA";
    if ($3 == 1) e = e (e ? "+" : "") "FIN";
    if (e) printf "%s ", e }'
}

check_conn() {   # port client server client-events server-events first-closer
  local f="tcp.port == $1" got want last
  got=$(segs "$f" | head -3 | awk '{print $1, $2}' | tr '\n' ';')
  want="$2 0x0002;$3 0x0012;$2 0x0010;"
  [ "$got" = "$want" ] && echo "ok: port $1 opens with SYN, SYN-ACK, ACK" ||
    bad "port $1 handshake: got '$got', want '$want'"
  got=$(events "$f" "$2")
  [ "$got" = "$4" ] && echo "ok: port $1 client $2 sends: $got" || bad "port $1 client $2 sends '$got', want '$4'"
  got=$(events "$f" "$3")
  [ "$got" = "$5" ] && echo "ok: port $1 server $3 sends: $got" || bad "port $1 server $3 sends '$got', want '$5'"
  last=$(segs "$f && !tcp.analysis.retransmission" | tail -1)
  [ "$last" = "$6 0x0010 0" ] && echo "ok: port $1 ends with $6's ACK of the last FIN" ||
    bad "port $1 last segment '$last', want '$6 0x0010 0'"
}
K=192.0.2.1 U=192.0.2.2
# Kernel client -> ustack echo: the client half-closes, the server echoes and closes.
check_conn 8080 $K $U "SYN DATA FIN " "SYN-ACK DATA FIN " $K
# ustack client -> kernel server: the kernel answers and closes first.
check_conn 9090 $U $K "SYN DATA FIN " "SYN-ACK DATA FIN " $K

check_refused() {   # client server
  local got want
  got=$(segs "tcp.port == 8081 && ip.src == $1 && tcp.srcport != 8081 || tcp.port == 8081 && ip.src == $2 && tcp.srcport == 8081" |
        awk '{print $1, $2}' | tr '\n' ';')
  want="$1 0x0002;$2 0x0014;"
  [ "$got" = "$want" ] && echo "ok: $1 -> closed port on $2: SYN, RST-ACK" || bad "refused $1 -> $2: got '$got', want '$want'"
}
check_refused $K $U
check_refused $U $K

replies=$(ts -Y "icmp.type == 0 && ip.src == $U" | wc -l)
[ "$replies" -ge 2 ] && echo "ok: $replies echo replies" || bad "$replies echo replies"

if [ "$mode" = tap ]; then
  mac=$(ts -Y "arp.isannouncement == 1" -T fields -e arp.src.hw_mac | head -1)
  [ -n "$mac" ] && echo "ok: gratuitous ARP from $mac" || bad "no gratuitous ARP from ustack"
  got=$(ts -Y "arp" -T fields -e arp.opcode -e arp.src.proto_ipv4 -e arp.dst.proto_ipv4 -e arp.src.hw_mac -e eth.dst |
        awk -v m="$mac" '$1 == 1 && $2 == "'$K'" && $3 == "'$U'" && $5 == "ff:ff:ff:ff:ff:ff" { asked = 1; next }
                         asked && $1 == 2 && $2 == "'$U'" && $3 == "'$K'" && $4 == m { print "answered"; exit }')
  [ "$got" = answered ] && echo "ok: the kernel's broadcast ARP request for $U answered with $mac" ||
    bad "no ARP reply from ustack ($mac) to the kernel's request"
fi

if [ "$fail" -ne 0 ]; then
  echo "capture:"; ts | head -60
  exit 1
fi
echo "interop $mode: all passed"
