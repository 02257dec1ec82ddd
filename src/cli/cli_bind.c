/* cli_bind: output shared by the bind and unbind commands. */
#include "cli_bind.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

void cli_writes_log(void *ctx, const char *path, const char *value)
{
	struct cli_writes *w = ctx;
	char *p, *v;

	if (w->n == w->cap) {
		int ncap = w->cap ? 2 * w->cap : 32;
		struct cli_write *nw = realloc(w->w, (size_t)ncap * sizeof(*nw));

		if (!nw) {
			w->oom = true;
			return;
		}
		w->w = nw;
		w->cap = ncap;
	}
	p = strdup(path);
	v = strdup(value);
	if (!p || !v) {
		free(p);
		free(v);
		w->oom = true;
		return;
	}
	w->w[w->n++] = (struct cli_write){ .path = p, .value = v };
}

void cli_writes_free(struct cli_writes *w)
{
	for (int i = 0; i < w->n; i++) {
		free(w->w[i].path);
		free(w->w[i].value);
	}
	free(w->w);
	memset(w, 0, sizeof(*w));
}

void cli_print_writes(struct vb_out *o, const struct cli_writes *w)
{
	out_open_array(o, "writes");
	for (int i = 0; i < w->n; i++) {
		const char *v = w->w[i].value;
		size_t l = strlen(v);
		bool nl = l && v[l - 1] == '\n';

		out_open_object(o, OUT_ITEM);
		out_str(o, "path", NULL, w->w[i].path);
		out_str(o, "value", NULL, v);
		out_close_object(o);
		out_text(o, "write '%.*s%s' to %s\n", (int)(nl ? l - 1 : l), v, nl ? "\\n" : "",
			 w->w[i].path);
	}
	out_close_array(o);
	if (w->oom)
		out_text(o, "(out of memory: the list of writes is incomplete)\n");
	out_bool(o, "writes_complete", NULL, !w->oom);
}

void cli_print_plan(struct vb_out *o, const struct vb_bind_plan *p)
{
	out_open_array(o, "devices");
	for (int i = 0; i < p->n; i++) {
		const struct vb_bind_dev *d = &p->dev[i];

		out_open_object(o, OUT_ITEM);
		out_str(o, "bdf", NULL, d->name);
		out_str_or_null(o, "old_driver", NULL, d->driver);
		out_str_or_null(o, "new_driver", NULL, d->target);
		out_bool(o, "changed", NULL, d->changed || strcmp(d->driver, d->target) != 0);
		out_bool(o, "requested", NULL, d->requested);
		if (d->group >= 0)
			out_int(o, "iommu_group", NULL, d->group);
		else
			out_null(o, "iommu_group", NULL);
		if (d->vfio_node[0] || d->cdev_node[0]) {
			out_open_object(o, "vfio");
			out_str_or_null(o, "group", NULL, d->vfio_node);
			out_str_or_null(o, "cdev", NULL, d->cdev_node);
			out_close_object(o);
		} else {
			out_null(o, "vfio", NULL);
		}
		out_close_object(o);
		out_text(o, "%s: %s -> %s%s%s%s%s%s\n", d->name, d->driver[0] ? d->driver : "(none)",
			 d->target[0] ? d->target : "(none)",
			 strcmp(d->driver, d->target) == 0 ? " (unchanged)" : "",
			 d->vfio_node[0] ? "  " : "", d->vfio_node, d->cdev_node[0] ? " " : "",
			 d->cdev_node);
	}
	out_close_array(o);
}

int cli_require_root(struct vb_cli *cli, bool dry_run, const char *what)
{
	struct vb_err e = { 0 };

	if (dry_run || cli->sys.fake || geteuid() == 0)
		return 0;
	vb_err_set(&e, VB_EXIT_PERM, 0, NULL,
		   "%s needs root: it writes driver_override, unbind and drivers_probe in sysfs", what);
	return cli_fail(cli, &e);
}
