/* The baseline of bench/startup (never part of vfiobuf): a C program that
 * prints one line and links only libc, the least any command costs. */
#include <stdio.h>

int main(void)
{
	puts("vfiobuf 0.1.0");
	return 0;
}
