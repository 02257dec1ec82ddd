/* Unit tests for policy.c: the config format, its errors with line
 * numbers, export/reset decisions, range containment, quotas. */
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "policy.h"
#include "tap.h"

#define DEV "0000:04:00.0"
#define skip(n, why)                      \
	for (int i_ = 0; i_ < (n); i_++) \
	ok(1, "# SKIP %s", why)
#define diag(...) (printf("# "), printf(__VA_ARGS__), printf("\n"))
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
	is_str(parse_msg("quota default\n"), "serve.conf:1: quota needs a subject and leases:N, bytes:SIZE and/or connections:N",
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
	gid_t carol_groups[] = { 2000 };

	carol.groups = carol_groups;
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
	vb_policy_quota(&p, &alice, &leases, &bytes);
	ok(leases == VB_QUOTA_DEFAULT_LEASES && bytes == VB_QUOTA_UNLIMITED, "built-in default quota");
	vb_policy_quota(&p, &root, &leases, &bytes);
	ok(leases == VB_QUOTA_UNLIMITED && bytes == VB_QUOTA_UNLIMITED,
	   "the built-in default does not bind root");
}

static void test_grammar(void)
{
	is_str(parse_msg("allow uid:1000 bar:2 bar:*\n"),
	       "serve.conf:1: 'bar' given twice in one rule (write one rule per value)",
	       "a repeated bar: is an error, not the last one winning");
	is_str(parse_msg("\nallow uid:1000 device:04:00.0 device:05:00.0\n"),
	       "serve.conf:2: 'device' given twice in one rule (write one rule per value)",
	       "a repeated device: is an error with its line");
	is_str(parse_msg("allow uid:1000 export export\n"),
	       "serve.conf:1: 'export' given twice in one rule (write one rule per value)",
	       "a repeated right too");
	is_str(parse_msg("allow uid:1000 bar:2 range:0:4K range:8K:4K\n"), "(ok)",
	       "range: is a list (repeatable)");
	is_str(parse_msg("quota default leases:2 leases:9\n"),
	       "serve.conf:1: 'leases' given twice in one quota", "a repeated quota key");
	is_str(parse_msg("quota uid:1000 connections:x\n"),
	       "serve.conf:1: connections 'x' is not a number (decimal, 0x hex, optional K/M/G/T suffix)",
	       "bad connections");
	is_str(parse_msg("allow uid:1000 monitor device:04:00.0\n"),
	       "serve.conf:1: allow: monitor is for every device (no device:, bar: or range:)",
	       "monitor names no device");
}

static const char *parse_buf_msg(const char *buf, size_t len)
{
	static struct vb_err e;
	struct vb_policy p;

	vb_policy_init(&p);
	vb_err_clear(&e);
	if (vb_policy_parse_buf(buf, len, "serve.conf", &p, &e) == 0) {
		vb_policy_free(&p);
		return "(ok)";
	}
	vb_policy_free(&p);
	return e.msg;
}

static void test_text(void)
{
	static const char nul[] = "allow uid:1000\n\0quota default leases:1\n";
	static const char ctl[] = "allow uid:1000\nquota default\x01 leases:1\n";
	static const char bad8[] = "# caf\xc3\n";
	static const char good8[] = "# caf\xc3\xa9\tok\r\n";

	is_str(parse_buf_msg(nul, sizeof(nul) - 1),
	       "serve.conf:2: a NUL byte: not text (nothing after it was read)",
	       "a NUL is an error with its line, not the end of the file");
	is_str(parse_buf_msg(ctl, sizeof(ctl) - 1),
	       "serve.conf:2: byte 0x01: not text (nothing after it was read)", "a control byte");
	is_str(parse_buf_msg(bad8, sizeof(bad8) - 1),
	       "serve.conf:1: byte 0xc3: not text (nothing after it was read)", "cut UTF-8");
	is_str(parse_buf_msg(good8, sizeof(good8) - 1), "(ok)", "UTF-8, tab and CR are text");
}

