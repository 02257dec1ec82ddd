/* cmd_recv: `vfiobuf recv --listen SOCKET [--exec CMD…]`: the consumer side
 * for scripts: accept one connection, receive fd + description, check it is
 * a dma-buf, print the description merged with fdinfo, optionally run CMD
 * with the fd. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cli.h"
#include "cli_vfio.h"
#include "events.h"
#include "fdpass.h"
#include "proto.h"

enum { OPT_LISTEN = 0x4100, OPT_EXEC, OPT_MODE };

struct recv_args {
	const char *listen;
	char **exec_argv;
	unsigned mode;
};

static const struct argp_option recv_options[] = {
	{ "listen", 'l', "SOCKET", 0, "Unix socket path to listen on (SOCK_SEQPACKET)", 0 },
	{ "mode", OPT_MODE, "OCTAL", 0, "Socket file mode (default 0600)", 0 },
	{ "exec", OPT_EXEC, "CMD", 0, "Run CMD [ARGS...] (the rest of the line) with the fd inherited", 0 },
	{ 0 }
};

static error_t recv_parser(int key, char *arg, struct argp_state *state)
{
	struct recv_args *a = state->input;
	char *end;

	switch (key) {
	case 'l':
		a->listen = arg;
		return 0;
	case OPT_MODE:
		a->mode = (unsigned)strtoul(arg, &end, 8);
		if (*end || !*arg || a->mode > 0777)
			argp_error(state, "invalid --mode '%s' (octal, e.g. 0660)", arg);
		return 0;
	case OPT_EXEC:
		a->exec_argv = &state->argv[state->next - 1];
		state->next = state->argc;
		return 0;
	case ARGP_KEY_INIT:
		a->mode = 0600;
		return 0;
	case ARGP_KEY_ARG:
		argp_error(state, "unexpected argument '%s'", arg);
		return 0;
	case ARGP_KEY_END:
		if (!a->listen)
			argp_error(state, "missing --listen SOCKET");
		return 0;
	default:
		return ARGP_ERR_UNKNOWN;
	}
}

const struct argp cmd_recv_argp = {
	recv_options, recv_parser, NULL,
	"Receive one dma-buf fd sent by 'vfiobuf export --send-to' (or any sender using "
	"SCM_RIGHTS with a one-line JSON description), check it is a dma-buf, print the "
	"description merged with fdinfo, and optionally run a command with the fd.",
	NULL, NULL, NULL
};

int cmd_recv(struct vb_cli *cli, int argc, char **argv)
{
	struct recv_args a = { 0 };
	struct vb_err e = { 0 };
	struct vb_dmabuf_info info;
	char *buf = malloc(VB_FDPASS_MAX_TEXT);
	json_t *desc, *sent;
	json_error_t je;
	int l, c, fd = -1, rc;

	if (!buf)
		return VB_EXIT_FAIL;
	rc = cli_parse_args(cli, &cmd_recv_argp, argc, argv, &a);
	if (rc)
		goto out;
	l = vb_unix_listen(a.listen, SOCK_SEQPACKET, a.mode, &e);
	if (l < 0) {
		rc = cli_fail(cli, &e);
		goto out;
	}
	c = accept4(l, NULL, NULL, SOCK_CLOEXEC);
	close(l);
	unlink(a.listen);
	if (c < 0 || vb_fd_recv(c, &fd, buf, VB_FDPASS_MAX_TEXT, &e) < 0 || fd < 0 ||
	    vb_dmabuf_info(fd, &info, &e) < 0) {
		if (c >= 0 && fd < 0 && !e.exit_code)
			vb_err_set(&e, VB_EXIT_FAIL, 0, NULL, "the message carried no fd");
		if (fd >= 0)
			close(fd);
		if (c >= 0)
			close(c);
		rc = cli_fail(cli, &e);
		goto out;
	}
	sent = json_loads(buf, 0, &je);
	desc = vb_event_new("received");
	if (json_is_object(sent))
		json_object_update_missing(desc, sent);
	else
		json_object_set_new(desc, "description", vb_proto_text(buf));
	json_decref(sent);
	json_object_set_new(desc, "fd", json_integer(fd));
	json_object_set_new(desc, "fdinfo",
			    json_pack("{s:I, s:i, s:I, s:s, s:s}", "size", (json_int_t)info.size,
				      "count", (int)info.count, "ino", (json_int_t)info.ino,
				      "exp_name", info.exp_name, "name", info.name));
	cli_event(cli, json_deep_copy(desc));
	if (a.exec_argv) {
		rc = cli_exec_with_fd(a.exec_argv, fd, desc, &e);
		if (rc < 0)
			rc = cli_fail(cli, &e);
	}
	json_decref(desc);
	close(fd);
	close(c); /* the exporter stops holding when we close */
out:
	free(buf);
	return rc;
}
