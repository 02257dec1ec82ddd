/* cli_nfd: the NFD feature file of `topology --format nfd`.  See cli_nfd.h. */
#include "cli_nfd.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "atomic_file.h"
#include "nfd.h"

int cli_nfd_write(struct vb_cli *cli, const struct vb_topo *t, const int *eps, int neps,
		  const char *file, long expiry_seconds)
{
	struct vb_nfd_label labels[VB_NFD_MAX_LABELS];
	struct vb_nfd_facts f = { 0 };
	struct vb_err e = { 0 };
	size_t n, len;
	char *text;
	int rc = 0;

	vb_nfd_host_facts(&cli->sys, &f);
	vb_nfd_pair_facts(t, eps, neps, &f);
	vb_nfd_group_facts(t, eps, neps, &f);
	n = vb_nfd_labels(&f, labels);
	text = vb_nfd_format(labels, n, time(NULL) + expiry_seconds, &len, &e);
	if (!text)
		return cli_fail(cli, &e);
	if (file)
		rc = vb_atomic_write(file, text, len, 0644, &e) < 0 ? cli_fail(cli, &e) : 0;
	else if (!cli->quiet && fwrite(text, 1, len, out_fp(cli->out)) != len)
		rc = VB_EXIT_FAIL;
	free(text);
	return rc;
}
