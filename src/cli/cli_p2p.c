/* cli_p2p: P2P verdict printing shared by distance and topology. */
#include "cli_p2p.h"

#include <stdio.h>
#include <string.h>

static const char *node_name(const struct vb_topo *t, int i)
{
	return i >= 0 ? t->devs.v[i].name : NULL;
}

/* "type-1 header, class 0604, port services, pcieport" */
static const char *evidence_text(unsigned ev, char *buf, size_t n)
{
	static const char *const words[] = { "type-1 header", "class 0604",
					     "PCIe port services in sysfs", "bound to pcieport" };

	return vb_bit_names(ev, words, sizeof(words) / sizeof(words[0]), ", ", "no evidence", buf, n);
}

static const char *bridge_desc(const struct vb_topo *t, int hb, char *buf, size_t n)
{
	const struct vb_p2p_host_bridge *b = &t->model.bridges[hb];
	bool same;

	if (!b->has_root && b->root_inferred)
		snprintf(buf, n, "%s (first device %s %04x:%04x: PCIe type not read, %s)", b->name,
			 b->root_name, b->vendor, b->device,
			 "taken for no root port: no type-1 bridge header");
	else if (!b->has_root)
		snprintf(buf, n, "%s (no qualifying root device)", b->name);
	else
		snprintf(buf, n, "%s (root %s %04x:%04x, %s)", b->name, b->root_name, b->vendor,
			 b->device,
			 vb_p2p_whitelisted(b->vendor, b->device, &same)
				 ? (same ? "whitelisted for the same bridge only" : "whitelisted")
				 : "not in the kernel's P2PDMA whitelist");
	return buf;
}

static const char *verdict_reason(const struct vb_topo *t, const struct vb_p2p_result *r,
				  char *buf, size_t n);

/* "; uncertain: ..." naming each input the verdict needed and lacked. */
static void uncertainty_text(const struct vb_topo *t, const struct vb_p2p_result *r, char *buf,
			     size_t n)
{
	size_t len = strlen(buf);
	char ev[128];

#define ADD(...) (len += (size_t)snprintf(buf + len, len < n ? n - len : 0, __VA_ARGS__))
	if (r->nunknown) {
		ADD("; uncertain: ACS of ");
		for (int i = 0; i < r->nunknown; i++)
			ADD("%s%s (%s)", i ? ", " : "", node_name(t, r->unknown[i]),
			    vb_topo_missing_reason(t, r->unknown[i]));
		ADD(" not read: if %s redirect%s it is %s%s", r->nunknown > 1 ? "they" : "it",
		    r->nunknown > 1 ? "" : "s", vb_p2p_verdict_name(r->verdict_if_redirect),
		    t->model.cpu_unknown && r->verdict_if_redirect == VB_P2P_NOT_SUPPORTED
			    ? " (thru-host-bridge if the unknown CPU is AMD Zen)" : "");
	}
	if (r->cpu_unknown)
		ADD("; uncertain: the CPU is unknown (no cpuinfo was read): on AMD Zen "
		    "(family >= 0x17) it would be thru-host-bridge");
	for (int i = 0; i < r->nroot_inferred; i++) {
		const struct vb_p2p_host_bridge *b = &t->model.bridges[r->root_inferred[i]];

		ADD("; uncertain: %s's first device %s is taken for %s from %s; its PCIe "
		    "type lies past the config bytes read (%s)",
		    b->name, b->root_name, b->has_root ? "a root port" : "no root port",
		    evidence_text(b->root_evidence, ev, sizeof(ev)), t->config_gap ? t->config_gap : "not read");
	}
#undef ADD
}

const char *cli_p2p_reason(const struct vb_topo *t, const struct vb_p2p_result *r, char *buf,
			   size_t n)
{
	verdict_reason(t, r, buf, n);
	uncertainty_text(t, r, buf, n);
	return buf;
}

static const char *verdict_reason(const struct vb_topo *t, const struct vb_p2p_result *r,
				  char *buf, size_t n)
{
	char hb[160], redir[160] = "";
	const struct vb_p2p_model *m = &t->model;
	size_t len = 0;

	for (int i = 0; i < r->nredir; i++)
		len += (size_t)snprintf(redir + len, len < sizeof(redir) ? sizeof(redir) - len : 0,
					"%s%s", i ? ", " : "", m->nodes[r->redir[i]].name);
	if (r->verdict == VB_P2P_BUS_ADDR) {
		snprintf(buf, n, "%s%s%s", r->distance == 0 ? "same function" : "common upstream ",
			 r->distance == 0 ? "" : node_name(t, r->common),
			 r->distance == 0 ? "" : " and no ACS redirect on the path: traffic stays in the PCIe fabric");
		return buf;
	}
	bridge_desc(t, r->hb_provider, hb, sizeof(hb));
	len = (size_t)snprintf(buf, n, "%s%s%s",
			       r->common < 0 ? "no common upstream bridge: traffic goes through the host bridge"
					     : "ACS redirect on ",
			       r->common < 0 ? "" : redir,
			       r->common < 0 ? "" : " sends traffic up through the host bridge");
	if (r->zen_rule)
		snprintf(buf + len, n - len, "; allowed because the CPU is AMD Zen (family >= 0x17)");
	else if (r->hb_provider != r->hb_client) {
		char hb2[160];

		snprintf(buf + len, n - len, "; %s between %s and %s",
			 r->hb_whitelisted ? "allowed" : "refused", hb,
			 bridge_desc(t, r->hb_client, hb2, sizeof(hb2)));
	} else
		snprintf(buf + len, n - len, "; %s: %s", r->hb_whitelisted ? "allowed" : "refused", hb);
	return buf;
}

