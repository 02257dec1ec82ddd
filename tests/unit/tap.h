/* tap.h: a minimal TAP producer for the C unit tests (tests/unit/test_*.c).
 *
 *   int main(void) {
 *       ok(1 + 1 == 2, "addition");
 *       is_int(f(3), 9, "f squares");
 *       is_str(name, "nvme", "driver name");
 *       return tap_done();
 *   }
 *
 * tests/run-checks.sh counts the "ok"/"not ok" lines of every suite.
 * Test-harness state lives here, never in the product.
 */
#ifndef VB_TAP_H
#define VB_TAP_H

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static int tap_count, tap_failed;

static void __attribute__((format(printf, 4, 5), unused))
tap_ok(int pass, const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	printf("%sok %d - ", pass ? "" : "not ", ++tap_count);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	if (!pass) {
		printf("#   failed at %s:%d\n", file, line);
		tap_failed++;
	}
	fflush(stdout);
}

#define ok(cond, ...) tap_ok(!!(cond), __FILE__, __LINE__, __VA_ARGS__)

#define is_int(got, want, ...)                                                   \
	do {                                                                     \
		long long g_ = (long long)(got), w_ = (long long)(want);         \
		tap_ok(g_ == w_, __FILE__, __LINE__, __VA_ARGS__);               \
		if (g_ != w_)                                                    \
			printf("#   got %lld, want %lld\n", g_, w_);             \
	} while (0)

#define is_str(got, want, ...)                                                   \
	do {                                                                     \
		const char *g_ = (got), *w_ = (want);                            \
		int p_ = g_ && w_ && strcmp(g_, w_) == 0;                        \
		tap_ok(p_, __FILE__, __LINE__, __VA_ARGS__);                     \
		if (!p_)                                                         \
			printf("#   got '%s', want '%s'\n", g_ ? g_ : "(null)",  \
			       w_ ? w_ : "(null)");                              \
	} while (0)

static int __attribute__((unused)) tap_done(void)
{
	printf("1..%d\n", tap_count);
	return tap_failed ? 1 : 0;
}

#endif
