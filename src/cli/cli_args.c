/* cli_args: argp glue shared by every subcommand.
 *
 * cli_parse_args() wraps a command's argp in one that (1) accepts the global
 * options after the command name too (`vfiobuf list -j`), (2) captures
 * argp's error text so a usage error becomes one line on stderr plus the
 * JSON error object under -j, with exit code 2, and (3) prints --help and
 * exits 0.  Parsing is ARGP_IN_ORDER: an option that takes the rest of the
 * command line (--exec CMD ARGS…) can grab state->argv[state->next..] and
 * set state->next = state->argc.
 */
#include "cli.h"

#include <errno.h>
#include <stddef.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { OPT_SYSFS_ROOT = 0x1000, OPT_USAGE, OPT_SNAPSHOT };

struct wrap_state {
	struct vb_cli *cli;
	void *input;
	const char *sysfs_root; /* set when --sysfs-root was given here */
	const char *dump;       /* set when -F was given here */
	bool json, pretty;
};

static const struct argp_option global_options[] = {
	{ "json", 'j', 0, 0, "Print JSON", -1 },
	{ "pretty", 'p', 0, 0, "Print indented JSON (implies -j)", -1 },
	{ "quiet", 'q', 0, 0, "Print nothing but errors", -1 },
	{ "verbose", 'v', 0, 0, "Explain more (repeatable)", -1 },
	{ "sysfs-root", OPT_SYSFS_ROOT, "DIR", 0, "Directory standing for /sys", -1 },
	{ "from-dump", 'F', "FILE", 0, "Read the PCI functions from an lspci -x dump", -1 },
	{ "help", '?', 0, 0, "Give this help list", -1 },
	{ "usage", OPT_USAGE, 0, 0, "Give a short usage message", -1 },
	{ "snapshot", OPT_SNAPSHOT, "FILE", OPTION_HIDDEN, NULL, -1 },
	{ 0 }
};

static error_t wrap_parser(int key, char *arg, struct argp_state *state)
{
	struct wrap_state *w = state->input;

	switch (key) {
	case ARGP_KEY_INIT:
		state->child_inputs[0] = w->input;
		return 0;
	case 'j':
		w->json = true;
		return 0;
	case 'p':
		w->pretty = w->json = true;
		return 0;
	case 'q':
		w->cli->quiet = true;
		return 0;
	case 'v':
		w->cli->verbose++;
		return 0;
	case OPT_SYSFS_ROOT:
		w->sysfs_root = arg;
		return 0;
	case 'F':
		w->dump = arg;
		return 0;
	case OPT_SNAPSHOT:
		argp_error(state, "--snapshot FILE goes before the command");
		return 0;
	case '?':
		cli_help_exit(state, ARGP_HELP_STD_HELP);
	case OPT_USAGE:
		cli_help_exit(state, ARGP_HELP_USAGE);
	default:
		return ARGP_ERR_UNKNOWN;
	}
}

void cli_help_exit(struct argp_state *state, unsigned flags)
{
	argp_state_help(state, stdout, flags);
	exit(0);
}

/* The first complaint in argp's collected text, without the program-name
 * prefix ("vfiobuf list: ") and without argp's "Try `--help'" hint. */
static void usage_message(char *text, const char *prog, char *out, size_t n)
{
	size_t plen = strlen(prog);
	char *line = text, *next;

	for (; line && *line; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		if (strncmp(line, "Try `", 5) == 0 || !*line)
			continue;
		if (strncmp(line, prog, plen) == 0 && line[plen] == ':')
			line += plen + 1;
		while (*line == ' ')
			line++;
		snprintf(out, n, "%s", line);
		return;
	}
	snprintf(out, n, "invalid arguments (see '%s --help')", prog);
}

void cli_use_json(struct vb_cli *cli, bool pretty)
{
	struct vb_out *o;

	if (cli->json)
		return;
	o = out_new(stdout, true, pretty);
	if (o) {
		out_free(cli->out);
		cli->out = o;
		cli->json = true;
		cli->pretty = pretty;
	}
}

bool cli_argv_wants_json(int argc, char **argv, bool *pretty)
{
	bool json = false;

	*pretty = false;
	for (int i = 0; i < argc && argv[i] && strcmp(argv[i], "--") != 0; i++) {
		const char *a = argv[i];

		if (strcmp(a, "--json") == 0) {
			json = true;
		} else if (strcmp(a, "--pretty") == 0) {
			json = *pretty = true;
		} else if (a[0] == '-' && a[1] && a[1] != '-' && !a[strspn(a + 1, "jpqv") + 1]) {
			json |= strpbrk(a, "jp") != NULL;
			*pretty |= strchr(a, 'p') != NULL;
		}
	}
	return json;
}

