/* policy: broker access rules and quotas.  See policy.h. */
#include "policy.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>


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

static int parse_rule_token(struct parse_ctx *c, const char *tok, struct vb_policy_rule *r)
{
	struct vb_bdf b;
	uint32_t bar;

	if (!strcmp(tok, "export"))
		r->may_export = true;
	else if (!strcmp(tok, "reset"))
		r->may_reset = true;
	else if (!strcmp(tok, "device:*"))
		r->device[0] = '\0';
	else if (!strncmp(tok, "device:", 7)) {
		if (vb_bdf_parse(tok + 7, &b) < 0)
			return perr(c, "'%s' is not a PCI address", tok + 7);
		vb_bdf_format(&b, r->device);
	} else if (!strcmp(tok, "bar:*"))
		r->bar = -1;
	else if (!strncmp(tok, "bar:", 4)) {
		if (parse_u32(tok + 4, &bar) < 0 || bar > 5)
			return perr(c, "invalid BAR '%s' (0-5 or *)", tok + 4);
		r->bar = (int)bar;
	} else if (!strncmp(tok, "range:", 6)) {
		struct vb_err re = { 0 };

		if (r->nranges == VB_POLICY_MAX_RANGES)
			return perr(c, "too many ranges in one rule (at most %s)", "16");
		if (vb_range_parse(tok + 6, &r->ranges[r->nranges], &re) < 0)
			return perr(c, "%.150s", re.msg);
		r->nranges++;
	} else
		return perr(c, "unknown allow token '%s'", tok);
	return 0;
}

static int parse_allow(struct parse_ctx *c, char **tok, int ntok, struct vb_policy *p)
{
	struct vb_policy_rule r = { .bar = -1, .line = c->line }, *grown;

	if (ntok < 2)
		return perr(c, "%s needs a subject (user:NAME, group:NAME or any)", "allow");
	if (parse_subject(c, tok[1], false, &r.who) < 0)
		return -1;
	for (int i = 2; i < ntok; i++)
		if (parse_rule_token(c, tok[i], &r) < 0)
			return -1;
	if (!r.may_export && !r.may_reset)
		r.may_export = true;
	if (r.nranges && r.bar < 0)
		return perr(c, "%s: ranges need one bar:N", "allow");
	grown = realloc(p->rules, (p->nrules + 1) * sizeof(*grown));
	if (!grown)
		return vb_err_set(c->e, VB_EXIT_FAIL, ENOMEM, NULL, "out of memory");
	p->rules = grown;
	p->rules[p->nrules++] = r;
	return 0;
}

static int parse_limit(struct parse_ctx *c, const char *tok, const char *key, uint64_t *out)
{
	struct vb_err se = { 0 };
	const char *v = tok + strlen(key);
	char what[16];

	if (!strcmp(v, "unlimited")) {
		*out = VB_QUOTA_UNLIMITED;
		return 0;
	}
	snprintf(what, sizeof(what), "%.*s", (int)strlen(key) - 1, key);
	if (vb_parse_size(v, what, out, &se) < 0)
		return perr(c, "%.150s", se.msg);
	return 0;
}

static int parse_quota(struct parse_ctx *c, char **tok, int ntok, struct vb_policy *p)
{
	struct vb_policy_quota q = { .leases = VB_QUOTA_DEFAULT_LEASES,
				     .bytes = VB_QUOTA_UNLIMITED,
				     .line = c->line }, *grown;

	if (ntok < 3)
		return perr(c, "%s needs a subject and leases:N and/or bytes:SIZE", "quota");
	if (parse_subject(c, tok[1], true, &q.who) < 0)
		return -1;
	for (int i = 2; i < ntok; i++) {
		if (!strncmp(tok[i], "leases:", 7)) {
			if (parse_limit(c, tok[i], "leases:", &q.leases) < 0)
				return -1;
		} else if (!strncmp(tok[i], "bytes:", 6)) {
			if (parse_limit(c, tok[i], "bytes:", &q.bytes) < 0)
				return -1;
		} else
			return perr(c, "unknown quota token '%s' (leases:N, bytes:SIZE)", tok[i]);
	}
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

int vb_policy_parse(const char *text, const char *origin, struct vb_policy *p, struct vb_err *e)
{
	struct parse_ctx c = { .origin = origin, .e = e };
	struct vb_policy np;
	char *copy = strdup(text), *line, *save = NULL;
	int rc = 0;

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

int vb_policy_load(const char *path, struct vb_policy *p, struct vb_err *e)
{
	FILE *f = fopen(path, "re");
	char *buf;
	size_t n;
	int rc;

	if (!f)
		return vb_err_set(e, vb_exit_from_errno(errno), errno, NULL, "cannot read config %s",
				  path);
	buf = malloc(MAX_CONFIG_BYTES + 1);
	if (!buf) {
		fclose(f);
		return vb_err_set(e, VB_EXIT_FAIL, ENOMEM, NULL, "out of memory");
	}
	n = fread(buf, 1, MAX_CONFIG_BYTES + 1, f);
	fclose(f);
	if (n > MAX_CONFIG_BYTES) {
		free(buf);
		return vb_err_set(e, VB_EXIT_USAGE, EFBIG, NULL, "config %s is over 1 MiB", path);
	}
	buf[n] = '\0';
	rc = vb_policy_parse(buf, path, p, e);
	free(buf);
	return rc;
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

void vb_policy_quota(const struct vb_policy *p, const struct vb_peer *peer, uint64_t *leases,
		     uint64_t *bytes)
{
	const struct vb_policy_quota *best = NULL;
	int best_rank = 0;

	for (size_t i = 0; i < p->nquotas; i++) {
		const struct vb_policy_quota *q = &p->quotas[i];
		int rank = q->who.kind == VB_SUBJ_UID ? 3 : q->who.kind == VB_SUBJ_GID ? 2 : 1;

		if (rank > best_rank && subject_matches(&q->who, peer)) {
			best = q;
			best_rank = rank;
		}
	}
	*leases = best ? best->leases : VB_QUOTA_DEFAULT_LEASES;
	*bytes = best ? best->bytes : VB_QUOTA_UNLIMITED;
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
