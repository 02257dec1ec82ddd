/* cmd_export: `vfiobuf export DEVICE --bar N [--range OFF:LEN]…
 * (--exec CMD… | --send-to SOCKET | --hold)`: export BAR ranges as a dma-buf
 * and hand it on, keeping the device open as long as the buffer must live
 * (closing it revokes the buffer for good).  JSON Lines events on stdout. */
#include <errno.h>
#include <stddef.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cli.h"
#include "signals.h"
#include "cli_broker.h"
#include "cli_vfio.h"
#include "numfmt.h"
#include "jtext.h"
#include "events.h"
#include "fdpass.h"
#include "pci_model.h"

enum { OPT_MODE = 0x4000, OPT_SEND, OPT_HOLD, OPT_EXEC, OPT_SERVER };

struct export_args {
	struct vb_bdf bdf;
	bool have_bdf;
	int bar;
	size_t nranges;
	char **exec_argv;
	const char *send_to;
	bool hold;
	const char *server;
	enum vb_vfio_mode mode;
	/* last, and not zeroed: only the first nranges are read (4 KiB that
	 * a zeroing wrote byte by byte under emulation, at every export) */
	struct vb_range ranges[VB_RANGES_MAX];
};

static const struct argp_option export_options[] = {
	{ "bar", 'b', "N", 0, "The BAR to export (0-5)", 0 },
	{ "range", 'r', "OFFSET:LENGTH", 0,
	  "A range of the BAR (hex or decimal, K/M/G suffixes; repeatable; default: the whole BAR)", 0 },
	{ "exec", OPT_EXEC, "CMD", 0,
	  "Run CMD [ARGS...] (the rest of the line) with the fd inherited, described in VFIOBUF_* variables", 0 },
	{ "send-to", OPT_SEND, "SOCKET", 0,
	  "Send the fd and its JSON description to a unix socket, hold until the receiver closes", 0 },
	{ "hold", OPT_HOLD, 0, 0, "Hold the buffer until SIGINT/SIGTERM (SIGUSR1 resets the device)", 0 },
	CLI_VFIO_MODE_OPTION(OPT_MODE),
	CLI_SERVER_OPTION(OPT_SERVER),
	{ 0 }
};

static error_t export_parser(int key, char *arg, struct argp_state *state)
{
	struct export_args *a = state->input;

	switch (key) {
	case 'b':
		return cli_bar_arg(state, arg, &a->bar);
	case 'r':
		return cli_range_arg(state, arg, a->ranges, &a->nranges);
	case OPT_EXEC:
		a->exec_argv = &state->argv[state->next - 1];
		state->next = state->argc;
		return 0;
	case OPT_SEND:
		a->send_to = arg;
		return 0;
	case OPT_HOLD:
		a->hold = true;
		return 0;
	case OPT_MODE:
		return cli_vfio_mode_option(state, arg, &a->mode);
	case OPT_SERVER:
		a->server = arg;
		return 0;
	case ARGP_KEY_ARG:
		return cli_one_device_arg(state, arg, &a->bdf, &a->have_bdf);
	case ARGP_KEY_INIT:
		a->bar = -1;
		return 0;
	case ARGP_KEY_END:
		if (!a->have_bdf)
			argp_error(state, "missing DEVICE");
		else if (a->bar < 0)
			argp_error(state, "missing --bar");
		else if ((a->exec_argv != NULL) + (a->send_to != NULL) + a->hold != 1)
			argp_error(state, "give exactly one of --exec, --send-to, --hold");
		return 0;
	default:
		return ARGP_ERR_UNKNOWN;
	}
}

const struct argp cmd_export_argp = {
	export_options, export_parser, "DEVICE",
	"Export ranges of a memory BAR of a device bound to a VFIO driver that implements it "
	"(vfio-pci, nvgrace_gpu_vfio_pci) as a dma-buf fd "
	"(VFIO_DEVICE_FEATURE_DMA_BUF) and hand it to a command, a unix socket, or hold it.  "
	"Every range is validated before the kernel is asked.  The device stays open while the "
	"buffer is meant to live: closing it revokes the buffer for good.",
	NULL, NULL, NULL
};

/* The buffer's description: the "exported" event with the fd, its inode,
 * the exporter, the VFIO mode and our pid (and with --server the lease and
 * the socket), written as JSON text without building jansson objects (the
 * bytes json_dumps would give: test_jtext), and the values of the
 * command's VFIOBUF_* variables.  The strings are ours (BDF, mode, socket),
 * the kernel's (exporter name) or the daemon's decoded reply (the name
 * with --server): valid UTF-8, so the variables carry them as they are. */
struct description {
	char *text;
	char size[VB_NUM_MAX], bar[VB_NUM_MAX], ino[VB_NUM_MAX];
	char ranges[VB_RANGES_TEXT_LEN];
	struct cli_buffer_vars vars;
};

