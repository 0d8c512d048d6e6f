/*
 * The script <-> wire number mapping of pkt.h, as functions shared by the
 * builder (pkt_build.c) and the matcher (pkt_match.c). Each offset is what
 * is added to a script value to get the wire value; wire -> script subtracts
 * it. The rules are packetdrill's (socket.h: remote_seq_script_to_live_offset,
 * local_seq_script_to_live_offset).
 */
#ifndef UST_PKT_MAP_H
#define UST_PKT_MAP_H

#include <stdbool.h>
#include <stdint.h>
#include "pkt.h"

/* Remote (peer) sequence space: 0 on a SYN, else the remote ISN. */
uint32_t pkt_remote_seq_offset(const struct pkt_conn *c, bool syn);
/* Local (stack) sequence space: Lw - Ls on a SYN, else Lw. */
uint32_t pkt_local_seq_offset(const struct pkt_conn *c, bool syn);
/* Records that the outbound packet with script TS val sv carried wire val lv. */
void pkt_ts_map_set(struct pkt_conn *c, uint32_t sv, uint32_t lv);
/* The wire TS val recorded for script val sv: 0, or -ENOENT. */
int pkt_ts_map_get(const struct pkt_conn *c, uint32_t sv, uint32_t *lv);

#endif
