/* cmd_monitor: `vfiobuf monitor [--socket PATH] [--uevents] [--count N]`:
 * subscribe to a daemon's events, or (no daemon, or --uevents) print the
 * kernel's PCI uevents read through libnl. */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "broker.h"
#include "cli.h"
#include "cli_broker.h"
#include "cli_vfio.h"
#include "events.h"
#include "proto.h"
#include "uevent.h"

enum { OPT_SOCKET = 0x4200, OPT_UEVENTS, OPT_COUNT };

struct monitor_args {
	const char *socket_path;
	bool uevents;
	long count; /* 0: forever */
};

static const struct argp_option monitor_options[] = {
	{ "socket", OPT_SOCKET, "SOCKET", 0,
	  "The daemon's socket (default " VB_BROKER_DEFAULT_SOCKET ")", 0 },
	{ "uevents", OPT_UEVENTS, 0, 0,
	  "Print the kernel's PCI uevents (bind, unbind, add, remove...) instead of asking a daemon", 0 },
	{ "count", OPT_COUNT, "N", 0, "Exit after N events", 0 },
	{ 0 }
};

static error_t monitor_parser(int key, char *arg, struct argp_state *state)
{
	struct monitor_args *a = state->input;
	char *end;

	switch (key) {
	case OPT_SOCKET:
		a->socket_path = arg;
		return 0;
	case OPT_UEVENTS:
		a->uevents = true;
		return 0;
	case OPT_COUNT:
		errno = 0;
		a->count = strtol(arg, &end, 10);
		if (errno || *end || !*arg || a->count <= 0)
			argp_error(state, "invalid --count '%s' (a positive number)", arg);
		return 0;
	case ARGP_KEY_END:
		if (a->uevents && a->socket_path)
			argp_error(state, "--uevents and --socket exclude each other");
		return 0;
	default:
		return ARGP_ERR_UNKNOWN;
	}
}

const struct argp cmd_monitor_argp = {
	monitor_options, monitor_parser, NULL,
	"Print events as they happen, one line each (JSON Lines with -j): a daemon's (exported, "
	"released, revoked, restored, aer-error, client-connected...; see vfiobuf-serve(1)) when "
	"one listens on the socket, else the kernel's PCI uevents (bind, unbind, add, remove).  "
	"SIGINT or SIGTERM ends it.",
	NULL, NULL, NULL
};

static int watch_daemon(struct vb_cli *cli, int sock, long count)
{
	struct vb_err e = { 0 };
	json_t *reply = NULL;
	int sfd = cli_signalfd(), rc = 0;
	long seen = 0;

	if (cli_broker_call(cli, sock, vb_proto_request(VB_OP_SUBSCRIBE, -1), &reply, NULL, &e) < 0)
		return cli_fail(cli, &e);
	json_decref(reply);
	while (!count || seen < count) {
		struct pollfd p[2] = { { sfd, POLLIN, 0 }, { sock, POLLIN, 0 } };
		json_t *msg = NULL;

		if (poll(p, 2, -1) < 0 && errno != EINTR)
			break;
		if (p[0].revents)
			break;
		if (!p[1].revents)
			continue;
		rc = vb_client_read(sock, 0, &msg, NULL, &e);
		if (rc == 1) {
			cli_broker_print_event(cli, msg, false);
			seen++;
			if (!strcmp(json_string_value(json_object_get(msg, "event")), "shutdown")) {
				json_decref(msg);
				rc = 0;
				break;
			}
		}
		json_decref(msg);
		if (rc < 0) {
			rc = cli_fail(cli, &e);
			break;
		}
		rc = 0;
	}
	close(sfd);
	return rc;
}

static int watch_uevents(struct vb_cli *cli, long count)
{
	struct vb_err e = { 0 };
	struct vb_uevent_sock *u = vb_uevent_open(&e);
	int sfd, rc = 0;
	long seen = 0;

	if (!u)
		return cli_fail(cli, &e);
	sfd = cli_signalfd();
	while (!count || seen < count) {
		struct pollfd p[2] = { { sfd, POLLIN, 0 }, { vb_uevent_fd(u), POLLIN, 0 } };
		struct vb_uevent ev;
		int r;

		if (poll(p, 2, -1) < 0 && errno != EINTR)
			break;
		if (p[0].revents)
			break;
		while ((!count || seen < count) && (r = vb_uevent_read(u, &ev, &e)) != 0) {
			json_t *j;

			if (r < 0) {
				rc = cli_fail(cli, &e);
				goto out;
			}
			if (strcmp(ev.subsystem, "pci"))
				continue;
			j = vb_event_uevent(ev.action, ev.slot, ev.driver, ev.devpath, ev.seqnum);
			cli_broker_print_event(cli, j, false);
			json_decref(j);
			seen++;
		}
	}
out:
	close(sfd);
	vb_uevent_close(u);
	return rc;
}

int cmd_monitor(struct vb_cli *cli, int argc, char **argv)
{
	struct monitor_args a = { 0 };
	struct vb_err e = { 0 };
	int rc, sock;

	rc = cli_parse_args(cli, &cmd_monitor_argp, argc, argv, &a);
	if (rc)
		return rc;
	if (a.uevents)
		return watch_uevents(cli, a.count);
	sock = cli_broker_open(a.socket_path ? a.socket_path : VB_BROKER_DEFAULT_SOCKET, &e);
	if (sock < 0) {
		/* No daemon at the default place: the kernel's own events. */
		if (!a.socket_path && (e.errnum == ENOENT || e.errnum == ECONNREFUSED))
			return watch_uevents(cli, a.count);
		return cli_fail(cli, &e);
	}
	rc = watch_daemon(cli, sock, a.count);
	close(sock);
	return rc;
}
