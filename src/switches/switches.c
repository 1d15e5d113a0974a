/* switches.c: the clock and the fault points; compiled with APPCTL_TEST_SWITCHES only into test builds, so nothing a user's environment sets can change a verdict. */
#include "appctl/clock.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "appctl/rules.h"

#ifdef APPCTL_TEST_SWITCHES

int64_t appctl_clock_now(void)
{
	const char *fixed = getenv("APPCTL_NOW"), *day = getenv("APPCTL_TODAY");
	int64_t real = (int64_t)time(NULL), t;
	int date_only;

	if (fixed && appctl_time_parse(&t, &date_only, fixed) == 0)
		return t;
	/* A fixed day is its noon: the same verdicts whenever the tests run. */
	if (day && appctl_time_parse(&t, &date_only, day) == 0 && date_only)
		return t + 12 * 3600;
	return real;
}

void appctl_fault_point(const char *step)
{
	const char *want = getenv("APPCTL_FAULT");
	size_t n = strlen(step);
	static const char note[] = "appctl: fault injected at ";

	if (!want || strncmp(want, step, n) != 0)
		return;
	if (want[n] != '\0' && strcmp(want + n, ":abort") != 0)
		return;
	/* write(2), not stdio: nothing buffered may leak past the "crash". */
	if (write(STDERR_FILENO, note, sizeof(note) - 1) < 0 ||
	    write(STDERR_FILENO, step, n) < 0 || write(STDERR_FILENO, "\n", 1) < 0)
		_exit(137);
	if (want[n] == ':')
		abort();
	_exit(137);
}

int appctl_test_switches_built(void)
{
	return 1;
}

#else

int64_t appctl_clock_now(void)
{
	return (int64_t)time(NULL);
}

void appctl_fault_point(const char *step)
{
	(void)step;
}

int appctl_test_switches_built(void)
{
	return 0;
}

#endif
