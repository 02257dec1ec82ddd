/* Unit tests for the Prometheus text (prom.c), doctor's metrics
 * (doctor_prom.c), the daemon's metrics text and refusal reasons
 * (daemon/metrics.c), and the atomic file write into a trusted directory.
 * (promtool checks whole outputs in tests/doctor.bats and tests/serve.bats.) */
#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "doctor_prom.h"
#include "metrics.h"
#include "prom.h"
#include "tap.h"

static void test_label_escaping(void)
{
	struct vb_prom p;

	vb_prom_init(&p);
	vb_prom_label_value(&p, "a\\b\"c\nd");
	is_str(p.text, "a\\\\b\\\"c\\nd", "label value: backslash, quote, newline escaped");
	vb_prom_free(&p);
	vb_prom_label_value(&p, "x\xff" "y\xc3\xa9z\xe2\x82");
	is_str(p.text, "x\xef\xbf\xbdy\xc3\xa9z\xef\xbf\xbd\xef\xbf\xbd",
	       "label value: invalid UTF-8 bytes become U+FFFD, valid sequences stay");
	vb_prom_free(&p);
	vb_prom_label_value(&p, "\xed\xa0\x80\xc0\xaf\xf4\x90\x80\x80");
	ok(!strstr(p.text, "\xed\xa0") && !strstr(p.text, "\xc0") && !strstr(p.text, "\xf4\x90"),
	   "label value: surrogates, overlong forms and code points past U+10FFFF replaced");
	vb_prom_free(&p);
	vb_prom_label_value(&p, NULL);
	ok(p.len == 0, "a NULL label value is empty");
	vb_prom_free(&p);
}

static void test_family_and_samples(void)
{
	struct vb_prom p;
	struct vb_prom_label l[] = { { "cause", "reset" }, { "bdf", "0000:41:00.0" } };

	vb_prom_init(&p);
	vb_prom_family(&p, "x_total", "counter", "Things\\done\nnow \"quoted\"");
	vb_prom_sample(&p, "x_total", l, 2, 18446744073709551615ULL);
	vb_prom_sample(&p, "x_total", NULL, 0, 0);
	is_str(p.text,
	       "# HELP x_total Things\\\\done\\nnow \"quoted\"\n"
	       "# TYPE x_total counter\n"
	       "x_total{cause=\"reset\",bdf=\"0000:41:00.0\"} 18446744073709551615\n"
	       "x_total 0\n",
	       "HELP escapes backslash and newline only; labels in order; no timestamp");
	ok(!p.oom, "no allocation failure");
	vb_prom_free(&p);

	vb_prom_init(&p);
	for (int i = 0; i < 20000; i++)
		vb_prom_sample(&p, "grow", l, 1, (uint64_t)i);
	ok(!p.oom && p.len == strlen(p.text) && strstr(p.text, "grow{cause=\"reset\"} 19999\n"),
	   "the text grows past its first allocation, nothing cut (%zu bytes)", p.len);
	vb_prom_free(&p);
}

static struct vb_err err_of(int exit_code, int errnum)
{
	struct vb_err e = { 0 };

	e.exit_code = exit_code;
	e.errnum = errnum;
	return e;
}

static void test_refusal_reasons(void)
{
	struct vb_err e;

	e = err_of(VB_EXIT_USAGE, 0);
	is_int(srv_refusal_of(&e), SRV_REFUSED_INVALID, "usage error: invalid-request");
	e = err_of(VB_EXIT_NOTFOUND, 0);
	is_int(srv_refusal_of(&e), SRV_REFUSED_NOT_FOUND, "not found");
	e = err_of(VB_EXIT_PERM, EACCES);
	is_int(srv_refusal_of(&e), SRV_REFUSED_DENIED, "policy: denied");
	e = err_of(VB_EXIT_BUSY, EDQUOT);
	is_int(srv_refusal_of(&e), SRV_REFUSED_QUOTA, "EDQUOT: quota");
	e = err_of(VB_EXIT_BUSY, 0);
	is_int(srv_refusal_of(&e), SRV_REFUSED_BUSY, "busy");
	e = err_of(VB_EXIT_NOTSUP, ENOTTY);
	is_int(srv_refusal_of(&e), SRV_REFUSED_NOT_SUPPORTED, "not supported");
	e = err_of(VB_EXIT_FAIL, EIO);
	is_int(srv_refusal_of(&e), SRV_REFUSED_FAILED, "anything else: failed");
}

