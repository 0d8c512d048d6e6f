/*
 * setsockopt / getsockopt for the options connection setup depends on, with
 * Linux's checks: SOL_SOCKET (SO_REUSEADDR, SO_REUSEPORT, SO_ERROR, SO_TYPE,
 * SO_ACCEPTCONN, SO_RCVTIMEO, SO_SNDTIMEO, SO_RCVBUF, SO_SNDBUF, SO_KEEPALIVE,
 * SO_LINGER, SO_BINDTODEVICE, SO_RCVLOWAT) and IPPROTO_TCP (TCP_SYNCNT, TCP_MAXSEG,
 * TCP_DEFER_ACCEPT, TCP_NODELAY, TCP_CORK, TCP_QUICKACK).
 */
#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/time.h>
#include "socket/socket.h"
#include "stack.h"

/* IPPROTO_TCP option numbers (Linux's ABI; <netinet/tcp.h> would clash with
 * the kernel-named TCP states of src/tcp). */
#define UST_TCP_NODELAY 1
#define UST_TCP_MAXSEG 2
#define UST_TCP_CORK 3
#define UST_TCP_KEEPIDLE 4
#define UST_TCP_KEEPINTVL 5
#define UST_TCP_KEEPCNT 6
#define UST_TCP_SYNCNT 7
#define UST_TCP_LINGER2 8
#define UST_TCP_DEFER_ACCEPT 9
#define UST_TCP_QUICKACK 12
#define UST_TCP_CONGESTION 13
#define UST_TCP_INFO 11
#define TCP_CA_NAME_MAX 16

#define SOCK_MIN_RCVBUF 2304      /* 2 * (2048 + sizeof(struct sk_buff)) on 64-bit */
#define SOCK_MIN_SNDBUF 4608
#define TCP_MIN_MSS 88
#define MAX_TCP_WINDOW 32767u
#define MAX_TCP_SYNCNT 127
#define MAX_TCP_KEEPIDLE 32767
#define MAX_TCP_KEEPINTVL 32767
#define MAX_TCP_KEEPCNT 127
#define TCP_FIN_TIMEOUT_MAX 120   /* s */

static int get_int(const void *val, socklen_t len, int *out)
{
	if (!val || len < sizeof(int))
		return -EINVAL;
	memcpy(out, val, sizeof(int));
	return 0;
}

/* sock_set_timeout: a timeval, 0 meaning forever; negative seconds: forever too
 * in old kernels, but Linux >= 5.x returns EDOM for a bad usec. */
static int set_timeout(uint64_t *timeo, const void *val, socklen_t len)
{
	struct timeval tv;

	if (!val || len < sizeof(tv))
		return -EINVAL;
	memcpy(&tv, val, sizeof(tv));
	if (tv.tv_usec < 0 || tv.tv_usec >= 1000000)
		return -EDOM;
	if (tv.tv_sec < 0) {
		*timeo = 0;
		return 0;
	}
	*timeo = (uint64_t)tv.tv_sec * 1000000000ULL + (uint64_t)tv.tv_usec * 1000ULL;
	return 0;
}

/* secs_to_retrans: TCP_DEFER_ACCEPT seconds as SYN-ACK retransmissions
 * (timeouts of 1, 2, 4 ... s, capped at TCP_RTO_MAX). */
static uint8_t secs_to_retrans(int seconds)
{
	int timeout = 1, period = 1;
	uint8_t res = 1;

	if (seconds <= 0)
		return 0;
	while (seconds > period && res < 255) {
		res++;
		timeout <<= 1;
		if (timeout > TCP_RTO_MAX / 1000)
			timeout = TCP_RTO_MAX / 1000;
		period += timeout;
	}
	return res;
}

static int retrans_to_secs(uint8_t retrans)
{
	int timeout = 1, period = 0;

	if (!retrans)
		return 0;
	period = timeout;
	while (--retrans) {
		timeout <<= 1;
		if (timeout > TCP_RTO_MAX / 1000)
			timeout = TCP_RTO_MAX / 1000;
		period += timeout;
	}
	return period;
}

