/* pkt_thread_state: see threadstate.h. */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "threadstate.h"

enum pkt_thread_state pkt_thread_state(pid_t tid)
{
	char path[64], buf[512];
	const char *p;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/self/task/%d/stat", (int)tid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return PKT_THREAD_GONE;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return PKT_THREAD_GONE;
	buf[n] = '\0';
	p = strrchr(buf, ')');   /* the name in parentheses may hold spaces */
	if (!p || p[1] != ' ')
		return PKT_THREAD_GONE;
	return p[2] == 'S' ? PKT_THREAD_SLEEPING : PKT_THREAD_RUNNING;
}
