/* modalias: which VFIO driver a PCI function should get, from the kernel's
 * module index (modules.alias, modules.dep), the way modprobe and libvirt
 * (since 10.0) read it.
 *
 * A VFIO variant driver declares its devices with
 * PCI_DRIVER_OVERRIDE_DEVICE_VFIO, which file2alias turns into aliases with
 * the prefix "vfio_pci:" instead of "pci:" (the rest is the usual
 * vNNNNNNNNdNNNNNNNNsvNNNNNNNNsdNNNNNNNNbcNNscNNiNN, "*" where the ID is
 * PCI_ANY_ID), so that only a driver_override can bind them.  A function's
 * own modalias (sysfs `modalias`, "pci:v...") matches such an alias when it
 * matches the glob after the prefixes, as fnmatch(3) does for modprobe.
 *
 * The most specific match wins: the alias with the fewest "*"; between as
 * many, the one with more literal characters; between equals, the first in
 * modules.alias (depmod's order).  vfio_pci's own catch-all alias never
 * wins: no variant matching is the fallback to vfio-pci.
 *
 * The files: ROOT/lib/modules/KVER/ where ROOT is the parent of the sysfs
 * root (see sysfs.h) and KVER the release in ROOT/proc/sys/kernel/osrelease,
 * or uname(2)'s on the live system.  On the live system a file that is not
 * root's or that others can write is not trusted (read as absent, said in
 * `problem`). */
#ifndef VB_MODALIAS_H
#define VB_MODALIAS_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>

#include "sysfs.h"
#include "vb_error.h"

#define VB_MODULE_NAME_MAX 55 /* the kernel's MODULE_NAME_LEN - 1 */
#define VB_MODALIAS_MAX (64 << 20) /* a bigger modules.alias/dep is refused */

struct vb_vfio_alias {
	char *pattern;  /* after "vfio_pci:" */
	char module[VB_MODULE_NAME_MAX + 1];
};

struct vb_modindex {
	char kver[128];               /* the release whose files were read */
	char alias_path[PATH_MAX];    /* modules.alias (as a path outside the root) */
	bool have_alias, have_dep;    /* the file was read */
	char problem[PATH_MAX + 96];  /* why a file was not read ("" when both were) */
	struct vb_vfio_alias *alias;  /* the vfio_pci: aliases, file order */
	size_t nalias, alias_cap;
	char (*vfio_mods)[VB_MODULE_NAME_MAX + 1]; /* modules depending on vfio_pci_core */
	size_t nvfio, vfio_cap;
	size_t bad_lines;             /* malformed lines skipped */
};

/* "foo-bar" -> "foo_bar" in place: module names as the kernel keeps them. */
void vb_module_name_norm(char *name);

/* Parse modules.alias text (len bytes, need not end in NUL): keeps the
 * vfio_pci: aliases.  Parse modules.dep text: keeps the modules that
 * depend on vfio_pci_core.  Both append to m (zeroed first); malformed
 * lines are skipped and counted.  -1 only when out of memory. */
int vb_modalias_parse(struct vb_modindex *m, const char *text, size_t len, struct vb_err *e);
int vb_moddep_parse(struct vb_modindex *m, const char *text, size_t len, struct vb_err *e);

/* Read both files for the system s.  A missing or untrusted file is not an
 * error (have_* false, problem says why); -1 when out of memory. */
int vb_modindex_load(const struct vb_sys *s, struct vb_modindex *m, struct vb_err *e);
void vb_modindex_free(struct vb_modindex *m);

/* module (either spelling) depends on vfio_pci_core per modules.dep. */
bool vb_modindex_on_vfio_core(const struct vb_modindex *m, const char *module);

/* module (either spelling) declares vfio_pci: aliases: only VFIO drivers
 * do (PCI_DRIVER_OVERRIDE_DEVICE_VFIO); what tells when vfio_pci_core is
 * built in and so in no modules.dep line. */
bool vb_modindex_has_vfio_alias(const struct vb_modindex *m, const char *module);

/* The best vfio_pci: alias for a function's modalias ("pci:v..."): its
 * index in m->alias, or -1 when none matches (the fallback).  only: NULL,
 * or a NULL-terminated list of the modules to consider. */
int vb_modindex_best(const struct vb_modindex *m, const char *modalias,
		     const char *const *only);

/* The "*" count of a pattern (its specificity: fewer is more specific). */
int vb_modalias_wildcards(const char *pattern);

/* A function's modalias: the sysfs attribute, or made from its IDs the way
 * the kernel does when the attribute is missing (fixtures).  -errno. */
int vb_device_modalias(const struct vb_sys *s, const char *bdf, char *buf, size_t n);

#endif
