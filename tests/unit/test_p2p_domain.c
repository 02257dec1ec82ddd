/* Unit tests for p2p_domain.c: hand-built models with worked-out domains,
 * random models checked against the O(n^2) definition (every pair below
 * the domain bridge is bus-addr by vb_p2p_pair, the bridge above is not),
 * and, given SYSFS_ROOT arguments, the property on real trees:
 *
 *   test_p2p_domain [SYSFS_ROOT...]
 *
 * For every pair of endpoints with the same domain, vb_p2p_pair says
 * bus-addr (tests/k8s.bats runs it on every fixture and capture). */
#include <stdlib.h>
#include <string.h>

#include "p2p_domain.h"
#include "tap.h"
#include "topo.h"

enum { NONE = VB_P2P_ACS_NONE, RED = VB_P2P_ACS_REDIRECT, UNK = VB_P2P_ACS_UNKNOWN };

struct spec {
	const char *name;
	int up;
	int acs;
	bool endpoint;
};

static void build(struct vb_p2p_model *m, const struct spec *s, size_t n, bool *ep)
{
	memset(m, 0, sizeof(*m));
	m->nodes = calloc(n, sizeof(*m->nodes));
	m->bridges = calloc(1, sizeof(*m->bridges));
	m->n = n;
	m->nbridges = 1;
	for (size_t i = 0; i < n; i++) {
		snprintf(m->nodes[i].name, sizeof(m->nodes[i].name), "%s", s[i].name);
		m->nodes[i].up = s[i].up;
		m->nodes[i].acs = (enum vb_p2p_acs)s[i].acs;
		ep[i] = s[i].endpoint;
	}
	if (vb_p2p_model_finish(m) < 0)
		abort();
}

static const char *dom(const struct vb_p2p_model *m, const struct vb_p2p_domain *d, int i)
{
	const char *n = vb_p2p_domain_name(m, &d[i]);

	return n ? n : "(none)";
}

/* The QEMU lab: root port A (redirect) over a switch with two endpoints,
 * root port B (redirect) over one, root port C (redirect) over a
 * two-function device, and a function on the root bus. */
static void test_lab(void)
{
	const struct spec s[] = {
		/* 0 */ { "00:02.0", -1, RED, false }, /* root port A */
		/* 1 */ { "01:00.0", 0, NONE, false },  /* switch upstream */
		/* 2 */ { "02:00.0", 1, NONE, false },  /* downstream 1 */
		/* 3 */ { "02:01.0", 1, NONE, false },  /* downstream 2 */
		/* 4 */ { "03:00.0", 2, NONE, true },   /* NVMe */
		/* 5 */ { "04:00.0", 3, NONE, true },   /* ivshmem */
		/* 6 */ { "00:03.0", -1, RED, false }, /* root port B */
		/* 7 */ { "05:00.0", 6, NONE, true },   /* edu */
		/* 8 */ { "00:04.0", -1, RED, false }, /* root port C */
		/* 9 */ { "06:00.0", 8, NONE, true },   /* fn 0 */
		/* 10 */ { "06:00.1", 8, NONE, true },  /* fn 1 */
		/* 11 */ { "00:05.0", -1, NONE, true }, /* on the root bus */
	};
	size_t n = sizeof(s) / sizeof(s[0]);
	struct vb_p2p_domain d[sizeof(s) / sizeof(s[0])];
	bool ep[sizeof(s) / sizeof(s[0])];
	struct vb_p2p_model m;

	build(&m, s, n, ep);
	is_int(vb_p2p_domains(&m, ep, d), 0, "domains computed");
	/* the redirect of root port A lies on no path between the two
	 * endpoints (they meet at the switch), so A heads the domain */
	is_str(dom(&m, d, 4), "00:02.0", "NVMe: root port A (its redirect is above every pair)");
	is_str(dom(&m, d, 5), "00:02.0", "ivshmem: the same domain");
	ok(!d[4].uncertain, "every ACS known: certain");
	is_str(dom(&m, d, 7), "00:03.0", "edu alone under root port B: B");
	/* the two functions meet at root port C, which redirects */
	is_str(dom(&m, d, 9), "06:00.0", "fn 0: its own BDF (C redirects between the two)");
	is_str(dom(&m, d, 10), "06:00.1", "fn 1: its own BDF");
	is_int(d[9].kind, VB_P2P_DOMAIN_SELF, "kind self");
	is_str(dom(&m, d, 11), "00:05.0", "root-bus function: its own BDF");
	is_int(d[0].kind, VB_P2P_DOMAIN_NONE, "a bridge has no domain");
	ok(vb_p2p_domain_name(&m, &d[1]) == NULL, "and no name");
	vb_p2p_model_free(&m);
}

