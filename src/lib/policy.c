/* policy: broker access rules and quotas.  See policy.h. */
#include "policy.h"
#include "jtext.h"
#include "proto.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>


#define MAX_CONFIG_BYTES (1 << 20)

void vb_policy_init(struct vb_policy *p)
{
	memset(p, 0, sizeof(*p));
	p->socket_mode = 0660;
}

void vb_policy_free(struct vb_policy *p)
{
	free(p->rules);
	free(p->quotas);
	vb_policy_init(p);
}

struct parse_ctx {
	const char *origin;
	int line;
	struct vb_err *e;
};

static int perr(struct parse_ctx *c, const char *fmt, const char *what)
{
	char msg[200];

	snprintf(msg, sizeof(msg), fmt, what);
	return vb_err_set(c->e, VB_EXIT_USAGE, 0, NULL, "%s:%d: %s", c->origin, c->line, msg);
}

static int parse_u32(const char *s, uint32_t *out)
{
	char *end;
	unsigned long v;

	if (!*s || *s == '-' || *s == '+')
		return -1;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || v > UINT32_MAX)
		return -1;
	*out = (uint32_t)v;
	return 0;
}

static int lookup_user(const char *name, uint32_t *uid)
{
	struct passwd *pw;

	if (parse_u32(name, uid) == 0)
		return 0;
	pw = getpwnam(name);
	if (!pw)
		return -1;
	*uid = pw->pw_uid;
	return 0;
}

static int lookup_group(const char *name, uint32_t *gid)
{
	struct group *gr;

	if (parse_u32(name, gid) == 0)
		return 0;
	gr = getgrnam(name);
	if (!gr)
		return -1;
	*gid = gr->gr_gid;
	return 0;
}

static int parse_subject(struct parse_ctx *c, const char *tok, bool quota, struct vb_subject *s)
{
	if (!strcmp(tok, "any") && !quota) {
		s->kind = VB_SUBJ_ANY;
		return 0;
	}
	if (!strcmp(tok, "default") && quota) {
		s->kind = VB_SUBJ_DEFAULT;
		return 0;
	}
	if (!strncmp(tok, "user:", 5) || !strncmp(tok, "uid:", 4)) {
		s->kind = VB_SUBJ_UID;
		if (lookup_user(strchr(tok, ':') + 1, &s->id) < 0)
			return perr(c, "unknown user '%s'", strchr(tok, ':') + 1);
		return 0;
	}
	if (!strncmp(tok, "group:", 6) || !strncmp(tok, "gid:", 4)) {
		s->kind = VB_SUBJ_GID;
		if (lookup_group(strchr(tok, ':') + 1, &s->id) < 0)
			return perr(c, "unknown group '%s'", strchr(tok, ':') + 1);
		return 0;
	}
	return perr(c, quota ? "expected user:NAME, group:NAME or default, not '%s'"
			     : "expected user:NAME, group:NAME or any, not '%s'", tok);
}

/* Keys that may appear once in a rule (range: is a list). */
enum rule_key { RK_EXPORT, RK_RESET, RK_MONITOR, RK_DEVICE, RK_BAR };

static int once(struct parse_ctx *c, unsigned *seen, enum rule_key k, const char *tok)
{
	char key[16];
	const char *colon = strchr(tok, ':');

	if (!(*seen & (1u << k))) {
		*seen |= 1u << k;
		return 0;
	}
	snprintf(key, sizeof(key), "%.*s", colon ? (int)(colon - tok) : 12, tok);
	return perr(c, "'%s' given twice in one rule (write one rule per value)", key);
}

static int parse_rule_token(struct parse_ctx *c, const char *tok, unsigned *seen,
			    struct vb_policy_rule *r)
{
	struct vb_bdf b;
	uint32_t bar;

