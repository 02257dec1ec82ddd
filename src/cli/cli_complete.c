/* cli_complete: completion candidates from the argp tables (see cli_complete.h). */
#include "cli_complete.h"

#include <dirent.h>
#include <stdio.h>
#include <string.h>

#include "modalias.h"
#include "pci_model.h"
#include "vfio_driver.h"

struct cmd_entry {
	const char *name;
	const struct argp *argp;
};

static const struct cmd_entry cmd_table[] = {
#define VB_COMMAND(n, s) { #n, &cmd_##n##_argp },
#define VB_COMMAND_AS(i, n, s) { n, &cmd_##i##_argp },
#include "cli_commands.def"
#undef VB_COMMAND
#undef VB_COMMAND_AS
	{ NULL, NULL }
};

/* Global options, accepted before and after the command. */
static const struct argp_option global_opts[] = {
	{ "json", 'j', 0, 0, NULL, 0 },      { "pretty", 'p', 0, 0, NULL, 0 },
	{ "quiet", 'q', 0, 0, NULL, 0 },     { "verbose", 'v', 0, 0, NULL, 0 },
	{ "sysfs-root", 1, "DIR", 0, NULL, 0 }, { "help", '?', 0, 0, NULL, 0 },
	{ "from-dump", 'F', "FILE", 0, NULL, 0 },
	{ 0 }
};
static const struct argp_option main_only_opts[] = {
	{ "batch", 2, "FILE", 0, NULL, 0 }, { "snapshot", 3, "FILE", 0, NULL, 0 },
	{ "version", 'V', 0, 0, NULL, 0 }, { 0 }
};

static bool opt_is_doc(const struct argp_option *o)
{
	return !o->name && !o->key; /* group header or end */
}

typedef void (*opt_visit)(const struct argp_option *o, void *ctx);

static void walk_options(const struct argp_option *opts, opt_visit fn, void *ctx)
{
	for (const struct argp_option *o = opts; o && (o->name || o->key || o->doc); o++)
		if (!opt_is_doc(o) && !(o->flags & OPTION_HIDDEN))
			fn(o, ctx);
}

static void walk_argp(const struct argp *a, opt_visit fn, void *ctx)
{
	if (!a)
		return;
	walk_options(a->options, fn, ctx);
	for (const struct argp_child *c = a->children; c && c->argp; c++)
		walk_argp(c->argp, fn, ctx);
}

struct find_ctx {
	const char *word;
	const struct argp_option *found;
};

static void find_visit(const struct argp_option *o, void *vctx)
{
	struct find_ctx *f = vctx;
	const char *w = f->word;

	if (w[0] != '-')
		return;
	if (w[1] == '-' ? (o->name && strcmp(o->name, w + 2) == 0)
			: (w[1] && !w[2] && o->key == w[1]))
		f->found = o;
}

static const struct argp_option *find_option(const struct argp *cmd, bool main_level,
					     const char *word)
{
	struct find_ctx f = { word, NULL };

	walk_argp(cmd, find_visit, &f);
	walk_options(global_opts, find_visit, &f);
	if (main_level)
		walk_options(main_only_opts, find_visit, &f);
	return f.found;
}

static void print_visit(const struct argp_option *o, void *ctx)
{
	(void)ctx;
	if (o->name)
		printf("--%s\n", o->name);
}

/* The functions of an lspci dump (-F FILE on the line being completed). */
static void print_dump_devices(const struct vb_cli *cli)
{
	struct vb_pci *p = vb_pci_open(&cli->sys, 0, NULL);
	struct vb_devlist l = { 0 };

	if (p && vb_pci_scan(p, &l, NULL) == 0)
		for (size_t i = 0; i < l.n; i++)
			printf("%s\n", l.v[i].name);
	vb_devlist_free(&l);
	vb_pci_close(p);
}

