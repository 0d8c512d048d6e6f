/* Small compiler helpers shared by every file of the stack. */
#ifndef UST_CORE_COMPILER_H
#define UST_CORE_COMPILER_H

#include <stddef.h>
#include <stdint.h>

#define likely(x)   __builtin_expect(!!(x), 1)
#define unlikely(x) __builtin_expect(!!(x), 0)

/* The object that embeds member `m` at address `p`. */
#define container_of(p, type, m) ((type *)((char *)(p) - offsetof(type, m)))

#define UST_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define UST_MIN(a, b) ((a) < (b) ? (a) : (b))
#define UST_MAX(a, b) ((a) > (b) ? (a) : (b))

/* Only what the public headers declare with UST_API leaves the shared library. */
#ifndef UST_API
#define UST_API __attribute__((visibility("default")))
#endif

#endif
