/* Unit tests for acs_plan.c on hand-built topologies.  Every expected value
 * is worked out by hand from the kernel's rules (Linux 7.3): p2pdma.c
 * pci_bridge_has_acs_redir / calc_map_type_and_dist, pci.c pci_enable_acs /
 * __pci_config_acs, iommu.c pci_device_group. */
#include <stdlib.h>
#include <string.h>

#include "acs_plan.h"
#include "tap.h"

#define NO_ACS 0xffff /* spec.ctrl: no ACS capability */
#define UNREAD 0xfffe /* spec.ctrl: extended config not read */

struct spec {
	const char *bdf;
	int up;           /* index of the upstream bridge, -1 on the root bus */
	int type;         /* enum vb_pcie_port, VB_PCIE_NOT_PCIE, VB_PCIE_UNKNOWN */
	bool bridge, mf;
	uint16_t cap, ctrl;
	int group;
};

static void build(struct vb_topo *t, const struct spec *s, size_t n)
{
	struct vb_p2p_model *m = &t->model;

	memset(t, 0, sizeof(*t));
	t->devs.v = calloc(n, sizeof(*t->devs.v));
	t->devs.n = n;
	m->nodes = calloc(n, sizeof(*m->nodes));
	m->bridges = calloc(1, sizeof(*m->bridges));
	m->n = n;
	m->nbridges = 1;
	snprintf(m->bridges[0].name, sizeof(m->bridges[0].name), "pci0000:00");
	m->bridges[0].has_root = true;
	m->bridges[0].vendor = 0x8086;
	m->bridges[0].device = 0x09a0; /* not whitelisted */
	m->cpu_unknown = false;
	for (size_t i = 0; i < n; i++) {
		struct vb_device *d = &t->devs.v[i];

		if (vb_bdf_parse(s[i].bdf, &d->bdf) < 0)
			abort();
		vb_bdf_format(&d->bdf, d->name);
		d->pcie_type = s[i].type;
		d->is_bridge = s[i].bridge;
		d->class_code = s[i].bridge ? 0x060400 : 0x030200;
		d->multifunction = s[i].mf;
		d->iommu_group = s[i].group;
		d->has_parent = s[i].up >= 0;
		if (s[i].ctrl == NO_ACS) {
			d->acs = VB_ACS_ABSENT;
		} else if (s[i].ctrl == UNREAD) {
			d->acs = VB_ACS_UNREADABLE;
		} else {
			d->acs = VB_ACS_PRESENT;
			d->acs_offset = 0x148;
			d->acs_cap = s[i].cap;
			d->acs_ctrl = s[i].ctrl;
		}
		snprintf(m->nodes[i].name, sizeof(m->nodes[i].name), "%s", d->name);
		m->nodes[i].up = s[i].up;
		m->nodes[i].acs = d->acs == VB_ACS_UNREADABLE ? VB_P2P_ACS_UNKNOWN
				  : d->acs == VB_ACS_PRESENT && (d->acs_ctrl & VB_ACS_REDIR_MASK)
				  ? VB_P2P_ACS_REDIRECT : VB_P2P_ACS_NONE;
	}
	if (vb_p2p_model_finish(m) < 0)
		abort();
}

static void destroy(struct vb_topo *t)
{
	free(t->devs.v);
	t->devs.v = NULL;
	vb_p2p_model_free(&t->model);
}

enum { RP = VB_PCIE_ROOT_PORT, US = VB_PCIE_UPSTREAM, DS = VB_PCIE_DOWNSTREAM,
       EP = VB_PCIE_ENDPOINT, PCI = VB_PCIE_NOT_PCIE };

/* Root port 0 (redirect) -> switch 1 -> DSPs 2 (RR|CR), 3 (RR|CR|EC),
 * 4 (SV|UF: no redirect, not isolating); endpoints 5, 6, 7 below them.
 * Root port 8 (redirect) -> a two-function device 9, 10 (redirect on the
 * functions themselves).  Root port 11 -> endpoint 12.  Groups as the
 * kernel makes them from these bits. */
