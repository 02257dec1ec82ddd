/* Unit tests for p2p.c on hand-built models.  Every expected value is
 * worked out from the kernel's calc_map_type_and_dist rules (Linux 7.3). */
#include <stdlib.h>
#include <string.h>

#include "p2p.h"
#include "tap.h"

enum { NONE = VB_P2P_ACS_NONE, RED = VB_P2P_ACS_REDIRECT, UNK = VB_P2P_ACS_UNKNOWN };

struct spec {
	const char *name;
	int up;
	int hb;
	int acs;
};

/* Build a model: nodes from specs, host bridges given as vendor:device of
 * their root device (0 = no qualifying root device). */
static void build(struct vb_p2p_model *m, const struct spec *s, size_t n,
		  const uint32_t *roots, size_t nroots, bool zen)
{
	memset(m, 0, sizeof(*m));
	m->nodes = calloc(n, sizeof(*m->nodes));
	m->bridges = calloc(nroots, sizeof(*m->bridges));
	m->n = n;
	m->nbridges = nroots;
	m->cpu_p2p = zen;
	for (size_t i = 0; i < n; i++) {
		snprintf(m->nodes[i].name, sizeof(m->nodes[i].name), "%s", s[i].name);
		m->nodes[i].up = s[i].up;
		m->nodes[i].host_bridge = s[i].hb;
		m->nodes[i].acs = (enum vb_p2p_acs)s[i].acs;
	}
	for (size_t i = 0; i < nroots; i++) {
		snprintf(m->bridges[i].name, sizeof(m->bridges[i].name), "pci0000:%02zx", i * 0x80);
		m->bridges[i].has_root = roots[i] != 0;
		m->bridges[i].vendor = (uint16_t)(roots[i] >> 16);
		m->bridges[i].device = (uint16_t)roots[i];
	}
	if (vb_p2p_model_finish(m) < 0)
		abort();
}

static struct vb_p2p_result pair(const struct vb_p2p_model *m, int a, int b)
{
	struct vb_p2p_result r;

	vb_p2p_pair(m, a, b, &r);
	return r;
}

/* One host bridge (q35, not whitelisted): root port A with a switch (USP,
 * two DSPs, NVMe and ivshmem below), root port B with one endpoint, root
 * port C with a two-function device. */
static const struct spec lab[] = {
	/* 0 */ { "0000:00:02.0", -1, 0, RED },  /* root port, ACS RR|CR */
	/* 1 */ { "0000:01:00.0", 0, 0, NONE },  /* switch upstream port */
	/* 2 */ { "0000:02:00.0", 1, 0, NONE },  /* downstream port 1 */
	/* 3 */ { "0000:02:01.0", 1, 0, NONE },  /* downstream port 2 */
	/* 4 */ { "0000:03:00.0", 2, 0, NONE },  /* NVMe */
	/* 5 */ { "0000:04:00.0", 3, 0, NONE },  /* ivshmem */
	/* 6 */ { "0000:00:03.0", -1, 0, RED },  /* root port B */
	/* 7 */ { "0000:05:00.0", 6, 0, NONE },  /* edu */
	/* 8 */ { "0000:00:04.0", -1, 0, RED },  /* root port C */
	/* 9 */ { "0000:06:00.0", 8, 0, NONE },  /* fn 0 */
	/* 10 */ { "0000:06:00.1", 8, 0, NONE }, /* fn 1 */
};

