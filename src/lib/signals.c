/* signals: signals as a file descriptor (see signals.h). */
#include "signals.h"

#include <signal.h>
#include <sys/signalfd.h>

int vb_signalfd(const int *signals, bool nonblock)
{
	sigset_t set;

	sigemptyset(&set);
	for (; *signals; signals++)
		sigaddset(&set, *signals);
	if (sigprocmask(SIG_BLOCK, &set, NULL) < 0)
		return -1;
	return signalfd(-1, &set, SFD_CLOEXEC | (nonblock ? SFD_NONBLOCK : 0));
}
