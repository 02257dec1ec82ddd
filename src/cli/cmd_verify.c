/* cmd_verify: `vfiobuf verify DEVICE --bar N [--range OFF:LEN] [--revoke-test]`
 * or `vfiobuf verify --fd N`: import a VFIO dma-buf into a fresh iommufd
 * IOAS (IOMMU_IOAS_MAP_FILE) to prove it is importable P2P memory, and,
 * with --revoke-test, watch revocation from the importer's side. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "cli_vfio.h"
#include "iommufd_import.h"
#include "proto.h"

enum { OPT_FD = 0x4500, OPT_REVOKE_TEST, OPT_MODE = CLI_VFIO_MODE_KEY };

struct verify_args {
	struct vb_bdf bdf;
	bool have_bdf;
	int bar;
	struct vb_range ranges[VB_RANGES_MAX];
	size_t nranges;
	int fd;
	bool revoke_test;
	enum vb_vfio_mode mode;
};

static const struct argp_option verify_options[] = {
	{ "bar", 'b', "N", 0, "The BAR to export and import (0-5)", 0 },
	{ "range", 'r', "OFFSET:LENGTH", 0,
	  "A range of the BAR (repeatable; iommufd imports single-range buffers only)", 0 },
	{ "fd", OPT_FD, "N", 0, "Import the dma-buf open as fd N instead (e.g. $VFIOBUF_FD)", 0 },
	{ "revoke-test", OPT_REVOKE_TEST, 0, 0,
	  "Also map after memory decode off, on again, a reset, and the device's close", 0 },
	CLI_VFIO_MODE_OPTION(OPT_MODE),
	{ 0 }
};

static error_t verify_parser(int key, char *arg, struct argp_state *state)
{
	struct verify_args *a = state->input;

	switch (key) {
	case 'b':
		return cli_bar_arg(state, arg, &a->bar);
	case 'r':
		return cli_range_arg(state, arg, a->ranges, &a->nranges);
	case OPT_FD: {
		long fd;

		/* digits only, and no int wrap: 4294967299 is not fd 3 */
		if (cli_parse_decimal(arg, INT_MAX, &fd) < 0)
			argp_error(state, "invalid --fd '%s' (a file descriptor number)", arg);
		else
			a->fd = (int)fd;
		return 0;
	}
	case OPT_REVOKE_TEST:
		a->revoke_test = true;
		return 0;
	case OPT_MODE:
		return cli_vfio_mode_option(state, arg, &a->mode);
	case ARGP_KEY_ARG:
		return cli_one_device_arg(state, arg, &a->bdf, &a->have_bdf);
	case ARGP_KEY_INIT:
		a->bar = -1;
		a->fd = -1;
		return 0;
	case ARGP_KEY_END:
		if (a->fd >= 0 && (a->have_bdf || a->bar >= 0 || a->nranges || a->revoke_test))
			argp_error(state, "--fd takes no DEVICE, --bar, --range or --revoke-test");
		else if (a->fd < 0 && !a->have_bdf)
			argp_error(state, "missing DEVICE (or --fd N)");
		else if (a->fd < 0 && a->bar < 0)
			argp_error(state, "missing --bar");
		return 0;
	default:
		return ARGP_ERR_UNKNOWN;
	}
}

const struct argp cmd_verify_argp = {
	verify_options, verify_parser, "DEVICE",
	"Prove a VFIO dma-buf is importable P2P memory: export ranges of a BAR (or take an open "
	"dma-buf fd) and map it into a fresh iommufd IO address space with IOMMU_IOAS_MAP_FILE, "
	"reporting the IOVA.  iommufd imports single-range buffers only.  --revoke-test then "
	"watches revocation from the importer's side: with memory decode off the map is refused "
	"(ENODEV), on again it succeeds, after a reset it succeeds, after the exporter closes the "
	"device it is refused for good.  Needs /dev/iommu (CONFIG_IOMMUFD).",
	NULL, NULL, NULL
};

/* Map and unmap again; 0 when it mapped.  The errno otherwise. */
static int try_map(const struct vb_ioas *io, int fd, uint64_t size, uint64_t *iova,
		   struct vb_err *e)
{
	if (vb_ioas_map_dmabuf(io, fd, size, iova, e) < 0)
		return e->errnum ? e->errnum : EIO;
	vb_ioas_unmap(io, *iova, size, e);
	return 0;
}

static bool print_step(struct vb_out *o, const char *step, int err, bool want_mapped,
		       uint64_t iova)
{
	bool as_expected = (err == 0) == want_mapped;

	out_open_object(o, OUT_ITEM);
	out_str(o, "step", "  %-20s ", step);
	out_bool(o, "mapped", NULL, err == 0);
	if (err == 0) {
		out_uint(o, "iova", "mapped at IOVA 0x%llx", iova);
	} else {
		out_null(o, "iova", NULL);
		out_str(o, "errno_name", "refused (%s)", vb_errno_name(err));
	}
	out_bool(o, "expected_mapped", NULL, want_mapped);
	out_bool(o, "as_expected", NULL, as_expected);
	out_text(o, "%s\n", as_expected ? "" : "  <-- NOT as the kernel documents");
	out_close_object(o);
	return as_expected;
}