static int sol_socket_set(struct ust_stack *st, struct ust_sock *sk, int name, const void *val, socklen_t len)
{
	const struct ust_sysctl *sc = &ust_stack_core(st)->sysctl;
	int v = 0, err;

	switch (name) {
	case SO_RCVTIMEO:
		return set_timeout(&sk->sk_rcvtimeo, val, len);
	case SO_SNDTIMEO:
		return set_timeout(&sk->sk_sndtimeo, val, len);
	case SO_BINDTODEVICE: {
		char name_buf[16] = { 0 };
		struct ust_netdev *dev;

		if (!val || len == 0) {
			sk->sk_common.skc_bound_dev_if = 0;
			return 0;
		}
		memcpy(name_buf, val, UST_MIN((size_t)len, sizeof(name_buf) - 1));
		if (!name_buf[0]) {
			sk->sk_common.skc_bound_dev_if = 0;
			return 0;
		}
		dev = ust_stack_netdev_by_name(st, name_buf);
		if (!dev)
			return -ENODEV;
		sk->sk_common.skc_bound_dev_if = ust_netdev_ifindex(dev);
		return 0;
	}
	case SO_LINGER: {
		struct linger l;

		if (!val || len < sizeof(l))
			return -EINVAL;
		memcpy(&l, val, sizeof(l));
		if (l.l_onoff) {
			sk->sk_flags |= SOCK_LINGER;
			sk->sk_lingertime = l.l_linger > 0 ? (uint32_t)l.l_linger : 0;
		} else {
			sk->sk_flags &= ~SOCK_LINGER;
		}
		return 0;
	}
	}
	err = get_int(val, len, &v);
	if (err)
		return err;
	switch (name) {
	case SO_REUSEADDR:
		sk->sk_common.skc_reuse = v != 0;
		return 0;
	case SO_REUSEPORT:
		sk->sk_common.skc_reuseport = v != 0;
		return 0;
	case SO_KEEPALIVE:
		tcp_set_keepalive(sk, v != 0);   /* looks at the old flag */
		if (v)
			sk->sk_flags |= SOCK_KEEPOPEN;
		else
			sk->sk_flags &= ~SOCK_KEEPOPEN;
		return 0;
	case SO_RCVBUF:
		/* sock_setsockopt: doubled for overhead, capped by rmem_max. */
		v = UST_MIN((unsigned)v, (unsigned)sc->rmem_max);
		sk->sk_rcvbuf = UST_MAX(v * 2, SOCK_MIN_RCVBUF);
		sk->sk_rcvbuf_locked = 1;
		return 0;
	case SO_RCVLOWAT:
		tcp_set_rcvlowat(sk, v < 0 ? INT_MAX : v);
		tcp_wake(sk);   /* a poller may be ready now */
		return 0;
	case SO_SNDBUF:
		v = UST_MIN((unsigned)v, (unsigned)sc->wmem_max);
		sk->sk_sndbuf = UST_MAX(v * 2, SOCK_MIN_SNDBUF);
		sk->sk_sndbuf_locked = 1;
		return 0;
	case SO_ERROR:
	case SO_TYPE:
	case SO_ACCEPTCONN:
		return -ENOPROTOOPT;
	default:
		return -ENOPROTOOPT;
	}
}

static int sol_tcp_set(struct ust_sock *sk, int name, const void *val, socklen_t len)
{
	int v, err = get_int(val, len, &v);

	if (err)
		return err;
	switch (name) {
	case UST_TCP_SYNCNT:
		if (v < 1 || v > MAX_TCP_SYNCNT)
			return -EINVAL;
		sk->icsk_syn_retries = (uint8_t)v;
		return 0;
	case UST_TCP_MAXSEG:
		/* do_tcp_setsockopt: 0 clears; otherwise TCP_MIN_MSS..MAX_TCP_WINDOW. */
		if (v && (v < TCP_MIN_MSS || (unsigned)v > MAX_TCP_WINDOW))
			return -EINVAL;
		sk->user_mss = (uint16_t)v;
		return 0;
	case UST_TCP_DEFER_ACCEPT:
		sk->defer_accept = secs_to_retrans(v);
		return 0;
	case UST_TCP_NODELAY:
		/* do_tcp_setsockopt: on, it also pushes what Nagle was holding. */
		if (v) {
			sk->nonagle |= TCP_NAGLE_OFF;
			tcp_push(sk, sk->nonagle | TCP_NAGLE_PUSH);
		} else {
			sk->nonagle &= (uint8_t)~TCP_NAGLE_OFF;
		}
		return 0;
	case UST_TCP_CORK:
		/* __tcp_sock_set_cork: releasing the cork sends the partial segment. */
		if (v) {
			sk->nonagle |= TCP_NAGLE_CORK;
		} else {
			sk->nonagle &= (uint8_t)~TCP_NAGLE_CORK;
			tcp_push(sk, sk->nonagle & TCP_NAGLE_OFF ? sk->nonagle | TCP_NAGLE_PUSH : sk->nonagle);
		}
		return 0;
	case UST_TCP_KEEPIDLE:
		return tcp_sock_set_keepidle(sk, v);
	case UST_TCP_LINGER2:
		sk->linger2 = v < 0 ? -1 : UST_MIN(v, TCP_FIN_TIMEOUT_MAX) * 1000;
		return 0;
	case UST_TCP_KEEPINTVL:
		if (v < 1 || v > MAX_TCP_KEEPINTVL)
			return -EINVAL;
		sk->keepalive_intvl = (uint16_t)v;
		return 0;
	case UST_TCP_KEEPCNT:
		if (v < 1 || v > MAX_TCP_KEEPCNT)
			return -EINVAL;
		sk->keepalive_probes = (uint8_t)v;
		return 0;
	case UST_TCP_QUICKACK:
		tcp_sock_set_quickack(sk, v);
		return 0;
	default:
		return -ENOPROTOOPT;
	}
}