/* Unread ACS is taken as no redirect, and says so. */
static void test_unknown(void)
{
	const struct spec s[] = {
		/* 0 */ { "R", -1, UNK, false },
		/* 1 */ { "U", 0, UNK, false },
		/* 2 */ { "D1", 1, UNK, false },
		/* 3 */ { "D2", 1, NONE, false },
		/* 4 */ { "E1", 2, NONE, true },
		/* 5 */ { "E2", 3, NONE, true },
		/* 6 */ { "D3", 0, UNK, false }, /* a second port below R, no endpoint */
	};
	size_t n = sizeof(s) / sizeof(s[0]);
	struct vb_p2p_domain d[sizeof(s) / sizeof(s[0])];
	bool ep[sizeof(s) / sizeof(s[0])];
	struct vb_p2p_model m;

	build(&m, s, n, ep);
	vb_p2p_domains(&m, ep, d);
	is_str(dom(&m, d, 4), "R", "unread ACS taken as no redirect: R");
	ok(d[4].uncertain, "uncertain");
	/* U (the common node) and D1 lie between E1 and E2; R and D3 do not */
	is_int(d[4].nunknown, 2, "two unread ports matter: U and D1");
	is_int(d[4].unknown_first, 1, "the first is U");
	vb_p2p_model_free(&m);
}

/* An endpoint with its own redirect (a multi-function device's ACS) is on
 * every path it takes part in. */
static void test_endpoint_acs(void)
{
	const struct spec s[] = {
		{ "R", -1, NONE, false }, { "A", 0, RED, true }, { "B", 0, NONE, true },
		{ "R2", -1, NONE, false }, { "C", 3, RED, true },
	};
	size_t n = sizeof(s) / sizeof(s[0]);
	struct vb_p2p_domain d[sizeof(s) / sizeof(s[0])];
	bool ep[sizeof(s) / sizeof(s[0])];
	struct vb_p2p_model m;

	build(&m, s, n, ep);
	vb_p2p_domains(&m, ep, d);
	is_str(dom(&m, d, 1), "A", "redirecting endpoint: alone");
	is_str(dom(&m, d, 2), "B", "its sibling: alone too");
	is_str(dom(&m, d, 4), "R2", "a redirecting endpoint with no peer keeps its bridge");
	vb_p2p_model_free(&m);
}

/* ---- the definition, O(n^2) ------------------------------------------------ */

static bool below(const struct vb_p2p_model *m, int x, int D)
{
	for (int k = 0; k < m->nodes[x].depth; k++)
		if (vb_p2p_ancestor(m, x, k) == D)
			return true;
	return false;
}

/* All pairs of endpoints below D bus-addr?  *unk: one of them uncertain. */
static bool all_bus_addr(const struct vb_p2p_model *m, const bool *ep, int D, bool *unk)
{
	struct vb_p2p_result r;

	*unk = false;
	for (size_t a = 0; a < m->n; a++) {
		if (!ep[a] || !below(m, (int)a, D))
			continue;
		for (size_t b = a + 1; b < m->n; b++) {
			if (!ep[b] || !below(m, (int)b, D))
				continue;
			vb_p2p_pair(m, (int)a, (int)b, &r);
			if (r.verdict != VB_P2P_BUS_ADDR)
				return false;
			*unk |= r.nunknown > 0;
		}
	}
	return true;
}

/* Returns the number of disagreements with the definition. */
static int check_definition(const struct vb_p2p_model *m, const bool *ep,
			    const struct vb_p2p_domain *d, bool verbose)
{
	int bad = 0;

	for (size_t e = 0; e < m->n; e++) {
		int want = (int)e;
		bool unk = false, want_unk = false;

		if (!ep[e]) {
			bad += d[e].kind != VB_P2P_DOMAIN_NONE;
			continue;
		}
		for (int k = 1; k < m->nodes[e].depth; k++) {
			int D = vb_p2p_ancestor(m, (int)e, k);

			if (!all_bus_addr(m, ep, D, &unk))
				break;
			want = D;
			want_unk = unk;
		}
		if (d[e].head != want || d[e].uncertain != want_unk) {
			bad++;
			if (verbose)
				printf("#   %s: domain %s%s, want %s%s\n", m->nodes[e].name,
				       d[e].head >= 0 ? m->nodes[d[e].head].name : "-",
				       d[e].uncertain ? "?" : "", m->nodes[want].name, want_unk ? "?" : "");
		}
	}
	return bad;
}

