/* cmd_serve: `vfiobuf serve [--socket PATH] [--config FILE] [DEVICE...]`:
 * the broker daemon (broker.h).  Its events are JSON Lines on stdout or
 * appended to --events FILE. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "broker.h"
#include "cli.h"
#include "cli_vfio.h"
#include "sdnotify.h"

enum { OPT_SOCKET = 0x4100, OPT_CONFIG, OPT_EVENTS, OPT_METRICS, OPT_MODE = CLI_VFIO_MODE_KEY };

struct serve_args {
	const char *socket_path;
	const char *config_path;
	const char *events_path;
	const char *metrics_path;
	const char *devices[64];
	size_t ndevices;
	enum vb_vfio_mode mode;
};

static const struct argp_option serve_options[] = {
	{ "socket", OPT_SOCKET, "SOCKET", 0,
	  "Listen on SOCKET (default " VB_BROKER_DEFAULT_SOCKET "; ignored under socket activation)", 0 },
	{ "config", OPT_CONFIG, "FILE", 0,
	  "Policy, quotas and devices (default " VB_BROKER_DEFAULT_CONFIG ", if it exists)", 0 },
	{ "events", OPT_EVENTS, "FILE", 0, "Append the event log (JSON Lines) to FILE, not stdout", 0 },
	{ "metrics", OPT_METRICS, "FILE", 0,
	  "Keep FILE (NAME.prom in node_exporter's textfile collector directory) up to date with "
	  "Prometheus metrics, rewritten atomically at most once a second", 0 },
	CLI_VFIO_MODE_OPTION(OPT_MODE),
	{ 0 }
};

static error_t serve_parser(int key, char *arg, struct argp_state *state)
{
	struct serve_args *a = state->input;
	struct vb_bdf b;

	switch (key) {
	case OPT_SOCKET:
		a->socket_path = arg;
		return 0;
	case OPT_CONFIG:
		a->config_path = arg;
		return 0;
	case OPT_EVENTS:
		a->events_path = arg;
		return 0;
	case OPT_METRICS:
		if (!*arg)
			argp_error(state, "--metrics: empty file name");
		a->metrics_path = arg;
		return 0;
	case OPT_MODE:
		return cli_vfio_mode_option(state, arg, &a->mode);
	case ARGP_KEY_ARG:
		if (vb_bdf_parse(arg, &b) < 0)
			argp_error(state, "invalid device '%s' (expected [DDDD:]BB:DD.F)", arg);
		else if (a->ndevices == 64)
			argp_error(state, "too many devices (at most 64)");
		else
			a->devices[a->ndevices++] = arg;
		return 0;
	default:
		return ARGP_ERR_UNKNOWN;
	}
}

const struct argp cmd_serve_argp = {
	serve_options, serve_parser, "[DEVICE...]",
	"Run the broker daemon: own the devices given (and those of the config's 'device' lines) "
	"through VFIO, and pass dma-buf fds of their BARs to the clients the policy allows, over a "
	"SOCK_SEQPACKET unix socket (protocol in vfiobuf-serve(1)).  Revocations (reset, unbind, "
	"removal, shutdown) are pushed to the lease holders and logged as JSON Lines.  SIGTERM or "
	"SIGINT stops cleanly, SIGHUP reloads the policy.  Supports systemd socket activation and "
	"readiness notification (Type=notify).",
	NULL, NULL, NULL
};

struct sink {
	FILE *fp;
	bool quiet;
};

static void log_event(const json_t *ev, void *ctx)
{
	struct sink *s = ctx;

	if (s->quiet)
		return;
	json_dumpf(ev, s->fp, JSON_COMPACT | JSON_PRESERVE_ORDER);
	fputc('\n', s->fp);
	fflush(s->fp);
}

int cmd_serve(struct vb_cli *cli, int argc, char **argv)
{
	struct serve_args a = { 0 };
	struct vb_broker_opts o = { 0 };
	struct sink sink = { stdout, cli->quiet };
	struct vb_broker *b;
	struct vb_err e = { 0 };
	int rc;

	rc = cli_parse_args(cli, &cmd_serve_argp, argc, argv, &a);
	if (rc)
		return rc;
	o.listen_fd = vb_sd_listen_fd(&e);
	if (o.listen_fd == -2)
		return cli_fail(cli, &e);
	if (a.events_path && !(sink.fp = fopen(a.events_path, "ae")))
		return cli_fail(cli, (vb_err_set(&e, vb_exit_from_errno(errno), errno, NULL,
						 "cannot open the event log %s", a.events_path), &e));
	o.socket_path = a.socket_path ? a.socket_path : VB_BROKER_DEFAULT_SOCKET;
	o.config_path = a.config_path ? a.config_path : VB_BROKER_DEFAULT_CONFIG;
	o.config_optional = !a.config_path;
	o.metrics_path = a.metrics_path;
	o.devices = a.devices;
	o.ndevices = a.ndevices;
	o.mode = a.mode;
	o.sys = &cli->sys;
	o.on_event = cli->quiet ? NULL : log_event;
	o.ctx = &sink;
	b = vb_broker_new(&o, &e);
	rc = b ? vb_broker_run(b, &e) : -1;
	vb_broker_free(b);
	if (sink.fp != stdout)
		fclose(sink.fp);
	return rc < 0 ? cli_fail(cli, &e) : 0;
}