	if (!strcmp(tok, "export")) {
		r->may_export = true;
		return once(c, seen, RK_EXPORT, tok);
	}
	if (!strcmp(tok, "reset")) {
		r->may_reset = true;
		return once(c, seen, RK_RESET, tok);
	}
	if (!strcmp(tok, "monitor")) {
		r->may_monitor = true;
		return once(c, seen, RK_MONITOR, tok);
	}
	if (!strncmp(tok, "device:", 7)) {
		if (once(c, seen, RK_DEVICE, tok) < 0)
			return -1;
		if (!strcmp(tok, "device:*")) {
			r->device[0] = '\0';
			return 0;
		}
		if (vb_bdf_parse(tok + 7, &b) < 0)
			return perr(c, "'%s' is not a PCI address", tok + 7);
		vb_bdf_format(&b, r->device);
		return 0;
	}
	if (!strncmp(tok, "bar:", 4)) {
		if (once(c, seen, RK_BAR, tok) < 0)
			return -1;
		if (!strcmp(tok, "bar:*")) {
			r->bar = -1;
			return 0;
		}
		if (parse_u32(tok + 4, &bar) < 0 || bar > 5)
			return perr(c, "invalid BAR '%s' (0-5 or *)", tok + 4);
		r->bar = (int)bar;
		return 0;
	}
	if (!strncmp(tok, "range:", 6)) {
		struct vb_err re = { 0 };

		if (r->nranges == VB_POLICY_MAX_RANGES)
			return perr(c, "too many ranges in one rule (at most %s)", "16");
		if (vb_range_parse(tok + 6, &r->ranges[r->nranges], &re) < 0)
			return perr(c, "%.150s", re.msg);
		r->nranges++;
		return 0;
	}
	return perr(c, "unknown allow token '%s'", tok);
}

static int parse_allow(struct parse_ctx *c, char **tok, int ntok, struct vb_policy *p)
{
	struct vb_policy_rule r = { .bar = -1, .line = c->line }, *grown;

	if (ntok < 2)
		return perr(c, "%s needs a subject (user:NAME, group:NAME or any)", "allow");
	if (parse_subject(c, tok[1], false, &r.who) < 0)
		return -1;
	unsigned seen = 0;

	for (int i = 2; i < ntok; i++)
		if (parse_rule_token(c, tok[i], &seen, &r) < 0)
			return -1;
	if (!r.may_export && !r.may_reset && !r.may_monitor)
		r.may_export = true;
	if (r.nranges && r.bar < 0)
		return perr(c, "%s: ranges need one bar:N", "allow");
	if (r.may_monitor && !r.may_export && !r.may_reset &&
	    (r.device[0] || r.bar >= 0 || r.nranges))
		return perr(c, "%s: monitor is for every device (no device:, bar: or range:)", "allow");
	grown = realloc(p->rules, (p->nrules + 1) * sizeof(*grown));
	if (!grown)
		return vb_err_set(c->e, VB_EXIT_FAIL, ENOMEM, NULL, "out of memory");
	p->rules = grown;
	p->rules[p->nrules++] = r;
	return 0;
}

static int parse_limit(struct parse_ctx *c, const char *tok, const char *key, bool *set,
		       uint64_t *out)
{
	struct vb_err se = { 0 };
	const char *v = tok + strlen(key);
	char what[16];

	snprintf(what, sizeof(what), "%.*s", (int)strlen(key) - 1, key);
	if (*set)
		return perr(c, "'%s' given twice in one quota", what);
	*set = true;
	if (!strcmp(v, "unlimited")) {
		*out = VB_QUOTA_UNLIMITED;
		return 0;
	}
	if (vb_parse_size(v, what, out, &se) < 0)
		return perr(c, "%.150s", se.msg);
	return 0;
}

