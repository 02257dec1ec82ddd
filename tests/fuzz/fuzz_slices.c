/* libFuzzer target: the ResourceSlice reader (k8s_slices.c) on arbitrary
 * bytes, for node "node-a", and the check of what it kept against a small
 * hand-built topology (no sysfs: nothing is read from disk).
 * Traps on: a parse failure without a message; a device or skipped entry
 * with a NULL name; a report whose counts disagree with its issues. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "k8s_slices.h"

/* Root port 0000:00:01.0 (redirect) over 0000:01:00.0 and .1; one node per
 * function, no host-bridge whitelist. */
static void tiny_topo(struct vb_topo *t, struct vb_device *devs, struct vb_p2p_node *nodes,
		      struct vb_p2p_host_bridge *hb, struct vb_p2p_domain *dom)
{
	static const char *const names[] = { "0000:00:01.0", "0000:01:00.0", "0000:01:00.1" };
	static bool ep[] = { false, true, true };

	memset(t, 0, sizeof(*t));
	memset(hb, 0, sizeof(*hb));
	snprintf(hb->name, sizeof(hb->name), "pci0000:00");
	for (int i = 0; i < 3; i++) {
		memset(&devs[i], 0, sizeof(devs[i]));
		memset(&nodes[i], 0, sizeof(nodes[i]));
		vb_bdf_parse(names[i], &devs[i].bdf);
		snprintf(devs[i].name, sizeof(devs[i].name), "%s", names[i]);
		devs[i].is_bridge = i == 0;
		snprintf(nodes[i].name, sizeof(nodes[i].name), "%s", names[i]);
		nodes[i].up = i == 0 ? -1 : 0;
		nodes[i].acs = i == 0 ? VB_P2P_ACS_REDIRECT : VB_P2P_ACS_UNKNOWN;
	}
	t->devs.v = devs;
	t->devs.n = 3;
	t->model.nodes = nodes;
	t->model.n = 3;
	t->model.bridges = hb;
	t->model.nbridges = 1;
	t->config_gap = "not captured";
	if (vb_p2p_model_finish(&t->model) < 0 || vb_p2p_domains(&t->model, ep, dom) < 0)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vb_k8s_slices sl;
	struct vb_k8s_report r;
	struct vb_err e = { 0 };
	struct vb_topo t;
	struct vb_device devs[3];
	struct vb_p2p_node nodes[3];
	struct vb_p2p_host_bridge hb;
	struct vb_p2p_domain dom[3];
	struct vb_sys sys;
	size_t n;

	if (vb_k8s_slices_parse((const char *)data, size, "node-a", &sl, &e) < 0) {
		if (!e.msg[0])
			abort();
		return 0;
	}
	for (size_t i = 0; i < sl.ndev; i++)
		if (!sl.dev[i].name || !sl.dev[i].driver || !sl.dev[i].pool || !sl.dev[i].slice)
			abort();
	for (size_t i = 0; i < sl.nskipped; i++)
		if (!sl.skipped[i].slice)
			abort();
	memset(&sys, 0, sizeof(sys));
	snprintf(sys.sysfs, sizeof(sys.sysfs), "/nonexistent-vfiobuf-fuzz/sys");
	sys.fake = true;
	tiny_topo(&t, devs, nodes, &hb, dom);
	if (vb_k8s_check(&sys, &t, dom, &sl, &r, &e) == 0) {
		n = 0;
		for (size_t i = 0; i < r.n; i++)
			n += r.v[i].kind != VB_K8S_ISSUE_UNMATCHED;
		if (n != r.nfindings + r.nuncertain)
			abort();
		vb_k8s_report_free(&r);
	}
	free(t.model.chains);
	vb_k8s_slices_free(&sl);
	return 0;
}