static void test_lab_topology(void)
{
	struct vb_p2p_model m;
	struct vb_p2p_result r;
	uint32_t q35 = 0x808629c0;
	char adv[128];

	build(&m, lab, sizeof(lab) / sizeof(lab[0]), &q35, 1, false);
	r = pair(&m, 4, 4);
	is_int(r.distance, 0, "same function: distance 0");
	is_int(r.verdict, VB_P2P_BUS_ADDR, "same function: bus-addr (no ACS on itself)");
	r = pair(&m, 4, 5);
	/* NVMe->DSP1->USP<-DSP2<-ivshmem: 2 + 2, no ACS below the USP */
	is_int(r.distance, 4, "two endpoints under one switch: distance 4");
	is_int(r.verdict, VB_P2P_BUS_ADDR, "switch without ACS: bus-addr");
	is_int(r.common, 1, "common upstream is the switch's upstream port");
	is_int(r.kernel_distance, 4, "the kernel returns 4");
	r = pair(&m, 4, 2);
	is_int(r.distance, 1, "endpoint and its own downstream port: distance 1");
	r = pair(&m, 9, 10);
	/* fn0 -> root port C <- fn1: 1 + 1, the common root port redirects */
	is_int(r.distance, 2, "two functions of one device: distance 2");
	is_int(r.verdict, VB_P2P_NOT_SUPPORTED, "common root port redirects, q35 not listed: not-supported");
	is_int(r.nredir, 1, "one redirecting port");
	is_str(vb_p2p_advice(&m, &r, adv, sizeof(adv)), "pci=disable_acs_redir=0000:00:04.0",
	       "advice names the root port");
	is_int(r.kernel_distance, -1, "the kernel returns -1 for not-supported");
	r = pair(&m, 4, 7);
	/* no common upstream: chain lengths 4 + 2; ACS on the way ignored */
	is_int(r.common, -1, "different root ports: no common upstream");
	is_int(r.distance, 6, "distance is the sum of both chain lengths (4 + 2)");
	is_int(r.verdict, VB_P2P_NOT_SUPPORTED, "q35 host bridge not whitelisted: not-supported");
	ok(r.host_bridge_checked && !r.hb_whitelisted, "decided by the host-bridge rule");
	is_int(r.nredir, 0, "ACS without a common upstream is not reported");
	vb_p2p_model_free(&m);

	/* the same with -cpu EPYC: AMD family 0x17, every host bridge allowed */
	build(&m, lab, sizeof(lab) / sizeof(lab[0]), &q35, 1, true);
	r = pair(&m, 4, 7);
	is_int(r.verdict, VB_P2P_THRU_HOST_BRIDGE, "AMD Zen: different root ports go thru-host-bridge");
	ok(r.zen_rule, "the Zen rule decided");
	is_int(r.kernel_distance, 6, "and the kernel returns the distance 6");
	r = pair(&m, 9, 10);
	is_int(r.verdict, VB_P2P_THRU_HOST_BRIDGE, "AMD Zen: ACS redirect routes through the host bridge");
	vb_p2p_model_free(&m);

	/* root port C with its redirect cleared (setpci ECAP0d+6.w=0:2c) */
	{
		struct spec cleared[sizeof(lab) / sizeof(lab[0])];

		memcpy(cleared, lab, sizeof(lab));
		cleared[8].acs = NONE;
		build(&m, cleared, sizeof(lab) / sizeof(lab[0]), &q35, 1, false);
		r = pair(&m, 9, 10);
		is_int(r.verdict, VB_P2P_BUS_ADDR, "root port redirect cleared: bus-addr");
		is_int(r.distance, 2, "still distance 2");
		vb_p2p_model_free(&m);
	}
}