static int describe(struct description *out, const struct export_args *a, const char *bdf,
		    const char *mode, int fd, const char *name, json_int_t lease, struct vb_err *err)
{
	struct vb_dmabuf_info info = { 0 };
	struct vb_err e = { 0 }; /* fdinfo unreadable: the fields stay 0 */
	struct vb_event_export x = { -1, bdf, a->bar, a->ranges, a->nranges, 0, name };
	struct vb_jtext t;

	vb_dmabuf_info(fd, &info, &e);
	x.size = info.size;
	vb_jt_init(&t);
	vb_event_exported_write(&t, &x, vb_event_now());
	vb_jt_key(&t, "fd");
	vb_jt_int(&t, fd);
	vb_jt_key(&t, "ino");
	vb_jt_int(&t, (int64_t)info.ino);
	vb_jt_key(&t, "exp_name");
	vb_jt_string(&t, info.exp_name);
	vb_jt_key(&t, "vfio_mode");
	vb_jt_string(&t, mode);
	vb_jt_key(&t, "pid");
	vb_jt_int(&t, getpid());
	if (a->server) {
		vb_jt_key(&t, "lease");
		vb_jt_int(&t, lease);
		vb_jt_key(&t, "socket");
		vb_jt_string(&t, a->server);
	}
	vb_jt_end_object(&t);
	out->text = vb_jt_take(&t, NULL);
	vb_fmt_sdec(out->size, (int64_t)info.size);
	vb_fmt_sdec(out->bar, a->bar);
	vb_fmt_sdec(out->ino, (int64_t)info.ino);
	vb_ranges_format(a->ranges, a->nranges, out->ranges, sizeof(out->ranges));
	out->vars = (struct cli_buffer_vars){
		.value = { [CLI_VAR_SIZE] = out->size, [CLI_VAR_DEVICE] = bdf,
			   [CLI_VAR_BAR] = out->bar, [CLI_VAR_RANGES] = out->ranges,
			   [CLI_VAR_NAME] = name, [CLI_VAR_INO] = out->ino },
		.description = out->text,
	};
	return out->text ? 0 : vb_err_set(err, VB_EXIT_FAIL, ENOMEM, bdf, "out of memory");
}

/* Who holds the buffer: the device itself (local mode) or a daemon
 * connection (--server), and the receiver's connection (--send-to). */
struct holding {
	struct vb_cli *cli;
	const struct vb_vfio_dev *d; /* NULL with --server */
	int peer;                    /* --send-to connection, or -1 */
	int broker;                  /* --server connection, or -1 */
};

static void reset_held(struct holding *h)
{
	struct vb_err e = { 0 };
	struct vb_reset_outcome o;
	int rc;

	if (!h->d)
		return; /* through a daemon: `vfiobuf reset --server` */
	rc = vb_vfio_reset_buffers(h->d, &o, &e);
	cli_reset_events(h->cli, h->d->name, &o, NULL);
	if (rc < 0)
		cli_fail(h->cli, &e); /* reported; the holder keeps holding */
}

/* A message from the daemon: print pushed events.  False when it is gone. */
static bool broker_message(struct holding *h)
{
	struct vb_err e = { 0 };
	json_t *msg = NULL;
	int rc = vb_client_read(h->broker, 0, &msg, NULL, &e);

	if (rc == 1)
		cli_broker_print_event(h->cli, msg, true);
	json_decref(msg);
	return rc >= 0;
}

/* Print one event already waiting on the daemon connection; false when
 * none is (or the daemon is gone). */
static bool broker_pending(struct holding *h)
{
	struct pollfd p = { h->broker, POLLIN, 0 };

	return poll(&p, 1, 0) == 1 && (p.revents & POLLIN) && broker_message(h);
}

static bool peer_closed(int sock)
{
	char junk[64];

	return recv(sock, junk, sizeof(junk), MSG_DONTWAIT) <= 0;
}

/* Wait for a signal, the receiver's close or the daemon's.  SIGUSR1 resets
 * the device (local mode).  Returns the cause. */
static const char *hold(struct holding *h)
{
	static const int taken[] = { SIGINT, SIGTERM, SIGUSR1, 0 };
	int sfd = vb_signalfd(taken, false);

	for (;;) {
		struct pollfd p[3] = { { sfd, POLLIN, 0 },
				       { h->peer, POLLIN | POLLRDHUP, 0 },
				       { h->broker, POLLIN, 0 } };
		struct signalfd_siginfo si;

		if (poll(p, 3, -1) < 0 && errno != EINTR)
			break;
		if (h->peer >= 0 && p[1].revents && peer_closed(h->peer)) {
			close(sfd);
			return "receiver-closed";
		}
		if (h->broker >= 0 && p[2].revents && !broker_message(h)) {
			close(sfd);
			return "server-closed";
		}
		if (!(p[0].revents & POLLIN) || read(sfd, &si, sizeof(si)) != sizeof(si))
			continue;
		if (si.ssi_signo == SIGUSR1) {
			reset_held(h);
			continue;
		}
		close(sfd);
		return si.ssi_signo == SIGINT ? "SIGINT" : "SIGTERM";
	}
	close(sfd);
	return "error";
}

