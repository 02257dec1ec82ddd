/* vfiobuf: entry point.  Parses the global options, selects a command from
 * the table in cli_commands.def (exact name or unambiguous prefix, like
 * bpftool), and runs it.  `vfiobuf batch FILE` runs one command per line.
 * All mutable state lives in main()'s struct vb_cli.
 */
#include <argp.h>
#include <errno.h>
#include <stdio.h>
#include <sys/random.h>
#include <stdlib.h>
#include <string.h>

#include "batch_split.h"
#include "cli.h"
#include "cli_complete.h"
#include "cli_snapshot.h"

struct command {
	const char *name;
	vb_cmd_fn fn;
	const char *summary;
};

static const struct command commands[] = {
#define VB_COMMAND(n, s) { #n, cmd_##n, s },
#define VB_COMMAND_AS(i, n, s) { n, cmd_##i, s },
#include "cli_commands.def"
#undef VB_COMMAND
#undef VB_COMMAND_AS
	{ NULL, NULL, NULL }
};

enum { OPT_SYSFS_ROOT = 0x1000, OPT_BATCH, OPT_USAGE, OPT_SNAPSHOT };

struct main_args {
	const char *sysfs_root;
	const char *dump;
	const char *batch_file;
	const char *snapshot;     /* --snapshot FILE */
	bool sysfs_root_given;    /* --sysfs-root (not the environment) */
	bool json, pretty, quiet;
	int verbose;
	int cmd_index; /* argv index of the command, 0 when none */
};

static const struct argp_option main_options[] = {
	{ "json", 'j', 0, 0, "Print JSON (errors too, as {\"error\":{...}})", 0 },
	{ "pretty", 'p', 0, 0, "Print indented JSON (implies -j)", 0 },
	{ "quiet", 'q', 0, 0, "Print nothing but errors", 0 },
	{ "verbose", 'v', 0, 0, "Explain more (repeatable)", 0 },
	{ "sysfs-root", OPT_SYSFS_ROOT, "DIR", 0,
	  "Directory standing for /sys (also VFIOBUF_SYSFS_ROOT); /proc, /run, /etc and /dev "
	  "are then taken relative to its parent", 0 },
	{ "from-dump", 'F', "FILE", 0,
	  "Read the PCI functions from an lspci -x, -xxx or -xxxx dump instead of this host "
	  "(list, show, topology and distance only)", 0 },
	{ "snapshot", OPT_SNAPSHOT, "FILE", 0,
	  "Replay a 'vfiobuf snapshot' archive: unpacked to a private temporary directory "
	  "standing for the whole root (not with --sysfs-root)", 0 },
	{ "batch", OPT_BATCH, "FILE", 0, "Run the commands in FILE, one per line (- for stdin)", 0 },
	{ "help", '?', 0, 0, "Give this help list", -1 },
	{ "usage", OPT_USAGE, 0, 0, "Give a short usage message", -1 },
	{ "version", 'V', 0, 0, "Print the program version", -1 },
	{ 0 }
};

