/* Unit tests for fdpass.c: real SCM_RIGHTS over socketpairs and a listening
 * socket, with a memfd standing in for the dma-buf. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fdpass.h"
#include "tap.h"

static int open_fd_count(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *de;
	int n = 0;

	if (!d)
		return -1;
	while ((de = readdir(d)))
		if (de->d_name[0] != '.')
			n++;
	closedir(d);
	return n - 1; /* the directory's own fd */
}

static int make_memfd(const char *content)
{
	int fd = memfd_create("vfiobuf-test", MFD_CLOEXEC);

	if (fd >= 0 && write(fd, content, strlen(content)) != (ssize_t)strlen(content)) {
		close(fd);
		return -1;
	}
	return fd;
}

static int same_file(int a, int b)
{
	struct stat sa, sb;

	return fstat(a, &sa) == 0 && fstat(b, &sb) == 0 && sa.st_ino == sb.st_ino &&
	       sa.st_dev == sb.st_dev;
}

/* Send n raw fds (all the same) with the given bytes. */
static int send_raw(int sock, int fd, int nfds, const char *bytes, size_t len)
{
	char ctl[CMSG_SPACE(sizeof(int) * 64)];
	struct iovec iov = { (void *)bytes, len };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
	struct cmsghdr *c;

	memset(ctl, 0, sizeof(ctl));
	if (nfds > 0) {
		msg.msg_control = ctl;
		msg.msg_controllen = CMSG_SPACE(sizeof(int) * (size_t)nfds);
		c = CMSG_FIRSTHDR(&msg);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int) * (size_t)nfds);
		for (int i = 0; i < nfds; i++)
			memcpy(CMSG_DATA(c) + i * sizeof(int), &fd, sizeof(int));
	}
	return (int)sendmsg(sock, &msg, 0);
}

static void test_roundtrip(int type, const char *tname)
{
	int sv[2], mfd, got = -1, before;
	char buf[256], data[8] = "";
	struct vb_err e = { 0 };
	const char *json = "{\"device\":\"0000:03:00.0\",\"bar\":2,\"size\":16777216}";

	if (socketpair(AF_UNIX, type | SOCK_CLOEXEC, 0, sv) < 0) {
		ok(0, "%s: socketpair", tname);
		return;
	}
	mfd = make_memfd("dmabuf!");
	before = open_fd_count();
	ok(vb_fd_send(sv[0], mfd, json, &e) == 0, "%s: send fd + JSON", tname);
	is_int(vb_fd_recv(sv[1], &got, buf, sizeof(buf), &e), (int)strlen(json),
	       "%s: receive returns the text length", tname);
	is_str(buf, json, "%s: description arrives intact, newline stripped", tname);
	ok(got >= 0 && got != mfd, "%s: a new fd arrived", tname);
	ok(same_file(got, mfd), "%s: it is the same open file (same inode)", tname);
	ok(pread(got, data, 7, 0) == 7 && strcmp(data, "dmabuf!") == 0,
	   "%s: content readable through the received fd", tname);
	ok((fcntl(got, F_GETFD) & FD_CLOEXEC) != 0, "%s: received fd is close-on-exec", tname);
	is_int(open_fd_count(), before + 1, "%s: exactly one fd more", tname);
	close(got);
	close(mfd);
	close(sv[0]);
	close(sv[1]);
}

