/* clock.h: the one clock every verdict is judged by, and the fault points of the release step; test builds alone may steer either. */
#ifndef APPCTL_CLOCK_H
#define APPCTL_CLOCK_H

#include <stdint.h>

/*
 * Now, in Unix seconds (UTC). Every time-dependent verdict (temporary
 * memberships, freeze windows, signature validity, how far ahead an event
 * may be dated) reads this one clock, so they cannot disagree. Only a
 * build configured with APPCTL_TEST_SWITCHES=ON lets the environment move
 * it (APPCTL_NOW=YYYY-MM-DDTHH:MM:SSZ, or APPCTL_TODAY=YYYY-MM-DD at its
 * noon); a release build ignores both.
 */
int64_t appctl_clock_now(void);

/*
 * A point of the release step where a test build may die as kill -9 would
 * (APPCTL_FAULT=<step>, or <step>:abort), to prove the step is atomic. A
 * no-op in release builds: a fault can only ever stop a move, never make
 * one pass.
 */
void appctl_fault_point(const char *step);

/* 1 when this build honours the test switches above, else 0. */
int appctl_test_switches_built(void);

#endif
