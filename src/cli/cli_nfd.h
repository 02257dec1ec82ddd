/* cli_nfd: `topology --format nfd [-o FILE]`: the Node Feature Discovery
 * feature file (lib/nfd.h) on standard output, or written atomically to
 * FILE (lib/atomic_file.h). */
#ifndef VB_CLI_NFD_H
#define VB_CLI_NFD_H

#include "cli.h"
#include "topo.h"

#define CLI_NFD_EXPIRY_DEFAULT 86400L /* seconds: labels vanish a day after the last run */

/* Facts over the endpoints eps[0..neps) of t, labels, file.  Returns an
 * exit code (errors reported through cli). */
int cli_nfd_write(struct vb_cli *cli, const struct vb_topo *t, const int *eps, int neps,
		  const char *file, long expiry_seconds);

#endif
