/* cli_broker: see cli_broker.h. */
#include "ranges.h"
#include "cli_broker.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli_vfio.h"

int cli_broker_open(const char *path, struct vb_err *e)
{
	int sock = vb_client_connect(path, e);
	json_t *req, *reply = NULL;
	json_t *proto;

	if (sock < 0)
		return -1;
	req = vb_proto_request(VB_OP_HELLO, -1);
	json_object_set_new(req, "version", json_integer(VB_PROTO_VERSION));
	if (vb_client_call(sock, req, &reply, NULL, NULL, NULL, e) < 0) {
		close(sock);
		return -1;
	}
	proto = json_object_get(reply, "protocol");
	if (!json_is_integer(proto) || json_integer_value(proto) != VB_PROTO_VERSION) {
		json_decref(reply);
		close(sock);
		return vb_err_set_socket(e, VB_EXIT_NOTSUP, EPROTO, path,
				  "the daemon speaks another protocol version");
	}
	json_decref(reply);
	return sock;
}

static void print_pushed(json_t *ev, void *ctx)
{
	cli_broker_print_event(ctx, ev, true);
}

int cli_broker_call(struct vb_cli *cli, int sock, json_t *req, json_t **reply, int *fd,
		    struct vb_err *e)
{
	return vb_client_call(sock, req, reply, fd, print_pushed, cli, e);
}

static void human_value(FILE *fp, const json_t *v)
{
	char *text;

	if (json_is_string(v)) {
		fputs(json_string_value(v), fp);
		return;
	}
	text = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY | JSON_PRESERVE_ORDER);
	fputs(text ? text : "?", fp);
	free(text);
}

void cli_broker_print_event(struct vb_cli *cli, const json_t *ev, bool json_lines)
{
	const char *key;
	json_t *val, *t = json_object_get(ev, "time");
	char stamp[32] = "";

	if (cli->quiet)
		return;
	if (cli->json || json_lines) {
		json_dumpf(ev, stdout, JSON_COMPACT | JSON_PRESERVE_ORDER);
		fputc('\n', stdout);
		fflush(stdout);
		return;
	}
	if (json_is_number(t)) {
		double secs = json_number_value(t);
		time_t whole = (time_t)secs;
		struct tm tm;

		localtime_r(&whole, &tm);
		strftime(stamp, sizeof(stamp), "%H:%M:%S", &tm);
		snprintf(stamp + strlen(stamp), sizeof(stamp) - strlen(stamp), ".%03d",
			 (int)((secs - (double)whole) * 1000));
	}
	printf("%s %-20s", stamp, json_string_value(json_object_get(ev, "event")));
	if (json_is_string(json_object_get(ev, "bdf")))
		printf(" %s", json_string_value(json_object_get(ev, "bdf")));
	json_object_foreach((json_t *)ev, key, val) {
		if (!strcmp(key, "event") || !strcmp(key, "time") || !strcmp(key, "bdf"))
			continue;
		printf(" %s=", key);
		human_value(stdout, val);
	}
	putchar('\n');
	fflush(stdout);
}

static void print_bars_text(struct vb_out *o, json_t *bars)
{
	size_t i;
	json_t *b;
	char size[16];
	int n = 0;

	json_array_foreach(bars, i, b) {
		out_text(o, "%s%d:%s%s", n++ ? "," : "", (int)json_integer_value(json_object_get(b, "index")),
			 vb_size_format((unsigned long long)json_integer_value(json_object_get(b, "size")),
					size, sizeof(size)),
			 json_is_true(json_object_get(b, "may_export")) ? "" : "(no)");
	}
	if (!n)
		out_text(o, "-");
}

int cli_broker_list(struct vb_cli *cli, const char *path)
{
	struct vb_err e = { 0 };
	json_t *reply = NULL, *devs, *d;
	size_t i;
	int sock = cli_broker_open(path, &e);

	if (sock < 0)
		return cli_fail(cli, &e);
	if (cli_broker_call(cli, sock, vb_proto_request(VB_OP_LIST, -1), &reply, NULL, &e) < 0) {
		close(sock);
		return cli_fail(cli, &e);
	}
	close(sock);
	devs = json_object_get(reply, "devices");
	if (out_is_json(cli->out)) {
		out_json(cli->out, NULL, json_incref(devs));
		json_decref(reply);
		return 0;
	}
	if (!cli->quiet)
		out_text(cli->out, "%-12s  %-8s  %-5s  %-5s  %-6s  %-5s  %s\n", "DEVICE", "STATE", "MODE",
			 "GROUP", "LEASES", "RESET", "BARS (may export)");
	json_array_foreach(devs, i, d) {
		json_t *g = json_object_get(d, "iommu_group"), *m = json_object_get(d, "vfio_mode");
		char grp[24] = "-";

		if (json_is_integer(g))
			snprintf(grp, sizeof(grp), "%lld", (long long)json_integer_value(g));

		out_text(cli->out, "%-12s  %-8s  %-5s  %-5s  %-6lld  %-5s  ",
			 json_string_value(json_object_get(d, "bdf")),
			 json_string_value(json_object_get(d, "state")),
			 json_is_string(m) ? json_string_value(m) : "-",
			 grp,
			 (long long)json_integer_value(json_object_get(d, "leases")),
			 json_is_true(json_object_get(d, "may_reset")) ? "yes" : "no");
		print_bars_text(cli->out, json_object_get(d, "bars"));
		out_text(cli->out, "\n");
	}
	json_decref(reply);
	return 0;
}
