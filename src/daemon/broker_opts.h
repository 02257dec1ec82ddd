/* broker_opts: what the serve daemon is asked to do (vb_broker_new in
 * broker.h); its state (daemon.h) keeps a copy. */
#ifndef VB_BROKER_OPTS_H
#define VB_BROKER_OPTS_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "sysfs.h"
#include "vfio_dev.h"

#define VB_BROKER_DEFAULT_SOCKET "/run/vfiobuf/vfiobuf.sock"
#define VB_BROKER_DEFAULT_CONFIG "/etc/vfiobuf/serve.conf"

struct vb_broker_opts {
	const char *socket_path;  /* where to listen (ignored when listen_fd >= 0) */
	int listen_fd;            /* a socket-activated listener, or -1 */
	const char *config_path;  /* policy file; NULL: root only, no quotas file */
	bool config_optional;     /* a missing config file means the defaults */
	const char *metrics_path; /* Prometheus textfile to keep up to date, or NULL */
	const char *const *devices; /* BDFs to serve besides the config's */
	size_t ndevices;
	enum vb_vfio_mode mode;
	const struct vb_sys *sys;
	/* Every event, as it happens (the reference is borrowed). */
	void (*on_event)(const json_t *ev, void *ctx);
	void *ctx;
};

#endif
