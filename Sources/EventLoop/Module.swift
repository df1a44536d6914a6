// EventLoop: One thread, one epoll, timers, cross-thread execute, buffers, writev queue.
