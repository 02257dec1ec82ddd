/* Unit tests for k8s_slices.c's reader: which ResourceSlices are kept, and
 * how each attribute value is read (resource.k8s.io/v1 DeviceAttribute:
 * exactly one of int, bool, string, version, or a list form). */
#include <stdlib.h>
#include <string.h>

#include "k8s_attr.h"
#include "k8s_slices.h"
#include "tap.h"

static int parse(const char *doc, const char *node, struct vb_k8s_slices *s, struct vb_err *e)
{
	memset(e, 0, sizeof(*e));
	return vb_k8s_slices_parse(doc, strlen(doc), node, s, e);
}

#define SLICE(name, api, nodefield, pool, gen, devices)                                     \
	"{\"apiVersion\":\"" api "\",\"kind\":\"ResourceSlice\",\"metadata\":{\"name\":\"" name \
	"\"},\"spec\":{\"driver\":\"d.example.com\"," nodefield ",\"pool\":{\"name\":\"" pool   \
	"\",\"generation\":" gen ",\"resourceSliceCount\":1},\"devices\":[" devices "]}}"

static void test_values(void)
{
	const char *doc = "{\"kind\":\"List\",\"items\":[" SLICE(
		"s", "resource.k8s.io/v1", "\"nodeName\":\"n\"", "p", "1",
		"{\"name\":\"a\",\"attributes\":{"
		"\"resource.kubernetes.io/pciBusID\":{\"string\":\"0000:41:00.0\"},"
		"\"resource.kubernetes.io/numaNode\":{\"ints\":[3,2]},"
		"\"resource.kubernetes.io/pcieRoot\":{\"string\":\"pci0000:40\",\"int\":null},"
		"\"vfiobuf.io/p2pDomain\":{\"string\":\"x\",\"int\":1}}},"
		"{\"name\":\"b\",\"attributes\":{"
		"\"resource.kubernetes.io/pciBusID\":{\"version\":\"1.2.3\"},"
		"\"resource.kubernetes.io/numaNode\":{\"int\":\"0\"},"
		"\"resource.kubernetes.io/pcieRoot\":{},"
		"\"vfiobuf.io/p2pDomain\":{\"strings\":[\"a\"]}}},"
		"{\"name\":\"c\",\"attributes\":{\"pciBusID\":{\"string\":\"0000:41:00.0\"},"
		"\"resource.kubernetes.io/numaNode\":{\"float\":1}}},"
		"7") "]}";
	struct vb_k8s_slices s;
	struct vb_err e;

	is_int(parse(doc, "n", &s, &e), 0, "a List of one slice");
	is_int(s.ndev, 3, "three devices (a non-object is skipped)");
	is_int(s.nskipped, 1, "and said so");
	is_int(s.dev[0].bus_id.type, VB_K8S_STRING, "string");
	is_str(s.dev[0].bus_id.str, "0000:41:00.0", "its value");
	is_int(s.dev[0].numa_node.type, VB_K8S_INTS, "ints (the list form)");
	is_int(s.dev[0].numa_node.num, 3, "its first element");
	is_int(s.dev[0].pcie_root.type, VB_K8S_STRING, "a null member beside the value is ignored");
	is_int(s.dev[0].p2p_domain.type, VB_K8S_MALFORMED, "two values: malformed");
	is_int(s.dev[1].bus_id.type, VB_K8S_VERSION, "version");
	is_int(s.dev[1].numa_node.type, VB_K8S_MALFORMED, "an int given as a string: malformed");
	is_int(s.dev[1].pcie_root.type, VB_K8S_MALFORMED, "no value: malformed");
	is_int(s.dev[1].p2p_domain.type, VB_K8S_OTHER_LIST, "strings");
	is_int(s.dev[2].bus_id.type, VB_K8S_ABSENT, "a name without the domain is the driver's, not the standard one");
	is_int(s.dev[2].numa_node.type, VB_K8S_MALFORMED, "an unknown form: malformed");
	is_str(s.dev[0].driver, "d.example.com", "driver");
	is_str(s.dev[0].pool, "p", "pool");
	is_str(s.dev[0].slice, "s", "slice");
	vb_k8s_slices_free(&s);
}

static void test_selection(void)
{
	const char *doc = "{\"apiVersion\":\"v1\",\"kind\":\"List\",\"items\":["
		SLICE("new", "resource.k8s.io/v1", "\"nodeName\":\"n\"", "p", "5", "{\"name\":\"x\"}") ","
		SLICE("old", "resource.k8s.io/v1", "\"nodeName\":\"n\"", "p", "4", "{\"name\":\"y\"}") ","
		SLICE("new2", "resource.k8s.io/v1", "\"nodeName\":\"n\"", "p", "5", "{\"name\":\"z\"}") ","
		SLICE("other-pool", "resource.k8s.io/v1", "\"nodeName\":\"n\"", "q", "1", "{\"name\":\"w\"}") ","
		SLICE("beta", "resource.k8s.io/v1beta2", "\"nodeName\":\"n\"", "r", "1", "{\"name\":\"v\"}") ","
		SLICE("elsewhere", "resource.k8s.io/v1", "\"nodeName\":\"m\"", "p", "9", "{\"name\":\"u\"}") ","
		SLICE("everywhere", "resource.k8s.io/v1", "\"allNodes\":true", "p", "9", "{\"name\":\"t\"}") ","
		"{\"apiVersion\":\"v1\",\"kind\":\"Node\"}]}";
	struct vb_k8s_slices s;
	struct vb_err e;
	size_t old = 0;

	is_int(parse(doc, "n", &s, &e), 0, "parsed");
	is_int(s.nslices, 3, "kept: the pool's two newest slices and the other pool's");
	is_int(s.ndev, 3, "their devices");
	is_int(s.nother_nodes, 1, "one slice of another node, only counted");
	is_int(s.nskipped, 4, "skipped: the old generation, v1beta2, not node-local, not a slice");
	for (size_t i = 0; i < s.nskipped; i++)
		old += strcmp(s.skipped[i].slice, "old") == 0 &&
		       strstr(s.skipped[i].reason, "generation 5") != NULL;
	is_int(old, 1, "the old one names the pool's generation");
	vb_k8s_slices_free(&s);

	is_int(parse(SLICE("one", "resource.k8s.io/v1", "\"nodeName\":\"n\"", "p", "1", "{\"name\":\"x\"}"),
		     "n", &s, &e), 0, "one ResourceSlice alone");
	is_int(s.ndev, 1, "its device");
	vb_k8s_slices_free(&s);

	ok(parse("{\"kind\":\"List\",\"items\":[] ", "n", &s, &e) < 0 && e.exit_code == VB_EXIT_USAGE,
	   "not JSON: usage error");
	ok(parse("{\"kind\":\"Pod\"}", "n", &s, &e) < 0 && strstr(e.msg, "not a ResourceSlice"),
	   "not a list: %s", e.msg);
	ok(parse("{\"kind\":\"List\",\"items\":[],\"items\":[]}", "n", &s, &e) < 0,
	   "duplicate keys are refused");
	ok(parse("[1,2]", "n", &s, &e) < 0, "an array");
}

int main(void)
{
	test_values();
	test_selection();
	return tap_done();
}