static int parse_quota(struct parse_ctx *c, char **tok, int ntok, struct vb_policy *p)
{
	struct vb_policy_quota q = { .line = c->line }, *grown;
	int rc = 0;

	if (ntok < 3)
		return perr(c, "%s needs a subject and leases:N, bytes:SIZE and/or connections:N",
			    "quota");
	if (parse_subject(c, tok[1], true, &q.who) < 0)
		return -1;
	for (int i = 2; i < ntok && rc == 0; i++) {
		if (!strncmp(tok[i], "leases:", 7))
			rc = parse_limit(c, tok[i], "leases:", &q.has_leases, &q.leases);
		else if (!strncmp(tok[i], "bytes:", 6))
			rc = parse_limit(c, tok[i], "bytes:", &q.has_bytes, &q.bytes);
		else if (!strncmp(tok[i], "connections:", 12))
			rc = parse_limit(c, tok[i], "connections:", &q.has_connections,
					 &q.connections);
		else
			return perr(c, "unknown quota token '%s' (leases:N, bytes:SIZE, connections:N)",
				    tok[i]);
	}
	if (rc < 0)
		return -1;
	grown = realloc(p->quotas, (p->nquotas + 1) * sizeof(*grown));
	if (!grown)
		return vb_err_set(c->e, VB_EXIT_FAIL, ENOMEM, NULL, "out of memory");
	p->quotas = grown;
	p->quotas[p->nquotas++] = q;
	return 0;
}

static int parse_socket_line(struct parse_ctx *c, char **tok, int ntok, struct vb_policy *p)
{
	char *end;
	unsigned long mode;
	uint32_t gid;

	if (ntok != 2)
		return perr(c, "%s takes one value", tok[0]);
	if (!strcmp(tok[0], "socket-group")) {
		if (lookup_group(tok[1], &gid) < 0)
			return perr(c, "unknown group '%s'", tok[1]);
		p->has_socket_group = true;
		p->socket_gid = gid;
		return 0;
	}
	errno = 0;
	mode = strtoul(tok[1], &end, 8);
	if (errno || *end || mode > 0777 || (mode & 0600) != 0600)
		return perr(c, "invalid socket-mode '%s' (octal, owner rw required)", tok[1]);
	p->socket_mode = (unsigned)mode;
	return 0;
}

static int parse_device_line(struct parse_ctx *c, char **tok, int ntok, struct vb_policy *p)
{
	struct vb_bdf b;

	for (int i = 1; i < ntok; i++) {
		if (vb_bdf_parse(tok[i], &b) < 0)
			return perr(c, "'%s' is not a PCI address", tok[i]);
		if (p->ndevices == VB_POLICY_MAX_DEVICES)
			return perr(c, "too many devices (at most %s)", "64");
		vb_bdf_format(&b, p->devices[p->ndevices++]);
	}
	return ntok > 1 ? 0 : perr(c, "%s needs a PCI address", "device");
}

static int parse_line(struct parse_ctx *c, char *line, struct vb_policy *p)
{
	char *tok[64], *save = NULL, *t;
	int ntok = 0;

	if ((t = strchr(line, '#')))
		*t = '\0';
	for (t = strtok_r(line, " \t\r", &save); t; t = strtok_r(NULL, " \t\r", &save)) {
		if (ntok == 64)
			return perr(c, "too many words on one line (at most %s)", "64");
		tok[ntok++] = t;
	}
	if (ntok == 0)
		return 0;
	if (!strcmp(tok[0], "allow"))
		return parse_allow(c, tok, ntok, p);
	if (!strcmp(tok[0], "quota"))
		return parse_quota(c, tok, ntok, p);
	if (!strcmp(tok[0], "device"))
		return parse_device_line(c, tok, ntok, p);
	if (!strcmp(tok[0], "socket-group") || !strcmp(tok[0], "socket-mode"))
		return parse_socket_line(c, tok, ntok, p);
	return perr(c, "unknown keyword '%s' (allow, quota, device, socket-group, socket-mode)",
		    tok[0]);
}

/* Every byte text: printable, tab, CR, newline, valid UTF-8.  Else an
 * error naming the line and the byte. */
