/* tap/tun driver internals shared with tests. */
#ifndef UST_NETDEV_TAP_H
#define UST_NETDEV_TAP_H

/* 0 when name is acceptable as an interface name (NULL or "" mean "let the
 * kernel choose"); -EINVAL when too long (IFNAMSIZ) or containing '/', ':'
 * or white space, or "." / "..". */
int ust_tap_check_name(const char *name);

#endif