static void test_scope_limits(void)
{
	struct vb_policy p;
	struct vb_err e = { 0 };
	struct vb_peer root = peer(0, 0), alice = peer(1000, 1000), bob = peer(1001, 1001),
		       ops = peer(1003, 1003);
	struct vb_limits l;

	vb_policy_init(&p);
	is_int(vb_policy_parse("allow uid:1000 device:04:00.0 bar:2\n"
			       "allow uid:1001 device:05:00.0 reset\n"
			       "allow uid:1003 monitor\n"
			       "quota uid:1000 connections:3\n"
			       "quota uid:0 leases:9\n",
			       "t", &p, &e), 0, "scope policy parses");
	ok(vb_policy_may_monitor(&p, &root), "root sees every event");
	ok(vb_policy_may_monitor(&p, &ops), "a monitor rule sees every event");
	ok(!vb_policy_may_monitor(&p, &alice), "an export rule is no monitor right");
	ok(!vb_policy_may_export_some(&p, &ops, DEV, 2), "a monitor rule exports nothing");
	ok(vb_policy_grants_device(&p, &alice, DEV), "alice: her device");
	ok(!vb_policy_grants_device(&p, &alice, "0000:05:00.0"), "alice: not bob's");
	ok(vb_policy_grants_device(&p, &bob, "0000:05:00.0"), "bob: a reset right grants the device");
	vb_policy_limits(&p, &alice, &l);
	ok(l.connections == 3 && l.leases == VB_QUOTA_DEFAULT_LEASES, "connections from the line, leases built in");
	vb_policy_limits(&p, &bob, &l);
	ok(l.connections == VB_QUOTA_DEFAULT_CONNECTIONS, "built-in connection limit");
	vb_policy_limits(&p, &root, &l);
	ok(l.leases == 9 && l.connections == VB_QUOTA_UNLIMITED, "a line naming root binds root");
	vb_policy_free(&p);
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

/* vb_policy_load trusts a file as sshd's StrictModes: needs root to make
 * files of another owner. */
static void test_trust(void)
{
	char dir[] = "/tmp/vbpolicy.XXXXXX", path[64], sub[64], subpath[96];
	struct vb_policy p;
	struct vb_err e = { 0 };
	FILE *f;

	if (geteuid() != 0 || !mkdtemp(dir)) {
		skip(6, "not root");
		return;
	}
	snprintf(path, sizeof(path), "%s/serve.conf", dir);
	f = fopen(path, "w");
	fputs("quota default leases:3\n", f);
	fclose(f);
	chmod(path, 0644);
	vb_policy_init(&p);
	is_int(vb_policy_load(path, &p, &e), 0, "a root file 0644 in a root dir 0700 loads");
	is_int(p.nquotas, 1, "and is read");
	chmod(path, 0666);
	vb_err_clear(&e);
	ok(vb_policy_load(path, &p, &e) < 0 && e.exit_code == VB_EXIT_PERM &&
		   strstr(e.msg, "serve.conf: owner uid 0 (root), mode 0666: writable by everyone"),
	   "a world-writable file is refused, naming owner and mode");
	diag("%s", e.msg);
	chmod(path, 0644);
	if (chown(path, 65534, 65534) == 0) {
		vb_err_clear(&e);
		ok(vb_policy_load(path, &p, &e) < 0 && strstr(e.msg, "not owned by root"),
		   "a file owned by another user is refused");
		diag("%s", e.msg);
	} else
		skip(1, "chown failed");
	snprintf(sub, sizeof(sub), "%s/d", dir);
	snprintf(subpath, sizeof(subpath), "%s/serve.conf", sub);
	mkdir(sub, 0777);
	chmod(sub, 0777);
	f = fopen(subpath, "w");
	fclose(f);
	chmod(subpath, 0644);
	vb_err_clear(&e);
	ok(vb_policy_load(subpath, &p, &e) < 0 && strstr(e.msg, "untrusted config directory") &&
		   strstr(e.msg, "mode 0777"),
	   "a file in a world-writable directory is refused");
	diag("%s", e.msg);
	chmod(sub, 01777);
	vb_err_clear(&e);
	is_int(vb_policy_load(subpath, &p, &e), 0, "a root-owned sticky directory (as /tmp) is fine");
	unlink(subpath);
	rmdir(sub);
	unlink(path);
	rmdir(dir);
	vb_policy_free(&p);
}

/* More than 64 supplementary groups: none lost (SO_PEERGROUPS sized from
 * the length the kernel reports). */
static void test_many_groups(void)
{
	gid_t g[100];
	int sv[2], status = 0;
	pid_t pid;

	if (geteuid() != 0) {
		skip(1, "not root");
		return;
	}
	pid = fork();
	if (pid == 0) {
		struct vb_peer pr;
		struct vb_policy p;
		struct vb_err e = { 0 };

		for (int i = 0; i < 100; i++)
			g[i] = (gid_t)(5000 + i);
		if (setgroups(100, g) < 0 || socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv) < 0)
			_exit(2);
		vb_peer_read(sv[1], &pr);
		vb_policy_init(&p);
		pr.uid = 1000;
		if (vb_policy_parse("allow gid:5099 device:04:00.0 bar:2\n", "t", &p, &e) < 0)
			_exit(3);
		_exit(pr.ngroups == 100 && vb_policy_may_export_some(&p, &pr, DEV, 2) ? 0 : 1);
	}
	waitpid(pid, &status, 0);
	ok(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	   "100 supplementary groups read whole: the 100th group's rule matches");
}

int main(void)
{
	test_syntax();
	test_decisions();
	test_overflow();
	test_grammar();
	test_text();
	test_scope_limits();
	test_trust();
	test_many_groups();
	return tap_done();
}