static int apply_globals(struct vb_cli *cli, const struct wrap_state *w)
{
	struct vb_err e = { 0 };

	if (w->json)
		cli_use_json(cli, w->pretty);
	if (w->sysfs_root && cli->replay) {
		vb_err_set(&e, VB_EXIT_USAGE, 0, NULL,
			   "--snapshot and --sysfs-root are mutually exclusive");
		return cli_fail(cli, &e);
	}
	if (w->sysfs_root) {
		bool has_dump = cli->sys.has_dump; /* -F given before it: kept */

		vb_err_clear(&cli->sys_err);
		if (vb_sys_init(&cli->sys, w->sysfs_root, &e) < 0)
			return cli_fail(cli, &e);
		cli->sys.has_dump = has_dump; /* dump[] itself is left as it was */
	}
	if (w->dump && vb_sys_set_dump(&cli->sys, w->dump, &e) < 0)
		return cli_fail(cli, &e);
	if (cli->sys_err.exit_code)
		return cli_fail(cli, &cli->sys_err);
	return 0;
}

/* The commands that work from an lspci dump; the others need the kernel. */
static int check_dump_command(struct vb_cli *cli, const char *command)
{
	static const char *const offline[] = { "list", "show", "topology", "distance", "acs" };
	struct vb_err e = { 0 };

	if (!vb_sys_is_dump(&cli->sys))
		return 0;
	for (size_t i = 0; i < sizeof(offline) / sizeof(offline[0]); i++)
		if (strcmp(command, offline[i]) == 0)
			return 0;
	vb_err_set(&e, VB_EXIT_USAGE, 0, NULL,
		   "%s needs the live kernel: -F (an lspci dump) works with list, show, "
		   "topology, distance and acs only", command);
	return cli_fail(cli, &e);
}

void cli_clear(struct vb_cli *cli)
{
	size_t after = offsetof(struct vb_cli, sys) + sizeof(cli->sys);

	memset(cli, 0, offsetof(struct vb_cli, sys));
	memset((char *)cli + after, 0, sizeof(*cli) - after);
	vb_sys_clear(&cli->sys);
}

/* What argp and getopt print while parsing, collected (malloc'd, grown
 * as needed) by a cookie stream: open_memstream would calloc a BUFSIZ
 * buffer per parse, two per command line, that a parse without an error
 * never uses. */
struct collected {
	char *text;
	size_t len;
};

static ssize_t collect_write(void *cookie, const char *buf, size_t n)
{
	struct collected *c = cookie;
	char *p = realloc(c->text, c->len + n + 1);

	if (!p)
		return -1;
	memcpy(p + c->len, buf, n);
	c->len += n;
	p[c->len] = '\0';
	c->text = p;
	return (ssize_t)n;
}

int cli_argp_run(const struct argp *argp, int argc, char **argv, void *input, char **errtext)
{
	static const cookie_io_functions_t collector = { .write = collect_write };
	struct collected c = { NULL, 0 };
	FILE *saved = stderr, *mem;
	int rc;

	*errtext = NULL;
	/* argp and getopt print their complaints on stderr; collect them so
	 * the caller can report one line (and JSON under -j). */
	mem = fopencookie(&c, "w", collector);
	if (!mem)
		return ENOMEM;
	setvbuf(mem, NULL, _IONBF, 0); /* no stdio buffer: written as it comes */
	stderr = mem;
	rc = argp_parse(argp, argc, argv, ARGP_IN_ORDER | ARGP_NO_EXIT | ARGP_NO_HELP, NULL,
			input);
	stderr = saved;
	fclose(mem);
	*errtext = c.text;
	return rc || *errtext ? EINVAL : 0;
}

int cli_usage_error(struct vb_cli *cli, char *errtext, const char *prog)
{
	struct vb_err e = { 0 };

	vb_err_set(&e, VB_EXIT_USAGE, 0, NULL, "%s", "");
	usage_message(errtext ? errtext : (char *)"", prog, e.msg, sizeof(e.msg));
	return cli_fail(cli, &e);
}

