/* spawn-loop: the timer of bench/startup (never part of vfiobuf).  Runs a
 * command N times, one after the other, output to /dev/null, and prints
 * per start: the wall time and the CPU time of the children (user +
 * system, from getrusage), in microseconds:
 *   us_wall=W us_cpu=C
 * Enough starts in one process for start-up to stand out of the timer's
 * own noise; any run that fails or exits non-zero stops the loop (exit 1).
 *   spawn-loop N COMMAND [ARG...] */
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

static double seconds(const struct timeval *t)
{
	return (double)t->tv_sec + (double)t->tv_usec / 1e6;
}

int main(int argc, char **argv)
{
	posix_spawn_file_actions_t fa;
	struct timespec t0, t1;
	struct rusage ru;
	long n;
	int status;
	pid_t pid;

	if (argc < 3 || (n = strtol(argv[1], NULL, 10)) <= 0) {
		fprintf(stderr, "usage: spawn-loop N COMMAND [ARG...]\n");
		return 2;
	}
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (long i = 0; i < n; i++) {
		if (posix_spawn(&pid, argv[2], &fa, NULL, argv + 2, environ) != 0 ||
		    waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status)) {
			fprintf(stderr, "spawn-loop: %s failed at run %ld\n", argv[2], i + 1);
			return 1;
		}
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	getrusage(RUSAGE_CHILDREN, &ru);
	printf("us_wall=%.1f us_cpu=%.1f\n",
	       ((double)(t1.tv_sec - t0.tv_sec) * 1e6 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e3) / (double)n,
	       (seconds(&ru.ru_utime) + seconds(&ru.ru_stime)) * 1e6 / (double)n);
	return 0;
}
