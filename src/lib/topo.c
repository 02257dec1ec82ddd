/* topo: building the P2P model from the inventory (see topo.h). */
#include "topo.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* vendor_id and cpu family of the first processor in cpuinfo. */
int vb_cpu_info_read(const struct vb_sys *s, struct vb_cpu_info *c)
{
	char path[PATH_MAX], line[256];
	FILE *f;

	memset(c, 0, sizeof(*c));
	c->family = -1;
	if (vb_sys_is_dump(s))
		return -1; /* an lspci dump says nothing of the CPU: unknown */
	if (vb_root_path(s, path, sizeof(path), "/proc/cpuinfo") < 0)
		return -1;
	f = fopen(path, "r");
	if (!f)
		return -1;
	c->known = true;
	while (fgets(line, sizeof(line), f)) {
		char *colon = strchr(line, ':');

		if (!colon)
			continue;
		if (strncmp(line, "vendor_id", 9) == 0 && !c->vendor[0])
			sscanf(colon + 1, " %31s", c->vendor);
		else if (strncmp(line, "cpu family", 10) == 0 && c->family < 0)
			c->family = atoi(colon + 1);
		if (c->vendor[0] && c->family >= 0)
			break;
	}
	fclose(f);
	return 0;
}

/* The kernel's cpu_supports_p2pdma(): x86 AMD family >= 0x17. */
bool vb_cpu_p2p_capable(const struct vb_cpu_info *c)
{
	return strcmp(c->vendor, "AuthenticAMD") == 0 && c->family >= 0x17;
}

int vb_topo_index(const struct vb_topo *t, const struct vb_bdf *bdf)
{
	const struct vb_device *d = vb_devlist_find(&t->devs, bdf);

	return d ? (int)(d - t->devs.v) : -1;
}

static enum vb_p2p_acs acs_of(const struct vb_device *d)
{
	switch (d->acs) {
	case VB_ACS_PRESENT:
		return d->acs_ctrl & VB_ACS_REDIR_MASK ? VB_P2P_ACS_REDIRECT : VB_P2P_ACS_NONE;
	case VB_ACS_ABSENT:
		return VB_P2P_ACS_NONE;
	default:
		return VB_P2P_ACS_UNKNOWN;
	}
}

static int bridge_index(struct vb_p2p_model *m, const struct vb_device *d)
{
	for (size_t i = 0; i < m->nbridges; i++)
		if (strcmp(m->bridges[i].name, d->host_bridge) == 0)
			return (int)i;
	snprintf(m->bridges[m->nbridges].name, sizeof(m->bridges[0].name), "%s", d->host_bridge);
	m->bridges[m->nbridges].synthesized = d->host_bridge_synthesized;
	m->bridges[m->nbridges].numa_node = -1;
	return (int)m->nbridges++;
}

static unsigned root_evidence(const struct vb_device *d)
{
	unsigned ev = 0;

	if (d->is_bridge)
		ev |= VB_ROOT_EV_TYPE1;
	if ((d->class_code >> 8) == 0x0604)
		ev |= VB_ROOT_EV_CLASS_BRIDGE;
	if (d->port_services)
		ev |= VB_ROOT_EV_PORT_SERVICES;
	if (strcmp(d->driver, "pcieport") == 0)
		ev |= VB_ROOT_EV_PCIEPORT;
	return ev;
}

/* pci_host_bridge_dev(): the first device on the host bridge's root bus is
 * the root device if it is devfn 00.0 or a PCIe root port.  Devices are
 * sorted by BDF, so the first one seen on a bridge's root bus is the
 * lowest devfn.  When its PCIe type was not read (64 bytes of config), a
 * type-1 header of class 0604 on a root bus is taken for a root port, and
 * the bridge says it is an inference. */
static void note_root_device(struct vb_p2p_host_bridge *hb, const struct vb_device *d)
{
	if (hb->root_name[0] || d->has_parent || d->is_vf)
		return;
	snprintf(hb->root_name, sizeof(hb->root_name), "%s", d->name);
	hb->vendor = d->vendor_id;
	hb->device = d->device_id;
	if (d->bdf.dev == 0 && d->bdf.func == 0)
		hb->has_root = true;
	else if (d->pcie_type != VB_PCIE_UNKNOWN)
		hb->has_root = d->pcie_type == VB_PCIE_ROOT_PORT;
	else if (d->is_bridge || d->synthesized) {
		/* a root port has a type-1 header; without one it cannot be */
		hb->root_evidence = root_evidence(d);
		hb->has_root = d->is_bridge && (d->class_code >> 8) == 0x0604;
		hb->root_inferred = true;
	}
}

/* Break loops in the upstream links (a capture whose paths and names
 * disagree): a function never is its own ancestor. */
