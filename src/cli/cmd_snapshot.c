/* cmd_snapshot: `vfiobuf snapshot [-o FILE] [--with-vpd]` writes what vfiobuf
 * reads into one archive for a bug report; the global `--snapshot FILE`
 * replays one (cli_snapshot_replay, called from main). */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "cli_snapshot.h"
#include "snapshot.h"

#define OPT_WITH_VPD 0x4600

struct snapshot_args {
	const char *output;
	bool with_vpd;
};

static const struct argp_option snapshot_options[] = {
	{ "output", 'o', "FILE", 0,
	  "Write the archive to FILE ('-': standard output); default "
	  "vfiobuf-snapshot-DATE.tar.gz in the current directory", 0 },
	{ "with-vpd", OPT_WITH_VPD, 0, 0,
	  "Include each device's VPD (serial numbers: left out unless asked for)", 0 },
	{ 0 }
};

static error_t snapshot_parser(int key, char *arg, struct argp_state *state)
{
	struct snapshot_args *a = state->input;

	switch (key) {
	case 'o':
		if (!*arg)
			argp_error(state, "empty output file name");
		a->output = arg;
		return 0;
	case OPT_WITH_VPD:
		a->with_vpd = true;
		return 0;
	case ARGP_KEY_ARG:
		argp_error(state, "unexpected argument '%s'", arg);
		return 0;
	default:
		return ARGP_ERR_UNKNOWN;
	}
}

const struct argp cmd_snapshot_argp = {
	snapshot_options, snapshot_parser, NULL,
	"Capture what vfiobuf reads (the PCI device directories of sysfs with their attributes "
	"and links, config space, bus/pci/devices and drivers, IOMMU groups, the VFIO nodes "
	"and modules, cpuinfo, the kernel's version, command line, modules, mounts, swaps and "
	"the relevant kernel config lines) into one gzip'd tar archive: attach it to a bug "
	"report.  It only reads.  Run it as root for the full config space.  'vfiobuf "
	"--snapshot FILE COMMAND' replays one.",
	NULL, NULL, NULL
};

/* Write the archive into a temporary file beside path, then rename it. */
static int write_file(const struct vb_sys *s, const char *path, const struct vb_snapshot_opts *o,
		      struct vb_snapshot_stats *st, off_t *size, struct vb_err *e)
{
	char *tmp = malloc(strlen(path) + 16);
	mode_t mask = umask(0);
	struct stat sb;
	int fd, rc;

	umask(mask);
	if (!tmp)
		return vb_err_set(e, VB_EXIT_FAIL, ENOMEM, NULL, "out of memory");
	sprintf(tmp, "%s.XXXXXX", path);
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0) {
		vb_err_set(e, vb_exit_from_errno(errno), errno, NULL, "cannot create '%s'", tmp);
		free(tmp);
		return -1;
	}
	/* serial numbers stay private to the owner */
	rc = fchmod(fd, o->with_vpd ? 0600 : 0666 & ~mask);
	if (rc < 0)
		vb_err_set(e, VB_EXIT_FAIL, errno, NULL, "cannot set the mode of '%s'", tmp);
	else
		rc = vb_snapshot_write(s, fd, o, st, e);
	if (rc == 0 && (fsync(fd) < 0 || fstat(fd, &sb) < 0))
		rc = vb_err_set(e, VB_EXIT_FAIL, errno, NULL, "cannot write '%s'", tmp);
	if (close(fd) < 0 && rc == 0)
		rc = vb_err_set(e, VB_EXIT_FAIL, errno, NULL, "cannot write '%s'", tmp);
	if (rc == 0 && rename(tmp, path) < 0)
		rc = vb_err_set(e, vb_exit_from_errno(errno), errno, NULL, "cannot rename '%s' to '%s'",
				tmp, path);
	if (rc < 0)
		unlink(tmp);
	else
		*size = sb.st_size;
	free(tmp);
	return rc;
}

static void print_summary(struct vb_cli *cli, const char *file, const struct vb_snapshot_stats *st,
			  off_t size, const struct vb_snapshot_opts *o)
{
	struct vb_out *out = cli->out;

	if (cli->quiet)
		return;
	out_open_object(out, NULL);
	out_str(out, "file", "wrote %s", file);
	out_uint(out, "files", ": %llu files", (unsigned long long)st->files);
	out_text(out, ", %zu directories, %zu symlinks, ", st->dirs, st->links);
	out_int(out, "bytes", "%lld bytes\n", (long long)size);
	out_bool(out, "root", NULL, st->root);
	out_bool(out, "with_vpd", NULL, o->with_vpd);
	out_uint(out, "files_truncated", NULL, st->truncated);
	out_text(out, "%s\n", st->root ? "taken as root: full config space"
				       : "not taken as root: config space cut to 64 bytes (run as "
					 "root for ACS and the PCIe capability)");
	out_text(out, "%s\n", o->with_vpd ? "VPD included: it holds serial numbers"
					  : "VPD left out (--with-vpd adds it)");
	if (st->truncated)
		out_text(out, "%zu files cut at their size cap (listed in %s)\n", st->truncated,
			 VB_SNAPSHOT_META);
	out_close_object(out);
}

