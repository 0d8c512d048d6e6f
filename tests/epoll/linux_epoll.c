/*
 * The expectations of tests/unit/test_epoll.c, checked against the running
 * kernel over loopback: the same calls with the kernel's epoll and sockets, so
 * a wrong expectation there shows up here first. Prints "ok" per check and
 * exits 1 on the first mismatch.
 */
#define _GNU_SOURCE 1
#include <arpa/inet.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

static int failed;

/* The raw call: glibc's fortified wrapper would refuse the bad arguments
 * these checks pass on purpose. */
static int sys_epoll_wait(int ep, struct epoll_event *ev, int max, int timeout)
{
	return (int)syscall(SYS_epoll_wait, ep, ev, max, timeout);
}

#define CHECK(cond, what) do { if (!(cond)) { fprintf(stderr, "FAIL %s:%d %s (errno %d)\n", \
	__FILE__, __LINE__, what, errno); failed = 1; } } while (0)
#define CHECK_ERR(call, err) do { errno = 0; CHECK((call) == -1 && errno == (err), #call " -> " #err); } while (0)

static void settle(void) { usleep(20000); }

static void pair(int *l, int *c, int *s)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(a);

	*l = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	bind(*l, (struct sockaddr *)&a, sizeof(a));
	listen(*l, 8);
	getsockname(*l, (struct sockaddr *)&a, &len);
	*c = socket(AF_INET, SOCK_STREAM, 0);
	CHECK(connect(*c, (struct sockaddr *)&a, sizeof(a)) == 0, "connect");
	settle();
	if (s)
		*s = accept4(*l, NULL, NULL, SOCK_NONBLOCK);
}

static int wait0(int ep, struct epoll_event *ev, int max)
{
	memset(ev, 0, sizeof(*ev) * (size_t)max);
	return epoll_wait(ep, ev, max, 0);
}

static void expect_one(int ep, uint32_t events, uint64_t data, const char *what)
{
	struct epoll_event ev[4];

	int n = wait0(ep, ev, 4);

	CHECK(n == 1 && ev[0].events == events && ev[0].data.u64 == data, what);
	if (n != 1 || ev[0].events != events || ev[0].data.u64 != data)
		fprintf(stderr, "  got %d events, first %#x data %llu\n", n, ev[0].events,
			(unsigned long long)ev[0].data.u64);
}

static void expect_none(int ep, const char *what)
{
	struct epoll_event ev[4];

	CHECK(wait0(ep, ev, 4) == 0, what);
}

static void ctl_errors(void)
{
	int l, c, s, ep = epoll_create1(0), other = epoll_create1(0);
	struct epoll_event ev = { .events = EPOLLIN }, evs[4];

	pair(&l, &c, &s);
	CHECK_ERR(epoll_create1(1), EINVAL);
	CHECK_ERR(epoll_create(0), EINVAL);
	CHECK_ERR(epoll_ctl(ep, EPOLL_CTL_ADD, s, NULL), EFAULT);
	CHECK_ERR(epoll_ctl(999, EPOLL_CTL_ADD, s, &ev), EBADF);
	CHECK_ERR(epoll_ctl(ep, EPOLL_CTL_ADD, 999, &ev), EBADF);
	CHECK_ERR(epoll_ctl(ep, EPOLL_CTL_ADD, -1, &ev), EBADF);
	CHECK_ERR(epoll_ctl(s, EPOLL_CTL_ADD, l, &ev), EINVAL);
	CHECK_ERR(epoll_ctl(ep, EPOLL_CTL_ADD, ep, &ev), EINVAL);
	CHECK_ERR(epoll_ctl(ep, 0, s, &ev), EINVAL);
	CHECK_ERR(epoll_ctl(ep, 4, s, &ev), EINVAL);
	CHECK_ERR(epoll_ctl(ep, EPOLL_CTL_MOD, s, &ev), ENOENT);
	CHECK_ERR(epoll_ctl(ep, EPOLL_CTL_DEL, s, NULL), ENOENT);
	ev.events = EPOLLIN | EPOLLEXCLUSIVE;
	CHECK_ERR(epoll_ctl(ep, EPOLL_CTL_MOD, s, &ev), EINVAL);
	ev.events = EPOLLIN | EPOLLEXCLUSIVE | EPOLLONESHOT;
	CHECK_ERR(epoll_ctl(ep, EPOLL_CTL_ADD, s, &ev), EINVAL);
	ev.events = EPOLLIN | EPOLLEXCLUSIVE | EPOLLRDHUP;
	CHECK_ERR(epoll_ctl(ep, EPOLL_CTL_ADD, s, &ev), EINVAL);
	ev.events = EPOLLIN | EPOLLEXCLUSIVE;
	CHECK(epoll_ctl(ep, EPOLL_CTL_ADD, s, &ev) == 0, "add exclusive");
	ev.events = EPOLLIN;
	CHECK_ERR(epoll_ctl(ep, EPOLL_CTL_MOD, s, &ev), EINVAL);
	CHECK_ERR(epoll_ctl(ep, EPOLL_CTL_ADD, s, &ev), EEXIST);
	CHECK(epoll_ctl(ep, EPOLL_CTL_DEL, s, NULL) == 0, "del NULL");
	CHECK(epoll_ctl(other, EPOLL_CTL_ADD, s, &ev) == 0, "second set");
	CHECK_ERR(sys_epoll_wait(ep, evs, 0, 0), EINVAL);
	CHECK_ERR(sys_epoll_wait(ep, evs, -1, 0), EINVAL);
	CHECK_ERR(sys_epoll_wait(ep, evs, INT32_MAX, 0), EINVAL);
	CHECK(sys_epoll_wait(ep, NULL, 2, 0) == 0, "NULL events, nothing ready: 0");
	CHECK_ERR(sys_epoll_wait(999, evs, 2, 0), EBADF);
	CHECK_ERR(sys_epoll_wait(s, evs, 2, 0), EINVAL);
	write(c, "x", 1), settle();
	CHECK_ERR(sys_epoll_wait(other, NULL, 2, 0), EFAULT);   /* an event to copy */
	CHECK(sys_epoll_wait(other, evs, 2, 0) == 1, "still there after EFAULT");
	CHECK_ERR(listen(ep, 1), ENOTSOCK);
	CHECK_ERR(shutdown(ep, SHUT_RDWR), ENOTSOCK);
	close(ep), close(other), close(l), close(c), close(s);
}

