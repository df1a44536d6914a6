#ifndef CSHIMS_H
#define CSHIMS_H
// Thin wrappers for Linux calls and macros Swift does not import (or imports awkwardly, e.g. the packed
// `struct epoll_event`). Nothing here has logic: errors come back as -1 with errno set, like the raw call.
#include <stdint.h>
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <signal.h>

enum {
    CSHIM_EPOLLIN = 0x001,
    CSHIM_EPOLLOUT = 0x004,
    CSHIM_EPOLLERR = 0x008,
    CSHIM_EPOLLHUP = 0x010,
    CSHIM_EPOLLRDHUP = 0x2000,
};

int cshim_epoll_create(void);
int cshim_epoll_add(int epfd, int fd, uint32_t events, uint64_t data);
int cshim_epoll_mod(int epfd, int fd, uint32_t events, uint64_t data);
int cshim_epoll_del(int epfd, int fd);
/// Waits like epoll_wait and copies each event's data and mask out into two plain arrays.
int cshim_epoll_wait(int epfd, uint64_t *datas, uint32_t *masks, int max_events, int timeout_ms);

int cshim_eventfd(void);                       // non-blocking, close-on-exec, counter 0
int cshim_eventfd_signal(int fd);              // adds 1
int cshim_eventfd_drain(int fd);               // reads the counter back to 0

int cshim_socket_nonblocking(int domain, int type);
int cshim_accept4(int fd, struct sockaddr *addr, socklen_t *len);   // SOCK_NONBLOCK | SOCK_CLOEXEC
int cshim_set_int_option(int fd, int level, int name, int value);
int cshim_socket_error(int fd);                // SO_ERROR, or -1 with errno
ssize_t cshim_send_nosignal(int fd, const void *buf, size_t len); // MSG_NOSIGNAL: a closed peer is EPIPE, not SIGPIPE

int cshim_block_termination_signals(void);     // blocks SIGINT/SIGTERM/SIGPIPE for this thread and its children
int cshim_ignore_sigpipe(void);
#endif
