#!/usr/bin/env bash
# `ustack serve` on a real TAP device, inside a network namespace this script
# creates and deletes (also on failure): bad arguments and a bad device give
# one line on stderr and the documented exit code; an HTTP request from the
# kernel's side gets "hello from ustack"; the server stops by itself after
# --duration with exit 0 and counts one passive open.
# Usage: cli.sh path/to/ustack
# Prints "skipped: <reason>" and exits 0 when it cannot run here.
set -u
ustack=$1

. "$(dirname "$0")/lib.sh"
interop_setup ust-cli ip timeout

# expect_error CODE DESCRIPTION -- COMMAND...: exit CODE, exactly one line on stderr.
expect_error() {
  local want=$1 what=$2; shift 3
  timeout 10 "$@" >"$tmp/out" 2>"$tmp/err"; local got=$?
  local lines; lines=$(wc -l <"$tmp/err")
  if [ "$got" = "$want" ] && [ "$lines" = 1 ]; then
    ok "$what: exit $got, '$(cat "$tmp/err")'"
  else
    bad "$what: exit $got (want $want), $lines lines on stderr (want 1)"
    show "$tmp/err"
  fi
}

# (a) errors. The bad device is opened inside the namespace, so nothing is
# created outside it even if a name were accepted.
expect_error 2 "empty --tap name" -- \
  ip netns exec "$ns" "$ustack" serve --tap '' --addr 192.0.2.2/24
expect_error 2 "bad --addr" -- \
  ip netns exec "$ns" "$ustack" serve --tap ustap0 --addr 192.0.2.300/24
expect_error 3 "interface name too long" -- \
  ip netns exec "$ns" "$ustack" serve --tap ustap0-name-too-long --addr 192.0.2.2/24

# Without privileges (as nobody): one line naming what is missing, exit 3.
if command -v setpriv >/dev/null 2>&1 && setpriv --reuid=65534 --regid=65534 --clear-groups test -x "$ustack"; then
  expect_error 3 "not root" -- \
    ip netns exec "$ns" setpriv --reuid=65534 --regid=65534 --clear-groups "$ustack" serve --tap ustap0 --addr 192.0.2.2/24
  grep -q "needs root or CAP_NET_ADMIN" "$tmp/err" || bad "the non-root message does not name the privilege"
  grep -q "at most 15 characters" <(ip netns exec "$ns" "$ustack" serve --tap ustap0-name-too-long --addr 192.0.2.2/24 2>&1) ||
    bad "the too-long name message does not give the limit"
else
  echo "note: setpriv missing or $ustack not executable by nobody: non-root check left out"
fi

# (b) HTTP from the kernel's side.
ip netns exec "$ns" timeout -k 2 20 "$ustack" serve --tap ustap0 --addr 192.0.2.2/24 \
  --port 8080 --mode http --duration 8 --trace --pcap "$tmp/serve.pcap" >"$tmp/serve.out" 2>"$tmp/serve.err" &
serve_pid=$!; bg "$serve_pid"
up=0
for _ in $(seq 50); do
  ip -n "$ns" link show ustap0 >/dev/null 2>&1 && { up=1; break; }
  sleep 0.1
done
if [ "$up" != 1 ]; then
  bad "ustap0 did not appear within 5 s"; show "$tmp/serve.err"; exit 1
fi
ip -n "$ns" link set lo up
ip -n "$ns" link set ustap0 up
ip -n "$ns" addr add 192.0.2.1/24 dev ustap0

if command -v curl >/dev/null 2>&1; then
  ip netns exec "$ns" curl -sS --max-time 5 -o "$tmp/body" http://192.0.2.2:8080/ 2>"$tmp/client.err"
else
  ip netns exec "$ns" timeout 5 bash -c '
    exec 3<>/dev/tcp/192.0.2.2/8080 || exit 1
    printf "GET / HTTP/1.1\r\nHost: 192.0.2.2\r\nConnection: close\r\n\r\n" >&3
    sed "1,/^\r\?$/d" <&3' >"$tmp/body" 2>"$tmp/client.err"
fi
client_rc=$?
body=$(cat "$tmp/body" 2>/dev/null)
if [ "$client_rc" = 0 ] && [ "$body" = "hello from ustack" ]; then
  ok "HTTP body is 'hello from ustack'"
else
  bad "HTTP client exit $client_rc, body '$body'"; show "$tmp/client.err"
fi

wait "$serve_pid"; serve_rc=$?; forget "$serve_pid"
if [ "$serve_rc" = 0 ]; then ok "serve stopped by itself after --duration, exit 0"
else bad "serve exit $serve_rc"; show "$tmp/serve.err"; fi
opens=$(awk '$1 == "TcpPassiveOpens" { print $2 }' "$tmp/serve.out")
if [ "$opens" = 1 ]; then ok "TcpPassiveOpens 1"
else bad "TcpPassiveOpens '$opens', want 1"; show "$tmp/serve.out"; fi

# --trace and --pcap: the trace went to stderr, the capture holds the exchange.
if grep -q "tcp_set_state: .* LISTEN" "$tmp/serve.err"; then ok "--trace printed the stack's events"
else bad "--trace: no trace events on stderr"; fi
if command -v tshark >/dev/null 2>&1; then
  flags=$(tshark -r "$tmp/serve.pcap" -Y "tcp.port == 8080" -T fields -e tcp.flags 2>/dev/null | head -3 | tr '\n' ' ')
  [ "$flags" = "0x0002 0x0012 0x0010 " ] && ok "--pcap: the capture opens with SYN, SYN-ACK, ACK" ||
    bad "--pcap: capture starts '$flags'"
  warn=$(tshark -r "$tmp/serve.pcap" -q -z expert,warn 2>/dev/null | grep -c "^ *[0-9]")
  [ "$warn" = 0 ] && ok "--pcap: no expert warnings or errors" ||
    { bad "--pcap: expert warnings"; tshark -r "$tmp/serve.pcap" -q -z expert,warn 2>/dev/null; }
fi

[ "$fail" = 0 ] && echo "cli interop: all passed"
exit "$fail"
