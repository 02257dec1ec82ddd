/* libFuzzer target: the module index parsers (modalias.c) on arbitrary
 * bytes.  Input: modules.alias text, then optionally "\n%%dep\n" and
 * modules.dep text.  Properties (trap on): every kept alias has a pattern
 * and a valid module name; the best alias for a modalias, when there is
 * one, matches it (fnmatch) and is not vfio_pci's; nothing leaks (ASan). */
#include <fnmatch.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "modalias.h"

static const char *const modaliases[] = {
	"pci:v00001AF4d00001042sv00001AF4sd00001100bc01sc00i00",
	"pci:v000010DEd00002342sv000010DEsd000016EBbc03sc02i00",
	"pci:v000015B3d0000101Esv000015B3sd00000007bc02sc00i00",
	"pci:",
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data, *split = memmem(data, size, "\n%%dep\n", 7);
	size_t alen = split ? (size_t)(split - text) : size;
	struct vb_modindex m = { 0 };
	struct vb_err e = { 0 };

	if (vb_modalias_parse(&m, text, alen, &e) < 0 ||
	    (split && vb_moddep_parse(&m, split + 7, size - alen - 7, &e) < 0)) {
		vb_modindex_free(&m);
		return 0; /* out of memory only */
	}
	for (size_t i = 0; i < m.nalias; i++)
		if (!m.alias[i].pattern || !m.alias[i].module[0] || strchr(m.alias[i].module, '-') ||
		    strchr(m.alias[i].module, '/'))
			abort();
	for (size_t k = 0; k < sizeof(modaliases) / sizeof(modaliases[0]); k++) {
		int best = vb_modindex_best(&m, modaliases[k], NULL);

		if (best >= 0 && (fnmatch(m.alias[best].pattern, modaliases[k] + 4, 0) != 0 ||
				  strcmp(m.alias[best].module, "vfio_pci") == 0))
			abort();
	}
	for (size_t i = 0; i < m.nvfio; i++)
		if (!vb_modindex_on_vfio_core(&m, m.vfio_mods[i]))
			abort();
	vb_modindex_free(&m);
	return 0;
}
