/* ustack: a userspace TCP/IPv4 stack whose connection setup behaves like Linux's. */
#ifndef USTACK_H
#define USTACK_H

#include "ustack/stack.h"
#include "ustack/netdev.h"
#include "ustack/socket.h"
#include "ustack/stats.h"
#include "ustack/ip.h"
#include "ustack/trace.h"
#include "ustack/epoll.h"

#endif