/*
 * TCP_CONGESTION takes a name, not an int (do_tcp_setsockopt): at most
 * TCP_CA_NAME_MAX - 1 bytes, up to the first NUL. A name ustack does not
 * have is ENOENT, as Linux answers for an algorithm it cannot load; today
 * that is everything but "reno".
 */
static int tcp_set_congestion_control(struct ust_sock *sk, const void *val, socklen_t len)
{
	char name[TCP_CA_NAME_MAX];
	const struct tcp_congestion_ops *ca;
	size_t n;

	if ((int)len < 1)
		return -EINVAL;
	if (!val)
		return -EFAULT;
	n = UST_MIN((size_t)len, sizeof(name) - 1);
	memcpy(name, val, n);
	name[n] = 0;
	ca = tcp_ca_find(name);
	if (!ca)
		return -ENOENT;
	sk->icsk_ca_ops = ca;
	return 0;
}

int ust_setsockopt(struct ust_stack *st, int fd, int level, int name, const void *val, socklen_t len)
{
	struct ust_sockets *s = ust_sockets_enter(st);
	struct ust_sock *sk = ust_fd_get(s, fd);
	int err;

	if (!sk)
		err = -EBADF;
	else if (level == SOL_SOCKET)
		err = sol_socket_set(st, sk, name, val, len);
	else if (level == IPPROTO_TCP && name == UST_TCP_CONGESTION)
		err = tcp_set_congestion_control(sk, val, len);
	else if (level == IPPROTO_TCP)
		err = sol_tcp_set(sk, name, val, len);
	else
		err = -ENOPROTOOPT;
	/* TCP_NODELAY or uncorking may have sent and armed a timer. */
	return ust_sockets_leave(s, err);
}

static int put_value(void *val, socklen_t *len, const void *v, size_t vlen)
{
	if (!val || !len || (int)*len < 0)
		return -EINVAL;
	memcpy(val, v, UST_MIN((size_t)*len, vlen));
	*len = (socklen_t)UST_MIN((size_t)*len, vlen);
	return 0;
}

static int sol_socket_get(struct ust_sock *sk, int name, void *val, socklen_t *len)
{
	struct timeval tv;
	int v;

	switch (name) {
	case SO_RCVTIMEO:
	case SO_SNDTIMEO: {
		uint64_t t = name == SO_RCVTIMEO ? sk->sk_rcvtimeo : sk->sk_sndtimeo;

		tv.tv_sec = (time_t)(t / 1000000000ULL);
		tv.tv_usec = (suseconds_t)(t % 1000000000ULL / 1000);
		return put_value(val, len, &tv, sizeof(tv));
	}
	case SO_ERROR:
		/* sock_error, then the soft error: each is cleared as it is read. */
		v = sk->sk_err;
		sk->sk_err = 0;
		if (!v) {
			v = sk->sk_err_soft;
			sk->sk_err_soft = 0;
		}
		break;
	case SO_REUSEADDR: v = sk->sk_common.skc_reuse; break;
	case SO_REUSEPORT: v = sk->sk_common.skc_reuseport; break;
	case SO_KEEPALIVE: v = (sk->sk_flags & SOCK_KEEPOPEN) != 0; break;
	case SO_TYPE: v = SOCK_STREAM; break;
	case SO_DOMAIN: v = AF_INET; break;
	case SO_PROTOCOL: v = IPPROTO_TCP; break;
	case SO_ACCEPTCONN: v = sk->sk_state == TCP_LISTEN; break;
	case SO_LINGER: {
		struct linger l = { .l_onoff = (sk->sk_flags & SOCK_LINGER) != 0, .l_linger = (int)sk->sk_lingertime };

		return put_value(val, len, &l, sizeof(l));
	}
	case SO_RCVBUF: v = sk->sk_rcvbuf; break;
	case SO_RCVLOWAT: v = sk->sk_rcvlowat > 0 ? sk->sk_rcvlowat : 1; break;
	case SO_SNDBUF: v = sk->sk_sndbuf; break;
	default:
		return -ENOPROTOOPT;
	}
	return put_value(val, len, &v, sizeof(v));
}

