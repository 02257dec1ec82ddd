/* libFuzzer target: the bind state file and the persistent overrides
 * (bind_state.c), read from a private fake root.
 *
 * Input: the text of ROOT/run/vfiobuf/state.json, then "\n%%overrides\n"
 * and the text of ROOT/etc/vfiobuf/overrides.  Properties (trap on
 * violation):
 *  - the state loads, or fails with a message naming the file;
 *  - a loaded state saves and loads back with the same driver recorded for
 *    every device; put then get returns what was put, drop removes;
 *  - vb_persist_list returns exactly the "BDF vfio-pci" lines of the file,
 *    in order, as a line-by-line reading of the whole file sees them
 *    (comment lines skipped, nothing invented from a long line's tail);
 *  - after vb_persist_set(BDF, "vfio-pci") the list has BDF once, after
 *    vb_persist_set(BDF, NULL) not at all, and the other entries stay. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bind_state.h"
#include "fuzz_tree.h"

#define MAXLIST 64

struct bdfs {
	char v[MAXLIST][16];
	int n;
};

/* Reference reading of the overrides text: whole lines, whitespace
 * separated words, first word the device, second the driver. */
static void reference_list(const char *text, struct bdfs *out)
{
	char *copy = strdup(text), *save = NULL;

	out->n = 0;
	if (!copy)
		abort();
	for (char *line = strtok_r(copy, "\n", &save); line && out->n < MAXLIST;
	     line = strtok_r(NULL, "\n", &save)) {
		char *w = NULL, *b, *d;

		if (line[0] == '#')
			continue;
		b = strtok_r(line, " \t\r\v\f", &w);
		d = b ? strtok_r(NULL, " \t\r\v\f", &w) : NULL;
		if (d && strcmp(d, "vfio-pci") == 0)
			snprintf(out->v[out->n++], 16, "%.15s", b);
	}
	free(copy);
}

static int count_of(const struct bdfs *l, const char *bdf)
{
	int c = 0;

	for (int i = 0; i < l->n; i++)
		c += strcmp(l->v[i], bdf) == 0;
	return c;
}

static void check_state(const struct vb_sys *s)
{
	struct vb_bind_state st, back;
	struct vb_err e = { 0 };
	const char *key;
	json_t *val;
	char a[64], b[64];

	if (vb_bind_state_load(s, NULL, &st, &e) < 0) {
		CHECK(e.msg[0] && strstr(e.msg, "state.json"));
		return;
	}
	vb_bind_state_put(&st, "0000:03:00.0", "nvme");
	CHECK(vb_bind_state_get(&st, "0000:03:00.0", a, sizeof(a)) && strcmp(a, "nvme") == 0);
	vb_bind_state_put(&st, "0000:04:00.0", "");
	CHECK(vb_bind_state_get(&st, "0000:04:00.0", a, sizeof(a)) && a[0] == '\0');
	vb_bind_state_drop(&st, "0000:04:00.0");
	CHECK(!vb_bind_state_get(&st, "0000:04:00.0", a, sizeof(a)));
	if (vb_bind_state_save(&st, &e) == 0) {
		CHECK(vb_bind_state_load(s, NULL, &back, &e) == 0);
		json_object_foreach(json_object_get(st.root, "devices"), key, val) {
			bool in_a = vb_bind_state_get(&st, key, a, sizeof(a));

			CHECK(in_a == vb_bind_state_get(&back, key, b, sizeof(b)));
			CHECK(!in_a || strcmp(a, b) == 0);
		}
		vb_bind_state_free(&back);
	}
	vb_bind_state_free(&st);
}

/* Text that the fgets(256)/sscanf("%63s") reading of bind_state.c takes
 * apart differently from its lines: no final newline, a NUL byte, a line
 * of 255 bytes or more, a word of 64 or more. */
static bool overrides_known_bad(const char *text, size_t size)
{
	size_t line = 0, word = 0;

	if (strlen(text) != size || (size && text[size - 1] != '\n'))
		return true;
	for (size_t i = 0; i < size; i++) {
		line = text[i] == '\n' ? 0 : line + 1;
		word = strchr(" \t\r\v\f\n", text[i]) ? 0 : word + 1;
		if (line >= 255 || word >= 64)
			return true;
	}
	return false;
}

static void check_overrides(const struct vb_sys *s, const char *text, size_t size)
{
	struct bdfs want, got, after;
	struct vb_err e = { 0 };

	if (overrides_known_bad(text, size) && ft_skip_known("state-overrides-lines"))
		return;

	reference_list(text, &want);
	got.n = vb_persist_list(s, got.v, MAXLIST);
	CHECK(got.n == want.n);
	for (int i = 0; i < got.n; i++)
		CHECK(strcmp(got.v[i], want.v[i]) == 0);
	if (got.n >= MAXLIST - 1)
		return;
	if (vb_persist_set(s, "0000:03:00.0", "vfio-pci", &e) == 0) {
		after.n = vb_persist_list(s, after.v, MAXLIST);
		CHECK(count_of(&after, "0000:03:00.0") == 1);
		CHECK(after.n == got.n - count_of(&got, "0000:03:00.0") + 1);
	}
	if (vb_persist_set(s, "0000:03:00.0", NULL, &e) == 0) {
		after.n = vb_persist_list(s, after.v, MAXLIST);
		CHECK(count_of(&after, "0000:03:00.0") == 0);
		CHECK(after.n == got.n - count_of(&got, "0000:03:00.0"));
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int fds;
	struct ft_piece pc[2];
	char root[PATH_MAX], sysdir[PATH_MAX + 8], *over;
	struct vb_sys s;
	struct vb_err e = { 0 };

	ft_split(data, size, "\n%%overrides\n", pc, 2);
	fds = ft_lowest_free_fd();
	ft_mkroot(root, sizeof(root));
	snprintf(sysdir, sizeof(sysdir), "%s/sys", root);
	mkdir(sysdir, 0755);
	ft_write(root, "run/vfiobuf/state.json", pc[0].p, pc[0].n);
	ft_write(root, "etc/vfiobuf/overrides", pc[1].p, pc[1].n);
	over = ft_strdup(pc[1]);
	if (vb_sys_init(&s, sysdir, &e) == 0) {
		check_state(&s);
		check_overrides(&s, over, pc[1].n);
	}
	free(over);
	ft_rmroot(root);
	CHECK(ft_lowest_free_fd() == fds); /* no descriptor leaked */
	return 0;
}