static void reports(void)
{
	int l, c, s, ep = epoll_create1(0), fds[3];
	struct epoll_event ev = { .events = EPOLLIN, .data.u64 = 7 };
	struct epoll_event evs[4];
	char buf[16];

	pair(&l, &c, &s);
	/* level-triggered */
	epoll_ctl(ep, EPOLL_CTL_ADD, s, &ev);
	expect_none(ep, "LT idle");
	write(c, "hello", 5), settle();
	expect_one(ep, EPOLLIN, 7, "LT data");
	expect_one(ep, EPOLLIN, 7, "LT again");
	CHECK(read(s, buf, sizeof(buf)) == 5, "read");
	expect_none(ep, "LT drained");
	/* edge-triggered */
	ev = (struct epoll_event){ .events = EPOLLIN | EPOLLET, .data.u64 = 9 };
	epoll_ctl(ep, EPOLL_CTL_MOD, s, &ev);
	expect_none(ep, "ET idle");
	write(c, "one", 3), settle();
	expect_one(ep, EPOLLIN, 9, "ET data");
	expect_none(ep, "ET unread");
	write(c, "two", 3), settle();
	expect_one(ep, EPOLLIN, 9, "ET more data");
	CHECK(read(s, buf, sizeof(buf)) == 6, "read 6");
	/* oneshot */
	ev = (struct epoll_event){ .events = EPOLLIN | EPOLLONESHOT, .data.u64 = 3 };
	epoll_ctl(ep, EPOLL_CTL_MOD, s, &ev);
	write(c, "a", 1), settle();
	expect_one(ep, EPOLLIN, 3, "oneshot");
	expect_none(ep, "oneshot fired");
	write(c, "b", 1), settle();
	expect_none(ep, "oneshot disarmed");
	ev.data.u64 = 4;
	epoll_ctl(ep, EPOLL_CTL_MOD, s, &ev);
	expect_one(ep, EPOLLIN, 4, "oneshot rearmed");
	read(s, buf, sizeof(buf));
	/* RDHUP, then HUP */
	ev = (struct epoll_event){ .events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET, .data.u64 = 5 };
	epoll_ctl(ep, EPOLL_CTL_MOD, s, &ev);
	expect_one(ep, EPOLLOUT, 5, "writable at MOD");
	expect_none(ep, "ET writable once");
	shutdown(c, SHUT_WR), settle();
	expect_one(ep, EPOLLIN | EPOLLOUT | EPOLLRDHUP, 5, "peer FIN");
	shutdown(s, SHUT_WR), settle();
	expect_one(ep, EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLHUP, 5, "both shut");
	/* closing removes it from the set */
	close(s);
	expect_none(ep, "closed");
	/* fresh sockets: EPOLLOUT | EPOLLHUP; maxevents keeps the rest */
	for (int i = 0; i < 3; i++) {
		fds[i] = socket(AF_INET, SOCK_STREAM, 0);
		ev = (struct epoll_event){ .events = EPOLLOUT | EPOLLET, .data.u64 = (uint64_t)i };
		epoll_ctl(ep, EPOLL_CTL_ADD, fds[i], &ev);
	}
	CHECK(wait0(ep, evs, 2) == 2 && evs[0].data.u64 == 0 && evs[1].data.u64 == 1 &&
	      evs[0].events == (EPOLLOUT | EPOLLHUP), "max 2");
	CHECK(wait0(ep, evs, 2) == 1 && evs[0].data.u64 == 2, "the rest");
	CHECK(wait0(ep, evs, 2) == 0, "none left");
	close(ep), close(l), close(c);
}

static void listener_and_connect(void)
{
	int l, c, ep = epoll_create1(0), cfd;
	struct epoll_event ev = { .events = EPOLLIN, .data.u64 = 1 };
	struct sockaddr_in a;
	socklen_t len = sizeof(a);

	pair(&l, &c, NULL);
	epoll_ctl(ep, EPOLL_CTL_ADD, l, &ev);
	expect_one(ep, EPOLLIN, 1, "listener readable");
	CHECK(accept(l, NULL, NULL) >= 0, "accept");
	expect_none(ep, "queue empty");
	getsockname(l, (struct sockaddr *)&a, &len);
	close(ep);
	ep = epoll_create1(0);   /* the client's own: the listener is readable again */
	cfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	ev = (struct epoll_event){ .events = EPOLLOUT | EPOLLET, .data.u64 = 11 };
	epoll_ctl(ep, EPOLL_CTL_ADD, cfd, &ev);
	expect_one(ep, EPOLLOUT | EPOLLHUP, 11, "fresh socket at ADD");
	CHECK(connect(cfd, (struct sockaddr *)&a, sizeof(a)) == 0 || errno == EINPROGRESS, "connect");
	settle();
	expect_one(ep, EPOLLOUT, 11, "connected");
	expect_none(ep, "once");
	close(ep), close(l), close(c), close(cfd);
}

int main(void)
{
	ctl_errors();
	reports();
	listener_and_connect();
	if (failed)
		return 1;
	printf("ok: the kernel agrees with test_epoll's expectations\n");
	return 0;
}
