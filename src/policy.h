/* policy: who may do what through the broker (`vfiobuf serve --config`).
 * Parsing and decisions are pure (name lookups aside: user:NAME and
 * group:NAME go through getpwnam/getgrnam); the file format is documented
 * in vfiobuf-serve(1), CONFIGURATION:
 *
 *   socket-group vfiobuf                # group owning the socket
 *   socket-mode 0660
 *   device 0000:41:00.0                 # open at start (repeatable)
 *   allow user:alice device:0000:41:00.0 bar:2 range:0:64M
 *   allow group:gpu device:* bar:* export reset
 *   quota user:alice leases:16 bytes:1G
 *   quota default leases:64 bytes:unlimited
 *
 * root (uid 0) may do everything; everyone else nothing unless a rule says
 * so.  Quotas bind every client connection, root included. */
#ifndef VB_POLICY_H
#define VB_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "bdf.h"
#include "ranges.h"
#include "vb_error.h"

#define VB_POLICY_MAX_RANGES 16
#define VB_POLICY_MAX_DEVICES 64
#define VB_QUOTA_UNLIMITED UINT64_MAX
#define VB_QUOTA_DEFAULT_LEASES 1024

enum vb_subject_kind { VB_SUBJ_ANY, VB_SUBJ_UID, VB_SUBJ_GID, VB_SUBJ_DEFAULT };

struct vb_subject {
	enum vb_subject_kind kind;
	uint32_t id;
};

struct vb_policy_rule {
	struct vb_subject who;
	char device[VB_BDF_STRLEN]; /* "" = any device */
	int bar;                    /* -1 = any BAR */
	struct vb_range ranges[VB_POLICY_MAX_RANGES];
	size_t nranges;             /* 0 = the whole BAR */
	bool may_export, may_reset;
	int line;
};

struct vb_policy_quota {
	struct vb_subject who;
	uint64_t leases, bytes;
	int line;
};

struct vb_policy {
	struct vb_policy_rule *rules;
	size_t nrules;
	struct vb_policy_quota *quotas;
	size_t nquotas;
	bool has_socket_group;
	gid_t socket_gid;
	unsigned socket_mode;       /* default 0660 */
	char devices[VB_POLICY_MAX_DEVICES][VB_BDF_STRLEN];
	size_t ndevices;
};

/* Who is asking (SO_PEERCRED + SO_PEERGROUPS). */
struct vb_peer {
	pid_t pid;
	uid_t uid;
	gid_t gid;
	gid_t groups[64];
	int ngroups;
};

void vb_policy_init(struct vb_policy *p); /* root only, default quota */
/* Parse the text of a config file; origin names it in messages
 * ("FILE:LINE: ..."; exit code 2).  p is replaced only on success. */
int vb_policy_parse(const char *text, const char *origin, struct vb_policy *p, struct vb_err *e);
int vb_policy_load(const char *path, struct vb_policy *p, struct vb_err *e);
void vb_policy_free(struct vb_policy *p);

/* May peer export these ranges of `bar` of device?  nr == 0 means the
 * whole BAR of bar_size bytes.  On refusal why says which rule is missing. */
bool vb_policy_may_export(const struct vb_policy *p, const struct vb_peer *peer,
			  const char *device, int bar, uint64_t bar_size, const struct vb_range *r,
			  size_t nr, char *why, size_t n);
bool vb_policy_may_reset(const struct vb_policy *p, const struct vb_peer *peer, const char *device);
/* Does any rule let peer export something of device's bar (for `list`)? */
bool vb_policy_may_export_some(const struct vb_policy *p, const struct vb_peer *peer,
			       const char *device, int bar);
/* The quota binding peer. */
void vb_policy_quota(const struct vb_policy *p, const struct vb_peer *peer, uint64_t *leases,
		     uint64_t *bytes);
/* "user:alice" / "uid:1000" / "group:gpu" / "any" / "default". */
const char *vb_subject_format(const struct vb_subject *s, char *buf, size_t n);

#endif