static const struct spec sw[] = {
	/* 0 */ { "00:01.0", -1, RP, true, false, 0x5f, 0x1d, 1 },
	/* 1 */ { "01:00.0", 0, US, true, false, 0, NO_ACS, 2 },
	/* 2 */ { "02:00.0", 1, DS, true, false, 0x5f, 0x1d, 3 },
	/* 3 */ { "02:01.0", 1, DS, true, false, 0x7f, 0x3d, 5 },
	/* 4 */ { "02:02.0", 1, DS, true, false, 0x5f, 0x11, 7 },
	/* 5 */ { "03:00.0", 2, EP, false, false, 0, NO_ACS, 4 },
	/* 6 */ { "04:00.0", 3, EP, false, false, 0, NO_ACS, 6 },
	/* 7 */ { "05:00.0", 4, EP, false, false, 0, NO_ACS, 7 },
	/* 8 */ { "00:02.0", -1, RP, true, false, 0x5f, 0x1d, 8 },
	/* 9 */ { "06:00.0", 8, EP, false, true, 0x5f, 0x1d, 9 },
	/* 10 */ { "06:00.1", 8, EP, false, true, 0x5f, 0x1d, 10 },
	/* 11 */ { "00:03.0", -1, RP, true, false, 0x5f, 0x1d, 11 },
	/* 12 */ { "07:00.0", 11, EP, false, false, 0, NO_ACS, 12 },
};

static bool planned(const struct vb_acs_plan *p, int node)
{
	const struct vb_acs_port *pt = vb_acs_plan_port(p, node);

	return pt && pt->planned;
}

static const struct vb_acs_pair *find_pair(const struct vb_acs_plan *p, int a, int b)
{
	for (size_t i = 0; i < p->npairs; i++)
		if (p->pairs[i].a == a && p->pairs[i].b == b)
			return &p->pairs[i];
	return NULL;
}

static void test_minimal_two_gpus(void)
{
	struct vb_topo t;
	struct vb_acs_plan p;
	struct vb_err e = { 0 };
	int eps[] = { 5, 6 };
	char *s;

	build(&t, sw, sizeof(sw) / sizeof(sw[0]));
	ok(vb_acs_plan_make(&t, eps, 2, &p, &e) == 0, "plan for two GPUs under one switch");
	is_int((int)p.nplanned, 2, "two ports to clear");
	ok(planned(&p, 2) && planned(&p, 3), "the two downstream ports above them");
	ok(!planned(&p, 0), "not the root port: it is above the common upstream port");
	ok(!vb_acs_plan_port(&p, 0), "the root port is not on the path at all");
	ok(!planned(&p, 4), "not the third downstream port: not on the path");
	is_int(vb_acs_plan_port(&p, 3)->clear, VB_ACS_RR | VB_ACS_CR | VB_ACS_EC,
	       "EC counts as redirect and is cleared too");
	is_int(vb_acs_plan_port(&p, 3)->new_ctrl, 0x11, "SV and UF stay");
	is_int((int)p.npairs, 1, "one pair");
	is_int(p.pairs[0].before, VB_P2P_NOT_SUPPORTED, "not-supported now");
	is_int(p.pairs[0].after, VB_P2P_BUS_ADDR, "bus-addr after");
	ok(p.verified && !p.uncertain, "verified, certain");
	s = vb_acs_param_disable_redir(&t, &p);
	is_str(s, "pci=disable_acs_redir=0000:02:00.0;0000:02:01.0", "disable_acs_redir list");
	free(s);
	/* flags, bit 6 first: DT (capable, off) 0, EC x (02:00.0 lacks it) or 0,
	 * UF 1, CR 0, RR 0, TB (capable, off) 0, SV 1 */
	s = vb_acs_param_config(&t, &p);
	is_str(s, "pci=config_acs=0x10001@0000:02:00.0;0010001@0000:02:01.0", "config_acs list");
	free(s);
	/* isolation: each port's group takes its GPU */
	is_int((int)p.nmerges, 2, "two merges");
	ok(p.model_matches_kernel == VB_YES, "the model explains today's groups");
	ok(p.nmerges == 2 && p.merges[0].ngroups == 2 && p.merges[0].groups[0] == 3 &&
	   p.merges[0].groups[1] == 4, "groups 3 and 4 merge");
	ok(p.nmerges == 2 && p.merges[1].groups[0] == 5 && p.merges[1].groups[1] == 6,
	   "groups 5 and 6 merge");
	vb_acs_plan_free(&p);
	destroy(&t);
}