static int hand_on(struct export_args *a, struct holding *h, int fd, const char *bdf,
		   const struct description *desc, const char **cause, struct vb_err *e)
{
	int rc;

	if (a->exec_argv) {
		rc = cli_exec_with_vars(a->exec_argv, fd, &desc->vars, e);
		*cause = "command-exited";
		return rc;
	}
	if (a->hold) {
		*cause = hold(h);
		return 0;
	}
	h->peer = vb_unix_connect(a->send_to, e);
	if (h->peer < 0)
		return -1;
	rc = vb_fd_send(h->peer, fd, desc->text, e);
	if (rc == 0) {
		cli_event(h->cli, vb_event_sent(bdf, a->send_to));
		*cause = hold(h);
	}
	close(h->peer);
	return rc < 0 ? -1 : 0;
}

/* Ask the daemon: it validates, checks its policy and exports.  The ranges
 * it used (the whole BAR by default) come back in the reply. */
static int export_remote(struct vb_cli *cli, struct export_args *a, const char *bdf,
			 int *broker, char *name, char *mode, json_int_t *lease, struct vb_err *e)
{
	json_t *req, *reply = NULL, *r;
	size_t i;
	int fd = -1;

	*broker = cli_broker_open(a->server, e);
	if (*broker < 0)
		return -1;
	req = vb_proto_request(VB_OP_EXPORT, -1);
	json_object_set_new(req, "bdf", json_string(bdf));
	json_object_set_new(req, "bar", json_integer(a->bar));
	json_object_set_new(req, "ranges", vb_proto_ranges(a->ranges, a->nranges));
	if (cli_broker_call(cli, *broker, req, &reply, &fd, e) < 0)
		return -1;
	if (fd < 0) {
		json_decref(reply);
		return vb_err_set(e, VB_EXIT_FAIL, EPROTO, bdf, "the daemon replied without an fd");
	}
	a->nranges = 0;
	json_array_foreach(json_object_get(reply, "ranges"), i, r) {
		if (a->nranges == VB_RANGES_MAX)
			break;
		a->ranges[a->nranges++] = (struct vb_range){
			(uint64_t)json_integer_value(json_object_get(r, "offset")),
			(uint64_t)json_integer_value(json_object_get(r, "length")) };
	}
	snprintf(name, VB_DMABUF_NAME_LEN, "%s", json_string_value(json_object_get(reply, "name")));
	snprintf(mode, 16, "%s", json_string_value(json_object_get(reply, "vfio_mode")));
	*lease = json_integer_value(json_object_get(reply, "lease"));
	json_decref(reply);
	return fd;
}

int cmd_export(struct vb_cli *cli, int argc, char **argv)
{
	struct export_args a;
	struct vb_vfio_dev d;
	struct vb_err e = { 0 };
	char bdf[VB_BDF_STRLEN], name[VB_DMABUF_NAME_LEN] = "", mode[16] = "";
	struct holding h = { cli, NULL, -1, -1 };
	const char *cause = "done";
	json_int_t lease = 0;
	struct description desc;
	int rc, fd;

	memset(&a, 0, offsetof(struct export_args, ranges));
	rc = cli_parse_args(cli, &cmd_export_argp, argc, argv, &a);
	if (rc)
		return rc;
	vb_bdf_format(&a.bdf, bdf);
	if (a.server)
		fd = export_remote(cli, &a, bdf, &h.broker, name, mode, &lease, &e);
	else
		fd = cli_export_local(cli, bdf, a.bar, a.ranges, &a.nranges, a.mode, &d, name, &e);
	if (fd < 0) {
		if (h.broker >= 0)
			close(h.broker);
		return cli_fail(cli, &e);
	}
	h.d = a.server ? NULL : &d;
	rc = describe(&desc, &a, bdf, a.server ? mode : vb_vfio_mode_name(d.mode), fd, name,
		      lease, &e);
	if (rc == 0) {
		cli_event_text(cli, desc.text);
		rc = hand_on(&a, &h, fd, bdf, &desc, &cause, &e);
	}
	free(desc.text);
	close(fd);
	if (a.server) {
		json_t *ev;

		/* events pushed while a command ran were not read yet */
		while (h.broker >= 0 && broker_pending(&h))
			;
		close(h.broker); /* the daemon releases the lease */
		if (cli_shows_events(cli)) {
			ev = vb_event_released(lease, bdf, "client-disconnected");
			json_object_set_new(ev, "socket", json_string(a.server));
			cli_event(cli, ev);
		}
	} else {
		vb_vfio_close(&d);
		if (cli_shows_events(cli))
			cli_event(cli, vb_event_revoked(bdf, "device-closed", true));
	}
	if (cli_shows_events(cli))
		cli_event(cli, vb_event_closed(bdf, cause));
	if (rc < 0)
		return cli_fail(cli, &e);
	return rc;
}
