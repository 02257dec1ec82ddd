/* libpci_lazy: libpci through dlopen (see libpci_lazy.h).
 *
 * The table of entry points is written once, under pthread_once, and only
 * read afterwards: the same job the dynamic loader's GOT does for a linked
 * library, done on first use instead of at start.  The library is never
 * closed (libpci keeps no state between pci_alloc/pci_cleanup pairs that
 * an unload would have to undo, and a process that used it once is likely
 * to again). */
#include "libpci_lazy.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

struct libpci_table {
	struct pci_access *(*alloc)(void);
	void (*init)(struct pci_access *);
	void (*cleanup)(struct pci_access *);
	int (*set_param)(struct pci_access *, char *, char *);
	int (*read_block)(struct pci_dev *, int, u8 *, int);
	char *(*lookup_name)(struct pci_access *, char *, int, int, ...);
	char missing[160]; /* why loading failed, "" when it did not */
};

static struct libpci_table libpci;
static pthread_once_t libpci_once = PTHREAD_ONCE_INIT;

static void *entry(void *h, const char *name, struct libpci_table *t)
{
	void *f = dlsym(h, name);

	if (!f && !t->missing[0])
		snprintf(t->missing, sizeof(t->missing), "%s has no %s", VB_LIBPCI_SONAME, name);
	return f;
}

static void open_libpci(void)
{
	struct libpci_table *t = &libpci;
	void *h = dlopen(VB_LIBPCI_SONAME, RTLD_NOW | RTLD_LOCAL);

	if (!h) {
		const char *why = dlerror();

		snprintf(t->missing, sizeof(t->missing), "%s", why ? why : VB_LIBPCI_SONAME);
		return;
	}
	t->alloc = (struct pci_access * (*)(void)) entry(h, "pci_alloc", t);
	t->init = (void (*)(struct pci_access *))entry(h, "pci_init", t);
	t->cleanup = (void (*)(struct pci_access *))entry(h, "pci_cleanup", t);
	t->set_param = (int (*)(struct pci_access *, char *, char *))entry(h, "pci_set_param", t);
	t->read_block = (int (*)(struct pci_dev *, int, u8 *, int))entry(h, "pci_read_block", t);
	t->lookup_name = (char *(*)(struct pci_access *, char *, int, int, ...))entry(
		h, "pci_lookup_name", t);
}

int vb_libpci_load(struct vb_err *e)
{
	pthread_once(&libpci_once, open_libpci);
	if (libpci.missing[0])
		return vb_err_set(e, VB_EXIT_NOTSUP, 0, NULL,
				  "cannot load libpci (PCI names and lspci dumps need it): %s",
				  libpci.missing);
	return 0;
}

/* The calls below come only after a successful vb_libpci_load (pci_model
 * loads it before pci_alloc, and every other call needs what pci_alloc
 * returned). */
struct pci_access *vb_lazy_pci_alloc(void)
{
	return libpci.alloc();
}

void vb_lazy_pci_init(struct pci_access *a)
{
	libpci.init(a);
}

void vb_lazy_pci_cleanup(struct pci_access *a)
{
	libpci.cleanup(a);
}

int vb_lazy_pci_set_param(struct pci_access *a, char *param, char *value)
{
	return libpci.set_param(a, param, value);
}

int vb_lazy_pci_read_block(struct pci_dev *d, int pos, u8 *buf, int len)
{
	return libpci.read_block(d, pos, buf, len);
}

/* How many int arguments pci_lookup_name reads after flags (pci.h lists
 * them per kind): a variadic call is forwarded with exactly those. */
static int lookup_nargs(int flags)
{
	int kind = flags & (PCI_LOOKUP_VENDOR | PCI_LOOKUP_DEVICE | PCI_LOOKUP_CLASS |
			    PCI_LOOKUP_SUBSYSTEM | PCI_LOOKUP_PROGIF);

	if (kind == PCI_LOOKUP_VENDOR || kind == PCI_LOOKUP_CLASS ||
	    kind == (PCI_LOOKUP_SUBSYSTEM | PCI_LOOKUP_VENDOR))
		return 1;
	if (kind & PCI_LOOKUP_SUBSYSTEM)
		return 4;
	return 2; /* device (vendor, device), prog-if (class, prog_if) */
}

char *vb_lazy_pci_lookup_name(struct pci_access *a, char *buf, int size, int flags, ...)
{
	int arg[4] = { 0 }, n = lookup_nargs(flags);
	va_list ap;

	va_start(ap, flags);
	for (int i = 0; i < n; i++)
		arg[i] = va_arg(ap, int);
	va_end(ap);
	switch (n) {
	case 1:
		return libpci.lookup_name(a, buf, size, flags, arg[0]);
	case 2:
		return libpci.lookup_name(a, buf, size, flags, arg[0], arg[1]);
	default:
		return libpci.lookup_name(a, buf, size, flags, arg[0], arg[1], arg[2], arg[3]);
	}
}
