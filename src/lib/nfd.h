/* nfd: node labels for Node Feature Discovery's `local` source.  NFD reads
 * feature files from /etc/kubernetes/node-feature-discovery/features.d/:
 * `NAME=VALUE` lines, `#` comments, `# +expiry-time=RFC3339` directives,
 * files over 64 KiB ignored.  This module computes the facts a scheduler
 * can use (from the doctor's host checks and the P2P model) and formats
 * them; it never writes a file (atomic_file.h does).
 *
 * Labels live under VB_NFD_PREFIX: a sub-namespace of
 * feature.node.kubernetes.io, which nfd-master accepts by default in every
 * version (newer ones accept any prefix outside kubernetes.io; older ones
 * only feature.node.kubernetes.io and its sub-namespaces).  The set of
 * labels is fixed, so the file's size does not grow with the host. */
#ifndef VB_NFD_H
#define VB_NFD_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "sysfs.h"
#include "topo.h"
#include "vb_error.h"

#define VB_NFD_PREFIX "vfiobuf.feature.node.kubernetes.io/"
#define VB_NFD_FILE_MAX 65536 /* NFD ignores a bigger feature file */
#define VB_NFD_VALUE_MAX 63   /* a Kubernetes label value */

struct vb_nfd_label {
	const char *name;                 /* after the prefix */
	char value[VB_NFD_VALUE_MAX + 1];
};

/* A label name (the part after the prefix) or value as Kubernetes accepts
 * it: at most 63 characters of [A-Za-z0-9._-], beginning and ending with a
 * letter or digit (a name must not be empty; a value may be). */
bool vb_nfd_name_valid(const char *name);
bool vb_nfd_value_valid(const char *value);

/* Encode text as a label value: ':' and '/' become '-' (so "pci0000:40" is
 * "pci0000-40" and "0000:40:01.0" is "0000-40-01.0"), every other character
 * outside [A-Za-z0-9._-] becomes '_'.  Returns 0, or -1 when the result is
 * not a valid value (longer than 63 characters, or not beginning and ending
 * with a letter or digit): never a cut value. */
int vb_nfd_value_encode(const char *text, char *out, size_t n);

/* The feature file: a comment naming its writer, `# +expiry-time=` (UTC,
 * RFC 3339) and one `PREFIX NAME=VALUE` line per label.  Returns a
 * malloc'd text (its length in *len), or NULL with e when a name or value
 * is invalid or the text would reach VB_NFD_FILE_MAX. */
char *vb_nfd_format(const struct vb_nfd_label *labels, size_t n, time_t expiry, size_t *len,
		    struct vb_err *e);

/* A fact that may not have been read: VB_NFD_UNKNOWN prints "unknown". */
enum vb_nfd_tristate { VB_NFD_UNKNOWN = 0, VB_NFD_FALSE, VB_NFD_TRUE };

struct vb_nfd_facts {
	enum vb_nfd_tristate dmabuf_export; /* doctor: kernel version and config */
	const char *iommu_mode;   /* "cdev", "group", "none" or "unknown" */
	long endpoints;           /* the endpoints counted */
	long p2p_groups;          /* P2P domains of 2 or more endpoints; -1 unknown */
	long p2p_largest;         /* endpoints in the largest; -1 unknown */
	char p2p_largest_name[VB_NFD_VALUE_MAX + 1]; /* its head, encoded; "" none */
	long bus_addr_pairs_min;  /* unordered pairs certainly bus-addr */
	long uncertain_pairs;     /* pairs whose verdict rests on inputs not read */
	enum vb_nfd_tristate acs_redirect; /* on the path of some pair */
};

/* Host facts from the doctor's checks (dmabuf_export, iommu_mode): unknown
 * for an lspci dump, which holds no kernel. */
void vb_nfd_host_facts(const struct vb_sys *s, struct vb_nfd_facts *f);

/* Pair facts over the given endpoints (indexes into t's model), each
 * unordered pair once, nothing stored per pair. */
void vb_nfd_pair_facts(const struct vb_topo *t, const int *eps, int neps,
		       struct vb_nfd_facts *f);

/* P2P group facts over the given endpoints: their P2P domains
 * (p2p_domain.h) computed among them alone, those of 2 or more endpoints
 * counted; unknown when a domain rests on ACS that was not read. */
void vb_nfd_group_facts(const struct vb_topo *t, const int *eps, int neps,
			struct vb_nfd_facts *f);

/* The labels for f (at most VB_NFD_MAX_LABELS into out); returns how many. */
#define VB_NFD_MAX_LABELS 10
size_t vb_nfd_labels(const struct vb_nfd_facts *f, struct vb_nfd_label *out);

#endif