static int check_text(struct parse_ctx *c, const char *buf, size_t len)
{
	const unsigned char *s = (const unsigned char *)buf;

	c->line = 1;
	for (size_t i = 0; i < len;) {
		size_t n = vb_utf8_seq(s + i, len - i);
		char what[24];

		if (s[i] == '\n') {
			c->line++;
			i++;
			continue;
		}
		if (n == 0 || (s[i] < 0x20 && s[i] != '\t' && s[i] != '\r') || s[i] == 0x7f) {
			snprintf(what, sizeof(what), s[i] ? "byte 0x%02x" : "a NUL byte", s[i]);
			return perr(c, "%s: not text (nothing after it was read)", what);
		}
		i += n;
	}
	c->line = 0;
	return 0;
}

int vb_policy_parse_buf(const char *buf, size_t len, const char *origin, struct vb_policy *p,
			struct vb_err *e)
{
	struct parse_ctx c = { .origin = origin, .e = e };
	struct vb_policy np;
	char *copy, *line, *save = NULL;
	int rc = 0;

	if (check_text(&c, buf, len) < 0)
		return -1;
	copy = strndup(buf, len);
	if (!copy)
		return vb_err_set(e, VB_EXIT_FAIL, ENOMEM, NULL, "out of memory");
	vb_policy_init(&np);
	/* strtok_r would skip empty lines and lose the line numbers */
	for (line = copy; line && rc == 0; line = save) {
		save = strchr(line, '\n');
		if (save)
			*save++ = '\0';
		c.line++;
		rc = parse_line(&c, line, &np);
	}
	free(copy);
	if (rc < 0) {
		vb_policy_free(&np);
		return -1;
	}
	vb_policy_free(p);
	*p = np;
	return 0;
}

int vb_policy_parse(const char *text, const char *origin, struct vb_policy *p, struct vb_err *e)
{
	return vb_policy_parse_buf(text, strlen(text), origin, p, e);
}

/* "uid 65534 (nobody)" */
static void owner_name(uid_t uid, char *buf, size_t n)
{
	struct passwd *pw = getpwuid(uid);

	if (pw)
		snprintf(buf, n, "uid %u (%s)", (unsigned)uid, pw->pw_name);
	else
		snprintf(buf, n, "uid %u", (unsigned)uid);
}

/* May st (of path, a directory when dir) be trusted?  Owned by root or us,
 * writable by nobody else (a directory may be writable by all when it is
 * sticky and root's, as /tmp). */
static int check_trust(const char *what, const char *path, const struct stat *st, bool dir,
		       struct vb_err *e)
{
	uid_t me = geteuid();
	char owner[64];
	const char *why = NULL;

	if (st->st_uid != 0 && st->st_uid != me)
		why = "not owned by root";
	else if ((st->st_mode & 022) && !(dir && (st->st_mode & S_ISVTX) && st->st_uid == 0))
		why = (st->st_mode & 002) ? "writable by everyone" : "writable by its group";
	if (!why)
		return 0;
	owner_name(st->st_uid, owner, sizeof(owner));
	return vb_err_set(e, VB_EXIT_PERM, 0, NULL,
			  "untrusted %s %s %s: owner %s, mode %04o: %s (it must be root's and "
			  "writable by root only)",
			  what, dir ? "directory" : "file", path, owner, (unsigned)(st->st_mode & 07777), why);
}

/* Check dfd (the directory real[0..end), "/" when end is 0). */
static int check_dir_fd(const char *what, int dfd, char *real, size_t end, struct vb_err *e)
{
	struct stat st;
	char keep = real[end];
	int rc;

	if (fstat(dfd, &st) < 0)
		return vb_err_set(e, VB_EXIT_FAIL, errno, NULL, "cannot stat %s", real);
	real[end] = '\0';
	rc = check_trust(what, end ? real : "/", &st, true, e);
	real[end] = keep;
	return rc;
}

/* Walk the directories of real (an absolute path without links) from /
 * down, each opened without following links and checked on its fd (the
 * last one only, unless parents).  Returns the fd of the file's
 * directory, or -1 with e. */
