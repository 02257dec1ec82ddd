/* bind_state: the state file of vfiobuf's binds (see bind_state.h). */
#include "bind_state.h"

#include <errno.h>
#include <stdlib.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

int vb_bind_state_load(const struct vb_sys *s, const char *path, struct vb_bind_state *st,
		       struct vb_err *e)
{
	json_error_t je;

	memset(st, 0, sizeof(*st));
	if (path)
		snprintf(st->path, sizeof(st->path), "%s", path);
	else
		vb_root_path(s, st->path, sizeof(st->path), "/run/vfiobuf/state.json");
	if (access(st->path, F_OK) < 0) {
		st->root = json_pack("{s:i, s:{}}", "version", 1, "devices");
		return 0;
	}
	st->root = json_load_file(st->path, 0, &je);
	if (!st->root || !json_is_object(json_object_get(st->root, "devices"))) {
		json_decref(st->root);
		st->root = NULL;
		return vb_err_set(e, VB_EXIT_FAIL, 0, NULL,
				  "state file %s is not vfiobuf state (%s); move it away to start afresh",
				  st->path, je.text[0] ? je.text : "no \"devices\" object");
	}
	return 0;
}

static int mkdir_parents(const char *path)
{
	char dir[PATH_MAX];

	snprintf(dir, sizeof(dir), "%s", path);
	for (char *p = dir + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(dir, 0755) < 0 && errno != EEXIST)
			return -1;
		*p = '/';
	}
	return 0;
}

int vb_bind_state_save(struct vb_bind_state *st, struct vb_err *e)
{
	char tmp[PATH_MAX + 8];
	int fd;
	char *text = json_dumps(st->root, JSON_INDENT(2) | JSON_SORT_KEYS);

	if (!text)
		return vb_err_set(e, VB_EXIT_FAIL, ENOMEM, NULL, "out of memory");
	snprintf(tmp, sizeof(tmp), "%s.tmp", st->path);
	if (mkdir_parents(st->path) < 0 ||
	    (fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644)) < 0) {
		int err = errno;

		free(text);
		return vb_err_set(e, vb_exit_from_errno(err), err, NULL, "cannot write state file %s",
				  tmp);
	}
	if (write(fd, text, strlen(text)) != (ssize_t)strlen(text) || write(fd, "\n", 1) != 1 ||
	    fsync(fd) < 0 || close(fd) < 0 || rename(tmp, st->path) < 0) {
		int err = errno;

		free(text);
		unlink(tmp);
		return vb_err_set(e, VB_EXIT_FAIL, err, NULL, "cannot write state file %s",
				  st->path);
	}
	free(text);
	return 0;
}

void vb_bind_state_free(struct vb_bind_state *st)
{
	json_decref(st->root);
	st->root = NULL;
}

bool vb_bind_state_get(const struct vb_bind_state *st, const char *bdf, char *driver, size_t n)
{
	json_t *d = json_object_get(json_object_get(st->root, "devices"), bdf);
	const char *drv;

	if (!json_is_object(d))
		return false;
	drv = json_string_value(json_object_get(d, "driver"));
	snprintf(driver, n, "%s", drv ? drv : "");
	return true;
}

void vb_bind_state_put(struct vb_bind_state *st, const char *bdf, const char *driver)
{
	json_t *devs = json_object_get(st->root, "devices");

	json_object_set_new(devs, bdf,
			    json_pack("{s:s?, s:I}", "driver", driver && *driver ? driver : NULL,
				      "time", (json_int_t)time(NULL)));
}

void vb_bind_state_drop(struct vb_bind_state *st, const char *bdf)
{
	json_object_del(json_object_get(st->root, "devices"), bdf);
}

static void persist_path(const struct vb_sys *s, char *buf, size_t n)
{
	vb_root_path(s, buf, n, "/etc/vfiobuf/overrides");
}

int vb_persist_list(const struct vb_sys *s, char (*bdfs)[16], int max)
{
	char path[PATH_MAX], line[256], bdf[64], drv[64];
	FILE *f;
	int n = 0;

	persist_path(s, path, sizeof(path));
	f = fopen(path, "r");
	if (!f)
		return 0;
	while (n < max && fgets(line, sizeof(line), f))
		if (line[0] != '#' && sscanf(line, "%63s %63s", bdf, drv) == 2 &&
		    strcmp(drv, "vfio-pci") == 0)
			snprintf(bdfs[n++], 16, "%.15s", bdf);
	fclose(f);
	return n;
}

int vb_persist_set(const struct vb_sys *s, const char *bdf, const char *driver,
		   struct vb_err *e)
{
	char path[PATH_MAX], tmp[PATH_MAX + 8], line[256], b[64];
	FILE *in, *out;

	persist_path(s, path, sizeof(path));
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	if (mkdir_parents(path) < 0 || !(out = fopen(tmp, "w")))
		return vb_err_set(e, vb_exit_from_errno(errno), errno, bdf,
				  "cannot write %s", path);
	fprintf(out, "# vfiobuf persistent driver overrides: BDF DRIVER (applied by 'vfiobuf bind --from-config')\n");
	if ((in = fopen(path, "r"))) {
		while (fgets(line, sizeof(line), in))
			if (line[0] != '#' && sscanf(line, "%63s", b) == 1 && strcmp(b, bdf) != 0)
				fputs(line, out);
		fclose(in);
	}
	if (driver)
		fprintf(out, "%s %s\n", bdf, driver);
	if (fflush(out) != 0 || fsync(fileno(out)) < 0 || fclose(out) != 0 || rename(tmp, path) < 0)
		return vb_err_set(e, VB_EXIT_FAIL, errno, bdf, "cannot write %s", path);
	return 0;
}