static void test_extra_and_truncated(int type, const char *tname)
{
	int sv[2], mfd, got = -1, before;
	char buf[64];
	struct vb_err e = { 0 };

	if (socketpair(AF_UNIX, type | SOCK_CLOEXEC, 0, sv) < 0)
		return;
	mfd = make_memfd("x");
	before = open_fd_count();
	send_raw(sv[0], mfd, 3, "{}\n", 3);
	is_int(vb_fd_recv(sv[1], &got, buf, sizeof(buf), &e), 2, "%s: 3 fds sent: message read", tname);
	ok(got >= 0 && same_file(got, mfd), "%s: first fd kept", tname);
	is_int(open_fd_count(), before + 1, "%s: the 2 extra fds were closed", tname);
	close(got);

	before = open_fd_count();
	send_raw(sv[0], mfd, 40, "{}\n", 3);
	got = 123;
	ok(vb_fd_recv(sv[1], &got, buf, sizeof(buf), &e) < 0, "%s: 40 fds: refused", tname);
	ok(strstr(e.msg, "truncated") != NULL, "%s: MSG_CTRUNC reported (%s)", tname, e.msg);
	is_int(got, -1, "%s: no fd handed out", tname);
	is_int(open_fd_count(), before, "%s: every received fd closed on MSG_CTRUNC", tname);

	send_raw(sv[0], -1, 0, "{\"nofd\":1}\n", 11);
	is_int(vb_fd_recv(sv[1], &got, buf, sizeof(buf), &e), 10, "%s: message without fd", tname);
	is_int(got, -1, "%s: fd is -1 when none was sent", tname);

	close(mfd);
	close(sv[0]);
	ok(vb_fd_recv(sv[1], &got, buf, sizeof(buf), &e) < 0 && e.errnum == ECONNRESET,
	   "%s: peer closed without sending: ECONNRESET", tname);
	close(sv[1]);
}

static void test_stream_pieces(void)
{
	int sv[2], mfd, got = -1;
	char buf[64];
	struct vb_err e = { 0 };

	socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv);
	mfd = make_memfd("y");
	send_raw(sv[0], mfd, 1, "{\"a\":", 5);
	send_raw(sv[0], -1, 0, "1}\n", 3);
	is_int(vb_fd_recv(sv[1], &got, buf, sizeof(buf), &e), 7, "stream: message in two pieces");
	is_str(buf, "{\"a\":1}", "stream: pieces joined");
	ok(same_file(got, mfd), "stream: fd from the first piece");
	close(got);

	send_raw(sv[0], mfd, 1, "{\"half\":", 8);
	close(sv[0]);
	ok(vb_fd_recv(sv[1], &got, buf, sizeof(buf), &e) < 0 && strstr(e.msg, "middle"),
	   "stream: peer closing mid-message is an error");
	is_int(got, -1, "stream: fd of the broken message closed");
	close(sv[1]);
	close(mfd);
}

static void test_limits(void)
{
	int sv[2], mfd = make_memfd("z"), got = -1;
	char small[8];
	struct vb_err e = { 0 };

	socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv);
	ok(vb_fd_send(sv[0], mfd, "two\nlines", &e) < 0, "multi-line description refused");
	ok(vb_fd_send(sv[0], mfd, "{\"long\":\"abcdefgh\"}", &e) == 0, "send a long record");
	ok(vb_fd_recv(sv[1], &got, small, sizeof(small), &e) < 0 && e.errnum == EMSGSIZE,
	   "seqpacket record longer than the buffer: EMSGSIZE");
	is_int(got, -1, "fd of the oversized record closed");
	close(sv[0]);
	close(sv[1]);
	close(mfd);
}

