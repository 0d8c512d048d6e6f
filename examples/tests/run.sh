#!/usr/bin/env bash
# Runs one example over memlink and checks its exact output.
# Usage: run.sh BIN_DIR CASE   (CASE: echo_server echo_client epoll_echo_server http_server help)
set -u
bin=$1
case_=$2
fail() { echo "FAIL: $*"; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

case "$case_" in
echo_server)
  out=$("$bin/echo_server" --clients 3 --message "hello, ustack") || fail "exit $?"
  want=$(printf "client %d: sent 13 bytes, got back 'hello, ustack': ok\n" 0 1 2)
  [ "$(sort <<<"$out")" = "$want" ] || fail "got: $out"
  ;;
echo_client)
  # exact bytes back, spaces and punctuation included, no newline added
  "$bin/echo_client" --message "ping: 1 2 3 ~ done" >"$tmp/out" || fail "exit $?"
  printf 'ping: 1 2 3 ~ done' | cmp - "$tmp/out" || fail "echo differs: $(cat "$tmp/out")"
  # more than a window's worth, through short writes and EAGAIN
  out=$("$bin/echo_client" --size 1000000) || fail "exit $?: $out"
  [ "$out" = "echoed 1000000 bytes: ok" ] || fail "got: $out"
  ;;
epoll_echo_server)
  out=$("$bin/epoll_echo_server" --clients 4 --size 200000) || fail "exit $?: $out"
  want=$(printf "client %d: echoed 200000 bytes: ok\n" 0 1 2 3; echo "epoll_echo_server: 4 connections served")
  [ "$(sort <<<"$out")" = "$(sort <<<"$want")" ] || fail "got: $out"
  ;;
http_server)
  mkdir -p "$tmp/www/sub"
  printf '<h1>hello from ustack</h1>\n' >"$tmp/www/index.html"
  head -c 500000 /dev/urandom >"$tmp/www/sub/big.bin"
  : >"$tmp/www/empty.txt"
  ln -s /etc/hostname "$tmp/www/outside"
  h_index=$(sha256sum <"$tmp/www/index.html" | cut -d' ' -f1)
  h_big=$(sha256sum <"$tmp/www/sub/big.bin" | cut -d' ' -f1)
  h_none=$(printf '' | sha256sum | cut -d' ' -f1)
  h_404=$(printf '404 Not Found\n' | sha256sum | cut -d' ' -f1)
  out=$("$bin/http_server" --root "$tmp/www" --get / --get /sub/big.bin --head /sub/big.bin \
        --get /empty.txt --get /missing --get /../etc/passwd --get /outside --get /sub \
        --get '/index.html?x=1') || fail "exit $?: $out"
  want="GET / -> HTTP/1.1 200 OK, 27 bytes, sha256 $h_index
GET /sub/big.bin -> HTTP/1.1 200 OK, 500000 bytes, sha256 $h_big
HEAD /sub/big.bin -> HTTP/1.1 200 OK, 500000 bytes, sha256 $h_none
GET /empty.txt -> HTTP/1.1 200 OK, 0 bytes, sha256 $h_none
GET /missing -> HTTP/1.1 404 Not Found, 14 bytes, sha256 $h_404
GET /../etc/passwd -> HTTP/1.1 404 Not Found, 14 bytes, sha256 $h_404
GET /outside -> HTTP/1.1 404 Not Found, 14 bytes, sha256 $h_404
GET /sub -> HTTP/1.1 404 Not Found, 14 bytes, sha256 $h_404
GET /index.html?x=1 -> HTTP/1.1 200 OK, 27 bytes, sha256 $h_index"
  [ "$out" = "$want" ] || fail "got:
$out
want:
$want"
  ;;
help)
  for ex in echo_server echo_client epoll_echo_server http_server http_get; do
    "$bin/$ex" --help | grep -q "^usage: $ex" || fail "$ex --help"
    "$bin/$ex" --no-such-option >/dev/null 2>&1; rc=$?
    [ $rc = 2 ] || fail "$ex with a bad option exits $rc, not 2"
  done
  "$bin/http_server" >/dev/null 2>"$tmp/err"; [ $? = 2 ] || fail "http_server without --root"
  grep -q -- "--root DIR is required" "$tmp/err" || fail "http_server's message: $(cat "$tmp/err")"
  "$bin/echo_server" --tap x >/dev/null 2>"$tmp/err"; [ $? = 3 ] || fail "--tap without --addr"
  grep -q -- "needs --addr" "$tmp/err" || fail "echo_server's message: $(cat "$tmp/err")"
  "$bin/http_get" 192.0.2.1 80 / >/dev/null 2>"$tmp/err"; [ $? = 2 ] || fail "http_get without --tap"
  grep -q -- "give --tap/--tun NAME" "$tmp/err" || fail "http_get's message: $(cat "$tmp/err")"
  ;;
*) fail "unknown case $case_" ;;
esac
echo "ok: $case_"
