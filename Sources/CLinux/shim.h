#pragma once
#define _GNU_SOURCE
#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <unistd.h>

/// prctl is variadic, which Swift cannot call: the one option Sweep uses.
static inline int sweep_set_parent_death_signal(int signal) {
    return prctl(PR_SET_PDEATHSIG, (unsigned long)signal, 0UL, 0UL, 0UL);
}

/// pipe2 is declared only under _GNU_SOURCE, which Swift's Glibc module does not set.
/// Close-on-exec from the start: another thread's child must never inherit a slot's pipe.
static inline int sweep_pipe_cloexec(int fds[2]) {
    return pipe2(fds, O_CLOEXEC);
}

/// fork(2), which Swift's Glibc module does not offer. Only for a process with one
/// thread (see `SlotProcess`): the child runs on without exec.
static inline pid_t sweep_fork(void) {
    return fork();
}

/// Closes every descriptor from `first` up (close_range(2), glibc 2.34).
static inline int sweep_close_from(unsigned int first) {
    return close_range(first, ~0U, 0);
}

/// Rewrites what /proc/self/cmdline (and so ps) shows, within the room the original
/// arguments took: `text` holds NUL-separated arguments, the rest is cleared. argv
/// must be the process's own, laid out end to end as exec left them.
static inline void sweep_set_command_line(int argc, char **argv, const char *text, unsigned long length) {
    if (argc < 1) return;
    char *start = argv[0];
    char *end = argv[argc - 1];
    while (*end) end++;
    unsigned long room = (unsigned long)(end - start);
    if (length > room) length = room;
    for (unsigned long i = 0; i < length; i++) start[i] = text[i];
    for (char *p = start + length; p <= end; p++) *p = 0;
}

/// Names the calling thread (its comm, as top and ps -o comm show it; 15 bytes at most).
static inline int sweep_set_thread_name(const char *name) {
    return prctl(PR_SET_NAME, (unsigned long)name, 0UL, 0UL, 0UL);
}