static error_t main_parser(int key, char *arg, struct argp_state *state)
{
	struct main_args *a = state->input;

	switch (key) {
	case 'j':
		a->json = true;
		break;
	case 'p':
		a->json = a->pretty = true;
		break;
	case 'q':
		a->quiet = true;
		break;
	case 'v':
		a->verbose++;
		break;
	case OPT_SYSFS_ROOT:
		a->sysfs_root = arg;
		a->sysfs_root_given = true;
		break;
	case OPT_SNAPSHOT:
		a->snapshot = arg;
		break;
	case 'F':
		a->dump = arg;
		break;
	case OPT_BATCH:
		a->batch_file = arg;
		break;
	case '?':
		cli_help_exit(state, ARGP_HELP_STD_HELP);
	case OPT_USAGE:
		cli_help_exit(state, ARGP_HELP_USAGE);
	case 'V':
		printf("%s\n", argp_program_version);
		exit(0);
	case ARGP_KEY_ARG:
		/* The command: stop here, the rest belongs to it. */
		a->cmd_index = state->next - 1;
		state->next = state->argc;
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

static char *main_help_filter(int key, const char *text, void *input)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f;

	(void)input;
	if (key != ARGP_KEY_HELP_POST_DOC)
		return (char *)text;
	f = open_memstream(&buf, &len);
	if (!f)
		return (char *)text;
	fprintf(f, "%s\n\nCommands:\n", text ? text : "");
	for (const struct command *c = commands; c->name; c++)
		fprintf(f, "  %-10s %s\n", c->name, c->summary);
	fprintf(f, "\nRun 'vfiobuf COMMAND --help' for a command's options. A command may be\n"
		   "abbreviated to any unambiguous prefix. Exit status: 0 ok, 1 failed,\n"
		   "2 usage or invalid input, 3 not found, 4 permission denied, 5 not\n"
		   "supported, 6 busy or in use.");
	fclose(f);
	return buf;
}

static const struct argp main_argp = {
	main_options, main_parser, "COMMAND [ARGS...]",
	"vfiobuf -- PCI peer-to-peer memory through VFIO: devices, binding, P2P topology, "
	"dma-buf export and the broker daemon.\v",
	NULL, main_help_filter, NULL
};

/* Exact name, else the only command the text is a prefix of. */
static const struct command *find_command(const char *name, struct vb_err *e)
{
	const struct command *hit = NULL;
	size_t len = strlen(name);
	int nhits = 0;
	char cands[256] = "";

	for (const struct command *c = commands; c->name; c++) {
		if (strcmp(c->name, name) == 0)
			return c;
		if (len && strncmp(c->name, name, len) == 0) {
			hit = c;
			nhits++;
			snprintf(cands + strlen(cands), sizeof(cands) - strlen(cands), "%s%s",
				 nhits > 1 ? ", " : "", c->name);
		}
	}
	if (nhits == 1)
		return hit;
	if (nhits > 1)
		vb_err_set(e, VB_EXIT_USAGE, 0, NULL, "ambiguous command '%s' (%s)", name, cands);
	else
		vb_err_set(e, VB_EXIT_USAGE, 0, NULL,
			   "unknown command '%s' (see 'vfiobuf --help')", name);
	return NULL;
}

static int run_command(struct vb_cli *cli, int argc, char **argv)
{
	struct vb_err e = { 0 };
	const struct command *c;

	if (strcmp(argv[0], CLI_COMPLETE_COMMAND) == 0)
		return cli_complete(cli, argc, argv);
	c = find_command(argv[0], &e);
	if (!c) {
		bool pretty;

		if (cli_argv_wants_json(argc - 1, argv + 1, &pretty))
			cli_use_json(cli, pretty);
		return cli_fail(cli, &e);
	}
	if (cli->replay && !cli_snapshot_replayable(c->name)) {
		vb_err_set(&e, VB_EXIT_USAGE, 0, NULL,
			   "'%s' needs the live kernel: not with --snapshot", c->name);
		return cli_fail(cli, &e);
	}
	{
		char *typed = argv[0];
		int rc;

		argv[0] = (char *)c->name; /* handlers see the full name */
		rc = c->fn(cli, argc, argv);
		argv[0] = typed;
		return rc;
	}
}

/* One batch line, from the global options of the real command line: a
 * -j, -q or --sysfs-root given on a line is that line's alone. */
static int run_batch_line(const struct vb_cli *base, int argc, char **argv)
{
	struct vb_cli cli = *base;
	int rc;

	cli.out = out_new(stdout, base->json, base->pretty);
	if (!cli.out)
		return VB_EXIT_FAIL;
	rc = run_command(&cli, argc, argv);
	out_free(cli.out);
	return rc;
}

/* One command per line, split like bpftool's batch mode (batch_split.h:
 * quotes and backslashes, # comments, no expansion of any kind).  Stops
 * at the first failing command. */
static int run_batch(struct vb_cli *cli, const char *path)
{
	FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "r");
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	int rc = 0, lineno = 0;
	struct vb_err e = { 0 };

	if (!f) {
		vb_err_set(&e, VB_EXIT_USAGE, errno, NULL, "cannot open batch file '%s'", path);
		return cli_fail(cli, &e);
	}
	while (rc == 0 && (len = getline(&line, &cap, f)) >= 0) {
		struct vb_words w;

		lineno++;
		if (vb_batch_split(line, (size_t)len, &w, &e) < 0) {
			struct vb_err why = e;

			vb_err_set(&e, why.exit_code, why.errnum, NULL, "batch file '%s' line %d: %s",
				   path, lineno, why.msg);
			rc = cli_fail(cli, &e);
		} else if (w.argc > 0) {
			rc = run_batch_line(cli, w.argc, w.argv);
		}
		vb_words_free(&w);
	}
	free(line);
	if (f != stdin)
		fclose(f);
	return rc;
}

