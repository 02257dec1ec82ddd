/* dmabuf_info: fdinfo of a dma-buf fd (see dmabuf_info.h). */
#include "dmabuf_info.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int vb_dmabuf_info(int fd, struct vb_dmabuf_info *info, struct vb_err *e)
{
	char path[64], line[256];
	FILE *f;
	bool have_exp = false;

	memset(info, 0, sizeof(*info));
	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	f = fopen(path, "r");
	if (!f)
		return vb_err_set(e, VB_EXIT_FAIL, errno, NULL, "cannot read %s", path);
	while (fgets(line, sizeof(line), f)) {
		char *v = strchr(line, ':');

		if (!v)
			continue;
		*v++ = '\0';
		v += strspn(v, " \t");
		v[strcspn(v, "\n")] = '\0';
		if (strcmp(line, "size") == 0)
			info->size = strtoull(v, NULL, 10);
		else if (strcmp(line, "count") == 0)
			info->count = strtol(v, NULL, 10);
		else if (strcmp(line, "ino") == 0)
			info->ino = strtoul(v, NULL, 10);
		else if (strcmp(line, "exp_name") == 0) {
			snprintf(info->exp_name, sizeof(info->exp_name), "%s", v);
			have_exp = true;
		} else if (strcmp(line, "name") == 0)
			snprintf(info->name, sizeof(info->name), "%s", v);
	}
	fclose(f);
	if (!have_exp)
		return vb_err_set(e, VB_EXIT_USAGE, 0, NULL, "fd %d is not a dma-buf (no exp_name in fdinfo)",
				  fd);
	return 0;
}