static void cut_loops(struct vb_topo *t)
{
	struct vb_p2p_model *m = &t->model;

	for (size_t i = 0; i < m->n; i++) {
		int slow = (int)i, fast = (int)i;

		for (size_t steps = 0; steps <= m->n; steps++) {
			if (fast < 0 || m->nodes[fast].up < 0)
				break;
			fast = m->nodes[m->nodes[fast].up].up;
			slow = m->nodes[slow].up;
			if (fast >= 0 && fast == slow) {
				/* on a cycle: cut the link out of i's nearest cycle node */
				int x = slow;

				t->devs.v[x].problems |= VB_PROB_PARENT_LOOP;
				m->nodes[x].up = -1;
				t->devs.v[x].has_parent = false;
				break;
			}
		}
	}
}

/* Build the model from an inventory already read (takes ownership). */
static int vb_topo_build(struct vb_topo *t, struct vb_devlist *devs, const struct vb_cpu_info *cpu,
		  struct vb_err *e)
{
	struct vb_p2p_model *m = &t->model;

	memset(t, 0, sizeof(*t));
	t->devs = *devs;
	memset(devs, 0, sizeof(*devs));
	t->cpu = *cpu;
	m->n = t->devs.n;
	m->nodes = calloc(m->n ? m->n : 1, sizeof(*m->nodes));
	m->bridges = calloc(m->n ? m->n : 1, sizeof(*m->bridges));
	if (!m->nodes || !m->bridges) {
		vb_topo_free(t);
		return vb_err_set(e, VB_EXIT_FAIL, ENOMEM, NULL, "out of memory");
	}
	m->cpu_p2p = vb_cpu_p2p_capable(cpu);
	m->cpu_unknown = !cpu->known;
	for (size_t i = 0; i < m->n; i++) {
		const struct vb_device *d = &t->devs.v[i];
		struct vb_p2p_node *nd = &m->nodes[i];

		snprintf(nd->name, sizeof(nd->name), "%s", d->name);
		nd->up = d->has_parent ? vb_topo_index(t, &d->parent) : -1;
		if (nd->up == (int)i) {
			nd->up = -1;
			t->devs.v[i].problems |= VB_PROB_PARENT_LOOP;
		}
		nd->acs = acs_of(d);
		nd->host_bridge = bridge_index(m, d);
	}
	cut_loops(t);
	for (size_t i = 0; i < m->n; i++) {
		struct vb_p2p_host_bridge *hb = &m->bridges[m->nodes[i].host_bridge];

		note_root_device(hb, &t->devs.v[i]);
		if (hb->numa_node < 0 && t->devs.v[i].numa_node >= 0)
			hb->numa_node = t->devs.v[i].numa_node;
	}
	if (vb_p2p_model_finish(m) < 0) {
		vb_topo_free(t);
		return vb_err_set(e, VB_EXIT_FAIL, ELOOP, NULL,
				  "the PCI hierarchy is deeper than %d bridges (loop in the bus numbers or sysfs paths?)",
				  VB_P2P_MAX_DEPTH);
	}
	return 0;
}

int vb_topo_load(const struct vb_sys *s, unsigned pci_flags, struct vb_topo *t,
		 struct vb_err *e)
{
	return vb_topo_load_under(s, pci_flags, NULL, t, e);
}

int vb_topo_load_under(const struct vb_sys *s, unsigned pci_flags, const char *top,
		       struct vb_topo *t, struct vb_err *e)
{
	struct vb_pci *p = vb_pci_open(s, pci_flags | VB_PCI_CONFIG, e);
	struct vb_devlist devs = { 0 };
	struct vb_cpu_info cpu;
	int rc;

	memset(t, 0, sizeof(*t));
	if (!p)
		return -1;
	rc = vb_pci_scan_under(p, top, &devs, e);
	vb_pci_close(p);
	if (rc < 0 || vb_devlist_add_ancestors(s, &devs, e) < 0) {
		vb_devlist_free(&devs);
		return -1;
	}
	vb_cpu_info_read(s, &cpu);
	if (vb_topo_build(t, &devs, &cpu, e) < 0)
		return -1;
	t->config_gap = vb_sys_config_gap(s);
	return 0;
}

const char *vb_topo_missing_reason(const struct vb_topo *t, int i)
{
	if (i >= 0 && (size_t)i < t->devs.n && t->devs.v[i].synthesized)
		return "not in bus/pci/devices";
	if (i >= 0 && (size_t)i < t->devs.n && t->devs.v[i].config_broken)
		return "config unreadable";
	return t->config_gap ? t->config_gap : "not read";
}

void vb_topo_free(struct vb_topo *t)
{
	vb_devlist_free(&t->devs);
	vb_p2p_model_free(&t->model);
}
