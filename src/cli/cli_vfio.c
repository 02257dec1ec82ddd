/* cli_vfio: event printing, exec with an inherited fd, signal handling. */
#include "cli_vfio.h"
#include "numfmt.h"
#include "signals.h"
#include "export.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include "events.h"
#include "pci_model.h"

void cli_event(struct vb_cli *cli, json_t *ev)
{
	if (!cli->quiet) {
		json_dumpf(ev, stdout, JSON_COMPACT | JSON_PRESERVE_ORDER);
		fputc('\n', stdout);
		fflush(stdout);
	}
	json_decref(ev);
}

void cli_event_text(struct vb_cli *cli, const char *text)
{
	if (!cli->quiet) {
		fputs(text, stdout);
		fputc('\n', stdout);
		fflush(stdout);
	}
}

bool cli_shows_events(const struct vb_cli *cli)
{
	return !cli->quiet;
}

static void reset_event(struct vb_cli *cli, json_t *ev, const char *server)
{
	if (server)
		json_object_set_new(ev, "socket", json_string(server));
	cli_event(cli, ev);
}

void cli_reset_events(struct vb_cli *cli, const char *bdf, const struct vb_reset_outcome *o,
		      const char *server)
{
	if (o->revoked)
		reset_event(cli, vb_event_revoked(bdf, "reset", false), server);
	if (o->restored)
		reset_event(cli, vb_event_restored(bdf, "reset"), server);
}

/* The variables that describe the buffer to the command (vfiobuf(1)),
 * in the order of enum cli_buffer_var, with desc's key for each. */
static const char *const desc_vars[CLI_VAR_COUNT][2] = {
	{ "VFIOBUF_SIZE", "size" },	{ "VFIOBUF_DEVICE", "bdf" }, { "VFIOBUF_BAR", "bar" },
	{ "VFIOBUF_RANGES", "ranges_text" }, { "VFIOBUF_NAME", "name" }, { "VFIOBUF_INO", "ino" },
};
#define NVARS CLI_VAR_COUNT

/* "NAME=value" (malloc'd); NULL when out of memory. */
static char *env_entry(const char *name, const char *value)
{
	size_t n = strlen(name), v = strlen(value);
	char *p = malloc(n + v + 2);

	if (p) {
		memcpy(p, name, n);
		p[n] = '=';
		memcpy(p + n + 1, value, v + 1);
	}
	return p;
}

/* Is entry ("NAME=value") one of the variables set for the command? */
static bool is_desc_var(const char *entry)
{
	static const char *const own[] = { "VFIOBUF_FD", "VFIOBUF_DESCRIPTION" };
	size_t n = strcspn(entry, "=");

	if (strncmp(entry, "VFIOBUF_", 8) != 0)
		return false;
	for (size_t i = 0; i < sizeof(own) / sizeof(own[0]); i++)
		if (strlen(own[i]) == n && !strncmp(entry, own[i], n))
			return true;
	for (size_t i = 0; i < NVARS; i++)
		if (strlen(desc_vars[i][0]) == n && !strncmp(entry, desc_vars[i][0], n))
			return true;
	return false;
}

/* The command's environment: ours without any VFIOBUF_* variable of the
 * description (one inherited would describe another buffer), then the
 * description's; built for posix_spawn, our own environment untouched
 * (no setenv: eight of them copied the environment and were a twentieth
 * of an export's instructions).  The added strings are in added[] (to
 * free); NULL when out of memory. */
static char **child_env(int fd, const struct cli_buffer_vars *v, char **added, size_t *nadded)
{
	extern char **environ;
	size_t n = 0, k = 0;
	char **env, num[VB_NUM_MAX];

	while (environ[n])
		n++;
	env = malloc((n + NVARS + 3) * sizeof(*env));
	if (!env)
		return NULL;
	for (size_t i = 0; i < n; i++)
		if (!is_desc_var(environ[i]))
			env[k++] = environ[i];
	*nadded = 0;
	vb_fmt_sdec(num, fd);
	added[(*nadded)++] = env_entry("VFIOBUF_FD", num);
	for (size_t i = 0; i < NVARS; i++)
		if (v->value[i])
			added[(*nadded)++] = env_entry(desc_vars[i][0], v->value[i]);
	if (v->description)
		added[(*nadded)++] = env_entry("VFIOBUF_DESCRIPTION", v->description);
	for (size_t i = 0; i < *nadded; i++)
		if (added[i])
			env[k++] = added[i];
	env[k] = NULL;
	return env;
}