/* Memory off/on, reset, close: what the importer sees at each step. */
static bool revoke_test(struct vb_cli *cli, const struct vb_ioas *io, struct vb_vfio_dev *d,
			int fd, uint64_t size)
{
	struct vb_err e = { 0 };
	uint64_t iova = 0;
	bool ok = true;

	out_open_array(cli->out, "steps");
	ok &= print_step(cli->out, "exported", try_map(io, fd, size, &iova, &e), true, iova);
	vb_vfio_set_memory_enabled(d, false, &e);
	ok &= print_step(cli->out, "memory-disabled", try_map(io, fd, size, &iova, &e), false, iova);
	vb_vfio_set_memory_enabled(d, true, &e);
	ok &= print_step(cli->out, "memory-enabled", try_map(io, fd, size, &iova, &e), true, iova);
	vb_vfio_reset(d, &e);
	ok &= print_step(cli->out, "reset", try_map(io, fd, size, &iova, &e), true, iova);
	vb_vfio_close(d);
	ok &= print_step(cli->out, "device-closed", try_map(io, fd, size, &iova, &e), false, iova);
	out_close_array(cli->out);
	return ok;
}

static int verify_fd(struct vb_cli *cli, int fd)
{
	struct vb_dmabuf_info info;
	struct vb_ioas io;
	struct vb_err e = { 0 };
	uint64_t iova;

	if (vb_dmabuf_info(fd, &info, &e) < 0)
		return cli_fail(cli, &e);
	if (vb_ioas_open(&cli->sys, &io, &e) < 0)
		return cli_fail(cli, &e);
	if (vb_ioas_map_dmabuf(&io, fd, info.size, &iova, &e) < 0) {
		vb_ioas_close(&io);
		return cli_fail(cli, &e);
	}
	out_open_object(cli->out, NULL);
	out_int(cli->out, "fd", "fd %lld", fd);
	out_str(cli->out, "name", " (%s, ", info.name);
	out_uint(cli->out, "size", "%llu bytes)", info.size);
	out_uint(cli->out, "ioas_id", ": mapped into IOAS %llu", io.ioas_id);
	out_uint(cli->out, "iova", " at IOVA 0x%llx\n", iova);
	out_bool(cli->out, "mapped", NULL, true);
	out_close_object(cli->out);
	vb_ioas_unmap(&io, iova, info.size, &e);
	vb_ioas_close(&io);
	return 0;
}

int cmd_verify(struct vb_cli *cli, int argc, char **argv)
{
	struct verify_args a = { 0 };
	struct vb_vfio_dev d;
	struct vb_ioas io;
	struct vb_err e = { 0 };
	char bdf[VB_BDF_STRLEN], name[VB_DMABUF_NAME_LEN];
	char text[VB_RANGES_MAX * sizeof("0x0123456789abcdef:0x0123456789abcdef,")]; /* every range */
	uint64_t iova = 0, size;
	struct vb_dmabuf_info info = { 0 };
	bool ok = true;
	int rc, fd;

	rc = cli_parse_args(cli, &cmd_verify_argp, argc, argv, &a);
	if (rc)
		return rc;
	if (a.fd >= 0)
		return verify_fd(cli, a.fd);
	vb_bdf_format(&a.bdf, bdf);
	/* the request is checked first: a bad range is exit 2 on any host */
	if (cli_export_check(cli, bdf, a.bar, a.ranges, &a.nranges, &e) < 0)
		return cli_fail(cli, &e);
	if (vb_ioas_open(&cli->sys, &io, &e) < 0) /* before anything is exported */
		return cli_fail(cli, &e);
	fd = cli_export_local(cli, bdf, a.bar, a.ranges, &a.nranges, a.mode, &d, name, &e);
	if (fd < 0) {
		vb_ioas_close(&io);
		return cli_fail(cli, &e);
	}
	vb_dmabuf_info(fd, &info, &e);
	size = info.size;
	if (vb_ioas_map_dmabuf(&io, fd, size, &iova, &e) < 0) {
		snprintf(e.device, sizeof(e.device), "%s", bdf);
		close(fd);
		vb_vfio_close(&d);
		vb_ioas_close(&io);
		return cli_fail(cli, &e);
	}
	vb_ioas_unmap(&io, iova, size, &e);
	out_open_object(cli->out, NULL);
	out_str(cli->out, "bdf", "%s", bdf);
	out_int(cli->out, "bar", " BAR %lld", a.bar);
	out_json(cli->out, "ranges", vb_proto_ranges(a.ranges, a.nranges));
	out_str(cli->out, "ranges_text", " %s",
		vb_ranges_format(a.ranges, a.nranges, text, sizeof(text)));
	out_uint(cli->out, "size", " (%llu bytes)", size);
	out_str(cli->out, "name", NULL, name);
	out_str(cli->out, "vfio_mode", ": exported (%s path)", vb_vfio_mode_name(d.mode));
	out_uint(cli->out, "ioas_id", ", imported into IOAS %llu", io.ioas_id);
	out_uint(cli->out, "iova", " at IOVA 0x%llx\n", iova);
	out_bool(cli->out, "importable", NULL, true);
	if (a.revoke_test)
		ok = revoke_test(cli, &io, &d, fd, size);
	else
		vb_vfio_close(&d);
	if (a.revoke_test)
		out_bool(cli->out, "revocation_as_documented", "%s", ok);
	else
		out_null(cli->out, "revocation_as_documented", NULL); /* nothing was tested */
	if (a.revoke_test)
		out_text(cli->out, "%s\n", ok ? "revocation seen by the importer as the kernel documents"
					      : "revocation NOT as the kernel documents");
	out_close_object(cli->out);
	close(fd);
	vb_ioas_close(&io);
	return ok ? 0 : VB_EXIT_FAIL;
}