static void test_acs_positions(void)
{
	/* root port R, switch USP U, DSPs D1 D2, endpoints E1 (under D1), E2 (under D2) */
	struct spec s[] = {
		{ "R", -1, 0, NONE }, { "U", 0, 0, NONE }, { "D1", 1, 0, NONE },
		{ "D2", 1, 0, NONE }, { "E1", 2, 0, NONE }, { "E2", 3, 0, NONE },
	};
	uint32_t sky = 0x80862020; /* whitelisted Skylake-E */
	struct vb_p2p_model m;
	struct vb_p2p_result r;
	char adv[128];

	s[2].acs = RED; /* provider-side downstream port redirects */
	build(&m, s, 6, &sky, 1, false);
	r = pair(&m, 4, 5);
	is_int(r.verdict, VB_P2P_THRU_HOST_BRIDGE, "DSP redirect, whitelisted bridge: thru-host-bridge");
	is_str(vb_p2p_advice(&m, &r, adv, sizeof(adv)), "pci=disable_acs_redir=D1", "advice: the DSP");
	r = pair(&m, 5, 4);
	is_int(r.verdict, VB_P2P_THRU_HOST_BRIDGE, "client-side DSP redirect counts too");
	vb_p2p_model_free(&m);

	s[2].acs = NONE;
	s[4].acs = RED; /* the endpoint itself has ACS redirect (multi-function EP) */
	build(&m, s, 6, &sky, 1, false);
	r = pair(&m, 4, 5);
	is_int(r.nredir, 1, "endpoint ACS on the provider counts");
	r = pair(&m, 5, 4);
	is_int(r.nredir, 1, "endpoint ACS on the client counts");
	r = pair(&m, 4, 4);
	is_int(r.verdict, VB_P2P_THRU_HOST_BRIDGE, "even provider == client: its own ACS counts");
	vb_p2p_model_free(&m);

	s[4].acs = NONE;
	s[1].acs = RED; /* the common upstream port redirects */
	build(&m, s, 6, &sky, 1, false);
	r = pair(&m, 4, 5);
	is_int(r.nredir, 1, "ACS on the common device counts (provider chain includes it)");
	is_str(vb_p2p_advice(&m, &r, adv, sizeof(adv)), "pci=disable_acs_redir=U", "advice: the USP");
	vb_p2p_model_free(&m);

	s[1].acs = NONE;
	s[0].acs = RED; /* the root port above the common device */
	build(&m, s, 6, &sky, 1, false);
	r = pair(&m, 4, 5);
	is_int(r.verdict, VB_P2P_BUS_ADDR, "ACS above the common device does not count");
	vb_p2p_model_free(&m);

	s[0].acs = NONE;
	s[3].acs = RED;
	s[2].acs = RED;
	build(&m, s, 6, &sky, 1, false);
	r = pair(&m, 4, 5);
	is_str(vb_p2p_advice(&m, &r, adv, sizeof(adv)), "pci=disable_acs_redir=D1;D2",
	       "advice lists provider side first, then client side");
	vb_p2p_model_free(&m);

	s[2].acs = NONE;
	s[3].acs = UNK; /* not root: cannot read the DSP's ACS */
	build(&m, s, 6, &sky, 1, false);
	r = pair(&m, 4, 5);
	ok(r.uncertain, "unreadable ACS on the path: uncertain");
	is_int(r.verdict, VB_P2P_BUS_ADDR, "assumes no redirect");
	is_int(r.verdict_if_redirect, VB_P2P_THRU_HOST_BRIDGE, "and says what a redirect would give");
	vb_p2p_model_free(&m);
}

