/* Unit tests for modalias.c: modules.alias and modules.dep parsing, the most
 * specific vfio_pci: alias for a modalias, and the 7.3 export table of
 * vfio_driver.c. */
#include <string.h>

#include "modalias.h"
#include "tap.h"
#include "vfio_driver.h"

static const char ALIAS[] =
	"# Aliases extracted from modules themselves.\n"
	"alias pci:v00001AF4d00001042sv*sd*bc*sc*i* virtio_pci\n"
	"alias vfio_pci:v*d*sv*sd*bc*sc*i* vfio_pci\n"
	"alias vfio_pci:v00001AF4d*sv*sd*bc*sc*i* vendor_only_vfio\n"
	"alias vfio_pci:v00001AF4d00001042sv*sd*bc*sc*i* virtio_vfio_pci\n"
	"alias vfio_pci:v00001AF4d00001042sv*sd*bc*sc*i* second_equal\n"
	"alias vfio_pci:v00001AF4d00001042sv00001AF4sd00001100bc*sc*i* subsys-vfio-pci\n"
	"alias vfio_pci:v000010DEd00002342sv*sd*bc*sc*i* nvgrace_gpu_vfio_pci\n"
	"alias vfio_pci:v000015B3d0000101Esv*sd*bc*sc*i*\n"     /* no module: bad */
	"alias vfio_pci:v000015B3d0000101Esv*sd*bc*sc*i* a/b\n" /* bad module name */
	"aliasx vfio_pci:v* x\n"                                /* bad keyword */
	"\n"
	"alias vfio_pci:v00008086d00004941sv*sd*bc*sc*i* qat_vfio_pci"; /* no newline */

static const char DEP[] =
	"kernel/drivers/vfio/vfio.ko.xz:\n"
	"kernel/drivers/vfio/pci/vfio-pci-core.ko.xz: kernel/drivers/vfio/vfio.ko.xz\n"
	"kernel/drivers/vfio/pci/virtio/virtio-vfio-pci.ko.xz: kernel/drivers/vfio/pci/vfio-pci-core.ko.xz kernel/drivers/vfio/vfio.ko.xz\n"
	"kernel/drivers/vfio/pci/xe/xe-vfio-pci.ko.zst: kernel/drivers/gpu/drm/xe/xe.ko.zst kernel/drivers/vfio/pci/vfio-pci-core.ko.zst\n"
	"kernel/drivers/nvme/host/nvme.ko: kernel/drivers/nvme/host/nvme-core.ko\n"
	"kernel/drivers/misc/fake.ko: kernel/drivers/misc/vfio_pci_core_not.ko\n"
	"no colon here\n";

int main(void)
{
	struct vb_modindex m = { 0 };
	struct vb_err e = { 0 };
	const char *const nvgrace_only[] = { "nvgrace_gpu_vfio_pci", NULL };
	const char *virtio = "pci:v00001AF4d00001042sv00001AF4sd00001100bc01sc00i00";
	const char *virtio_net = "pci:v00001AF4d00001041sv00001AF4sd00001100bc02sc00i00";
	const char *other_sub = "pci:v00001AF4d00001042sv00001234sd00005678bc01sc00i00";
	int best;
	char name[32] = "mlx5-vfio-pci";

	vb_module_name_norm(name);
	is_str(name, "mlx5_vfio_pci", "module names: - is _");

	is_int(vb_modalias_parse(&m, ALIAS, strlen(ALIAS), &e), 0, "modules.alias parses");
	is_int((int)m.nalias, 7, "the 7 good vfio_pci: aliases kept, pci: ones not");
	is_int((int)m.bad_lines, 3, "3 malformed lines counted");
	is_str(m.alias[5].module, "nvgrace_gpu_vfio_pci", "module names kept");
	is_str(m.alias[4].module, "subsys_vfio_pci", "and normalised");
	is_str(m.alias[6].pattern, "v00008086d00004941sv*sd*bc*sc*i*", "a last line without newline");

	best = vb_modindex_best(&m, virtio, NULL);
	ok(best >= 0 && !strcmp(m.alias[best].module, "subsys_vfio_pci"),
	   "subsystem IDs too: 3 wildcards beat 5");
	best = vb_modindex_best(&m, other_sub, NULL);
	ok(best >= 0 && !strcmp(m.alias[best].module, "virtio_vfio_pci"),
	   "vendor+device beats vendor-only; between equals the first listed");
	best = vb_modindex_best(&m, virtio_net, NULL);
	ok(best >= 0 && !strcmp(m.alias[best].module, "vendor_only_vfio"),
	   "vendor-only is the match when nothing more specific is");
	is_int(vb_modindex_best(&m, "pci:v00008086d00000A54sv00008086sd00004804bc01sc08i02", NULL),
	       -1, "no variant: vfio_pci's own catch-all never wins (fallback)");
	is_int(vb_modindex_best(&m, "vfio_pci:v00001AF4d00001042sv*", NULL), -1,
	       "a modalias must be pci:");
	is_int(vb_modindex_best(&m, virtio, nvgrace_only), -1, "only: restricts the modules");
	best = vb_modindex_best(&m, "pci:v000010DEd00002342sv000010DEsd000016EBbc03sc02i00",
			       nvgrace_only);
	ok(best >= 0 && !strcmp(m.alias[best].module, "nvgrace_gpu_vfio_pci"), "GH200: nvgrace");
	is_int(vb_modalias_wildcards("v*d*sv*sd*bc*sc*i*"), 7, "wildcards counted");

	is_int(vb_moddep_parse(&m, DEP, strlen(DEP), &e), 0, "modules.dep parses");
	ok(vb_modindex_on_vfio_core(&m, "virtio_vfio_pci"), "virtio_vfio_pci sits on vfio_pci_core");
	ok(vb_modindex_on_vfio_core(&m, "xe-vfio-pci"), "either spelling, any compression");
	ok(!vb_modindex_on_vfio_core(&m, "nvme"), "nvme does not");
	ok(!vb_modindex_on_vfio_core(&m, "fake"), "a longer name is not vfio_pci_core");
	ok(!vb_modindex_on_vfio_core(&m, "vfio"), "vfio is below it, not on it");
	is_int((int)m.bad_lines, 4, "a line without a colon is malformed");
	ok(vb_modindex_has_vfio_alias(&m, "nvgrace-gpu-vfio-pci"), "nvgrace declares vfio_pci: aliases");
	ok(!vb_modindex_has_vfio_alias(&m, "virtio_pci"), "a pci: alias is not one");
	vb_modindex_free(&m);
	is_int((int)m.nalias, 0, "freed");

	is_int(vb_modalias_parse(&m, "alias vfio_pci:\0x y\n", 19, &e), 0, "NUL bytes");
	is_int((int)m.nalias, 0, "a pattern with a NUL is not kept");
	vb_modindex_free(&m);

	is_int(vb_vfio_driver_exports("vfio-pci", true), VB_EXPORT_YES, "vfio-pci exports");
	is_int(vb_vfio_driver_exports("nvgrace_gpu_vfio_pci", true), VB_EXPORT_YES, "nvgrace exports");
	is_int(vb_vfio_driver_exports("virtio_vfio_pci", true), VB_EXPORT_NO, "virtio does not");
	is_int(vb_vfio_driver_exports("xe-vfio-pci", true), VB_EXPORT_NO, "xe does not");
	is_int(vb_vfio_driver_exports("acme_vfio_pci", true), VB_EXPORT_UNKNOWN, "others: unknown");
	is_int(vb_vfio_driver_exports("nvme", false), VB_EXPORT_NO, "not VFIO: no");
	return tap_done();
}
