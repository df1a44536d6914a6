// Posix: Owned file descriptors, errno, the syscall funnel, socket addresses.
