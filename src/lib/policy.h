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
 *   allow user:ops monitor              # every event
 *   quota user:alice leases:16 bytes:1G connections:8
 *   quota default leases:64 bytes:unlimited
 *
 * root (uid 0) may do everything; everyone else nothing unless a rule says
 * so.  Quotas count per uid (every connection of that uid together); the
 * built-in defaults bind every uid but root, quota lines bind root too.
 *
 * vb_policy_load trusts the file as sshd's StrictModes would: a regular
 * file (or the null device) owned by root or the caller, writable by no
 * one else, in directories (up to /) owned by root or the caller that no
 * one else may write to (a root-owned sticky directory such as /tmp is
 * fine). */
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
#define VB_QUOTA_DEFAULT_CONNECTIONS 64

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
	bool may_monitor;           /* sees every event (subscribe) */
	int line;
};

struct vb_policy_quota {
	struct vb_subject who;
	uint64_t leases, bytes, connections;
	bool has_leases, has_bytes, has_connections; /* on the line */
	int line;
};

/* What binds one uid (every connection of it together). */
struct vb_limits {
	uint64_t leases, bytes, connections; /* VB_QUOTA_UNLIMITED: none */
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

/* Who is asking (SO_PEERCRED + SO_PEERGROUPS).  groups is malloc'd, as
 * long as the kernel's list (never cut): free it with vb_peer_free. */
struct vb_peer {
	pid_t pid;
	uid_t uid;
	gid_t gid;
	gid_t *groups;
	int ngroups;
};

/* Read the credentials of a connected unix socket's peer, with every
 * supplementary group.  0, or -1 with errno (uid/gid then (uid_t)-1). */
int vb_peer_read(int fd, struct vb_peer *p);
void vb_peer_free(struct vb_peer *p);

void vb_policy_init(struct vb_policy *p); /* root only, default quota */
/* Parse the text of a config file; origin names it in messages
 * ("FILE:LINE: ..."; exit code 2).  p is replaced only on success. */
int vb_policy_parse(const char *text, const char *origin, struct vb_policy *p, struct vb_err *e);
/* The same for len bytes that need not be NUL-terminated: a NUL or any
 * other byte that is not text (control characters but tab and CR, invalid
 * UTF-8) is an error naming its line. */
int vb_policy_parse_buf(const char *buf, size_t len, const char *origin, struct vb_policy *p,
			struct vb_err *e);
/* Check that path may be trusted (see above), then read and parse it.
 * An untrusted file is an error (exit 4) naming the file or directory,
 * its owner and mode; p is kept. */
int vb_policy_load(const char *path, struct vb_policy *p, struct vb_err *e);
void vb_policy_free(struct vb_policy *p);
/* Open directory dir (links resolved first) for files root writes there:
 * every directory from / down is opened without following a link, and
 * dir itself must be trusted as the config file's directories are (root's
 * or ours, writable by nobody else unless root's and sticky).  The ones
 * above it may belong to a service (Debian's /var/lib/prometheus is
 * prometheus'): its owner can only rename within them, and what it could
 * put in dir's place is a link (not followed), a directory of its own
 * (refused) or a directory of root's already under its control.  what
 * names the file in messages ("untrusted metrics file directory ...";
 * exit 4).  The fd, or -1 with e. */
int vb_trusted_dir_open(const char *dir, const char *what, struct vb_err *e);

/* May peer export these ranges of `bar` of device?  nr == 0 means the
 * whole BAR of bar_size bytes.  On refusal why says which rule is missing. */
bool vb_policy_may_export(const struct vb_policy *p, const struct vb_peer *peer,
			  const char *device, int bar, uint64_t bar_size, const struct vb_range *r,
			  size_t nr, char *why, size_t n);
bool vb_policy_may_reset(const struct vb_policy *p, const struct vb_peer *peer, const char *device);
/* Does any rule let peer export something of device's bar (for `list`)? */
bool vb_policy_may_export_some(const struct vb_policy *p, const struct vb_peer *peer,
			       const char *device, int bar);
/* May peer see every event (root, or an allow ... monitor rule)? */
bool vb_policy_may_monitor(const struct vb_policy *p, const struct vb_peer *peer);
/* Does any rule give peer something (export or reset) on device? */
bool vb_policy_grants_device(const struct vb_policy *p, const struct vb_peer *peer,
			     const char *device);
/* The limits binding peer's uid: the most specific quota line (user, then
 * group, then default), keys it does not set from the built-in defaults
 * (root: unlimited). */
void vb_policy_limits(const struct vb_policy *p, const struct vb_peer *peer, struct vb_limits *l);
/* The leases and bytes of vb_policy_limits. */
void vb_policy_quota(const struct vb_policy *p, const struct vb_peer *peer, uint64_t *leases,
		     uint64_t *bytes);
/* "user:alice" / "uid:1000" / "group:gpu" / "any" / "default". */
const char *vb_subject_format(const struct vb_subject *s, char *buf, size_t n);

#endif
