/* cli_bind: output shared by the bind and unbind commands. */
#include "cli_bind.h"
#include "cli_device.h"

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

static const char *const why_names[] = {
	[VB_BIND_WHY_ALIAS] = "alias", [VB_BIND_WHY_FALLBACK] = "fallback",
	[VB_BIND_WHY_FORCED] = "forced", [VB_BIND_WHY_CURRENT] = "current",
};

/* driver_choice (JSON) */
static void choice_json(struct vb_out *o, const struct vb_bind_plan *p, const struct vb_bind_dev *d)
{
	if (d->why == VB_BIND_WHY_NONE)
		return;
	out_open_object(o, "driver_choice");
	out_str(o, "reason", NULL, why_names[d->why]);
	out_str_or_null(o, "module", NULL, d->module);
	out_str_or_null(o, "alias", NULL, d->alias ? d->alias : "");
	out_str_or_null(o, "modalias", NULL, d->modalias);
	out_str_or_null(o, "modules_alias", NULL, p->alias_file);
	out_close_object(o);
}

/* A text line saying why d's driver was chosen. */
static void choice_text(struct vb_out *o, const struct vb_bind_plan *p, const struct vb_bind_dev *d)
{
	switch (d->why) {
	case VB_BIND_WHY_NONE:
		break;
	case VB_BIND_WHY_ALIAS:
		out_text(o, "  %s: alias %s of module %s matches %s most specifically (%d wildcards)\n",
			 d->target, d->alias, d->module, d->modalias,
			 vb_modalias_wildcards(d->alias));
		break;
	case VB_BIND_WHY_FALLBACK:
		if (p->alias_file[0])
			out_text(o, "  %s: fallback, no variant driver's vfio_pci: alias in %s matches %s\n",
				 d->target, p->alias_file, d->modalias[0] ? d->modalias : "(no modalias)");
		else
			out_text(o, "  %s: fallback, modules.alias not read (%s)\n", d->target,
				 p->index_problem);
		break;
	case VB_BIND_WHY_FORCED:
		out_text(o, "  %s: from --driver (module %s)\n", d->target, d->module);
		break;
	default:
		out_text(o, "  %s: already bound to this VFIO driver, left alone\n", d->target);
	}
}

void cli_print_plan(struct vb_out *o, const struct vb_bind_plan *p, bool why)
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
		cli_vfio_nodes_json(o, d->vfio_node, d->cdev_node);
		choice_json(o, p, d);
		out_close_object(o);
		out_text(o, "%s: %s -> %s%s%s%s%s%s\n", d->name, d->driver[0] ? d->driver : "(none)",
			 d->target[0] ? d->target : "(none)",
			 strcmp(d->driver, d->target) == 0 ? " (unchanged)" : "",
			 d->vfio_node[0] ? "  " : "", d->vfio_node, d->cdev_node[0] ? " " : "",
			 d->cdev_node);
		if (why)
			choice_text(o, p, d);
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