static int open_trusted_dir(const char *what, char *real, bool parents, struct vb_err *e)
{
	int dfd = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC), next;
	size_t end = 0;
	char *slash;

	if (dfd < 0)
		return vb_err_set(e, vb_exit_from_errno(errno), errno, NULL, "cannot open /");
	for (;;) {
		slash = strchr(real + end + 1, '/');
		if ((parents || !slash) && check_dir_fd(what, dfd, real, end, e) < 0)
			break;
		if (!slash)
			return dfd; /* what follows is the file's name */
		*slash = '\0';
		next = openat(dfd, real + end + 1, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (next < 0)
			vb_err_set(e, vb_exit_from_errno(errno), errno, NULL,
				   "cannot open the %s's directory %s", what, real);
		*slash = '/';
		close(dfd);
		if (next < 0)
			return -1;
		dfd = next;
		end = (size_t)(slash - real);
	}
	close(dfd);
	return -1;
}

int vb_trusted_dir_open(const char *dir, const char *what, struct vb_err *e)
{
	char *real = realpath(dir, NULL), *walk;
	int fd;

	if (!real)
		return vb_err_set(e, vb_exit_from_errno(errno), errno, NULL, "cannot open the %s's "
				  "directory %s", what, dir);
	/* the walk stops at the last '/': a trailing one makes it the last */
	walk = malloc(strlen(real) + 2);
	if (!walk) {
		free(real);
		return vb_err_set(e, VB_EXIT_FAIL, ENOMEM, NULL, "out of memory");
	}
	sprintf(walk, "%s%s", real, strcmp(real, "/") ? "/" : "");
	fd = open_trusted_dir(what, walk, false, e);
	free(walk);
	free(real);
	return fd;
}

static bool is_null_device(const struct stat *st)
{
	return S_ISCHR(st->st_mode) && major(st->st_rdev) == 1 && minor(st->st_rdev) == 3;
}

/* Open path as a trusted config: the fd, or -1 with e. */
static int open_trusted(const char *path, struct vb_err *e)
{
	char *real = realpath(path, NULL);
	int dfd, fd;
	struct stat st;

	if (!real)
		return vb_err_set(e, vb_exit_from_errno(errno), errno, NULL, "cannot read config %s",
				  path);
	dfd = open_trusted_dir("config", real, true, e);
	if (dfd < 0) {
		free(real);
		return -1;
	}
	fd = openat(dfd, strrchr(real, '/') + 1, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	close(dfd);
	if (fd < 0) {
		vb_err_set(e, vb_exit_from_errno(errno), errno, NULL, "cannot read config %s", path);
	} else if (fstat(fd, &st) < 0) {
		vb_err_set(e, VB_EXIT_FAIL, errno, NULL, "cannot stat config %s", path);
	} else if (!S_ISREG(st.st_mode) && !is_null_device(&st)) {
		vb_err_set(e, VB_EXIT_USAGE, 0, NULL, "config %s is not a regular file", path);
	} else if (is_null_device(&st) || check_trust("config", real, &st, false, e) == 0) {
		free(real);
		return fd;
	}
	if (fd >= 0)
		close(fd);
	free(real);
	return -1;
}

int vb_policy_load(const char *path, struct vb_policy *p, struct vb_err *e)
{
	int fd = open_trusted(path, e);
	char *buf;
	size_t n = 0;
	ssize_t r = 0;
	int rc;

	if (fd < 0)
		return -1;
	buf = malloc(MAX_CONFIG_BYTES + 1);
	if (!buf) {
		close(fd);
		return vb_err_set(e, VB_EXIT_FAIL, ENOMEM, NULL, "out of memory");
	}
	while (n <= MAX_CONFIG_BYTES && (r = read(fd, buf + n, MAX_CONFIG_BYTES + 1 - n)) > 0)
		n += (size_t)r;
	close(fd);
	if (r < 0 || n > MAX_CONFIG_BYTES) {
		int err = r < 0 ? errno : EFBIG;

		free(buf);
		return vb_err_set(e, r < 0 ? VB_EXIT_FAIL : VB_EXIT_USAGE, err, NULL,
				  r < 0 ? "cannot read config %s" : "config %s is over 1 MiB", path);
	}
	rc = vb_policy_parse_buf(buf, n, path, p, e);
	free(buf);
	return rc;
}

int vb_peer_read(int fd, struct vb_peer *p)
{
	struct ucred cred = { 0 };
	socklen_t len = sizeof(cred), glen = 0;

	memset(p, 0, sizeof(*p));
	p->uid = (uid_t)-1;
	p->gid = (gid_t)-1;
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0)
		return -1;
	p->pid = cred.pid;
	p->uid = cred.uid;
	p->gid = cred.gid;
	/* Asked with no room, the kernel says how long the list is
	 * (ERANGE); the list can be up to NGROUPS_MAX (65536) long. */
	for (int tries = 0; tries < 4; tries++) {
		gid_t *g;

		if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, p->groups, &glen) == 0) {
			p->ngroups = (int)(glen / sizeof(gid_t));
			return 0;
		}
		if (errno != ERANGE || glen == 0)
			break;
		g = realloc(p->groups, glen);
		if (!g)
			break;
		p->groups = g;
	}
	/* no group list: no group rule can match by supplementary group */
	free(p->groups);
	p->groups = NULL;
	p->ngroups = 0;
	return -1;
}

