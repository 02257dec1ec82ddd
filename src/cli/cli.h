/* cli: what every cmd_*.c handler gets, and the shared argp helpers.
 *
 * A handler is `int cmd_NAME(struct vb_cli *cli, int argc, char **argv)`:
 * argv[0] is the command name, the rest its own arguments; it returns an
 * exit code from vb_error.h.  Handlers parse with cli_parse_args() (argp,
 * errors turned into usage errors that honour -j), print through cli->out
 * (json_out.h), and report failures with cli_fail().  Commands are listed
 * once in cli_commands.def.
 */
#ifndef VB_CLI_H
#define VB_CLI_H

#include <argp.h>
#include <stdbool.h>

#include "bdf.h"
#include "json_out.h"
#include "sysfs.h"
#include "vb_error.h"

struct vb_cli {
	struct vb_out *out;
	bool json, pretty, quiet;
	int verbose;
	/* The sysfs root given before the command (or VFIOBUF_SYSFS_ROOT) is
	 * unusable: reported by cli_parse_args() once the command's own
	 * options are known (a -j after the command gives the JSON error; a
	 * --sysfs-root there replaces it). */
	struct vb_err sys_err;
	bool replay; /* sys is an unpacked --snapshot */
	/* last: its flags and sysfs[] follow the fields above on the same
	 * page; root[] and dump[] stay untouched unless used (vb_sys) */
	struct vb_sys sys;
};

/* cli zeroed but for sys's path buffers (vb_sys_clear): what
 * `= { 0 }` gives, without writing 12 KiB at every start. */
void cli_clear(struct vb_cli *cli);

typedef int (*vb_cmd_fn)(struct vb_cli *cli, int argc, char **argv);

#define VB_COMMAND(name, summary)                                      \
	int cmd_##name(struct vb_cli *cli, int argc, char **argv);     \
	extern const struct argp cmd_##name##_argp;
#include "cli_commands.def"
#undef VB_COMMAND

/* Parse a subcommand's arguments with argp (ARGP_IN_ORDER: an option that
 * takes the rest of the line, like --exec CMD ARGS..., copies
 * state->argv[state->next..] and sets state->next = state->argc).  A parser
 * with children (e.g. CLI_DEVSEL_CHILD) sets state->child_inputs[] in
 * ARGP_KEY_INIT as usual.  The global options (-j -p -q -v --sysfs-root) are
 * accepted after the command name too.  --help prints and exits 0; a
 * usage error prints one line (and the JSON error object under -j) and
 * returns VB_EXIT_USAGE.  Returns 0 when parsing succeeded. */
int cli_parse_args(struct vb_cli *cli, const struct argp *argp, int argc, char **argv,
		   void *input);

/* Device selection shared by every command: positional BDFs plus lspci-style
 * -d VENDOR:DEVICE and -c CLASS.  Add cli_devsel_child to an argp's
 * children with input = struct cli_devsel *. */
struct cli_devsel {
	struct vb_selector sel;
	struct vb_bdf bdfs[64];
	int nbdfs;
	struct vb_err err; /* first parse error, exit_code != 0 when set */
};
extern const struct argp cli_devsel_argp;
#define CLI_DEVSEL_CHILD(input_index) { &cli_devsel_argp, 0, "Device selection:", (input_index) }

/* Parse a device address given on the command line: a usage error naming the
 * text when malformed.  Returns 0 or -1 (e filled). */
int cli_parse_bdf(const char *text, struct vb_bdf *out, struct vb_err *e);
/* Add a positional device to a selection (usage error on bad text/too many). */
int cli_devsel_add(struct cli_devsel *ds, const char *text);

/* Run argp_parse (IN_ORDER, NO_EXIT, NO_HELP) collecting whatever argp and
 * getopt would print on stderr into *errtext (malloc'd, NULL when none).
 * Returns 0, or EINVAL when parsing failed or complained. */
int cli_argp_run(const struct argp *argp, int argc, char **argv, void *input, char **errtext);
/* Does the command line (argv[0..argc), up to a "--") ask for JSON: -j,
 * -p, --json, --pretty, or a cluster of the global flags like -jq?  Used
 * when parsing failed before reaching them, so that the error object is
 * printed all the same. */
bool cli_argv_wants_json(int argc, char **argv, bool *pretty);
/* Switch cli's output to JSON (a no-op when it already is). */
void cli_use_json(struct vb_cli *cli, bool pretty);
/* Turn collected argp text into one usage error (exit code 2). */
int cli_usage_error(struct vb_cli *cli, char *errtext, const char *prog);
/* Print help for the state's argp on stdout and exit 0. */
void cli_help_exit(struct argp_state *state, unsigned flags) __attribute__((noreturn));

/* For parsers taking exactly one DEVICE: on ARGP_KEY_ARG parse it into *bdf
 * (usage error on bad text or a second device); on ARGP_KEY_END complain
 * when none was given.  Returns 0 (argp's "handled"). */
int cli_one_device_arg(struct argp_state *state, const char *arg, struct vb_bdf *bdf, bool *have);
void cli_one_device_end(struct argp_state *state, bool have);

/* A plain decimal number 0..max: digits only (no sign, blank, base prefix
 * or suffix, which strtol would take), no overflow.  Returns 0 or -1. */
int cli_parse_decimal(const char *text, long max, long *out);

/* Report e through cli->out and return its exit code. */
int cli_fail(struct vb_cli *cli, const struct vb_err *e);

#endif
