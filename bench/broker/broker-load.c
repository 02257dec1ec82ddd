/* broker-load: benchmark and soak client for `vfiobuf serve` (never part of
 * the vfiobuf binary).  Speaks the protocol directly, many connections at
 * once, one thread per connection group.
 *
 *   broker-load rate SOCKET BDF CLIENTS REQUESTS
 *       CLIENTS connections, each looping export (4 KiB of BAR 2, fd
 *       received and closed) + release, one round trip each; prints
 *       "fds=N seconds=S rate=R".
 *   broker-load pipelined SOCKET BDF CLIENTS REQUESTS
 *       the same, but the release of one lease is sent together with the
 *       next export (two messages, then two replies), as a client that
 *       does not wait for release replies would.
 *   broker-load single SOCKET BDF CLIENTS REQUESTS
 *       one round trip per fd: each export request also releases the
 *       client's previous lease ("release": [id]).
 *   broker-load hold SOCKET BDF CLIENTS LEASES
 *       CLIENTS connections holding LEASES leases each (fds kept open);
 *       prints "ready clients=N leases=M" and waits for stdin to close.
 *   broker-load soak SOCKET BDF CLIENTS REQUESTS SEED
 *       random export / release / disconnect+reconnect; prints
 *       "requests=N exports=E releases=R reconnects=C errors=X".
 * Exit 1 on any unexpected reply. */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define MAXHELD 8

static const char *sock_path, *bdf;
static long per_client;
static atomic_long n_req, n_exp, n_rel, n_reconn, n_err;
static unsigned seed0;

static int connect_daemon(void)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int s = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);

	strncpy(sa.sun_path, sock_path, sizeof(sa.sun_path) - 1);
	if (s < 0 || connect(s, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		perror("connect");
		exit(1);
	}
	return s;
}

/* Send one request, receive its reply (and fd).  Returns the lease of an
 * export, 0 for another ok reply, -1 for an error reply. */
static void send_only(int s, const char *req);

/* Send one request (NULL: none, only read), receive one reply (and fd). */
static long call(int s, const char *req, int *fd)
{
	char buf[65536];
	union {
		char b[CMSG_SPACE(sizeof(int))];
		struct cmsghdr a;
	} ctl;
	struct iovec iov = { buf, sizeof(buf) - 1 };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.b,
			    .msg_controllen = sizeof(ctl.b) };
	struct cmsghdr *c;
	const char *p;
	ssize_t n;
	long lease = 0;

	if (req)
		send_only(s, req);
	n = recvmsg(s, &m, MSG_CMSG_CLOEXEC);
	if (n <= 0) {
		fprintf(stderr, "daemon closed the connection\n");
		exit(1);
	}
	buf[n] = '\0';
	if (fd) {
		*fd = -1;
		c = CMSG_FIRSTHDR(&m);
		if (c && c->cmsg_type == SCM_RIGHTS)
			memcpy(fd, CMSG_DATA(c), sizeof(int));
	}
	/* The client's own cost must not dominate what is measured: no JSON
	 * parser here, the daemon's replies are compact and predictable. */
	if (!strstr(buf, "\"ok\":true")) {
		fprintf(stderr, "error reply: %s\n", buf);
		atomic_fetch_add(&n_err, 1);
		if (fd && *fd >= 0)
			close(*fd);
		return -1;
	}
	if ((p = strstr(buf, "\"lease\":")))
		lease = strtol(p + 8, NULL, 10);
	return lease;
}

/* An export of 4 KiB at page off; release > 0: that lease is released by
 * the same request. */
static long export_releasing(int s, long off, long release, int *fd)
{
	char req[256], rel[48] = "";

	if (release > 0)
		snprintf(rel, sizeof(rel), ",\"release\":[%ld]", release);
	snprintf(req, sizeof(req),
		 "{\"op\":\"export\",\"bdf\":\"%s\",\"bar\":2,\"ranges\":[{\"offset\":%ld,\"length\":4096}]%s}",
		 bdf, off * 4096, rel);
	return call(s, req, fd);
}

static long export_one(int s, long off, int *fd)
{
	return export_releasing(s, off, 0, fd);
}

static void release_one(int s, long lease)
{
	char req[96];

	snprintf(req, sizeof(req), "{\"op\":\"release\",\"lease\":%ld}", lease);
	if (call(s, req, NULL) >= 0)
		atomic_fetch_add(&n_rel, 1);
}

static void *rate_client(void *arg)
{
	int s = connect_daemon(), fd;

	(void)arg;
	for (long i = 0; i < per_client; i++) {
		long lease = export_one(s, i % 256, &fd);

		if (lease <= 0 || fd < 0)
			exit(1);
		close(fd);
		atomic_fetch_add(&n_exp, 1);
		release_one(s, lease);
	}
	close(s);
	return NULL;
}

/* Send without waiting for the reply. */
static void send_only(int s, const char *req)
{
	if (send(s, req, strlen(req), MSG_NOSIGNAL) < 0) {
		perror("send");
		exit(1);
	}
	atomic_fetch_add(&n_req, 1);
}

