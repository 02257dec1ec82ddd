/* signals: the one way vfiobuf takes signals, as a file descriptor its
 * event loops poll (the daemon, export --hold, monitor). */
#ifndef VB_SIGNALS_H
#define VB_SIGNALS_H

#include <stdbool.h>

/* Block the signals of a 0-terminated list and return a signalfd that
 * reads them (close-on-exec, nonblocking when asked), or -1 with errno. */
int vb_signalfd(const int *signals, bool nonblock);

#endif