static void test_host_bridges(void)
{
	/* two host bridges, one root port and one endpoint each */
	struct spec s[] = {
		{ "RP0", -1, 0, NONE }, { "E0", 0, 0, NONE },
		{ "RP1", -1, 1, NONE }, { "E1", 2, 1, NONE },
		{ "E0b", 0, 0, NONE },
	};
	struct vb_p2p_model m;
	struct vb_p2p_result r;
	uint32_t both_sky[] = { 0x80862020, 0x80862030 };
	uint32_t both_e5[] = { 0x80863c00, 0x80863c01 };
	uint32_t mixed[] = { 0x80862020, 0x808609a0 };
	uint32_t noroot[] = { 0x80862020, 0 };
	uint32_t google[] = { 0x1ae00042, 0x1ae00043 };

	build(&m, s, 5, both_sky, 2, false);
	r = pair(&m, 1, 3);
	is_int(r.verdict, VB_P2P_THRU_HOST_BRIDGE, "two listed bridges without the flag: allowed");
	is_int(r.distance, 4, "no common upstream: 2 + 2");
	vb_p2p_model_free(&m);

	build(&m, s, 5, both_e5, 2, false);
	r = pair(&m, 1, 3);
	is_int(r.verdict, VB_P2P_NOT_SUPPORTED, "REQ_SAME_HOST_BRIDGE entries across two bridges: refused");
	vb_p2p_model_free(&m);

	/* same bridge with a REQ_SAME_HOST_BRIDGE entry and redirect on the RP */
	s[0].acs = RED;
	build(&m, s, 5, both_e5, 2, false);
	r = pair(&m, 1, 4);
	is_int(r.verdict, VB_P2P_THRU_HOST_BRIDGE, "REQ_SAME_HOST_BRIDGE entry, same bridge: allowed");
	vb_p2p_model_free(&m);
	s[0].acs = NONE;

	build(&m, s, 5, mixed, 2, false);
	r = pair(&m, 1, 3);
	is_int(r.verdict, VB_P2P_NOT_SUPPORTED, "one bridge not listed: refused");
	vb_p2p_model_free(&m);

	build(&m, s, 5, noroot, 2, false);
	r = pair(&m, 1, 3);
	is_int(r.verdict, VB_P2P_NOT_SUPPORTED, "no qualifying root device: refused");
	vb_p2p_model_free(&m);

	build(&m, s, 5, google, 2, false);
	r = pair(&m, 1, 3);
	is_int(r.verdict, VB_P2P_THRU_HOST_BRIDGE, "Google: any device ID is listed");
	vb_p2p_model_free(&m);

	build(&m, s, 5, mixed, 2, true);
	r = pair(&m, 1, 3);
	is_int(r.verdict, VB_P2P_THRU_HOST_BRIDGE, "AMD Zen skips the whitelist");
	vb_p2p_model_free(&m);
}

static void test_vfs(void)
{
	/* root port R (redirect), PF and two VFs; VFs' upstream is the PF's
	 * bridge (R), not the PF. */
	struct spec s[] = {
		{ "R", -1, 0, RED }, { "PF", 0, 0, NONE }, { "VF1", 0, 0, NONE }, { "VF2", 0, 0, NONE },
	};
	struct vb_p2p_model m;
	struct vb_p2p_result r;
	uint32_t sky = 0x80862020;

	build(&m, s, 4, &sky, 1, false);
	r = pair(&m, 2, 3);
	is_int(r.distance, 2, "two VFs: distance 2 through the PF's bridge");
	is_int(r.common, 0, "common upstream is the root port");
	is_int(r.verdict, VB_P2P_THRU_HOST_BRIDGE, "root port redirect, whitelisted: thru-host-bridge");
	r = pair(&m, 1, 2);
	is_int(r.distance, 2, "PF and its VF: distance 2, the VF is not the PF's child");
	vb_p2p_model_free(&m);
}

static void test_deep_tree(void)
{
	/* root port, two stacked switches (USP1, DSP1, USP2, DSP2a, DSP2b) and a
	 * third-level endpoint pair, plus an endpoint on DSP1's sibling */
	struct spec s[] = {
		{ "RP", -1, 0, NONE },  { "U1", 0, 0, NONE }, { "D1a", 1, 0, NONE },
		{ "D1b", 1, 0, NONE },  { "U2", 2, 0, NONE }, { "D2a", 4, 0, NONE },
		{ "D2b", 4, 0, NONE },  { "EA", 5, 0, NONE }, { "EB", 6, 0, NONE },
		{ "EC", 3, 0, NONE },
	};
	struct vb_p2p_model m;
	struct vb_p2p_result r;
	uint32_t q35 = 0x808629c0;

	build(&m, s, 10, &q35, 1, false);
	r = pair(&m, 7, 8);
	is_int(r.distance, 4, "siblings under the second switch: 4");
	is_int(r.common, 4, "common: second switch's USP");
	r = pair(&m, 7, 9);
	/* EA->D2a->U2->D1a->U1 (4) + EC->D1b->U1 (2) */
	is_int(r.distance, 6, "across the stacked switches: 4 + 2");
	is_int(r.common, 1, "common: first switch's USP");
	is_int(r.verdict, VB_P2P_BUS_ADDR, "no ACS anywhere: bus-addr");
	is_int(vb_p2p_ancestor(&m, 7, 5), 0, "chain of EA ends at the root port");
	is_int(vb_p2p_ancestor(&m, 7, 6), -1, "and no further");
	vb_p2p_model_free(&m);
}