int cli_exec_with_vars(char **argv, int fd, const struct cli_buffer_vars *v, struct vb_err *e)
{
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	sigset_t none;
	pid_t pid;
	int status, err;
	char *added[NVARS + 2], **env;
	size_t nadded = 0;

	env = child_env(fd, v, added, &nadded);
	if (!env)
		return vb_err_set(e, VB_EXIT_FAIL, ENOMEM, NULL, "out of memory");
	posix_spawn_file_actions_init(&fa);
	/* dup2 onto itself clears close-on-exec (glibc >= 2.29) */
	posix_spawn_file_actions_adddup2(&fa, fd, fd);
	posix_spawnattr_init(&attr);
	sigemptyset(&none);
	posix_spawnattr_setsigmask(&attr, &none);
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK);
	err = posix_spawnp(&pid, argv[0], &fa, &attr, argv, env);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&attr);
	for (size_t i = 0; i < nadded; i++)
		free(added[i]);
	free(env);
	if (err) {
		vb_err_set(e, VB_EXIT_FAIL, err, NULL, "cannot run '%s'", argv[0]);
		e->exit_code = 127; /* what a shell returns for a command it cannot run */
		return -1;
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return vb_err_set(e, VB_EXIT_FAIL, errno, NULL, "waitpid failed");
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

int cli_exec_with_fd(char **argv, int fd, const json_t *desc, struct vb_err *e)
{
	struct cli_buffer_vars v = { 0 };
	char nums[NVARS][VB_NUM_MAX];
	char *text = json_dumps(desc, JSON_COMPACT | JSON_PRESERVE_ORDER);
	int rc;

	/* a string as it is, an integer in decimal; anything else left out */
	for (size_t i = 0; i < NVARS; i++) {
		const json_t *j = json_object_get(desc, desc_vars[i][1]);

		if (json_is_string(j))
			v.value[i] = json_string_value(j);
		else if (json_is_integer(j) && vb_fmt_sdec(nums[i], (int64_t)json_integer_value(j)))
			v.value[i] = nums[i];
	}
	v.description = text;
	rc = cli_exec_with_vars(argv, fd, &v, e);
	free(text);
	return rc;
}

int cli_signalfd(void)
{
	static const int stop[] = { SIGINT, SIGTERM, 0 };

	return vb_signalfd(stop, false);
}

error_t cli_vfio_mode_option(struct argp_state *state, const char *arg, enum vb_vfio_mode *mode)
{
	if (vb_vfio_mode_parse(arg, mode) < 0)
		argp_error(state, "invalid --vfio-mode '%s' (expected auto, cdev or group)", arg);
	return 0;
}

const struct argp_option cli_vfio_target_options[] = {
	CLI_VFIO_MODE_OPTION(CLI_VFIO_MODE_KEY),
	{ 0 }
};

error_t cli_vfio_target_parser(int key, char *arg, struct argp_state *state)
{
	struct cli_vfio_target *t = state->input;

	switch (key) {
	case CLI_VFIO_MODE_KEY:
		return cli_vfio_mode_option(state, arg, &t->mode);
	case ARGP_KEY_ARG:
		return cli_one_device_arg(state, arg, &t->bdf, &t->have);
	case ARGP_KEY_END:
		cli_one_device_end(state, t->have);
		return 0;
	default:
		return ARGP_ERR_UNKNOWN;
	}
}

/* The BAR as sysfs describes it: one read of `resource`, no bus scan, no
 * name database, not even libpci. */
static int bar_info(struct vb_cli *cli, const char *bdf, int bar, struct vb_bar_info *bi,
		    struct vb_err *e)
{
	struct vb_bar b;
	bool present;

	memset(bi, 0, sizeof(*bi));
	if (vb_pci_read_bar(&cli->sys, bdf, bar, &b, &present, e) < 0)
		return -1;
	bi->present = present;
	bi->is_io = b.is_io;
	bi->start = b.start;
	bi->size = b.size;
	return 0;
}

int cli_export_check(struct vb_cli *cli, const char *bdf, int bar, struct vb_range *r,
		     size_t *nr, struct vb_err *e)
{
	struct vb_bar_info bi;
	const struct vb_range *rp = r;

	if (bar_info(cli, bdf, bar, &bi, e) < 0)
		return -1;
	/* the whole BAR lands in r[0] when no range was given */
	return vb_export_ranges(bdf, bar, &bi, &rp, nr, &r[0], NULL, e);
}

int cli_export_local(struct vb_cli *cli, const char *bdf, int bar, struct vb_range *r, size_t *nr,
		     enum vb_vfio_mode mode, struct vb_vfio_dev *d, char *name, struct vb_err *e)
{
	int fd;

	if (cli_export_check(cli, bdf, bar, r, nr, e) < 0)
		return -1;
	if (vb_vfio_open(&cli->sys, bdf, mode, d, e) < 0)
		return -1;
	fd = vb_export_named(d, bdf, bar, r, *nr, name, e);
	if (fd < 0)
		vb_vfio_close(d);
	return fd;
}

error_t cli_bar_arg(struct argp_state *state, const char *arg, int *bar)
{
	long v;

	if (cli_parse_decimal(arg, VB_BAR_COUNT - 1, &v) < 0) /* not " 2", "+2", "0x2" */
		argp_error(state, "invalid --bar '%s' (a BAR index 0-5)", arg);
	else
		*bar = (int)v;
	return 0;
}

error_t cli_range_arg(struct argp_state *state, const char *arg, struct vb_range *r, size_t *nr)
{
	struct vb_err e = { 0 };

	if (*nr == VB_RANGES_MAX)
		argp_error(state, "too many --range (at most %d)", VB_RANGES_MAX);
	else if (vb_range_parse(arg, &r[*nr], &e) < 0)
		argp_error(state, "%s", e.msg);
	else
		(*nr)++;
	return 0;
}
