/* libFuzzer target: the bind state file and the persistent overrides
 * (bind_state.c), in memory and read from a private fake root.
 *
 * Input: the text of ROOT/run/vfiobuf/state.json, then "\n%%overrides\n"
 * and the text of ROOT/etc/vfiobuf/overrides.  Properties (trap on
 * violation):
 *  - the state text parses in memory exactly when the file loads; a
 *    refusal has a message;
 *  - a loaded state takes put/get/drop, saves and loads back with the same
 *    driver recorded for every device;
 *  - the overrides text parses in memory to the same list as the file; a
 *    refusal has a message; every listed address is well formed;
 *  - after vb_persist_set(BDF, "vfio-pci") the list has BDF once and the
 *    others stay, after vb_persist_set(BDF, NULL) not at all;
 *  - no descriptor leaks. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bind_state.h"
#include "fuzz_tree.h"

static const struct vb_bdf dev3 = { 0, 3, 0, 0 };

static int count_of(const struct vb_persist_entry *l, int n, const struct vb_bdf *b)
{
	int c = 0;

	for (int i = 0; i < n; i++)
		c += vb_bdf_equal(&l[i].bdf, b);
	return c;
}

static void check_state(const struct vb_sys *s, const char *text, size_t len)
{
	struct vb_bind_state st = { 0 }, mem = { 0 }, back = { 0 };
	struct vb_err e = { 0 }, em = { 0 };
	const char *key;
	json_t *val;
	char a[64], b[64];
	int rc = vb_bind_state_load(s, NULL, &st, &e), rm = vb_bind_state_parse(text, len, &mem, &em);

	CHECK((rc == 0) == (rm == 0));
	CHECK(rc == 0 || e.msg[0]);
	CHECK(rm == 0 || em.msg[0]);
	vb_bind_state_free(&mem);
	vb_bind_state_free(&st);
	if (rc < 0)
		return;
	e = (struct vb_err){ 0 };
	if (vb_bind_state_lock(s, NULL, &st, &e) < 0 || !st.root) {
		vb_bind_state_free(&st);
		return;
	}
	vb_bind_state_put(&st, "0000:03:00.0", "nvme", false);
	CHECK(vb_bind_state_get(&st, "0000:03:00.0", a, sizeof(a)) && strcmp(a, "nvme") == 0);
	vb_bind_state_put(&st, "0000:04:00.0", "", true);
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

static void check_overrides(const struct vb_sys *s, const char *text, size_t len)
{
	struct vb_persist_entry *got = NULL, *mem = NULL, *after = NULL;
	struct vb_err e = { 0 }, em = { 0 };
	int n = vb_persist_list(s, &got, &e), nm = vb_persist_parse(text, len, &mem, &em), na, had;

	CHECK(n == nm);
	CHECK(n >= 0 || (e.msg[0] && em.msg[0]));
	for (int i = 0; i < n; i++)
		CHECK(vb_bdf_equal(&got[i].bdf, &mem[i].bdf) && got[i].bdf.dev <= 31 &&
		      got[i].bdf.func <= 7 && !strcmp(got[i].driver, mem[i].driver));
	free(mem);
	if (n < 0) {
		free(got);
		return;
	}
	had = count_of(got, n, &dev3);
	e = (struct vb_err){ 0 };
	if (vb_persist_set(s, "0000:03:00.0", "vfio-pci", &e) == 0) {
		na = vb_persist_list(s, &after, &e);
		CHECK(na >= 0 && count_of(after, na, &dev3) == 1 && na == n - had + 1);
		free(after);
		after = NULL;
	}
	e = (struct vb_err){ 0 };
	if (vb_persist_set(s, "0000:03:00.0", NULL, &e) == 0) {
		na = vb_persist_list(s, &after, &e);
		CHECK(na >= 0 && count_of(after, na, &dev3) == 0 && na == n - had);
		free(after);
	}
	free(got);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ft_piece pc[2];
	char root[PATH_MAX], sysdir[PATH_MAX + 8];
	struct vb_sys s;
	struct vb_err e = { 0 };
	int fds;

	ft_split(data, size, "\n%%overrides\n", pc, 2);
	fds = ft_lowest_free_fd();
	ft_mkroot(root, sizeof(root));
	snprintf(sysdir, sizeof(sysdir), "%s/sys", root);
	mkdir(sysdir, 0755);
	ft_write(root, "run/vfiobuf/state.json", pc[0].p, pc[0].n);
	ft_write(root, "etc/vfiobuf/overrides", pc[1].p, pc[1].n);
	if (vb_sys_init(&s, sysdir, &e) == 0) {
		check_state(&s, pc[0].p, pc[0].n);
		check_overrides(&s, pc[1].p, pc[1].n);
	}
	ft_rmroot(root);
	CHECK(ft_lowest_free_fd() == fds); /* no descriptor leaked */
	return 0;
}
