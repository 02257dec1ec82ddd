/* libpci_lazy: libpci is opened (dlopen) by the first vb_pci_open that
 * needs it, not by the dynamic loader at every start.  libpci needs
 * libudev and zlib, three libraries that `--version`, `distance`,
 * `export` or `serve` never call: loading them costs every run (the
 * start-up figures are in README, "Benchmarks").  Include after
 * <pci/pci.h>: the calls below are then routed through the table that
 * vb_libpci_load() fills, with libpci's own prototypes. */
#ifndef VFIOBUF_LIBPCI_LAZY_H
#define VFIOBUF_LIBPCI_LAZY_H

#include <pci/pci.h>

#include "vb_error.h"

/* The soname loaded: the one libpci-dev's libpci.so points to. */
#define VB_LIBPCI_SONAME "libpci.so.3"

/* Opens libpci once per process (later calls return at once); -1 with e
 * set (exit code "not supported") when it or one of its functions is
 * missing. */
int vb_libpci_load(struct vb_err *e);

struct pci_access *vb_lazy_pci_alloc(void);
void vb_lazy_pci_init(struct pci_access *a);
void vb_lazy_pci_cleanup(struct pci_access *a);
int vb_lazy_pci_set_param(struct pci_access *a, char *param, char *value);
int vb_lazy_pci_read_block(struct pci_dev *d, int pos, u8 *buf, int len);
char *vb_lazy_pci_lookup_name(struct pci_access *a, char *buf, int size, int flags, ...);

#define pci_alloc vb_lazy_pci_alloc
#define pci_init vb_lazy_pci_init
#define pci_cleanup vb_lazy_pci_cleanup
#define pci_set_param vb_lazy_pci_set_param
#define pci_read_block vb_lazy_pci_read_block
#define pci_lookup_name vb_lazy_pci_lookup_name

#endif
