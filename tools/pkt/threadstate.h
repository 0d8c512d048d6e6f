/* Whether another thread of this process sleeps, as the kernel shows it. */
#ifndef UST_PKT_THREADSTATE_H
#define UST_PKT_THREADSTATE_H

#include <sys/types.h>

enum pkt_thread_state {
	PKT_THREAD_RUNNING,
	PKT_THREAD_SLEEPING,    /* interruptible sleep: state S */
	PKT_THREAD_GONE,        /* exited, or its state could not be read */
};

/*
 * From /proc/self/task/TID/stat, as packetdrill's is_thread_sleeping() reads
 * it. Both the script runner and the packetdrill adapter use it to let time
 * move only while every thread in a socket call sleeps in the stack. The
 * caller must hold no lock the thread could be waiting for.
 */
enum pkt_thread_state pkt_thread_state(pid_t tid);

#endif
