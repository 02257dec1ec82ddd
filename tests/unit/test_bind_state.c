/* Unit tests for bind_state.c: names from files checked like the command
 * line, the state file's and overrides file's modes, lock and save. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bind_state.h"
#include "tap.h"

static void put(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	if (f) {
		fputs(text, f);
		fclose(f);
	}
}

static int mode_of(const char *path)
{
	struct stat st;

	return stat(path, &st) < 0 ? -1 : (int)(st.st_mode & 07777);
}

/* Files in dir besides the expected ones (temp files left behind). */
static int strays(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	int n = 0;

	while (d && (de = readdir(d)))
		n += strcmp(de->d_name, ".") && strcmp(de->d_name, "..") &&
		     strcmp(de->d_name, "state.json") && strcmp(de->d_name, "state.json.lock") &&
		     strcmp(de->d_name, "overrides") && strcmp(de->d_name, "overrides.lock");
	if (d)
		closedir(d);
	return n;
}

static int load_text(const struct vb_sys *s, const char *file, const char *text,
		     struct vb_err *e)
{
	struct vb_bind_state st;
	int rc;

	put(file, text);
	vb_err_clear(e);
	rc = vb_bind_state_load(s, file, &st, e);
	vb_bind_state_free(&st);
	return rc;
}

int main(void)
{
	char tmpl[] = "/tmp/vb-bindstate-XXXXXX", *top = mkdtemp(tmpl);
	/* the test's own paths: a short temporary directory */
	char path[PATH_MAX + 32], file[PATH_MAX], dir[PATH_MAX], name[300], drv[300];
	struct vb_sys s;
	struct vb_err e = { 0 };
	struct vb_bind_state st;
	struct vb_persist_entry *list;

	ok(top != NULL, "temporary directory");
	snprintf(path, sizeof(path), "%s/sys", top);
	mkdir(path, 0755);
	is_int(vb_sys_init(&s, path, &e), 0, "fake root");

	ok(vb_driver_name_ok("nvme") && vb_driver_name_ok("vfio-pci") &&
	   vb_driver_name_ok("snd_hda_intel") && vb_driver_name_ok("8250.pci+x:y"),
	   "real driver names are names");
	memset(name, 'x', 255);
	name[255] = '\0';
	ok(vb_driver_name_ok(name), "255 bytes is a name");
	name[255] = 'x';
	name[256] = '\0';
	ok(!vb_driver_name_ok(name), "256 bytes is not");
	ok(!vb_driver_name_ok("") && !vb_driver_name_ok(NULL) && !vb_driver_name_ok(".") &&
	   !vb_driver_name_ok("..") && !vb_driver_name_ok("a/b") &&
	   !vb_driver_name_ok("../../../../../evil") && !vb_driver_name_ok("a b") &&
	   !vb_driver_name_ok("nvme\n") && !vb_driver_name_ok("caf\xc3\xa9"),
	   "empty, dot, dot-dot, slash, blank, newline, non-ASCII are not");

	snprintf(file, sizeof(file), "%s/state.json", top);
	is_int(load_text(&s, file, "{\"version\":1,\"devices\":{\"0000:03:00.0\":{\"driver\":\"nvme\"},"
				   "\"0000:04:00.0\":{\"driver\":null},\"0000:05:00.0\":{}}}", &e),
	       0, "a valid state loads");
	is_int(load_text(&s, file, "{\"version\":1,\"devices\":{\"0000:03:00.0\":{\"driver\":\"../../../../../evil\"}}}", &e),
	       -1, "a driver that is a path is refused");
	ok(strstr(e.msg, "recorded driver '../../../../../evil' is not a driver name") != NULL &&
	   strcmp(e.device, "0000:03:00.0") == 0, "naming the driver and the device");
	is_int(load_text(&s, file, "{\"version\":1,\"devices\":{\"0000:03:00.0/../x\":{\"driver\":\"nvme\"}}}", &e),
	       -1, "a key that is not an address is refused");
	is_int(load_text(&s, file, "{\"version\":1,\"devices\":{\"3:0.0\":{\"driver\":\"nvme\"}}}", &e),
	       -1, "a key that is not the canonical address is refused");
	is_int(load_text(&s, file, "{\"version\":1,\"devices\":{\"0000:03:00.0\":{\"driver\":[1]}}}", &e),
	       -1, "a driver that is not a string is refused");
	is_int(load_text(&s, file, "{\"version\":1,\"devices\":{\"0000:03:00.0\":\"nvme\"}}", &e),
	       -1, "an entry that is not an object is refused");
	is_int(load_text(&s, file, "{\"version\":1,\"devices\":{\"0000:03:00.0\":{\"driver\":\"a\"},"
				   "\"0000:03:00.0\":{\"driver\":\"b\"}}}", &e),
	       -1, "a device recorded twice is refused");
	is_int(load_text(&s, file, "{\"version\":1,\"devices\":{\"0000:03:00.0\":{\"driver\":\"nv\\u0000me\"}}}", &e),
	       -1, "a NUL inside a driver name is refused");

	{ /* the in-memory parsers: the same rules, any bytes */
		static const char nul_text[] = "{\"version\":1,\"devices\":{}}\0junk";

		static const char dotdot[] =
			"{\"version\":1,\"devices\":{\"0000:03:00.0\":{\"driver\":\"..\"}}}";
		static const char two[] = "0000:03:00.0 vfio-pci\n0000:04:00.0 nvme";

		is_int(vb_bind_state_parse(dotdot, strlen(dotdot), &st, &e), -1, "parse: '..' refused");
		vb_bind_state_free(&st);
		is_int(vb_bind_state_parse(nul_text, sizeof(nul_text) - 1, &st, &e), -1,
		       "parse: a NUL and junk after the object refused");
		vb_bind_state_free(&st);
		is_int(vb_bind_state_parse("{\"devices\":{}}", 14, &st, &e), 0, "parse: an empty state");
		vb_bind_state_free(&st);
		is_int(vb_persist_parse(two, strlen(two), &list, &e), 2,
		       "persist parse: every line, the last one without newline");
		ok(list && !strcmp(list[0].driver, "vfio-pci") && !strcmp(list[1].driver, "nvme") &&
		   list[1].bdf.bus == 4, "with their drivers");
		free(list);
		is_int(vb_persist_parse("0000:03:00.0 vfio-pci\0x", 24, &list, &e), -1,
		       "persist parse: a NUL byte is an error");
		is_int(vb_persist_parse("", 0, &list, &e), 0, "persist parse: empty");
	}

	/* lock, record, save under umask 0: the modes are explicit */
	unlink(file);
	umask(0);
	is_int(vb_bind_state_lock(&s, file, &st, &e), 0, "lock a missing state");
	ok(st.locked, "the lock is held");
	vb_bind_state_put(&st, "0000:03:00.0", "nvme", true);
	vb_bind_state_put(&st, "0000:04:00.0", "", false);
	is_int(vb_bind_state_save(&st, &e), 0, "save");
	vb_bind_state_free(&st);
	ok(!st.locked, "free releases the lock");
	is_int(mode_of(file), 0644, "state.json is 0644 under umask 0");
	snprintf(path, sizeof(path), "%s.lock", file);
	is_int(mode_of(path), 0600, "its lock file is 0600");
	is_int(vb_bind_state_load(&s, file, &st, &e), 0, "reload");
	ok(vb_bind_state_get(&st, "0000:03:00.0", drv, sizeof(drv)) && strcmp(drv, "nvme") == 0,
	   "the record is back");
	ok(vb_bind_state_get(&st, "0000:04:00.0", drv, sizeof(drv)) && drv[0] == '\0',
	   "no driver is recorded as none");
	ok(!vb_bind_state_get(&st, "0000:03:00.0", drv, 4), "a buffer too small is not a cut name");
	vb_bind_state_free(&st);
	is_int(strays(top), 1 /* sys */, "no temporary file left");

	/* overrides */
	snprintf(dir, sizeof(dir), "%s/etc/vfiobuf", top);
	snprintf(path, sizeof(path), "%s/overrides", dir);
	is_int(vb_persist_set(&s, "0000:03:00.0", "vfio-pci", &e), 0, "persist a device");
	is_int(vb_persist_set(&s, "0000:04:00.0", "vfio-pci", &e), 0, "and another");
	is_int(vb_persist_set(&s, "0000:03:00.0", NULL, &e), 0, "remove the first");
	is_int(mode_of(path), 0644, "overrides is 0644 under umask 0");
	is_int(strays(dir), 0, "no temporary file left beside it");
	is_int(vb_persist_list(&s, &list, &e), 1, "one device listed");
	ok(list && list[0].bdf.bus == 4, "the one that stayed");
	free(list);
	is_int(vb_persist_set(&s, "0000:05:00.0", "../x", &e), -1, "a bad driver is refused");
	put(path, "# c\n0000:04:00.0 vfio-pci\n0000:05:00.0 ../../x\n");
	is_int(vb_persist_list(&s, &list, &e), -1, "a crafted line is an error");
	ok(strstr(e.msg, "overrides line 3 is not 'BDF DRIVER'") != NULL, "naming the line");
	is_int(vb_persist_set(&s, "0000:06:00.0", "vfio-pci", &e), -1,
	       "and the file is not rewritten around it");
	put(path, "0000:04:00.0 vfio-pci extra\n");
	is_int(vb_persist_list(&s, &list, &e), -1, "a third word is an error");
	put(path, "4:0.0 vfio-pci\n");
	is_int(vb_persist_list(&s, &list, &e), -1, "a short address is an error");
	{ /* many entries, one very long comment: no fixed limit */
		FILE *f = fopen(path, "w");

		fprintf(f, "# %0*d\n", 5000, 0);
		for (int i = 0; i < 100; i++)
			fprintf(f, "0000:%02x:00.0 vfio-pci\n", i);
		fclose(f);
		is_int(vb_persist_list(&s, &list, &e), 100, "100 devices listed");
		free(list);
	}
	{
		char cmd[PATH_MAX + 16];

		snprintf(cmd, sizeof(cmd), "rm -rf %s", top);
		if (system(cmd) != 0)
			printf("# could not remove %s\n", top);
	}
	return tap_done();
}
