/* libFuzzer target: the kernel command line's ACS parameters
 * (acs_plan.c vb_acs_cmdline_param), and the GRUB drop-in text made from a
 * parameter (vb_acs_grub_dropin_text).
 *
 * Input: a command line (NUL ends it).  Properties, any violation traps:
 *  - a value found is a suffix of some pci=...NAME= option of the input: the
 *    text "NAME=" + value occurs in the input, and a value is never longer
 *    than the input; the output buffer is always NUL-terminated even when
 *    the value is cut;
 *  - no value is found when the input has no "pci=";
 *  - a drop-in made from "pci=config_acs=" + value contains the value
 *    once, between \" quotes, on its GRUB_CMDLINE_LINUX_DEFAULT line. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "acs_plan.h"
#include "fuzz_tree.h"

static void check_name(const char *line, const char *name)
{
	char small[8], big[4096], pat[64];

	memset(small, 'Z', sizeof(small));
	if (vb_acs_cmdline_param(line, name, small, sizeof(small)))
		CHECK(memchr(small, '\0', sizeof(small)) != NULL);
	if (!vb_acs_cmdline_param(line, name, big, sizeof(big))) {
		return;
	}
	CHECK(strstr(line, "pci=") != NULL);
	CHECK(strlen(big) < strlen(line));
	snprintf(pat, sizeof(pat), "%s=", name);
	if (strlen(big) + strlen(pat) < sizeof(big)) {
		char *want = malloc(strlen(pat) + strlen(big) + 1);

		CHECK(want != NULL);
		strcpy(want, pat);
		strcat(want, big);
		CHECK(strstr(line, want) != NULL);
		free(want);
	}
	if (strcmp(name, "config_acs") == 0 && !strpbrk(big, "\"\\$`")) {
		char *param = malloc(strlen(big) + 32), *text;

		CHECK(param != NULL);
		sprintf(param, "pci=config_acs=%s", big);
		text = vb_acs_grub_dropin_text(param, "fuzz");
		CHECK(text != NULL);
		CHECK(strstr(text, "pci=config_acs=\\\"") != NULL);
		CHECK(strstr(strstr(text, "pci=config_acs=\\\""), big) != NULL);
		free(text);
		free(param);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *line = malloc(size + 1);

	if (!line)
		return 0;
	memcpy(line, data, size);
	line[size] = '\0';
	check_name(line, "config_acs");
	check_name(line, "disable_acs_redir");
	free(line);
	return 0;
}
