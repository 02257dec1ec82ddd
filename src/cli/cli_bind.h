/* cli_bind: printing shared by bind and unbind. */
#ifndef VB_CLI_BIND_H
#define VB_CLI_BIND_H

#include "bind.h"
#include "cli.h"

/* Collected sysfs writes (dry-run report): every one, as long as it is. */
struct cli_writes {
	struct cli_write {
		char *path, *value;
	} *w;
	int n, cap;
	bool oom; /* a write could not be recorded: the report says so */
};

void cli_writes_log(void *ctx, const char *path, const char *value);
void cli_writes_free(struct cli_writes *w);
void cli_print_writes(struct vb_out *o, const struct cli_writes *w);
/* why: also say in the text how each device's driver was chosen (JSON
 * always carries driver_choice for a bind). */
void cli_print_plan(struct vb_out *o, const struct vb_bind_plan *p, bool why);
/* Exit 4 unless root (or a fixture root, or a dry run). */
int cli_require_root(struct vb_cli *cli, bool dry_run, const char *what);

#endif
