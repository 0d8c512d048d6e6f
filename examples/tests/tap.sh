#!/usr/bin/env bash
# The examples on a real TAP, inside a network namespace this script creates
# and deletes (also on failure): http_server answers curl from the kernel's
# side (a file by hash, a 404, two requests over one connection), and
# epoll_echo_server echoes what nc sends; both stop on SIGINT and say how
# many connections they served. Here the stack's event fd is woken by the
# TAP's own fd. Prints "skipped: <reason>" when it cannot run here.
# Usage: tap.sh BIN_DIR
set -u
bin=$1

. "$(dirname "$0")/../../tests/interop/lib.sh"
interop_setup ust-ex ip curl nc timeout sha256sum
ip -n "$ns" link set lo up

# start NAME ARGS...: run an example on TAP ustap0 and give the kernel's side an address.
start() {
  local name=$1; shift
  ip netns exec "$ns" timeout -k 2 30 "$@" >"$tmp/out" 2>"$tmp/err" &
  pid=$!; bg "$pid"
  for _ in $(seq 50); do
    ip -n "$ns" link show ustap0 >/dev/null 2>&1 && break
    sleep 0.1
  done
  ip -n "$ns" link set ustap0 up && ip -n "$ns" addr add 192.0.2.1/24 dev ustap0 ||
    { bad "$name did not create ustap0: $(cat "$tmp/err")"; exit 1; }
}

# stop NAME: SIGINT, exit 0, and the count of connections served.
stop() {
  local want=$2 rc
  kill -INT "$pid"; wait "$pid"; rc=$?; forget "$pid"
  if [ $rc = 0 ] && grep -q "^$1: $want connections served$" "$tmp/out"; then
    ok "$1 stopped on SIGINT after $want connections"
  else
    bad "$1: exit $rc, output: $(cat "$tmp/out" "$tmp/err")"
  fi
  ip netns exec "$ns" ip link del ustap0 2>/dev/null
}

mkdir -p "$tmp/www"
head -c 300000 /dev/urandom >"$tmp/www/big.bin"
printf '<h1>hello</h1>\n' >"$tmp/www/index.html"
start http_server "$bin/http_server" --root "$tmp/www" --tap ustap0 --addr 192.0.2.2/24
got=$(ip netns exec "$ns" curl -s --max-time 10 http://192.0.2.2:8080/big.bin | sha256sum | cut -d' ' -f1)
[ "$got" = "$(sha256sum <"$tmp/www/big.bin" | cut -d' ' -f1)" ] && ok "curl GET /big.bin: same sha256" ||
  bad "curl GET /big.bin: sha256 $got"
line=$(ip netns exec "$ns" curl -s -I --max-time 5 http://192.0.2.2:8080/missing | head -1 | tr -d '\r')
[ "$line" = "HTTP/1.1 404 Not Found" ] && ok "curl HEAD /missing: $line" || bad "curl HEAD /missing: '$line'"
two=$(ip netns exec "$ns" curl -s --max-time 5 -o /dev/null -o /dev/null -w '%{http_code} %{num_connects}\n' \
      http://192.0.2.2:8080/ http://192.0.2.2:8080/index.html | tr '\n' ' ')
[ "$two" = "200 1 200 0 " ] && ok "two requests, one connection" || bad "keep-alive: '$two'"
stop http_server 3

start epoll_echo_server "$bin/epoll_echo_server" --tap ustap0 --addr 192.0.2.2/24
got=$(printf 'hello over a tap' | ip netns exec "$ns" timeout 5 nc -q 1 192.0.2.2 7)
[ "$got" = "hello over a tap" ] && ok "nc echo: '$got'" || bad "nc echo: '$got'"
stop epoll_echo_server 1

exit $fail
