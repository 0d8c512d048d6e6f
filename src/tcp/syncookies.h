/*
 * SYN cookies (spec §9, RFC 4987 3.6): when the SYN queue is full the request is
 * encoded in our ISN (and its options in our TSval) instead of being stored, and
 * rebuilt from the ACK that comes back.
 */
#ifndef UST_TCP_SYNCOOKIES_H
#define UST_TCP_SYNCOOKIES_H

#include "tcp/tcp.h"

/* K-1, K-2, K-4: the cookie ISN for this SYN; *mss becomes the table value it
 * encodes. Records the overflow on the listener and counts SyncookiesSent. */
uint32_t cookie_v4_init_sequence(struct ust_sock *lsk, const struct tcp_seg *seg, uint16_t *mss);
/* K-3: the SYN-ACK's TSval before ts_off: now with its low 6 bits carrying
 * wscale, SACK and ECN, never ahead of now. */
uint32_t cookie_init_timestamp(const struct request_sock *req, uint32_t now_ms);
/* K-5: for an ACK arriving at a listener. Returns lsk when the segment should
 * go on to the listener's rules (no recent overflow, or a bad cookie: RST),
 * NULL when it was consumed or dropped, or the new child (already queued). */
struct ust_sock *cookie_v4_check(struct ust_sock *lsk, struct tcp_seg *seg);

#endif