int cmd_snapshot(struct vb_cli *cli, int argc, char **argv)
{
	struct snapshot_args a = { 0 };
	struct vb_snapshot_opts o = { 0 };
	struct vb_snapshot_stats st;
	struct vb_err e = { 0 };
	char top[64], deflt[96];
	struct tm tm;
	off_t size = 0;
	int rc;

	rc = cli_parse_args(cli, &cmd_snapshot_argp, argc, argv, &a);
	if (rc)
		return rc;
	o.now = time(NULL);
	o.with_vpd = a.with_vpd;
	gmtime_r(&o.now, &tm);
	strftime(top, sizeof(top), "vfiobuf-snapshot-%Y%m%d-%H%M%S", &tm);
	o.top = top;
	snprintf(deflt, sizeof(deflt), "%s.tar.gz", top);
	if (!a.output)
		a.output = deflt;
	if (strcmp(a.output, "-") == 0) {
		if (cli->json)
			vb_err_set(&e, VB_EXIT_USAGE, 0, NULL,
				   "-o - writes the archive to standard output: not with -j");
		else if (isatty(STDOUT_FILENO))
			vb_err_set(&e, VB_EXIT_USAGE, 0, NULL,
				   "standard output is a terminal: redirect it, or name a file with -o");
		if (e.exit_code)
			return cli_fail(cli, &e);
		fflush(stdout);
		if (vb_snapshot_write(&cli->sys, STDOUT_FILENO, &o, &st, &e) < 0)
			return cli_fail(cli, &e);
		return 0;
	}
	if (write_file(&cli->sys, a.output, &o, &st, &size, &e) < 0)
		return cli_fail(cli, &e);
	print_summary(cli, a.output, &st, size, &o);
	return 0;
}

/* ---- replay ------------------------------------------------------------------ */

bool cli_snapshot_replayable(const char *command)
{
	static const char *const ok[] = { "list", "show", "topology", "distance", "doctor",
					  "snapshot" };

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
		if (!strcmp(ok[i], command))
			return true;
	return false;
}

/* The parent waits for the child running the command, forwarding the
 * termination signals, removes the directory and exits as the child did. */
static void __attribute__((noreturn))
wait_and_clean(pid_t pid, const sigset_t *set, struct vb_snapshot_replay *r)
{
	int status = 0;

	for (;;) {
		siginfo_t si;
		int sig = sigwaitinfo(set, &si);

		if (sig == SIGCHLD) {
			if (waitpid(pid, &status, WNOHANG) == pid)
				break;
		} else if (sig > 0) {
			kill(pid, sig);
		}
	}
	vb_snapshot_replay_close(r);
	if (WIFSIGNALED(status)) {
		sigset_t one;

		signal(WTERMSIG(status), SIG_DFL);
		sigemptyset(&one);
		sigaddset(&one, WTERMSIG(status));
		sigprocmask(SIG_UNBLOCK, &one, NULL);
		raise(WTERMSIG(status));
	}
	_exit(WIFEXITED(status) ? WEXITSTATUS(status) : VB_EXIT_FAIL);
}

int cli_snapshot_replay(struct vb_cli *cli, const char *file, bool sysfs_root_given)
{
	struct vb_snapshot_replay r;
	struct vb_err e = { 0 };
	sigset_t set, old;
	char *buf;
	size_t len;
	pid_t pid;
	int rc;

	if (sysfs_root_given) {
		vb_err_set(&e, VB_EXIT_USAGE, 0, NULL,
			   "--snapshot and --sysfs-root are mutually exclusive");
		return cli_fail(cli, &e);
	}
	if (vb_snapshot_read_file(file, &buf, &len, &e) < 0)
		return cli_fail(cli, &e);
	/* from the unpacking on, a termination signal waits until the
	 * directory can be removed (it is forwarded to the child) */
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGQUIT);
	sigaddset(&set, SIGCHLD);
	sigprocmask(SIG_BLOCK, &set, &old);
	rc = vb_snapshot_replay_open(file, buf, len, &r, &e);
	free(buf);
	if (rc == 0 && vb_sys_init(&cli->sys, r.sysfs, &e) < 0) {
		vb_snapshot_replay_close(&r);
		rc = -1;
	}
	if (rc < 0) {
		sigprocmask(SIG_SETMASK, &old, NULL);
		return cli_fail(cli, &e);
	}
	cli->replay = true;
	vb_err_clear(&cli->sys_err); /* an unusable VFIOBUF_SYSFS_ROOT is not used */
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		vb_err_set(&e, VB_EXIT_FAIL, errno, NULL, "cannot fork");
		vb_snapshot_replay_close(&r);
		sigprocmask(SIG_SETMASK, &old, NULL);
		return cli_fail(cli, &e);
	}
	if (pid > 0)
		wait_and_clean(pid, &set, &r);
	sigprocmask(SIG_SETMASK, &old, NULL);
	return 0;
}
