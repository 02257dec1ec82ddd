/* dmabuf_info: fdinfo of a dma-buf fd (see dmabuf_info.h). */
#include "dmabuf_info.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sysfs.h"

/* One "key:\tvalue" line of fdinfo (NUL-terminated, no newline). */
static void take_line(char *line, struct vb_dmabuf_info *info, bool *have_exp)
{
	char *v = strchr(line, ':');

	if (!v)
		return;
	*v++ = '\0';
	v += strspn(v, " \t");
	if (strcmp(line, "size") == 0)
		info->size = strtoull(v, NULL, 10);
	else if (strcmp(line, "count") == 0)
		info->count = strtol(v, NULL, 10);
	else if (strcmp(line, "ino") == 0)
		info->ino = strtoul(v, NULL, 10);
	else if (strcmp(line, "exp_name") == 0) {
		snprintf(info->exp_name, sizeof(info->exp_name), "%s", v);
		*have_exp = true;
	} else if (strcmp(line, "name") == 0)
		snprintf(info->name, sizeof(info->name), "%s", v);
}

/* fdinfo read whole with plain open and read (export runs this once per
 * buffer: no stdio stream to set up); a text that does not fit the
 * buffer is an error, never cut silently. */
int vb_dmabuf_info(int fd, struct vb_dmabuf_info *info, struct vb_err *e)
{
	char path[64], text[4096];
	bool have_exp = false;
	size_t n;
	int f;

	memset(info, 0, sizeof(*info));
	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	f = open(path, O_RDONLY | O_CLOEXEC);
	if (f < 0)
		return vb_err_set(e, VB_EXIT_FAIL, errno, NULL, "cannot read %s", path);
	n = vb_read_full(f, text, sizeof(text));
	close(f);
	if (n == sizeof(text))
		return vb_err_set(e, VB_EXIT_FAIL, EFBIG, NULL, "%s is over %zu bytes", path,
				  sizeof(text) - 1);
	text[n] = '\0';
	for (char *line = text, *end; *line; line = end) {
		end = line + strcspn(line, "\n");
		if (*end)
			*end++ = '\0';
		take_line(line, info, &have_exp);
	}
	if (!have_exp)
		return vb_err_set(e, VB_EXIT_USAGE, 0, NULL, "fd %d is not a dma-buf (no exp_name in fdinfo)",
				  fd);
	return 0;
}