static void test_all_endpoints(void)
{
	struct vb_topo t;
	struct vb_acs_plan p;
	struct vb_err e = { 0 };
	int eps[] = { 5, 6, 7, 9, 10, 12 };
	const struct vb_acs_pair *pr;

	build(&t, sw, sizeof(sw) / sizeof(sw[0]));
	ok(vb_acs_plan_make(&t, eps, 6, &p, &e) == 0, "plan for every endpoint");
	is_int((int)p.npairs, 15, "15 pairs");
	is_int((int)p.nplanned, 5, "five functions: two DSPs, root port, both functions");
	ok(planned(&p, 8) && planned(&p, 9) && planned(&p, 10),
	   "the two-function device: its root port and both functions (their own ACS counts)");
	ok(!planned(&p, 4), "the DSP without redirect stays");
	ok(!planned(&p, 0) && !planned(&p, 11), "root ports above no common node stay");
	pr = find_pair(&p, 5, 12);
	ok(pr && !pr->common && pr->after == VB_P2P_NOT_SUPPORTED,
	   "no common upstream: never bus-addr");
	pr = find_pair(&p, 9, 10);
	ok(pr && pr->common && pr->after == VB_P2P_BUS_ADDR, "the two functions become bus-addr");
	pr = find_pair(&p, 5, 7);
	ok(pr && pr->before == VB_P2P_NOT_SUPPORTED && pr->after == VB_P2P_BUS_ADDR,
	   "GPU and NIC: only the GPU's port redirects");
	ok(p.verified, "verified");
	/* merges: 3+4, 5+6, and the root port 8 with both functions 9, 10 */
	is_int((int)p.nmerges, 3, "three merges");
	/* merges come in the order of their lowest group: 3, 5, 8 */
	ok(p.nmerges == 3 && p.merges[2].ngroups == 3 && p.merges[2].groups[0] == 8 &&
	   p.merges[2].groups[2] == 10 && p.merges[2].nports == 3,
	   "groups 8, 9, 10 merge (caused by three planned functions)");
	vb_acs_plan_free(&p);
	destroy(&t);
}

static void test_unknown(void)
{
	struct spec s[sizeof(sw) / sizeof(sw[0])];
	struct vb_topo t;
	struct vb_acs_plan p;
	struct vb_err e = { 0 };
	int eps[] = { 5, 6 };

	memcpy(s, sw, sizeof(s));
	s[2].ctrl = UNREAD; /* one DSP not read */
	s[2].type = VB_PCIE_UNKNOWN;
	build(&t, s, sizeof(s) / sizeof(s[0]));
	ok(vb_acs_plan_make(&t, eps, 2, &p, &e) == 0, "plan with one port unread");
	ok(p.uncertain, "uncertain");
	ok(vb_acs_plan_port(&p, 2)->unknown && !planned(&p, 2), "the unread port: unknown, not planned");
	ok(planned(&p, 3), "the read one still planned");
	ok(p.pairs[0].uncertain_after, "the verdict after is uncertain");
	ok(p.model_matches_kernel == VB_UNKNOWN, "the group model cannot be checked");
	vb_acs_plan_free(&p);
	destroy(&t);
}

static void test_nothing_to_do(void)
{
	struct spec s[sizeof(sw) / sizeof(sw[0])];
	struct vb_topo t;
	struct vb_acs_plan p;
	struct vb_err e = { 0 };
	int eps[] = { 5, 7 };
	char *a, *b;

	memcpy(s, sw, sizeof(s));
	s[2].ctrl = 0x11; /* the GPU's port without redirect: then not isolating */
	s[5].group = 3;
	build(&t, s, sizeof(s) / sizeof(s[0]));
	ok(vb_acs_plan_make(&t, eps, 2, &p, &e) == 0, "plan with no redirect on the path");
	is_int((int)p.nplanned, 0, "nothing planned");
	ok(p.pairs[0].before == VB_P2P_BUS_ADDR && p.verified, "bus-addr already");
	a = vb_acs_param_disable_redir(&t, &p);
	b = vb_acs_param_config(&t, &p);
	ok(a && b && !*a && !*b, "empty parameters");
	free(a);
	free(b);
	is_int((int)p.nmerges, 0, "no merge");
	ok(p.model_matches_kernel == VB_YES, "groups explained (the GPU shares its port's)");
	vb_acs_plan_free(&p);
	destroy(&t);
}

static void test_model_mismatch(void)
{
	struct spec s[sizeof(sw) / sizeof(sw[0])];
	struct vb_topo t;
	struct vb_acs_plan p;
	struct vb_err e = { 0 };
	int eps[] = { 5, 6 };

	memcpy(s, sw, sizeof(s));
	s[7].group = 13; /* the NIC in its own group: a quirk the model lacks */
	build(&t, s, sizeof(s) / sizeof(s[0]));
	ok(vb_acs_plan_make(&t, eps, 2, &p, &e) == 0, "plan");
	ok(p.model_matches_kernel == VB_NO, "the model says it does not explain the kernel's groups");
	vb_acs_plan_free(&p);
	destroy(&t);
}

