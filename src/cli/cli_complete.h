/* cli_complete: the hidden `vfiobuf __complete WORD…` command used by the
 * bash, zsh and fish completion scripts.  Candidates come from the same argp
 * tables that parse the options, so completions cannot drift from the CLI. */
#ifndef VB_CLI_COMPLETE_H
#define VB_CLI_COMPLETE_H

#include "cli.h"

#define CLI_COMPLETE_COMMAND "__complete"

/* argv[1..argc-1]: the words after "vfiobuf", the last one being the word
 * under the cursor (possibly empty).  Prints one candidate per line, or the
 * single word __files__ / __dirs__ when the shell should complete paths. */
int cli_complete(struct vb_cli *cli, int argc, char **argv);

#endif
