/*
 * The table of callbacks packetdrill's "shared object" mode hands to a stack
 * under test. packetdrill dlopen()s a library, calls its
 * packetdrill_interface_init(flags, table) once, and from then on sends every
 * socket call, every packet it injects, every packet it waits for, every sleep
 * and every clock read through the table instead of the kernel.
 *
 * This is ustack's own declaration of that table. packetdrill reads the
 * members by position, so their order and types follow the layout packetdrill
 * expects (packetdrill.h in its source tree); the comments are ours.
 *
 * Every call receives `userdata` (set by init) first. Socket calls follow the
 * system call of the same name: a result, or -1 with errno set.
 */
#ifndef USTACK_PD_INTERFACE_H
#define USTACK_PD_INTERFACE_H

#include <poll.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <unistd.h>

struct epoll_event;   /* only pointers are passed */

struct packetdrill_interface {
	void *userdata;
	/* Called once when packetdrill is done with the library. */
	void (*free)(void *userdata);

	int (*socket)(void *userdata, int domain, int type, int protocol);
	int (*bind)(void *userdata, int fd, const struct sockaddr *addr, socklen_t addrlen);
	int (*listen)(void *userdata, int fd, int backlog);
	int (*accept)(void *userdata, int fd, struct sockaddr *addr, socklen_t *addrlen);
	int (*connect)(void *userdata, int fd, const struct sockaddr *addr, socklen_t addrlen);
	ssize_t (*read)(void *userdata, int fd, void *buf, size_t count);
	ssize_t (*readv)(void *userdata, int fd, const struct iovec *iov, int iovcnt);
	ssize_t (*recv)(void *userdata, int fd, void *buf, size_t len, int flags);
	ssize_t (*recvfrom)(void *userdata, int fd, void *buf, size_t len, int flags,
			    struct sockaddr *src_addr, socklen_t *addrlen);
	ssize_t (*recvmsg)(void *userdata, int fd, struct msghdr *msg, int flags);
	ssize_t (*write)(void *userdata, int fd, const void *buf, size_t count);
	ssize_t (*writev)(void *userdata, int fd, const struct iovec *iov, int iovcnt);
	ssize_t (*send)(void *userdata, int fd, const void *buf, size_t len, int flags);
	ssize_t (*sendto)(void *userdata, int fd, const void *buf, size_t len, int flags,
			  const struct sockaddr *dest_addr, socklen_t addrlen);
	ssize_t (*sendmsg)(void *userdata, int fd, const struct msghdr *msg, int flags);
	/* Called with two arguments after fd (F_GETFL) or three (F_SETFL, arg an int). */
	int (*fcntl)(void *userdata, int fd, int cmd, ...);
	int (*ioctl)(void *userdata, int fd, unsigned long request, ...);
	int (*close)(void *userdata, int fd);
	int (*shutdown)(void *userdata, int fd, int how);
	int (*getsockopt)(void *userdata, int fd, int level, int optname,
			  void *optval, socklen_t *optlen);
	int (*setsockopt)(void *userdata, int fd, int level, int optname,
			  const void *optval, socklen_t optlen);
	int (*poll)(void *userdata, struct pollfd *fds, nfds_t nfds, int timeout_ms);

	/* A packet for the stack (for IPv4 scripts: one bare IPv4 packet).
	 * 0, or -1 on error. */
	int (*netdev_send)(void *userdata, const void *buf, size_t count);
	/* The next packet the stack sent, into buf; *count holds the buffer size
	 * on entry and the packet's length on return, *time_usecs when it was
	 * sent (on the gettimeofday clock). Returns 0 with a packet; -1 means
	 * "none yet" and packetdrill calls again at once. A 0 return is always
	 * parsed as a packet, so 0 with *count == 0 makes packetdrill fail. */
	int (*netdev_receive)(void *userdata, void *buf, size_t *count, long long *time_usecs);
	/* The clock packetdrill schedules the script by. */
	int (*usleep)(void *userdata, useconds_t usec);
	int (*gettimeofday)(void *userdata, struct timeval *tv, struct timezone *tz);

	int (*epoll_create)(void *userdata, int size);
	int (*epoll_ctl)(void *userdata, int epfd, int op, int fd, struct epoll_event *event);
	int (*epoll_wait)(void *userdata, int epfd, struct epoll_event *events, int maxevents,
			  int timeout_ms);
	int (*pipe)(void *userdata, int pipefd[2]);
	int (*splice)(void *userdata, int fd_in, loff_t *off_in, int fd_out, loff_t *off_out,
		      size_t len, unsigned int flags);
};

/* The one symbol the library exports. flags: the text of --so_flags (NULL
 * when not given). */
void packetdrill_interface_init(const char *flags, struct packetdrill_interface *ifc);

#endif