/* jansson seeds its hash function from /dev/urandom on first use (an open,
 * a read and a close on every run); getrandom(2) gives the same randomness
 * (the daemon parses untrusted JSON) in one call. */
static void seed_json_hashes(void)
{
	unsigned int seed = 0;

	if (getrandom(&seed, sizeof(seed), GRND_NONBLOCK) == (ssize_t)sizeof(seed) && seed)
		json_object_seed(seed);
}

int main(int argc, char **argv)
{
	struct main_args a = { 0 };
	/* main's own, in .bss rather than on the stack: 13 KB of frame
	 * (mostly sys's path buffers, rarely used) pushed every deeper call
	 * onto pages of their own, a page fault each at every start */
	static struct vb_cli cli;
	struct vb_err e = { 0 };
	int rc;

	char *errtext = NULL;
	int prc;

	cli_clear(&cli);
	seed_json_hashes();
	argp_program_version = "vfiobuf " VFIOBUF_VERSION;
	a.sysfs_root = getenv("VFIOBUF_SYSFS_ROOT");
	argv[0] = (char *)"vfiobuf"; /* messages name the tool, not its path */
	prc = cli_argp_run(&main_argp, argc, argv, &a, &errtext);

	cli.json = a.json;
	cli.pretty = a.pretty;
	cli.quiet = a.quiet;
	cli.verbose = a.verbose;
	cli.out = out_new(stdout, a.json, a.pretty);
	if (!cli.out)
		return VB_EXIT_FAIL;
	if (prc) {
		bool pretty;

		if (cli_argv_wants_json(argc - 1, argv + 1, &pretty))
			cli_use_json(&cli, pretty);
		rc = cli_usage_error(&cli, errtext, "vfiobuf");
	} else if ((vb_sys_init(&cli.sys, a.sysfs_root, &cli.sys_err) < 0 ||
		    (a.dump && vb_sys_set_dump(&cli.sys, a.dump, &cli.sys_err) < 0)) &&
		   (a.batch_file || !a.cmd_index)) {
		rc = cli_fail(&cli, &cli.sys_err);
	} else if (a.snapshot && a.dump) {
		vb_err_set(&e, VB_EXIT_USAGE, 0, NULL, "--snapshot and -F are mutually exclusive");
		rc = cli_fail(&cli, &e);
	} else if (a.snapshot && (rc = cli_snapshot_replay(&cli, a.snapshot, a.sysfs_root_given))) {
		/* not unpacked (reported); else this is the child running the command */
	} else if (a.batch_file) {
		rc = run_batch(&cli, a.batch_file);
	} else if (!a.cmd_index) {
		vb_err_set(&e, VB_EXIT_USAGE, 0, NULL, "no command given (see 'vfiobuf --help')");
		rc = cli_fail(&cli, &e);
	} else {
		rc = run_command(&cli, argc - a.cmd_index, argv + a.cmd_index);
	}
	free(errtext);
	out_free(cli.out);
	return rc;
}