static int sol_tcp_get(struct ust_stack *st, struct ust_sock *sk, int name, void *val, socklen_t *len)
{
	int v;

	switch (name) {
	case UST_TCP_SYNCNT:
		v = sk->icsk_syn_retries ? sk->icsk_syn_retries : ust_stack_core(st)->sysctl.tcp_syn_retries;
		break;
	case UST_TCP_MAXSEG:
		/* tcp_getsockopt: the current MSS once connected, else user_mss or 536. */
		v = sk->sk_state == TCP_ESTABLISHED || sk->sk_state == TCP_CLOSE_WAIT ? sk->mss_cache :
		    (sk->user_mss ? sk->user_mss : TCP_MSS_DEFAULT);
		break;
	case UST_TCP_DEFER_ACCEPT:
		v = retrans_to_secs(sk->defer_accept);
		break;
	case UST_TCP_NODELAY:
		v = (sk->nonagle & TCP_NAGLE_OFF) != 0;
		break;
	case UST_TCP_CORK:
		v = (sk->nonagle & TCP_NAGLE_CORK) != 0;
		break;
	case UST_TCP_KEEPIDLE:
		v = (int)(keepalive_time_when(sk) / 1000u);
		break;
	case UST_TCP_LINGER2:
		v = sk->linger2 < 0 ? -1 :
		    (sk->linger2 ? sk->linger2 / 1000 : ust_stack_core(st)->sysctl.tcp_fin_timeout);
		break;
	case UST_TCP_KEEPINTVL:
		v = sk->keepalive_intvl ? sk->keepalive_intvl : ust_stack_core(st)->sysctl.tcp_keepalive_intvl;
		break;
	case UST_TCP_KEEPCNT:
		v = sk->keepalive_probes ? sk->keepalive_probes : ust_stack_core(st)->sysctl.tcp_keepalive_probes;
		break;
	case UST_TCP_QUICKACK:
		v = !sk->icsk_ack_pingpong;
		break;
	default:
		return -ENOPROTOOPT;
	}
	return put_value(val, len, &v, sizeof(v));
}

/* The name, NUL-padded, cut to the caller's length (tcp_getsockopt). */
static int tcp_get_congestion_control(const struct ust_sock *sk, void *val, socklen_t *len)
{
	char name[TCP_CA_NAME_MAX] = { 0 };
	const struct tcp_congestion_ops *ca = sk->icsk_ca_ops ? sk->icsk_ca_ops : tcp_ca_default();
	socklen_t n;

	if (!len)
		return -EFAULT;
	if ((int)*len < 0)
		return -EINVAL;
	n = UST_MIN(*len, (socklen_t)sizeof(name));
	if (n && !val)
		return -EFAULT;
	strncpy(name, ca->name, sizeof(name) - 1);
	memcpy(val, name, n);
	*len = n;
	return 0;
}

int ust_getsockopt(struct ust_stack *st, int fd, int level, int name, void *val, socklen_t *len)
{
	struct ust_sockets *s = ust_sockets_enter(st);
	struct ust_sock *sk = ust_fd_get(s, fd);
	int err;

	if (!sk)
		err = -EBADF;
	else if (level == SOL_SOCKET)
		err = sol_socket_get(sk, name, val, len);
	else if (level == IPPROTO_TCP && name == UST_TCP_CONGESTION)
		err = tcp_get_congestion_control(sk, val, len);
	else if (level == IPPROTO_TCP && name == UST_TCP_INFO)
		err = tcp_getsockopt_info(sk, val, len);
	else if (level == IPPROTO_TCP)
		err = sol_tcp_get(st, sk, name, val, len);
	else
		err = -ENOPROTOOPT;
	return ust_sockets_leave(s, err);
}
