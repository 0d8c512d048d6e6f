#!/usr/bin/env bash
# `cmake --install` gives a usable library: a program built only from the
# installed header and pkg-config file links against libustack.so and runs.
# Usage: check-install.sh BUILD_DIR
set -eu
build=$1
dest=$(mktemp -d "${TMPDIR:-/tmp}/ustack-install.XXXXXX")
trap 'rm -rf "$dest"' EXIT
cmake --install "$build" --prefix "$dest" >/dev/null
export PKG_CONFIG_PATH=$dest/lib/pkgconfig
cat > "$dest/consumer.c" <<'C'
#include <stdio.h>
#include <ustack/ustack.h>
int main(void)
{
	struct ust_stack *st = ust_stack_new(NULL);
	uint64_t v = 1;
	if (!st || ust_stats_get(st, "TcpActiveOpens", &v) || v != 0)
		return 1;
	ust_stack_free(st);
	puts("consumer ok");
	return 0;
}
C
# shellcheck disable=SC2046
${CC:-cc} -Wall -Werror "$dest/consumer.c" $(pkg-config --cflags --libs ustack) \
  -Wl,-rpath,"$dest/lib" -o "$dest/consumer"
"$dest/consumer"
test -x "$dest/bin/ustack"
"$dest/bin/ustack" help >/dev/null
echo "ok: installed library, header, pkg-config file and ustack command work"
