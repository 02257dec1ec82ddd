/* cli_p2p: printing P2P verdicts (shared by distance and topology). */
#ifndef VB_CLI_P2P_H
#define VB_CLI_P2P_H

#include "json_out.h"
#include "topo.h"

/* The JSON fields of one pair (inside an open object). */
void cli_p2p_pair_json(struct vb_out *o, const struct vb_topo *t, int a, int b,
		       const struct vb_p2p_result *r);
/* The same for a pair list whose host bridges are described once elsewhere:
 * the host bridges by name only. */
void cli_p2p_pair_json_brief(struct vb_out *o, const struct vb_topo *t, int a, int b,
			     const struct vb_p2p_result *r);
/* One sentence saying why, into buf. */
const char *cli_p2p_reason(const struct vb_topo *t, const struct vb_p2p_result *r, char *buf,
			   size_t n);

#endif