static void test_daemon_text(void)
{
	struct srv_metrics m = { 0 };
	struct srv_metrics_state s = { .leases = 2, .lease_bytes = 1 << 20, .clients = 3,
				       .requests = 9, .devices_open = 1, .devices_closed = 1,
				       .start_time = 1700000000, .up = true };
	struct vb_err e = err_of(VB_EXIT_BUSY, EDQUOT);
	struct vb_prom p;

	srv_metric_export(&m);
	srv_metric_export(&m);
	srv_metric_release(&m, "client-request");
	srv_metric_release(&m, "something-new");
	srv_metric_revoke(&m, "reset");
	srv_metric_revoke(&m, "unbind-requested");
	srv_metric_refused_err(&m, &e);
	srv_metric_refused(&m, SRV_REFUSED_FD_LIMIT);
	srv_metric_connection(&m);
	ok(m.dirty, "a hook marks the metrics changed");
	vb_prom_init(&p);
	srv_metrics_format(&m, &s, &p);
	ok(strstr(p.text, "\nvfiobuf_exports_total 2\n") != NULL, "exports counted");
	ok(strstr(p.text, "\nvfiobuf_releases_total{cause=\"client-request\"} 1\n") &&
		   strstr(p.text, "\nvfiobuf_releases_total{cause=\"other\"} 1\n") &&
		   strstr(p.text, "\nvfiobuf_releases_total{cause=\"device-closed\"} 0\n"),
	   "releases by cause: an unknown cause is 'other', every cause present from the start");
	ok(strstr(p.text, "\nvfiobuf_revocations_total{cause=\"reset\"} 1\n") &&
		   strstr(p.text, "\nvfiobuf_revocations_total{cause=\"unbind-requested\"} 1\n"),
	   "revocations by cause");
	ok(strstr(p.text, "\nvfiobuf_requests_refused_total{reason=\"quota\"} 1\n") &&
		   strstr(p.text, "\nvfiobuf_requests_refused_total{reason=\"fd-limit\"} 1\n") &&
		   strstr(p.text, "\nvfiobuf_requests_refused_total{reason=\"denied\"} 0\n"),
	   "refusals by reason");
	ok(strstr(p.text, "\nvfiobuf_leases 2\n") && strstr(p.text, "\nvfiobuf_lease_bytes 1048576\n") &&
		   strstr(p.text, "\nvfiobuf_clients 3\n") &&
		   strstr(p.text, "\nvfiobuf_devices{state=\"open\"} 1\n") &&
		   strstr(p.text, "\nvfiobuf_devices{state=\"revoked\"} 0\n") &&
		   strstr(p.text, "\nvfiobuf_devices{state=\"closed\"} 1\n"),
	   "gauges from the state");
	ok(strncmp(p.text, "# HELP vfiobuf_serve_up ", 24) == 0 &&
		   strstr(p.text, "\nvfiobuf_serve_up 1\n") &&
		   strstr(p.text, "\nvfiobuf_serve_start_time_seconds 1700000000\n"),
	   "up and start time");
	{
		int helps = 0, types = 0;

		for (const char *q = p.text; (q = strstr(q, "# HELP ")); q++)
			helps++;
		for (const char *q = p.text; (q = strstr(q, "# TYPE ")); q++)
			types++;
		is_int(helps, 13, "a HELP line for each of the 13 families");
		is_int(types, 13, "a TYPE line for each");
	}
	vb_prom_free(&p);
	s.up = false;
	vb_prom_init(&p);
	srv_metrics_format(&m, &s, &p);
	ok(strstr(p.text, "\nvfiobuf_serve_up 0\n") != NULL, "the shutdown file says up 0");
	vb_prom_free(&p);
}

static void add_check(struct vb_checks *c, const char *name, const char *bdf,
		      enum vb_check_status st)
{
	struct vb_check *k;

	if (c->n == c->cap) {
		c->cap = c->cap ? c->cap * 2 : 8;
		c->v = realloc(c->v, c->cap * sizeof(*c->v));
	}
	k = &c->v[c->n++];
	memset(k, 0, sizeof(*k));
	snprintf(k->name, sizeof(k->name), "%s", name);
	snprintf(k->device, sizeof(k->device), "%s", bdf);
	k->status = st;
}

static void test_doctor_metrics(void)
{
	struct vb_checks c = { 0 };
	struct vb_host_facts f = { .kernel = "7.3.4+deb13-amd64", .have_config = true,
				   .dmabuf_export = "y", .p2pdma = "y", .iommufd = "m",
				   .vfio_cdev = "", .iommu_groups = 12 };
	struct vb_prom p;
	const char *q;
	int n = 0;

	add_check(&c, "kernel", "", VB_CHECK_OK);
	add_check(&c, "modules", "", VB_CHECK_WARN);
	add_check(&c, "driver", "0000:41:00.0", VB_CHECK_OK);
	add_check(&c, "probe", "0000:41:00.0", VB_CHECK_FAIL);
	add_check(&c, "driver", "0000:41:00.0", VB_CHECK_WARN); /* named twice */
	add_check(&c, "probe", "0000:41:00.0", VB_CHECK_FAIL);
	vb_prom_init(&p);
	vb_doctor_prom(&c, &f, &p);
	ok(strstr(p.text, "\nvfiobuf_doctor_check_ok{check=\"kernel\",bdf=\"\"} 1\n") &&
		   strstr(p.text, "\nvfiobuf_doctor_check_ok{check=\"modules\",bdf=\"\"} 1\n") &&
		   strstr(p.text, "\nvfiobuf_doctor_check_ok{check=\"probe\",bdf=\"0000:41:00.0\"} 0\n"),
	   "check_ok: 1 for ok and warn, 0 for fail");
	for (q = p.text; (q = strstr(q, "vfiobuf_doctor_check_ok{check=\"driver\"")); q++)
		n++;
	is_int(n, 1, "a check met twice is one sample");
	ok(strstr(p.text, "\nvfiobuf_doctor_check_severity{check=\"driver\",bdf=\"0000:41:00.0\"} 2\n") != NULL,
	   "... at its worst status (warn)");
	ok(strstr(p.text, "\nvfiobuf_doctor_checks_failed 1\n") != NULL,
	   "failed checks counted once each");
	ok(strstr(p.text, "\nvfiobuf_host_info{kernel=\"7.3.4+deb13-amd64\",dmabuf_export=\"y\","
			  "p2pdma=\"y\",iommufd=\"m\",vfio_cdev=\"unknown\"} 1\n") != NULL,
	   "host info: the facts, unknown where not read");
	ok(strstr(p.text, "\nvfiobuf_host_iommu_groups 12\n") != NULL, "IOMMU groups");
	vb_prom_free(&p);
	vb_checks_free(&c);
}