static void print_devices(const struct vb_cli *cli)
{
	char path[PATH_MAX];
	DIR *d;
	struct dirent *de;

	if (vb_sys_is_dump(&cli->sys)) {
		print_dump_devices(cli);
		return;
	}
	if (vb_sys_path(&cli->sys, path, sizeof(path), "bus/pci/devices") < 0)
		return;
	d = opendir(path);
	if (!d)
		return;
	while ((de = readdir(d)))
		if (de->d_name[0] != '.')
			printf("%s\n", de->d_name);
	closedir(d);
}

/* VFIO drivers: vfio-pci and those of the modules on vfio_pci_core. */
static void print_vfio_drivers(const struct vb_cli *cli)
{
	struct vb_modindex m;
	char drv[NAME_MAX + 1];

	printf("%s\n", VB_VFIO_DRIVER);
	if (vb_modindex_load(&cli->sys, &m, NULL) == 0)
		for (size_t i = 0; i < m.nvfio; i++) {
			vb_vfio_driver_of_module(&cli->sys, m.vfio_mods[i], drv, sizeof(drv));
			if (strcmp(drv, VB_VFIO_DRIVER) != 0)
				printf("%s\n", drv);
		}
	vb_modindex_free(&m);
}

/* Candidates for an option's argument, from its arg name. */
static void print_arg_values(const struct vb_cli *cli, const char *arg)
{
	if (strchr(arg, '|')) {
		char buf[256], *save = NULL;

		snprintf(buf, sizeof(buf), "%s", arg);
		for (char *t = strtok_r(buf, "|", &save); t; t = strtok_r(NULL, "|", &save))
			printf("%s\n", t);
	} else if (strstr(arg, "DEVICE") || strstr(arg, "BDF")) {
		print_devices(cli);
	} else if (strcmp(arg, "DRIVER") == 0) {
		print_vfio_drivers(cli);
	} else if (strcmp(arg, "DIR") == 0) {
		printf("__dirs__\n");
	} else if (strstr(arg, "FILE") || strstr(arg, "SOCKET") || strstr(arg, "PATH") ||
		   strstr(arg, "CMD")) {
		printf("__files__\n");
	}
}

static const struct argp *command_argp(const char *word)
{
	for (const struct cmd_entry *c = cmd_table; c->name; c++)
		if (strcmp(c->name, word) == 0)
			return c->argp;
	return NULL;
}

int cli_complete(struct vb_cli *cli, int argc, char **argv)
{
	const char *cur = argc > 1 ? argv[argc - 1] : "";
	const char *prev = argc > 2 ? argv[argc - 2] : NULL;
	const struct argp *cmd = NULL;
	bool have_cmd = false;
	const struct argp_option *po;

	/* Find the command among the completed words, skipping options and
	 * their arguments. */
	for (int i = 1; i < argc - 1; i++) {
		const struct argp_option *o;

		if (argv[i][0] == '-') {
			o = find_option(cmd, !have_cmd, argv[i]);
			if (o && o->name && strcmp(o->name, "sysfs-root") == 0 && i + 1 < argc - 1)
				vb_sys_init(&cli->sys, argv[i + 1], NULL);
			if (o && o->name && strcmp(o->name, "from-dump") == 0 && i + 1 < argc - 1)
				vb_sys_set_dump(&cli->sys, argv[i + 1], NULL);
			if (o && o->arg && !(o->flags & OPTION_ARG_OPTIONAL))
				i++;
			continue;
		}
		if (!have_cmd) {
			cmd = command_argp(argv[i]);
			have_cmd = true;
		}
	}
	po = prev && prev[0] == '-' ? find_option(cmd, !have_cmd, prev) : NULL;
	if (po && po->arg && !(po->flags & OPTION_ARG_OPTIONAL)) {
		print_arg_values(cli, po->arg);
		return 0;
	}
	if (cur[0] == '-') {
		walk_argp(cmd, print_visit, NULL);
		walk_options(global_opts, print_visit, NULL);
		if (!have_cmd)
			walk_options(main_only_opts, print_visit, NULL);
		return 0;
	}
	if (!have_cmd) {
		for (const struct cmd_entry *c = cmd_table; c->name; c++)
			printf("%s\n", c->name);
		return 0;
	}
	if (cmd && cmd->args_doc)
		print_arg_values(cli, cmd->args_doc);
	return 0;
}
