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
