/* Unit tests for policy.c: the config format, its errors with line
 * numbers, export/reset decisions, range containment, quotas. */
#include <string.h>

#include "policy.h"
#include "tap.h"

#define DEV "0000:04:00.0"
#define M16 (16ULL << 20)

static struct vb_peer peer(uid_t uid, gid_t gid)
{
	struct vb_peer p = { .pid = 1, .uid = uid, .gid = gid };

	return p;
}

static const char *parse_msg(const char *text)
{
	static struct vb_err e;
	struct vb_policy p;

	vb_policy_init(&p);
	vb_err_clear(&e);
	if (vb_policy_parse(text, "serve.conf", &p, &e) == 0) {
		vb_policy_free(&p);
		return "(ok)";
	}
	vb_policy_free(&p);
	return e.msg;
}

static void test_syntax(void)
{
	is_str(parse_msg("# nothing\n\n   \n"), "(ok)", "comments and blank lines");
	is_str(parse_msg("frob x\n"), "serve.conf:1: unknown keyword 'frob' (allow, quota, device, socket-group, socket-mode)",
	       "unknown keyword");
	is_str(parse_msg("\n\nallow\n"), "serve.conf:3: allow needs a subject (user:NAME, group:NAME or any)",
	       "line numbers count blank lines");
	is_str(parse_msg("allow user:no-such-user-xyz\n"), "serve.conf:1: unknown user 'no-such-user-xyz'",
	       "unknown user");
	is_str(parse_msg("allow group:no-such-group-xyz\n"), "serve.conf:1: unknown group 'no-such-group-xyz'",
	       "unknown group");
	is_str(parse_msg("allow uid:1000 bar:7\n"), "serve.conf:1: invalid BAR '7' (0-5 or *)", "bad bar");
	is_str(parse_msg("allow uid:1000 device:zz\n"), "serve.conf:1: 'zz' is not a PCI address", "bad device");
	is_str(parse_msg("allow uid:1000 range:0:4K\n"), "serve.conf:1: allow: ranges need one bar:N",
	       "ranges need a bar");
	is_str(parse_msg("allow uid:1000 bar:2 range:0:zz\n"), "serve.conf:1: range '0:zz': range length 'zz' is not a number (decimal, 0x hex, optional K/M/G/T suffix)",
	       "bad range");
	is_str(parse_msg("allow uid:1000 frob\n"), "serve.conf:1: unknown allow token 'frob'", "unknown token");
	is_str(parse_msg("quota default\n"), "serve.conf:1: quota needs a subject and leases:N and/or bytes:SIZE",
	       "quota without limits");
	is_str(parse_msg("quota any leases:1\n"), "serve.conf:1: expected user:NAME, group:NAME or default, not 'any'",
	       "quota subject");
	is_str(parse_msg("quota default leases:x\n"), "serve.conf:1: leases 'x' is not a number (decimal, 0x hex, optional K/M/G/T suffix)",
	       "bad quota number");
	is_str(parse_msg("socket-mode 0640x\n"), "serve.conf:1: invalid socket-mode '0640x' (octal, owner rw required)",
	       "bad mode");
	is_str(parse_msg("socket-mode 0060\n"), "serve.conf:1: invalid socket-mode '0060' (octal, owner rw required)",
	       "mode without owner rw");
	is_str(parse_msg("device 04:00.0 05:00.0\nsocket-group root\nsocket-mode 0600\n"), "(ok)",
	       "device, socket-group, socket-mode");
}

