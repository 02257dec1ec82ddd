/* libFuzzer target: the snapshot archive reader (snapshot_tar.c) on
 * arbitrary bytes, gzip'd or plain, extracting into a fresh directory
 * under /dev/shm (tmpfs; else /tmp) that is removed after each input.  The reader must refuse or
 * accept without crashing, leaking, or creating anything outside the
 * directory (checked: the directory's parent gains no entry). */
#include <dirent.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "snapshot_tar.h"

static int count_entries(const char *path)
{
	DIR *d = opendir(path);
	int n = 0;

	while (d && readdir(d))
		n++;
	if (d)
		closedir(d);
	return n;
}

static char parent[64];

static void remove_parent(void)
{
	rmdir(parent);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char dir[128];
	struct vb_tar_limits lim = vb_tar_default_limits;
	struct vb_tar_stats st;
	struct vb_err e = { 0 };
	int fd, before, rc;

	if (!parent[0]) {
		strcpy(parent, "/dev/shm/fuzz-snapshot-XXXXXX");
		if (!mkdtemp(parent)) {
			strcpy(parent, "/tmp/fuzz-snapshot-XXXXXX");
			if (!mkdtemp(parent))
				abort();
		}
		atexit(remove_parent);
	}
	snprintf(dir, sizeof(dir), "%s/x", parent);
	if (mkdir(dir, 0700) < 0 || (fd = open(dir, O_RDONLY | O_DIRECTORY)) < 0)
		abort();
	before = count_entries(parent);
	lim.max_total = 4 << 20;
	lim.max_file = 1 << 20;
	lim.max_entries = 4096;
	rc = vb_tar_extract(data, size, fd, &lim, &st, &e);
	close(fd);
	if (rc < 0 && !e.msg[0])
		abort(); /* every refusal says why */
	if (count_entries(parent) != before)
		abort(); /* something was created beside the directory */
	if (vb_remove_tree(dir) < 0)
		abort();
	return 0;
}