/* A temporary file of vb_atomic_write_at's (".BASE.XXXXXX") left in dir. */
static bool temp_left(const char *dir, const char *base)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	size_t n = strlen(base);
	bool left = false;

	while (d && (de = readdir(d)))
		if (de->d_name[0] == '.' && !strncmp(de->d_name + 1, base, n) && de->d_name[n + 1] == '.' &&
		    strlen(de->d_name) == n + 8)
			left = true;
	if (d)
		closedir(d);
	return left;
}

static void test_write_file(void)
{
	char dir[] = "/tmp/vb-prom-XXXXXX", path[128], other[128], tmp[128], buf[64];
	struct vb_err e = { 0 };
	struct stat st;
	mode_t old;
	int fd;
	ssize_t n;

	if (!mkdtemp(dir)) {
		ok(0, "mkdtemp");
		return;
	}
	chmod(dir, 0755);
	snprintf(path, sizeof(path), "%s/vfiobuf.prom", dir);
	snprintf(other, sizeof(other), "%s/victim", dir);
	snprintf(tmp, sizeof(tmp), "%s/.vfiobuf.prom.tmp", dir);
	old = umask(077);
	is_int(vb_prom_write_file(path, "a 1\n", 4, &e), 0, "written: %s", e.msg);
	umask(old);
	ok(stat(path, &st) == 0 && (st.st_mode & 07777) == 0644, "mode 0644 whatever the umask");
	ok(!temp_left(dir, "vfiobuf.prom"), "no temporary file left");

	/* a link at the file's name is replaced, its target untouched */
	fd = open(other, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	ok(fd >= 0 && write(fd, "keep", 4) == 4, "victim file");
	close(fd);
	unlink(path);
	ok(symlink(other, path) == 0, "a symlink where the file goes");
	ok(symlink(other, tmp) == 0, "and one where an old temporary file was");
	is_int(vb_prom_write_file(path, "b 2\n", 4, &e), 0, "written over the links: %s", e.msg);
	ok(lstat(path, &st) == 0 && S_ISREG(st.st_mode), "the file is a regular file now");
	fd = open(other, O_RDONLY);
	n = fd >= 0 ? read(fd, buf, sizeof(buf) - 1) : -1;
	close(fd);
	buf[n > 0 ? n : 0] = '\0';
	is_str(buf, "keep", "the links' target was not written");

	/* a directory others may write to is refused */
	chmod(dir, 0777);
	vb_err_clear(&e);
	is_int(vb_prom_write_file(path, "c 3\n", 4, &e), -1, "a world-writable directory is refused");
	is_int(e.exit_code, VB_EXIT_PERM, "exit 4");
	ok(strstr(e.msg, "untrusted metrics file directory") && strstr(e.msg, "writable by everyone"),
	   "the message says why: %s", e.msg);
	chmod(dir, 0755);
	vb_err_clear(&e);
	is_int(vb_prom_write_file(dir, "d 4\n", 4, &e), -1, "a directory is not replaced");
	ok(!temp_left("/tmp", strrchr(dir, '/') + 1) && stat(dir, &st) == 0 && S_ISDIR(st.st_mode),
	   "... and its temporary file is removed");
	snprintf(buf, sizeof(buf), "%s/", dir);
	vb_err_clear(&e);
	is_int(vb_prom_write_file(buf, "x", 1, &e), -1, "a path ending in / is no file name");
	is_int(e.exit_code, VB_EXIT_USAGE, "exit 2");
	unlink(path);
	unlink(other);
	unlink(tmp);
	rmdir(dir);
}

int main(void)
{
	test_label_escaping();
	test_family_and_samples();
	test_refusal_reasons();
	test_daemon_text();
	test_doctor_metrics();
	test_write_file();
	return tap_done();
}