int cli_parse_args(struct vb_cli *cli, const struct argp *argp, int argc, char **argv,
		   void *input)
{
	struct argp child = *argp;
	struct argp_child children[] = { { &child, 0, NULL, 0 }, { 0 } };
	struct argp wrapper = { global_options, wrap_parser, argp->args_doc, argp->doc,
				children, NULL, NULL };
	struct wrap_state w = { .cli = cli, .input = input };
	char *errbuf = NULL, prog[64];
	char *saved_argv0 = argv[0];
	int rc, code;

	child.args_doc = NULL;
	child.doc = NULL;
	snprintf(prog, sizeof(prog), "vfiobuf %s", argv[0]);
	argv[0] = prog;
	rc = cli_argp_run(&wrapper, argc, argv, &w, &errbuf);
	argv[0] = saved_argv0;
	if (rc && !w.json) /* parsing stopped before a -j further on? */
		w.json = cli_argv_wants_json(argc - 1, argv + 1, &w.pretty);
	code = apply_globals(cli, &w);
	if (!code)
		code = check_dump_command(cli, saved_argv0);
	if (!code && rc)
		code = cli_usage_error(cli, errbuf, prog);
	free(errbuf);
	return code;
}

int cli_parse_bdf(const char *text, struct vb_bdf *out, struct vb_err *e)
{
	if (vb_bdf_parse(text, out) == 0)
		return 0;
	return vb_err_set(e, VB_EXIT_USAGE, 0, NULL,
			  "invalid device address '%s' (expected [DOMAIN:]BUS:DEV.FN, e.g. 0000:03:00.0)",
			  text);
}

int cli_devsel_add(struct cli_devsel *ds, const char *text)
{
	if (ds->err.exit_code)
		return -1;
	if (ds->nbdfs >= (int)(sizeof(ds->bdfs) / sizeof(ds->bdfs[0])))
		return vb_err_set(&ds->err, VB_EXIT_USAGE, 0, NULL,
				  "too many devices on the command line (at most %zu)",
				  sizeof(ds->bdfs) / sizeof(ds->bdfs[0]));
	if (cli_parse_bdf(text, &ds->bdfs[ds->nbdfs], &ds->err) < 0)
		return -1;
	ds->nbdfs++;
	return 0;
}

static const struct argp_option devsel_options[] = {
	{ "device-id", 'd', "[VENDOR]:[DEVICE]", 0,
	  "Only functions with this vendor and/or device ID (hex)", 0 },
	{ "class", 'c', "CLASS", 0,
	  "Only functions of this class (hex: 01, 0108 or 010802)", 0 },
	{ 0 }
};

static error_t devsel_parser(int key, char *arg, struct argp_state *state)
{
	struct cli_devsel *ds = state->input;

	switch (key) {
	case 'd':
		if (vb_selector_parse_ids(&ds->sel, arg) < 0)
			argp_error(state, "invalid -d '%s' (expected [VENDOR]:[DEVICE] in hex, e.g. 1b36:0010)",
				   arg);
		return 0;
	case 'c':
		if (vb_selector_parse_class(&ds->sel, arg) < 0)
			argp_error(state, "invalid -c '%s' (expected 2, 4 or 6 hex digits, e.g. 0108)",
				   arg);
		return 0;
	default:
		return ARGP_ERR_UNKNOWN;
	}
}

const struct argp cli_devsel_argp = { devsel_options, devsel_parser, NULL, NULL, NULL, NULL, NULL };

int cli_parse_decimal(const char *text, long max, long *out)
{
	long v = 0;

	if (!text || !*text)
		return -1;
	for (const char *p = text; *p; p++) {
		int d = *p - '0';

		if (*p < '0' || *p > '9' || v > (LONG_MAX - d) / 10)
			return -1;
		v = v * 10 + d;
		if (v > max)
			return -1;
	}
	*out = v;
	return 0;
}

int cli_fail(struct vb_cli *cli, const struct vb_err *e)
{
	return out_error(cli->out, e);
}

int cli_one_device_arg(struct argp_state *state, const char *arg, struct vb_bdf *bdf, bool *have)
{
	struct vb_err e = { 0 };

	if (*have)
		argp_error(state, "only one DEVICE may be given (got '%s' too)", arg);
	else if (cli_parse_bdf(arg, bdf, &e) < 0)
		argp_error(state, "%s", e.msg);
	*have = true;
	return 0;
}

void cli_one_device_end(struct argp_state *state, bool have)
{
	if (!have)
		argp_error(state, "missing DEVICE");
}
