#!/usr/bin/env bash
# `ustack serve` in a network namespace of its own, for trying it by hand.
#   scripts/netns-demo.sh start   create namespace ustack-demo, run
#                                 `ustack serve --tap ustap0 --addr 192.0.2.2/24
#                                 --mode http` in it in the background, and give
#                                 the kernel's side of ustap0 192.0.2.1/24
#   scripts/netns-demo.sh stop    stop that server and delete the namespace
# Needs root. All addresses live inside the namespace. The ustack command is
# $USTACK, else build/ustack, else ustack on PATH. USTACK_NS=NAME picks another
# namespace name (several demos side by side); give stop the same.
set -u
ns=${USTACK_NS:-ustack-demo}
run=/run/$ns
pidfile=$run/serve.pid
log=$run/serve.log
here=$(cd "$(dirname "$0")/.." && pwd)

die() { echo "netns-demo: $*" >&2; exit 1; }
[ "$(id -u)" = 0 ] || die "needs root (it creates a network namespace and a TAP device): sudo $0 ${1:-}"

find_ustack() {
  if [ -n "${USTACK:-}" ]; then echo "$USTACK"
  elif [ -x "$here/build/ustack" ]; then echo "$here/build/ustack"
  else command -v ustack || die "no ustack command: build it (make) or set USTACK=path/to/ustack"
  fi
}

start() {
  local ustack up=0
  ustack=$(find_ustack) || exit 1
  [ -c /dev/net/tun ] || die "no /dev/net/tun (modprobe tun)"
  ip netns list | grep -qw "^$ns" && die "namespace $ns exists: run '$0 stop' first"
  mkdir -p "$run"
  ip netns add "$ns" || die "cannot create namespace $ns"
  ip -n "$ns" link set lo up
  ip netns exec "$ns" "$ustack" serve --tap ustap0 --addr 192.0.2.2/24 --mode http \
    </dev/null >"$log" 2>&1 &
  echo $! >"$pidfile"
  for _ in $(seq 50); do       # the device exists once serve has opened it
    ip -n "$ns" link show ustap0 >/dev/null 2>&1 && { up=1; break; }
    kill -0 "$(cat "$pidfile")" 2>/dev/null || break
    sleep 0.1
  done
  if [ "$up" != 1 ]; then
    echo "netns-demo: ustack serve did not create ustap0 within 5 s:" >&2
    sed 's/^/  | /' "$log" >&2
    stop >/dev/null
    exit 1
  fi
  ip -n "$ns" link set ustap0 up
  ip -n "$ns" addr add 192.0.2.1/24 dev ustap0
  echo "ustack serve (pid $(cat "$pidfile")) listens on 192.0.2.2:8080 in namespace $ns;"
  echo "its output and, at stop, its counters are in $log. Try:"
  echo
  echo "  ip netns exec $ns curl http://192.0.2.2:8080/"
  echo "  printf 'GET / HTTP/1.0\\r\\n\\r\\n' | ip netns exec $ns nc -N 192.0.2.2 8080"
  echo "  ip netns exec $ns ping -c 2 192.0.2.2"
  echo
  echo "Counters now: kill -USR1 $(cat "$pidfile"); cat $log"
  echo "Stop: $0 stop"
}

stop() {
  local pid
  if [ -f "$pidfile" ]; then
    pid=$(cat "$pidfile")
    if kill "$pid" 2>/dev/null; then
      for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      echo "stopped ustack serve (pid $pid); its counters:"
      awk '/^#kernel/ { last = "" } { last = last $0 "\n" } END { printf "%s", last }' "$log"
    fi
    rm -f "$pidfile"
  fi
  if ip netns list | grep -qw "^$ns"; then
    ip netns del "$ns" && echo "deleted namespace $ns"
  fi
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  *) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