void vb_peer_free(struct vb_peer *p)
{
	free(p->groups);
	p->groups = NULL;
	p->ngroups = 0;
}

static bool subject_matches(const struct vb_subject *s, const struct vb_peer *peer)
{
	switch (s->kind) {
	case VB_SUBJ_ANY:
	case VB_SUBJ_DEFAULT:
		return true;
	case VB_SUBJ_UID:
		return peer->uid == s->id;
	case VB_SUBJ_GID:
		if (peer->gid == s->id)
			return true;
		for (int i = 0; i < peer->ngroups; i++)
			if (peer->groups[i] == s->id)
				return true;
		return false;
	}
	return false;
}

static bool rule_covers_target(const struct vb_policy_rule *r, const char *device, int bar)
{
	return (!r->device[0] || !strcmp(r->device, device)) && (r->bar < 0 || r->bar == bar);
}

/* Is [off, off+len) inside one of the rule's ranges?  Overflow-safe:
 * requests are validated against the BAR before this is asked, and rule
 * ranges are compared by subtraction. */
static bool range_allowed(const struct vb_policy_rule *r, const struct vb_range *q)
{
	if (r->nranges == 0)
		return true;
	for (size_t i = 0; i < r->nranges; i++) {
		const struct vb_range *a = &r->ranges[i];

		if (q->offset >= a->offset && q->length <= a->length &&
		    q->offset - a->offset <= a->length - q->length)
			return true;
	}
	return false;
}

static bool rule_allows_all(const struct vb_policy_rule *r, uint64_t bar_size,
			    const struct vb_range *q, size_t nr)
{
	struct vb_range whole = { 0, bar_size };

	if (nr == 0)
		return range_allowed(r, &whole);
	for (size_t i = 0; i < nr; i++)
		if (!range_allowed(r, &q[i]))
			return false;
	return true;
}

bool vb_policy_may_export(const struct vb_policy *p, const struct vb_peer *peer,
			  const char *device, int bar, uint64_t bar_size, const struct vb_range *r,
			  size_t nr, char *why, size_t n)
{
	bool some_rule = false;

	if (peer->uid == 0)
		return true;
	for (size_t i = 0; i < p->nrules; i++) {
		const struct vb_policy_rule *rule = &p->rules[i];

		if (!rule->may_export || !subject_matches(&rule->who, peer) ||
		    !rule_covers_target(rule, device, bar))
			continue;
		some_rule = true;
		if (rule_allows_all(rule, bar_size, r, nr))
			return true;
	}
	snprintf(why, n, some_rule ? "uid %u may export only some ranges of BAR %d of %s"
				   : "uid %u may not export BAR %d of %s (no allow rule)",
		 (unsigned)peer->uid, bar, device);
	return false;
}