/* The property: the same domain means bus-addr.  Returns the violations. */
static long check_property(const struct vb_p2p_model *m, const struct vb_p2p_domain *d,
			   long *npairs)
{
	struct vb_p2p_result r;
	long bad = 0;

	for (size_t a = 0; a < m->n; a++) {
		if (d[a].kind != VB_P2P_DOMAIN_BRIDGE)
			continue;
		for (size_t b = a + 1; b < m->n; b++) {
			if (d[b].kind != VB_P2P_DOMAIN_BRIDGE || d[b].head != d[a].head)
				continue;
			(*npairs)++;
			vb_p2p_pair(m, (int)a, (int)b, &r);
			if (r.verdict != VB_P2P_BUS_ADDR) {
				bad++;
				printf("#   %s and %s share %s but are %s\n", m->nodes[a].name,
				       m->nodes[b].name, m->nodes[d[a].head].name,
				       vb_p2p_verdict_name(r.verdict));
			}
		}
	}
	return bad;
}

static unsigned rnd(unsigned *state)
{
	*state = *state * 1103515245u + 12345u;
	return (*state >> 16) & 0x7fff;
}

static void test_random(void)
{
	unsigned seed = 17;
	int disagree = 0, trees = 300;
	long violations = 0, npairs = 0;

	for (int t = 0; t < trees; t++) {
		size_t n = 2 + rnd(&seed) % 40;
		struct spec *s = calloc(n, sizeof(*s));
		bool *ep = calloc(n, sizeof(bool));
		struct vb_p2p_domain *d = calloc(n, sizeof(*d));
		char (*names)[8] = calloc(n, sizeof(*names));
		struct vb_p2p_model m;

		for (size_t i = 0; i < n; i++) {
			snprintf(names[i], sizeof(names[i]), "n%zu", i);
			s[i].name = names[i];
			/* a parent among the earlier nodes, or a root bus */
			s[i].up = i == 0 || rnd(&seed) % 5 == 0 ? -1 : (int)(rnd(&seed) % i);
			s[i].acs = rnd(&seed) % 4 == 0 ? RED : rnd(&seed) % 5 == 0 ? UNK : NONE;
			s[i].endpoint = rnd(&seed) % 2;
		}
		build(&m, s, n, ep);
		vb_p2p_domains(&m, ep, d);
		disagree += check_definition(&m, ep, d, disagree < 5);
		violations += check_property(&m, d, &npairs);
		vb_p2p_model_free(&m);
		free(s);
		free(ep);
		free(d);
		free(names);
	}
	is_int(disagree, 0, "%d random trees: every domain is the highest bridge whose pairs are all bus-addr", trees);
	is_int(violations, 0, "random trees: %ld pairs sharing a domain, all bus-addr", npairs);
}

/* ---- real trees ------------------------------------------------------------- */

static void test_tree(const char *root)
{
	struct vb_sys sys;
	struct vb_err e = { 0 };
	struct vb_topo t;
	struct vb_p2p_domain *d;
	bool *ep;
	long npairs = 0, bad;
	int nep = 0;

	if (vb_sys_init(&sys, root, &e) < 0 || vb_topo_load(&sys, 0, &t, &e) < 0) {
		ok(0, "%s: loaded (%s)", root, e.msg);
		return;
	}
	d = calloc(t.devs.n + 1, sizeof(*d));
	ep = calloc(t.devs.n + 1, sizeof(bool));
	for (size_t i = 0; i < t.devs.n; i++)
		nep += ep[i] = vb_p2p_is_endpoint(&t.devs.v[i]);
	is_int(vb_p2p_domains(&t.model, ep, d), 0, "%s: %zu functions, %d endpoints", root, t.devs.n, nep);
	bad = check_property(&t.model, d, &npairs);
	is_int(bad, 0, "%s: %ld pairs sharing a domain, all bus-addr", root, npairs);
	if (t.devs.n <= 400)
		is_int(check_definition(&t.model, ep, d, true), 0, "%s: every domain as defined", root);
	free(d);
	free(ep);
	vb_topo_free(&t);
}

int main(int argc, char **argv)
{
	if (argc > 1) {
		for (int i = 1; i < argc; i++)
			test_tree(argv[i]);
		return tap_done();
	}
	test_lab();
	test_unknown();
	test_endpoint_acs();
	test_random();
	return tap_done();
}
