#!/usr/bin/env bash
# Installs the Debian packages ustack needs, or names them and fails.
# Usage: scripts/deps.sh [build|test|fuzz]   (each set includes the ones before it)
# Run as root it calls apt-get; otherwise it prints the apt-get line to run.
set -eu

build_pkgs="gcc make cmake pkg-config libsodium-dev libpcap-dev"
# curl, python3 (http.server, listeners) and nc: the kernel-side peers of the interop tests.
test_pkgs="libcmocka-dev tshark tcpdump iproute2 iputils-ping curl python3 netcat-openbsd"
fuzz_pkgs="clang libclang-rt-dev"

want="$build_pkgs"
case "${1:-build}" in
  build) ;;
  test) want="$want $test_pkgs" ;;
  fuzz) want="$want $test_pkgs $fuzz_pkgs" ;;
  *) echo "deps.sh: unknown set '$1' (build, test or fuzz)" >&2; exit 2 ;;
esac

missing=""
for p in $want; do
  status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
  case "$status" in *"install ok installed"*) ;; *) missing="$missing $p" ;; esac
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
  echo "ustack needs these Debian packages:$missing" >&2
  echo "install them with: sudo apt-get install -y$missing" >&2
  exit 1
fi
echo "deps.sh: installing$missing"
export DEBIAN_FRONTEND=noninteractive
# tshark asks whether non-root users may capture; answer for it.
echo "wireshark-common wireshark-common/install-setuid boolean false" | debconf-set-selections 2>/dev/null || true
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >/dev/null
