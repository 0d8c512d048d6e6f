/*
 * Mapping state of one connection under test (struct pkt_conn), the
 * packetdrill defaults of the runner's tolerances, and event timing checks
 * (packetdrill's verify_time and adjust_relative_event_times in run.c).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "pkt_map.h"

void pkt_config_init(struct pkt_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->tolerance_usecs = 4000;
	cfg->tolerance_percent = 12.5;
	cfg->ts_tick_usecs = 0;
	cfg->ts_ecr_scaled = false;
}

void pkt_conn_init(struct pkt_conn *c, ust_be32 local_ip, ust_be16 local_port,
		   ust_be32 remote_ip, ust_be16 remote_port)
{
	memset(c, 0, sizeof(*c));
	c->local_ip = local_ip;
	c->local_port = local_port;
	c->remote_ip = remote_ip;
	c->remote_port = remote_port;
}

uint32_t pkt_remote_seq_offset(const struct pkt_conn *c, bool syn)
{
	return syn ? 0 : c->remote_isn;
}

uint32_t pkt_local_seq_offset(const struct pkt_conn *c, bool syn)
{
	return syn ? c->live_local_isn - c->script_local_isn : c->live_local_isn;
}

void pkt_ts_map_set(struct pkt_conn *c, uint32_t sv, uint32_t lv)
{
	unsigned int n = c->nts < PKT_TS_MAP_SIZE ? c->nts : PKT_TS_MAP_SIZE;

	for (unsigned int i = 0; i < n; i++) {
		if (c->ts_map[i].script == sv) {
			c->ts_map[i].live = lv;
			return;
		}
	}
	/* Full: the oldest pair goes; a script echoes recent values. */
	c->ts_map[c->nts % PKT_TS_MAP_SIZE].script = sv;
	c->ts_map[c->nts % PKT_TS_MAP_SIZE].live = lv;
	c->nts++;
	if (c->nts == 2 * PKT_TS_MAP_SIZE)
		c->nts = PKT_TS_MAP_SIZE;
}

int pkt_ts_map_get(const struct pkt_conn *c, uint32_t sv, uint32_t *lv)
{
	unsigned int n = c->nts < PKT_TS_MAP_SIZE ? c->nts : PKT_TS_MAP_SIZE;

	for (unsigned int i = 0; i < n; i++) {
		if (c->ts_map[i].script == sv) {
			*lv = c->ts_map[i].live;
			return 0;
		}
	}
	return -ENOENT;
}

static double secs(int64_t usecs)
{
	return (double)usecs / 1.0e6;
}

int pkt_check_time(const struct pkt_config *cfg, const struct pkt_time_check *t,
		   char *msg, size_t msg_cap)
{
	int64_t tol = cfg->tolerance_usecs;

	if (t->type == PKT_TIME_ANY)
		return 0;
	if (t->has_last) {
		double dyn = cfg->tolerance_percent / 100.0 *
			     (double)(t->expected_usecs - t->last_event_usecs);

		if (dyn > (double)tol)
			tol = (int64_t)dyn;
	}
	if (t->type == PKT_TIME_ABSOLUTE_RANGE || t->type == PKT_TIME_RELATIVE_RANGE) {
		if (t->actual_usecs >= t->expected_usecs - tol &&
		    t->actual_usecs <= t->expected_end_usecs + tol)
			return 0;
		if (t->type == PKT_TIME_ABSOLUTE_RANGE)
			snprintf(msg, msg_cap, "timing error: expected %s in time range "
				 "%.6f~%.6f sec but happened at %.6f sec", t->description,
				 secs(t->expected_usecs), secs(t->expected_end_usecs),
				 secs(t->actual_usecs));
		else
			snprintf(msg, msg_cap, "timing error: expected %s in relative time "
				 "range +%.6f~+%.6f sec but happened at %+.6f sec",
				 t->description, secs(t->expected_usecs - t->offset_usecs),
				 secs(t->expected_end_usecs - t->offset_usecs),
				 secs(t->actual_usecs - t->offset_usecs));
		return -ETIME;
	}
	if (t->actual_usecs >= t->expected_usecs - tol &&
	    t->actual_usecs <= t->expected_usecs + tol)
		return 0;
	snprintf(msg, msg_cap, "timing error: expected %s at %.6f sec but happened "
		 "at %.6f sec; tolerance %.6f sec", t->description,
		 secs(t->expected_usecs), secs(t->actual_usecs), secs(tol));
	return -ETIME;
}

void pkt_time_resolve(const struct pkt_time *t, int64_t offset, int64_t *start,
		      int64_t *end)
{
	bool rel = t->type == PKT_TIME_RELATIVE || t->type == PKT_TIME_RELATIVE_RANGE ||
		   t->type == PKT_TIME_ANY;

	*start = t->usecs + (rel ? offset : 0);
	*end = t->end_usecs + (rel && t->type == PKT_TIME_RELATIVE_RANGE ? offset : 0);
	if (t->type != PKT_TIME_ABSOLUTE_RANGE && t->type != PKT_TIME_RELATIVE_RANGE)
		*end = *start;
}