static void test_listen_connect(void)
{
	char dir[] = "/tmp/vfiobuf-fdpass-XXXXXX", path[128], buf[64], longp[200];
	struct vb_err e = { 0 };
	struct stat st;
	int l, c, a, mfd = make_memfd("w"), got = -1;

	if (!mkdtemp(dir)) {
		ok(0, "mkdtemp");
		return;
	}
	snprintf(path, sizeof(path), "%s/sock", dir);
	l = vb_unix_listen(path, SOCK_SEQPACKET, 0600, &e);
	ok(l >= 0, "listen on a seqpacket socket");
	ok(stat(path, &st) == 0 && (st.st_mode & 0777) == 0600, "socket file mode 0600");
	ok(vb_unix_listen(path, SOCK_SEQPACKET, 0600, &e) < 0 && e.exit_code == VB_EXIT_BUSY,
	   "second listener on a live socket: busy");
	/* nothing probed the live listener: the next connection accepted is ours */
	c = vb_unix_connect(path, &e);
	ok(c >= 0, "connect");
	a = accept4(l, NULL, NULL, SOCK_CLOEXEC);
	ok(vb_fd_send(c, mfd, "{\"ok\":true}", &e) == 0 &&
	   vb_fd_recv(a, &got, buf, sizeof(buf), &e) == 11 && same_file(got, mfd),
	   "fd passes through a listening socket");
	close(got);
	close(a);
	close(c);

	/* peer close detection */
	c = vb_unix_connect(path, &e);
	a = accept4(l, NULL, NULL, SOCK_CLOEXEC);
	send(a, "junk", 4, 0);
	close(a);
	is_int(vb_wait_peer_close(c), 0, "wait_peer_close returns 0 once the peer closed");
	close(c);
	close(l);

	/* the listener is gone: the file is stale, connect is refused, a new
	 * listener refuses to take the path over until it is removed */
	ok(vb_unix_connect(path, &e) < 0 && e.errnum == ECONNREFUSED, "stale socket: ECONNREFUSED");
	ok(vb_unix_listen(path, SOCK_STREAM, 0666, &e) < 0 && e.exit_code == VB_EXIT_BUSY &&
	   strstr(e.msg, "stale"), "stale socket file is not replaced silently");
	unlink(path);
	l = vb_unix_listen(path, SOCK_STREAM, 0666, &e);
	ok(l >= 0, "new (stream) listener once the path is free");
	ok(stat(path, &st) == 0 && (st.st_mode & 0777) == 0666, "socket file mode 0666");
	c = vb_unix_connect(path, &e);
	ok(c >= 0, "connect falls back to SOCK_STREAM");
	a = accept4(l, NULL, NULL, SOCK_CLOEXEC);
	ok(vb_fd_send(c, mfd, "{\"s\":1}", &e) == 0 && vb_fd_recv(a, &got, buf, sizeof(buf), &e) == 7 &&
	   same_file(got, mfd), "fd passes over a stream connection");
	close(got);
	close(a);
	close(c);
	close(l);
	unlink(path);

	/* a regular file is never replaced */
	close(open(path, O_CREAT | O_WRONLY | O_CLOEXEC, 0600));
	ok(vb_unix_listen(path, SOCK_SEQPACKET, 0600, &e) < 0, "regular file at the path: refused");
	ok(access(path, F_OK) == 0, "and left in place");
	unlink(path);

	ok(vb_unix_connect(path, &e) < 0 && e.exit_code == VB_EXIT_NOTFOUND,
	   "missing socket: not found (exit 3)");
	memset(longp, 'a', sizeof(longp) - 1);
	longp[sizeof(longp) - 1] = '\0';
	ok(vb_unix_connect(longp, &e) < 0 && e.exit_code == VB_EXIT_USAGE,
	   "socket path longer than sun_path: usage error");
	rmdir(dir);
	close(mfd);
}

/* Across a fork: the child receives, checks, and reports by exit status. */
static void test_across_processes(void)
{
	int sv[2], mfd = make_memfd("shared"), status = -1;
	struct vb_err e = { 0 };
	struct stat st;
	pid_t pid;

	socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv);
	fstat(mfd, &st);
	pid = fork();
	if (pid == 0) {
		char buf[64], want[64];
		int got = -1;
		struct stat cs;

		close(sv[0]);
		close(mfd);
		snprintf(want, sizeof(want), "{\"ino\":%llu}", (unsigned long long)st.st_ino);
		if (vb_fd_recv(sv[1], &got, buf, sizeof(buf), &e) < 0 || strcmp(buf, want) ||
		    fstat(got, &cs) < 0 || cs.st_ino != st.st_ino)
			_exit(1);
		_exit(0);
	}
	close(sv[1]);
	{
		char text[64];

		snprintf(text, sizeof(text), "{\"ino\":%llu}", (unsigned long long)st.st_ino);
		vb_fd_send(sv[0], mfd, text, &e);
	}
	waitpid(pid, &status, 0);
	ok(WIFEXITED(status) && WEXITSTATUS(status) == 0, "another process receives the same file");
	close(sv[0]);
	close(mfd);
}

int main(void)
{
	test_roundtrip(SOCK_SEQPACKET, "seqpacket");
	test_roundtrip(SOCK_STREAM, "stream");
	test_extra_and_truncated(SOCK_SEQPACKET, "seqpacket");
	test_extra_and_truncated(SOCK_STREAM, "stream");
	test_stream_pieces();
	test_limits();
	test_listen_connect();
	test_across_processes();
	return tap_done();
}