static void test_decisions(void)
{
	struct vb_policy p;
	struct vb_err e = { 0 };
	struct vb_peer root = peer(0, 0), alice = peer(1000, 1000), bob = peer(1001, 1001),
		       carol = peer(1002, 1002);
	struct vb_range in = { 0, 4096 }, edge = { M16 / 2 - 4096, 4096 }, out = { M16 / 2, 4096 };
	char why[160];
	uint64_t leases, bytes;

	vb_policy_init(&p);
	ok(vb_policy_may_export(&p, &root, DEV, 2, M16, NULL, 0, why, sizeof(why)), "root may export by default");
	ok(!vb_policy_may_export(&p, &alice, DEV, 2, M16, NULL, 0, why, sizeof(why)), "others may not by default");
	is_str(why, "uid 1000 may not export BAR 2 of 0000:04:00.0 (no allow rule)", "refusal names the uid");
	ok(!vb_policy_may_reset(&p, &alice, DEV), "nor reset");
	is_int(vb_policy_parse("allow uid:1000 device:04:00.0 bar:2 range:0:8M\n"
			       "allow gid:1001 device:* bar:* reset\n"
			       "allow gid:2000 device:04:00.0 bar:2 export reset\n"
			       "quota uid:1000 leases:2 bytes:1M\n"
			       "quota gid:2000 leases:3\n"
			       "quota default leases:5 bytes:unlimited\n",
			       "t", &p, &e), 0, "policy parses");
	ok(vb_policy_may_export(&p, &alice, DEV, 2, M16, &in, 1, why, sizeof(why)), "range inside the rule");
	ok(vb_policy_may_export(&p, &alice, DEV, 2, M16, &edge, 1, why, sizeof(why)), "range ending at the rule's end");
	ok(!vb_policy_may_export(&p, &alice, DEV, 2, M16, &out, 1, why, sizeof(why)), "range past the rule");
	is_str(why, "uid 1000 may export only some ranges of BAR 2 of 0000:04:00.0", "refusal says only some ranges");
	ok(!vb_policy_may_export(&p, &alice, DEV, 2, M16, NULL, 0, why, sizeof(why)), "whole BAR is more than the rule");
	ok(!vb_policy_may_export(&p, &alice, DEV, 0, M16, &in, 1, why, sizeof(why)), "other BAR refused");
	ok(!vb_policy_may_export(&p, &alice, "0000:05:00.0", 2, M16, &in, 1, why, sizeof(why)), "other device refused");
	ok(!vb_policy_may_reset(&p, &alice, DEV), "alice may not reset");
	ok(!vb_policy_may_export(&p, &bob, DEV, 2, M16, &in, 1, why, sizeof(why)), "a reset-only rule does not export");
	ok(vb_policy_may_reset(&p, &bob, "0000:09:00.0"), "reset on any device through the group");
	carol.groups[0] = 2000;
	carol.ngroups = 1;
	ok(vb_policy_may_export(&p, &carol, DEV, 2, M16, NULL, 0, why, sizeof(why)), "supplementary group matches");
	ok(vb_policy_may_reset(&p, &carol, DEV), "and may reset");
	ok(vb_policy_may_export_some(&p, &alice, DEV, 2), "list: alice may export something of BAR 2");
	ok(!vb_policy_may_export_some(&p, &alice, DEV, 0), "list: nothing of BAR 0");
	vb_policy_quota(&p, &alice, &leases, &bytes);
	ok(leases == 2 && bytes == 1 << 20, "user quota");
	vb_policy_quota(&p, &carol, &leases, &bytes);
	ok(leases == 3 && bytes == VB_QUOTA_UNLIMITED, "group quota");
	vb_policy_quota(&p, &root, &leases, &bytes);
	ok(leases == 5 && bytes == VB_QUOTA_UNLIMITED, "default quota binds root too");
	vb_policy_free(&p);
	vb_policy_quota(&p, &root, &leases, &bytes);
	ok(leases == VB_QUOTA_DEFAULT_LEASES && bytes == VB_QUOTA_UNLIMITED, "built-in default quota");
}

static void test_overflow(void)
{
	struct vb_policy p;
	struct vb_err e = { 0 };
	struct vb_peer alice = peer(1000, 1000);
	struct vb_range huge = { UINT64_MAX - 4095, 4096 }, wrap = { 8192, UINT64_MAX };
	char why[160];

	vb_policy_init(&p);
	vb_policy_parse("allow uid:1000 bar:2 range:0x1000:0x1000\n", "t", &p, &e);
	ok(!vb_policy_may_export(&p, &alice, DEV, 2, M16, &huge, 1, why, sizeof(why)), "huge offset refused");
	ok(!vb_policy_may_export(&p, &alice, DEV, 2, M16, &wrap, 1, why, sizeof(why)), "wrapping length refused");
	vb_policy_free(&p);
	is_int(vb_policy_parse("this is bad\n", "t", &p, &e), -1, "a bad file fails");
	is_int(p.nrules, 0, "and leaves the policy as it was");
}

int main(void)
{
	test_syntax();
	test_decisions();
	test_overflow();
	return tap_done();
}