static void *pipelined_client(void *arg)
{
	int s = connect_daemon(), fd;
	long prev = 0;
	char rel[96];

	(void)arg;
	for (long i = 0; i < per_client; i++) {
		long lease;

		if (prev > 0) {
			snprintf(rel, sizeof(rel), "{\"op\":\"release\",\"lease\":%ld}", prev);
			send_only(s, rel);
		}
		lease = export_one(s, i % 256, &fd);
		if (prev > 0) { /* replies come in order: that was the release's */
			if (lease != prev || fd >= 0)
				exit(1);
			atomic_fetch_add(&n_rel, 1);
			lease = call(s, NULL, &fd);
		}
		if (lease <= 0 || fd < 0)
			exit(1);
		close(fd);
		atomic_fetch_add(&n_exp, 1);
		prev = lease;
	}
	if (prev > 0)
		release_one(s, prev);
	close(s);
	return NULL;
}

/* One round trip per fd: each export request also releases the lease of
 * the one before. */
static void *single_client(void *arg)
{
	int s = connect_daemon(), fd;
	long prev = 0;

	(void)arg;
	for (long i = 0; i < per_client; i++) {
		long lease = export_releasing(s, i % 256, prev, &fd);

		if (lease <= 0 || fd < 0)
			exit(1);
		close(fd);
		atomic_fetch_add(&n_exp, 1);
		if (prev > 0)
			atomic_fetch_add(&n_rel, 1);
		prev = lease;
	}
	if (prev > 0)
		release_one(s, prev);
	close(s);
	return NULL;
}

static void *soak_client(void *arg)
{
	unsigned seed = seed0 + (unsigned)(long)arg;
	long held[MAXHELD];
	int fds[MAXHELD], nheld = 0, s = connect_daemon();

	for (long done = 0; done < per_client;) {
		int r = rand_r(&seed) % 100;

		if (r < 2) { /* disconnect with whatever is held */
			close(s);
			for (int k = 0; k < nheld; k++)
				close(fds[k]);
			nheld = 0;
			s = connect_daemon();
			atomic_fetch_add(&n_reconn, 1);
		} else if (r < 55 && nheld < MAXHELD) {
			long lease = export_one(s, rand_r(&seed) % 4096, &fds[nheld]);

			done++;
			if (lease > 0) {
				held[nheld++] = lease;
				atomic_fetch_add(&n_exp, 1);
			}
		} else if (nheld > 0) {
			int k = rand_r(&seed) % nheld;

			release_one(s, held[k]);
			done++;
			close(fds[k]);
			held[k] = held[--nheld];
			fds[k] = fds[nheld];
		}
	}
	close(s);
	for (int k = 0; k < nheld; k++)
		close(fds[k]);
	return NULL;
}

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + t.tv_nsec / 1e9;
}

static void run_threads(int n, void *(*fn)(void *))
{
	pthread_t *t = calloc((size_t)n, sizeof(*t));

	for (long i = 0; i < n; i++)
		pthread_create(&t[i], NULL, fn, (void *)i);
	for (int i = 0; i < n; i++)
		pthread_join(t[i], NULL);
	free(t);
}

static void raise_nofile(void)
{
	struct rlimit r = { 1 << 16, 1 << 16 };

	setrlimit(RLIMIT_NOFILE, &r);
}

int main(int argc, char **argv)
{
	int clients;
	double t0;

	if (argc < 6) {
		fprintf(stderr, "usage: broker-load rate|hold|soak SOCKET BDF CLIENTS N [SEED]\n");
		return 2;
	}
	sock_path = argv[2];
	bdf = argv[3];
	clients = atoi(argv[4]);
	raise_nofile();
	if (!strcmp(argv[1], "hold")) {
		long leases = atol(argv[5]);
		int fd;

		for (int c = 0; c < clients; c++) {
			int s = connect_daemon();

			for (long l = 0; l < leases; l++)
				if (export_one(s, l, &fd) <= 0 || fd < 0)
					return 1;
		}
		printf("ready clients=%d leases=%ld\n", clients, clients * leases);
		fflush(stdout);
		while (getchar() != EOF)
			;
		return 0;
	}
	per_client = atol(argv[5]) / clients;
	t0 = now();
	if (!strcmp(argv[1], "rate") || !strcmp(argv[1], "pipelined") ||
	    !strcmp(argv[1], "single")) {
		run_threads(clients, argv[1][0] == 'r' ? rate_client
				     : argv[1][0] == 'p' ? pipelined_client : single_client);
		printf("fds=%ld seconds=%.3f rate=%.0f\n", (long)n_exp, now() - t0, n_exp / (now() - t0));
	} else {
		seed0 = argc > 6 ? (unsigned)atoi(argv[6]) : 1;
		run_threads(clients, soak_client);
		printf("requests=%ld exports=%ld releases=%ld reconnects=%ld errors=%ld seconds=%.1f\n",
		       (long)n_req, (long)n_exp, (long)n_rel, (long)n_reconn, (long)n_err, now() - t0);
	}
	return n_err ? 1 : 0;
}
