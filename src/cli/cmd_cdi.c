/* cmd_cdi: `vfiobuf cdi [--socket PATH] [-o FILE]`: the Container Device
 * Interface spec (lib/cdi.h) that gives a container the broker's socket, on
 * standard output or written atomically to FILE (/etc/cdi/vfiobuf.json). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "atomic_file.h"
#include "broker_opts.h"
#include "cdi.h"
#include "cli.h"

enum { OPT_SOCKET = 0x4100 };

struct cdi_args {
	const char *socket;
	const char *output;
};

static const struct argp_option cdi_options[] = {
	{ "socket", OPT_SOCKET, "SOCKET", 0,
	  "The broker's socket, as 'serve --socket' has it (default " VB_BROKER_DEFAULT_SOCKET ")", 0 },
	{ "output", 'o', "FILE", 0,
	  "Write FILE atomically (e.g. /etc/cdi/vfiobuf.json) instead of standard output", 0 },
	{ 0 }
};

static error_t cdi_parser(int key, char *arg, struct argp_state *state)
{
	struct cdi_args *a = state->input;

	switch (key) {
	case OPT_SOCKET:
		a->socket = arg;
		return 0;
	case 'o':
		a->output = arg;
		return 0;
	case ARGP_KEY_ARG:
		argp_error(state, "unexpected argument '%s'", arg);
		return 0;
	default:
		return ARGP_ERR_UNKNOWN;
	}
}

const struct argp cmd_cdi_argp = {
	cdi_options, cdi_parser, "",
	"Write a Container Device Interface spec (kind " VB_CDI_KIND ", device " VB_CDI_DEVICE
	") that bind-mounts the broker's socket into a container at the same path and gives it "
	"nothing else: 'podman run --device " VB_CDI_KIND "=" VB_CDI_DEVICE "'.  The broker's "
	"policy still decides what the container's uid may export.",
	NULL, NULL, NULL
};

/* A runtime fails to start a container whose bind source is missing. */
static void warn_no_socket(const struct vb_cli *cli, const char *path)
{
	struct stat st;

	if (cli->quiet)
		return;
	if (stat(path, &st) < 0)
		fprintf(stderr, "vfiobuf: warning: %s does not exist yet: a container given the "
				"device cannot start until the broker listens there\n", path);
	else if (!S_ISSOCK(st.st_mode))
		fprintf(stderr, "vfiobuf: warning: %s is not a socket\n", path);
}

int cmd_cdi(struct vb_cli *cli, int argc, char **argv)
{
	struct cdi_args a = { 0 };
	struct vb_err e = { 0 };
	size_t len;
	char *text;
	int rc;

	rc = cli_parse_args(cli, &cmd_cdi_argp, argc, argv, &a);
	if (rc)
		return rc;
	if (!a.socket)
		a.socket = VB_BROKER_DEFAULT_SOCKET;
	text = vb_cdi_spec(a.socket, &len, &e);
	if (!text)
		return cli_fail(cli, &e);
	warn_no_socket(cli, a.socket);
	if (a.output)
		rc = vb_atomic_write(a.output, text, len, 0644, &e) < 0 ? cli_fail(cli, &e) : 0;
	else if (!cli->quiet && (fwrite(text, 1, len, stdout) != len || fflush(stdout)))
		rc = cli_fail(cli, (vb_err_set(&e, VB_EXIT_FAIL, errno, NULL,
					       "cannot write the spec to standard output"), &e));
	free(text);
	return rc;
}
