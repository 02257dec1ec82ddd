/* cdi: the Container Device Interface spec for the broker socket.  See cdi.h. */
#include "cdi.h"

#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>

/* An absolute, normal path a unix socket can have: what a runtime bind-
 * mounts must name the same file inside and outside. */
static int check_socket_path(const char *p, struct vb_err *e)
{
	struct sockaddr_un sa;

	if (p[0] != '/')
		return vb_err_set_socket(e, VB_EXIT_USAGE, 0, p, "the socket path must be absolute");
	if (strlen(p) >= sizeof(sa.sun_path))
		return vb_err_set_socket(e, VB_EXIT_USAGE, 0, p,
					 "the socket path must be shorter than %zu bytes", sizeof(sa.sun_path));
	for (const char *c = p; *c; c++)
		if ((unsigned char)*c < 0x20 || *c == 0x7f)
			return vb_err_set_socket(e, VB_EXIT_USAGE, 0, p,
						 "the socket path has a control character");
	for (const char *c = p; (c = strchr(c, '/')); c++)
		if (!strncmp(c, "/./", 3) || !strcmp(c, "/.") || !strncmp(c, "/../", 4) ||
		    !strcmp(c, "/..") || !strncmp(c, "//", 2) || !strcmp(c, "/"))
			return vb_err_set_socket(e, VB_EXIT_USAGE, 0, p,
						 "the socket path must be normal (no '.', '..', '//' or trailing '/')");
	return 0;
}

char *vb_cdi_spec(const char *socket, size_t *len, struct vb_err *e)
{
	json_t *spec;
	char *text, *grown;

	if (check_socket_path(socket, e) < 0)
		return NULL;
	spec = json_pack("{s:s, s:s, s:[{s:s, s:{s:[{s:s, s:s, s:[s,s,s,s,s]}]}}]}",
			 "cdiVersion", VB_CDI_VERSION, "kind", VB_CDI_KIND, "devices",
			 "name", VB_CDI_DEVICE, "containerEdits", "mounts",
			 "hostPath", socket, "containerPath", socket,
			 "options", "bind", "rw", "nosuid", "nodev", "noexec");
	if (!spec)
		return vb_err_set_socket(e, VB_EXIT_USAGE, 0, socket,
					 "the socket path is not UTF-8 text"), NULL;
	text = json_dumps(spec, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	json_decref(spec);
	grown = text ? realloc(text, strlen(text) + 2) : NULL;
	if (!grown) {
		free(text);
		vb_err_set(e, VB_EXIT_FAIL, ENOMEM, NULL, "out of memory");
		return NULL;
	}
	text = grown;
	strcat(text, "\n");
	*len = strlen(text);
	return text;
}
