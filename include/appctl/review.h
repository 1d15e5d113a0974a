/* review.h: the read-only review use cases: inventory and who-can (service layer). */
#ifndef APPCTL_REVIEW_H
#define APPCTL_REVIEW_H

#include <stddef.h>

#include "appctl/error.h"
#include "appctl/inventory.h"
#include "appctl/model.h"
#include "appctl/store.h"

/* What both reports are computed on. */
typedef struct appctl_review_base {
	appctl_snapshot *snap;
	appctl_arena *arena;       /* the report's own memory */
	const char *env;           /* the environment or revision read */
	char commit[41];
	appctl_date at;
} appctl_review_base;

typedef struct appctl_inventory_report {
	appctl_review_base base;
	appctl_inventory_row *rows;   /* one per app of base.snap, in order */
	size_t row_count;
	appctl_review_row *review;    /* one per app and principal with access */
	size_t review_count;
} appctl_inventory_report;

/*
 * Reads environment `env` (any revision appctl_repo_resolve accepts; NULL:
 * the last environment of HEAD's appctl.json) from git objects and builds
 * its inventory and its access review (inventory.h) on day `at`. Unknown revisions are APPCTL_EUSAGE. The
 * caller frees *out with appctl_inventory_report_free.
 */
appctl_error *appctl_inventory_report_load(appctl_inventory_report **out,
	appctl_repo *repo, const char *env, appctl_date at);
void appctl_inventory_report_free(appctl_inventory_report *report);

typedef struct appctl_who_can_report {
	appctl_review_base base;
	appctl_who_can_query query;
	appctl_who_can_entry *entries;
	size_t entry_count;
	size_t apps_with_resource;
} appctl_who_can_report;

/*
 * Answers `q` on environment `env` (as above) on day `at`. A resource (or
 * field) that no app (or not q->app) defines is APPCTL_EUSAGE, so a typo
 * never reads as "nobody". The caller frees *out with
 * appctl_who_can_report_free.
 */
appctl_error *appctl_who_can_report_load(appctl_who_can_report **out,
	appctl_repo *repo, const char *env, const appctl_who_can_query *q,
	appctl_date at);
void appctl_who_can_report_free(appctl_who_can_report *report);

#endif
