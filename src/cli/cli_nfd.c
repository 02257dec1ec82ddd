/* cli_nfd: the NFD feature file of `topology --format nfd`.  See cli_nfd.h. */
#include "cli_nfd.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "atomic_file.h"
#include "nfd.h"
#include "p2p_domain.h"

/* The facts over the selected functions that are endpoints: --all or a
 * named bridge selects bridges too, and the kernel does P2P between
 * endpoints only.  Returns 0, or -1 when out of memory. */
static int collect_facts(const struct vb_cli *cli, const struct vb_topo *t, const int *eps,
			 int neps, struct vb_nfd_facts *f)
{
	int *ends = malloc(((size_t)neps + 1) * sizeof(int)), nends = 0;

	if (!ends)
		return -1;
	for (int i = 0; i < neps; i++)
		if (vb_p2p_is_endpoint(&t->devs.v[eps[i]]))
			ends[nends++] = eps[i];
	vb_nfd_host_facts(&cli->sys, f);
	vb_nfd_pair_facts(t, ends, nends, f);
	vb_nfd_group_facts(t, ends, nends, f);
	free(ends);
	return 0;
}

int cli_nfd_write(struct vb_cli *cli, const struct vb_topo *t, const int *eps, int neps,
		  const char *file, long expiry_seconds)
{
	struct vb_nfd_label labels[VB_NFD_MAX_LABELS];
	struct vb_nfd_facts f = { 0 };
	struct vb_err e = { 0 };
	size_t n, len;
	char *text;
	int rc = 0;

	if (collect_facts(cli, t, eps, neps, &f) < 0)
		return cli_fail(cli, (vb_err_set(&e, VB_EXIT_FAIL, ENOMEM, NULL, "out of memory"), &e));
	n = vb_nfd_labels(&f, labels);
	text = vb_nfd_format(labels, n, time(NULL) + expiry_seconds, &len, &e);
	if (!text)
		return cli_fail(cli, &e);
	if (file)
		rc = vb_atomic_write(file, text, len, 0644, &e) < 0 ? cli_fail(cli, &e) : 0;
	else if (!cli->quiet &&
		 (fwrite(text, 1, len, out_fp(cli->out)) != len || fflush(out_fp(cli->out))))
		rc = cli_fail(cli, (vb_err_set(&e, VB_EXIT_FAIL, errno, NULL,
					       "cannot write the feature file to standard output"), &e));
	free(text);
	return rc;
}