static void names_json(struct vb_out *o, const char *key, const struct vb_topo *t,
		       const int *idx, int n)
{
	out_open_array(o, key);
	for (int i = 0; i < n; i++)
		out_str(o, OUT_ITEM, NULL, node_name(t, idx[i]));
	out_close_array(o);
}

static void bridge_json(struct vb_out *o, const char *key, const struct vb_topo *t, int hb)
{
	const struct vb_p2p_host_bridge *b = &t->model.bridges[hb];
	bool same = false, listed = b->has_root && vb_p2p_whitelisted(b->vendor, b->device, &same);
	char id[16];

	out_open_object(o, key);
	out_str(o, "name", NULL, b->name);
	out_str_or_null(o, "root_device", NULL, b->has_root ? b->root_name : NULL);
	snprintf(id, sizeof(id), "%04x:%04x", b->vendor, b->device);
	out_str_or_null(o, "root_id", NULL, b->has_root ? id : NULL);
	out_bool(o, "whitelisted", NULL, listed);
	out_bool(o, "same_bridge_only", NULL, same);
	out_close_object(o);
}

/* "missing": every input the verdict needed and lacked, and why. */
static void missing_json(struct vb_out *o, const struct vb_topo *t, const struct vb_p2p_result *r)
{
	out_open_array(o, "missing");
	for (int i = 0; i < r->nunknown; i++) {
		out_open_object(o, OUT_ITEM);
		out_str(o, "bdf", NULL, node_name(t, r->unknown[i]));
		out_str(o, "input", NULL, "acs");
		out_str(o, "reason", NULL, vb_topo_missing_reason(t, r->unknown[i]));
		out_close_object(o);
	}
	for (int i = 0; i < r->nroot_inferred; i++) {
		const struct vb_p2p_host_bridge *b = &t->model.bridges[r->root_inferred[i]];

		out_open_object(o, OUT_ITEM);
		out_str(o, "bdf", NULL, b->root_name);
		out_str(o, "input", NULL, "pcie_type");
		out_str(o, "reason", NULL, t->config_gap ? t->config_gap : "not read");
		out_str(o, "host_bridge", NULL, b->name);
		out_close_object(o);
	}
	if (r->cpu_unknown) {
		out_open_object(o, OUT_ITEM);
		out_null(o, "bdf", NULL);
		out_str(o, "input", NULL, "cpu");
		out_str(o, "reason", NULL, "no cpuinfo was read");
		out_close_object(o);
	}
	out_close_array(o);
}

static void pair_json(struct vb_out *o, const struct vb_topo *t, int a, int b,
		      const struct vb_p2p_result *r, bool brief)
{
	char buf[2048];

	out_str(o, "provider", NULL, node_name(t, a));
	out_str(o, "client", NULL, node_name(t, b));
	out_str(o, "verdict", NULL, vb_p2p_verdict_name(r->verdict));
	out_int(o, "distance", NULL, r->distance);
	out_int(o, "kernel_distance", NULL, r->kernel_distance);
	out_str_or_null(o, "common_upstream", NULL, node_name(t, r->common));
	names_json(o, "acs_redirect", t, r->redir, r->nredir);
	names_json(o, "acs_unknown", t, r->unknown, r->nunknown);
	out_bool(o, "uncertain", NULL, r->uncertain);
	if (r->nunknown)
		out_str(o, "verdict_if_redirect", NULL, vb_p2p_verdict_name(r->verdict_if_redirect));
	missing_json(o, t, r);
	out_bool(o, "cpu_unknown", NULL, r->cpu_unknown);
	out_bool(o, "host_bridge_checked", NULL, r->host_bridge_checked);
	out_bool(o, "zen_rule", NULL, r->zen_rule);
	if (brief) {
		out_str(o, "provider_host_bridge", NULL, t->model.bridges[r->hb_provider].name);
		out_str(o, "client_host_bridge", NULL, t->model.bridges[r->hb_client].name);
	} else {
		bridge_json(o, "provider_host_bridge", t, r->hb_provider);
		bridge_json(o, "client_host_bridge", t, r->hb_client);
	}
	out_str_or_null(o, "advice", NULL, vb_p2p_advice(&t->model, r, buf, sizeof(buf)));
	out_str(o, "reason", NULL, cli_p2p_reason(t, r, buf, sizeof(buf)));
}

void cli_p2p_pair_json(struct vb_out *o, const struct vb_topo *t, int a, int b,
		       const struct vb_p2p_result *r)
{
	pair_json(o, t, a, b, r, false);
}

void cli_p2p_pair_json_brief(struct vb_out *o, const struct vb_topo *t, int a, int b,
			     const struct vb_p2p_result *r)
{
	pair_json(o, t, a, b, r, true);
}