static void test_broken_model(void)
{
	struct vb_p2p_model m = { 0 };
	struct vb_p2p_node loop[2] = { { "A", 1, 0, 0, 0 }, { "B", 0, 0, 0, 0 } };

	m.nodes = loop;
	m.n = 2;
	is_int(vb_p2p_model_finish(&m), -1, "a loop in the upstream links is refused");
	free(m.chains);
}

/* No cpuinfo (an lspci dump): a host-bridge refusal may be lifted by the
 * AMD Zen rule, so it is uncertain; what the whitelist allows, and bus-addr
 * inside the fabric, stay certain. */
static void test_cpu_unknown(void)
{
	struct spec s[] = {
		{ "RP0", -1, 0, NONE }, { "E0", 0, 0, NONE },
		{ "RP1", -1, 1, NONE }, { "E1", 2, 1, NONE },
		{ "E0b", 0, 0, NONE },
	};
	uint32_t q35[] = { 0x808629c0, 0x808629c0 };
	uint32_t both_sky[] = { 0x80862020, 0x80862030 };
	struct vb_p2p_model m;
	struct vb_p2p_result r;

	build(&m, s, 5, q35, 2, false);
	m.cpu_unknown = true;
	r = pair(&m, 1, 3);
	ok(r.verdict == VB_P2P_NOT_SUPPORTED && r.uncertain && r.cpu_unknown,
	   "unknown CPU: a host-bridge refusal is uncertain");
	r = pair(&m, 1, 4);
	ok(r.verdict == VB_P2P_BUS_ADDR && !r.uncertain && !r.cpu_unknown,
	   "unknown CPU: bus-addr below a common port stays certain");
	m.cpu_unknown = false;
	r = pair(&m, 1, 3);
	ok(!r.uncertain && !r.cpu_unknown, "known non-AMD CPU: the refusal is certain");
	vb_p2p_model_free(&m);

	build(&m, s, 5, both_sky, 2, false);
	m.cpu_unknown = true;
	r = pair(&m, 1, 3);
	ok(r.verdict == VB_P2P_THRU_HOST_BRIDGE && !r.uncertain && !r.cpu_unknown,
	   "unknown CPU: what the whitelist allows stays certain");
	vb_p2p_model_free(&m);
}

int main(void)
{
	bool same;

	ok(vb_p2p_whitelisted(0x8086, 0x2020, &same) && !same, "Skylake-E 2020 listed, any bridge");
	ok(vb_p2p_whitelisted(0x8086, 0x3c00, &same) && same, "3c00 listed, same bridge only");
	ok(!vb_p2p_whitelisted(0x8086, 0x29c0, &same), "q35 29c0 not listed");
	ok(vb_p2p_whitelisted(0x10de, 0x2f97, &same), "NVIDIA CPU listed");
	is_str(vb_p2p_verdict_name(VB_P2P_THRU_HOST_BRIDGE), "thru-host-bridge", "verdict names");
	test_lab_topology();
	test_acs_positions();
	test_host_bridges();
	test_vfs();
	test_deep_tree();
	test_broken_model();
	test_cpu_unknown();
	return tap_done();
}