bool vb_policy_may_reset(const struct vb_policy *p, const struct vb_peer *peer, const char *device)
{
	if (peer->uid == 0)
		return true;
	for (size_t i = 0; i < p->nrules; i++)
		if (p->rules[i].may_reset && subject_matches(&p->rules[i].who, peer) &&
		    (!p->rules[i].device[0] || !strcmp(p->rules[i].device, device)))
			return true;
	return false;
}

bool vb_policy_may_export_some(const struct vb_policy *p, const struct vb_peer *peer,
			       const char *device, int bar)
{
	if (peer->uid == 0)
		return true;
	for (size_t i = 0; i < p->nrules; i++)
		if (p->rules[i].may_export && subject_matches(&p->rules[i].who, peer) &&
		    rule_covers_target(&p->rules[i], device, bar))
			return true;
	return false;
}

bool vb_policy_may_monitor(const struct vb_policy *p, const struct vb_peer *peer)
{
	if (peer->uid == 0)
		return true;
	for (size_t i = 0; i < p->nrules; i++)
		if (p->rules[i].may_monitor && subject_matches(&p->rules[i].who, peer))
			return true;
	return false;
}

bool vb_policy_grants_device(const struct vb_policy *p, const struct vb_peer *peer,
			     const char *device)
{
	if (peer->uid == 0)
		return true;
	for (size_t i = 0; i < p->nrules; i++) {
		const struct vb_policy_rule *r = &p->rules[i];

		if ((r->may_export || r->may_reset) && subject_matches(&r->who, peer) &&
		    (!r->device[0] || !strcmp(r->device, device)))
			return true;
	}
	return false;
}

void vb_policy_limits(const struct vb_policy *p, const struct vb_peer *peer, struct vb_limits *l)
{
	const struct vb_policy_quota *best = NULL;
	int best_rank = 0;
	bool root = peer->uid == 0;

	for (size_t i = 0; i < p->nquotas; i++) {
		const struct vb_policy_quota *q = &p->quotas[i];
		int rank = q->who.kind == VB_SUBJ_UID ? 3 : q->who.kind == VB_SUBJ_GID ? 2 : 1;

		if (rank > best_rank && subject_matches(&q->who, peer)) {
			best = q;
			best_rank = rank;
		}
	}
	l->leases = root ? VB_QUOTA_UNLIMITED : VB_QUOTA_DEFAULT_LEASES;
	l->bytes = VB_QUOTA_UNLIMITED;
	l->connections = root ? VB_QUOTA_UNLIMITED : VB_QUOTA_DEFAULT_CONNECTIONS;
	if (!best)
		return;
	if (best->has_leases)
		l->leases = best->leases;
	if (best->has_bytes)
		l->bytes = best->bytes;
	if (best->has_connections)
		l->connections = best->connections;
}

void vb_policy_quota(const struct vb_policy *p, const struct vb_peer *peer, uint64_t *leases,
		     uint64_t *bytes)
{
	struct vb_limits l;

	vb_policy_limits(p, peer, &l);
	*leases = l.leases;
	*bytes = l.bytes;
}

const char *vb_subject_format(const struct vb_subject *s, char *buf, size_t n)
{
	switch (s->kind) {
	case VB_SUBJ_ANY:
		snprintf(buf, n, "any");
		break;
	case VB_SUBJ_DEFAULT:
		snprintf(buf, n, "default");
		break;
	case VB_SUBJ_UID:
		snprintf(buf, n, "uid:%u", s->id);
		break;
	case VB_SUBJ_GID:
		snprintf(buf, n, "gid:%u", s->id);
		break;
	}
	return buf;
}
