/*
 * TCP options: the parser walks the option space as Linux's tcp_parse_options does,
 * the writer lays options out as tcp_options_write does, so that segments built
 * here match Linux's byte for byte. Semantics and errors are documented in tcp.h.
 */
#include <errno.h>
#include <string.h>
#include "wire/tcp.h"

/* Takes one option whose kind and length byte fit; val points after the length. */
static void take_option(uint8_t kind, const uint8_t *val, size_t olen, struct ust_tcp_opts *out)
{
	size_t n;

	switch (kind) {
	case UST_TCPOPT_MSS:
		if (olen == UST_TCPOLEN_MSS) {
			out->mss = ust_get_be16(val);
			out->present |= UST_TCPOPT_F_MSS;
		}
		break;
	case UST_TCPOPT_WINDOW:
		if (olen == UST_TCPOLEN_WINDOW) {
			out->wscale = val[0];
			out->present |= UST_TCPOPT_F_WSCALE;
		}
		break;
	case UST_TCPOPT_SACK_PERM:
		if (olen == UST_TCPOLEN_SACK_PERM)
			out->present |= UST_TCPOPT_F_SACK_PERM;
		break;
	case UST_TCPOPT_TIMESTAMP:
		if (olen == UST_TCPOLEN_TIMESTAMP) {
			out->tsval = ust_get_be32(val);
			out->tsecr = ust_get_be32(val + 4);
			out->present |= UST_TCPOPT_F_TIMESTAMP;
		}
		break;
	case UST_TCPOPT_SACK:
		/* Linux accepts any whole number of blocks; 40 bytes of option
		 * space hold at most 4. */
		if (olen < UST_TCPOLEN_SACK_BASE + UST_TCPOLEN_SACK_PERBLOCK ||
		    (olen - UST_TCPOLEN_SACK_BASE) % UST_TCPOLEN_SACK_PERBLOCK)
			break;
		n = (olen - UST_TCPOLEN_SACK_BASE) / UST_TCPOLEN_SACK_PERBLOCK;
		if (n > UST_TCP_MAX_SACKS)
			break;
		for (size_t i = 0; i < n; i++) {
			out->sack[i].start = ust_get_be32(val + 8 * i);
			out->sack[i].end = ust_get_be32(val + 8 * i + 4);
		}
		out->num_sacks = (uint8_t)n;
		out->present |= UST_TCPOPT_F_SACK;
		break;
	default:
		break;
	}
}

int ust_tcp_parse_opts(const uint8_t *p, size_t len, struct ust_tcp_opts *out)
{
	memset(out, 0, sizeof(*out));
	while (len > 0) {
		uint8_t kind = p[0];
		size_t olen;

		if (kind == UST_TCPOPT_EOL)
			return 0;
		if (kind == UST_TCPOPT_NOP) {
			p++;
			len--;
			continue;
		}
		/* A kind without room for its length, a length below 2 or one
		 * running past the option space: Linux stops here ("silly
		 * options", "don't parse partial options"). */
		if (len < 2)
			return -EBADMSG;
		olen = p[1];
		if (olen < 2 || olen > len)
			return -EBADMSG;
		take_option(kind, p + 2, olen, out);
		p += olen;
		len -= olen;
	}
	return 0;
}

/* Bytes of every option but SACK blocks, as tcp_options_write lays them out. */
static size_t base_len(const struct ust_tcp_opts *o)
{
	size_t n = 0;

	if (o->present & UST_TCPOPT_F_MSS)
		n += 4;
	if (o->present & UST_TCPOPT_F_TIMESTAMP)
		n += 12;        /* SACK_PERM, when present, rides in its 2 pad bytes */
	else if (o->present & UST_TCPOPT_F_SACK_PERM)
		n += 4;
	if (o->present & UST_TCPOPT_F_WSCALE)
		n += 4;
	return n;
}

static bool opts_valid(const struct ust_tcp_opts *o)
{
	if (o->num_sacks > UST_TCP_MAX_SACKS)
		return false;
	return !(o->present & UST_TCPOPT_F_SACK) || o->num_sacks > 0;
}

unsigned int ust_tcp_opts_sacks_written(const struct ust_tcp_opts *o)
{
	size_t room;

	if (!(o->present & UST_TCPOPT_F_SACK) || !opts_valid(o))
		return 0;
	/* tcp_established_options: what the other options leave, less the 4
	 * bytes of NOP,NOP,kind,len, in whole blocks. */
	room = UST_TCP_OPT_SPACE - base_len(o) - 4;
	room /= UST_TCPOLEN_SACK_PERBLOCK;
	return room < o->num_sacks ? (unsigned int)room : o->num_sacks;
}

int ust_tcp_opts_len(const struct ust_tcp_opts *o)
{
	unsigned int n;

	if (!opts_valid(o))
		return -EINVAL;
	n = ust_tcp_opts_sacks_written(o);
	return (int)(base_len(o) + (n ? 4 + n * UST_TCPOLEN_SACK_PERBLOCK : 0));
}

static uint8_t *put4(uint8_t *p, uint8_t a, uint8_t b, uint8_t c, uint8_t d)
{
	p[0] = a;
	p[1] = b;
	p[2] = c;
	p[3] = d;
	return p + 4;
}

int ust_tcp_write_opts(uint8_t *buf, size_t cap, const struct ust_tcp_opts *o)
{
	int len = ust_tcp_opts_len(o);
	unsigned int nsacks;
	uint8_t *p = buf;

	if (len < 0)
		return len;
	if (cap < (size_t)len)
		return -ENOSPC;
	if (o->present & UST_TCPOPT_F_MSS) {
		p = put4(p, UST_TCPOPT_MSS, UST_TCPOLEN_MSS, 0, 0);
		ust_put_be16(p - 2, o->mss);
	}
	if (o->present & UST_TCPOPT_F_TIMESTAMP) {
		if (o->present & UST_TCPOPT_F_SACK_PERM)
			p = put4(p, UST_TCPOPT_SACK_PERM, UST_TCPOLEN_SACK_PERM,
				 UST_TCPOPT_TIMESTAMP, UST_TCPOLEN_TIMESTAMP);
		else
			p = put4(p, UST_TCPOPT_NOP, UST_TCPOPT_NOP,
				 UST_TCPOPT_TIMESTAMP, UST_TCPOLEN_TIMESTAMP);
		ust_put_be32(p, o->tsval);
		ust_put_be32(p + 4, o->tsecr);
		p += 8;
	} else if (o->present & UST_TCPOPT_F_SACK_PERM) {
		p = put4(p, UST_TCPOPT_NOP, UST_TCPOPT_NOP,
			 UST_TCPOPT_SACK_PERM, UST_TCPOLEN_SACK_PERM);
	}
	if (o->present & UST_TCPOPT_F_WSCALE)
		p = put4(p, UST_TCPOPT_NOP, UST_TCPOPT_WINDOW, UST_TCPOLEN_WINDOW, o->wscale);
	nsacks = ust_tcp_opts_sacks_written(o);
	if (nsacks) {
		p = put4(p, UST_TCPOPT_NOP, UST_TCPOPT_NOP, UST_TCPOPT_SACK,
			 (uint8_t)(UST_TCPOLEN_SACK_BASE + nsacks * UST_TCPOLEN_SACK_PERBLOCK));
		for (unsigned int i = 0; i < nsacks; i++) {
			ust_put_be32(p, o->sack[i].start);
			ust_put_be32(p + 4, o->sack[i].end);
			p += 8;
		}
	}
	return (int)(p - buf);
}
