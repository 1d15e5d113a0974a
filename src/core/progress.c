/* progress.c: calling the progress callbacks of appctl/progress.h when they are set (pure core). */
#include "appctl/progress.h"

#include <stdarg.h>
#include <stdio.h>

void appctl_progress_step(const appctl_progress *p, size_t done, size_t total)
{
	if (p && p->step)
		p->step(p->arg, done, total);
}

void appctl_progress_note(const appctl_progress *p, const char *fmt, ...)
{
	char line[512];
	va_list ap;

	if (!p || !p->note)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	p->note(p->arg, line);
}