static void test_isolates(void)
{
	struct vb_device d = { 0 };

	d.pcie_type = VB_PCIE_DOWNSTREAM;
	d.acs = VB_ACS_PRESENT;
	d.acs_cap = 0x5f;
	ok(vb_acs_isolates(&d, 0x1d) == VB_YES, "DSP with SV RR CR UF isolates");
	ok(vb_acs_isolates(&d, 0x11) == VB_NO, "without RR CR it does not");
	d.acs_cap = 0x11; /* RR, CR not implemented: hard-wired, count as on */
	ok(vb_acs_isolates(&d, 0x11) == VB_YES, "bits the port lacks count as enabled");
	d.acs = VB_ACS_ABSENT;
	ok(vb_acs_isolates(&d, 0) == VB_NO, "a DSP without ACS does not isolate");
	d.pcie_type = VB_PCIE_ENDPOINT;
	ok(vb_acs_isolates(&d, 0) == VB_YES, "a single-function endpoint is isolated");
	d.multifunction = true;
	ok(vb_acs_isolates(&d, 0) == VB_NO, "a multifunction one without ACS is not");
	d.pcie_type = VB_PCIE_NOT_PCIE;
	d.multifunction = false;
	ok(vb_acs_isolates(&d, 0) == VB_NO, "conventional PCI never is");
	d.pcie_type = VB_PCIE_UNKNOWN;
	ok(vb_acs_isolates(&d, 0) == VB_UNKNOWN, "type not read: unknown");
}

static void test_setpci_and_dropin(void)
{
	struct vb_topo t;
	struct vb_acs_plan p;
	struct vb_err e = { 0 };
	int eps[] = { 5, 6 };
	char buf[128], *s;

	build(&t, sw, sizeof(sw) / sizeof(sw[0]));
	vb_acs_plan_make(&t, eps, 2, &p, &e);
	is_str(vb_acs_setpci(&t, vb_acs_plan_port(&p, 3), buf, sizeof(buf)),
	       "setpci -s 0000:02:01.0 ECAP0d+6.w=0000:002c", "setpci clears only the set bits");
	s = vb_acs_grub_dropin_text("pci=config_acs=0x10001@0000:02:00.0;0010001@0000:02:01.0",
				    "0000:03:00.0 0000:04:00.0");
	ok(s && strstr(s, "GRUB_CMDLINE_LINUX_DEFAULT=\"$GRUB_CMDLINE_LINUX_DEFAULT "
			  "pci=config_acs=\\\"0x10001@0000:02:00.0;0010001@0000:02:01.0\\\"\"\n"),
	   "drop-in: the device list quoted for GRUB's script");
	free(s);
	ok(vb_acs_grub_dropin_text("garbage", "x") == NULL, "drop-in: no parameter, no text");
	vb_acs_plan_free(&p);
	destroy(&t);
}

static void test_cmdline(void)
{
	char v[64];

	ok(!vb_acs_cmdline_param("root=/dev/sda1 ro quiet", "config_acs", v, sizeof(v)), "none");
	ok(vb_acs_cmdline_param("ro pci=config_acs=0x10001@0000:02:00.0 quiet", "config_acs", v,
				sizeof(v)) && strcmp(v, "0x10001@0000:02:00.0") == 0, "one");
	ok(vb_acs_cmdline_param("pci=noaer,disable_acs_redir=0000:00:01.0;0000:00:02.0,realloc",
				"disable_acs_redir", v, sizeof(v)) &&
	   strcmp(v, "0000:00:01.0;0000:00:02.0") == 0, "among comma-joined pci= options");
	ok(vb_acs_cmdline_param("pci=config_acs=1@0000:00:01.0 pci=config_acs=0@0000:00:02.0",
				"config_acs", v, sizeof(v)) && strcmp(v, "0@0000:00:02.0") == 0,
	   "the last one counts");
	ok(!vb_acs_cmdline_param("xpci=config_acs=1@0000:00:01.0 pci=config_acsx=1", "config_acs", v,
				 sizeof(v)), "not a pci= option");
}

int main(void)
{
	test_cmdline();
	test_minimal_two_gpus();
	test_all_endpoints();
	test_unknown();
	test_nothing_to_do();
	test_model_mismatch();
	test_isolates();
	test_setpci_and_dropin();
	return tap_done();
}
