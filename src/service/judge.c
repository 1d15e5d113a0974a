/* judge.c: the one judge: a move or an event is checked against facts derived from the verified chain and the commits, never against what an event claims. */
#include "appctl/judge.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "appctl/log.h"
#include "appctl/rules.h"
#include "appctl/sign.h"
#include "appctl/strbuf.h"

/* ---- small helpers ---- */

void appctl_judge_ctx_init(appctl_judge_ctx *ctx, appctl_repo *repo,
	appctl_chain *chain, appctl_judge_mode mode, int64_t now)
{
	memset(ctx, 0, sizeof(*ctx));
	ctx->repo = repo;
	ctx->chain = chain;
	ctx->mode = mode;
	ctx->now = now;
}

/* ---- what was read at recent commits ---- */

#define MEMO_SLOTS 4

/* One commit's snapshot and listing, each read when first asked for. */
typedef struct memo_slot {
	char commit[41];
	appctl_snapshot *snapshot;
	appctl_app_listing *listing;
	unsigned long used;            /* for dropping the least recent */
} memo_slot;

struct appctl_judge_memo {
	memo_slot slots[MEMO_SLOTS];
	unsigned long clock;
};

appctl_error *appctl_judge_memo_begin(appctl_judge_ctx *ctx)
{
	if (ctx->memo)
		return NULL;
	ctx->memo = calloc(1, sizeof(*ctx->memo));
	return ctx->memo ? NULL : appctl_error_nomem();
}

static void slot_clear(memo_slot *s)
{
	appctl_snapshot_free(s->snapshot);
	appctl_app_listing_free(s->listing);
	memset(s, 0, sizeof(*s));
}

void appctl_judge_memo_end(appctl_judge_ctx *ctx)
{
	size_t i;

	if (!ctx->memo)
		return;
	for (i = 0; i < MEMO_SLOTS; i++)
		slot_clear(&ctx->memo->slots[i]);
	free(ctx->memo);
	ctx->memo = NULL;
}

/*
 * The slot of `commit`, taking the least recently used one when it has
 * none. `keep` (a commit, or NULL) is never the one taken: a case holds
 * two snapshots at once.
 */
static memo_slot *memo_slot_for(struct appctl_judge_memo *m,
	const char *commit, const char *keep)
{
	memo_slot *victim = NULL;
	size_t i;

	m->clock++;
	for (i = 0; i < MEMO_SLOTS; i++) {
		memo_slot *s = &m->slots[i];

		if (strcmp(s->commit, commit) == 0) {
			s->used = m->clock;
			return s;
		}
		if (keep && strcmp(s->commit, keep) == 0)
			continue;
		if (!victim || s->used < victim->used)
			victim = s;
	}
	slot_clear(victim);
	memcpy(victim->commit, commit, sizeof(victim->commit));
	victim->used = m->clock;
	return victim;
}

/* The snapshot at `commit`: the memo's (borrowed), or a new one the caller frees. */
static appctl_error *snapshot_at(appctl_snapshot **out, appctl_judge_ctx *ctx,
	const char *commit, const char *keep)
{
	memo_slot *s;
	appctl_error *err;

	if (!ctx->memo)
		return ctx->cached
			? appctl_repo_load_snapshot_cached(out, ctx->repo, commit,
				NULL)
			: appctl_repo_load_snapshot(out, ctx->repo, commit);
	s = memo_slot_for(ctx->memo, commit, keep);
	if (!s->snapshot &&
	    (err = ctx->cached
			? appctl_repo_load_snapshot_cached(&s->snapshot,
				ctx->repo, commit, NULL)
			: appctl_repo_load_snapshot(&s->snapshot, ctx->repo,
				commit))) {
		s->commit[0] = '\0';
		return err;
	}
	*out = s->snapshot;
	return NULL;
}

/* The listing at `commit`: the memo's (borrowed; *owned 0), or a new one (*owned 1). */
static appctl_error *listing_at(appctl_app_listing **out, int *owned,
	appctl_judge_ctx *ctx, const char *commit)
{
	memo_slot *s;
	appctl_error *err;

	*owned = !ctx->memo;
	if (!ctx->memo)
		return appctl_repo_list_apps(out, ctx->repo, commit);
	s = memo_slot_for(ctx->memo, commit, NULL);
	if (!s->listing &&
	    (err = appctl_repo_list_apps(&s->listing, ctx->repo, commit))) {
		if (!s->snapshot)
			s->commit[0] = '\0';
		return err;
	}
	*out = s->listing;
	return NULL;
}

/* Appends a line to the case's list of what is missing. */
#define add_line(list, count, ...) \
	(appctl_strlist_add_printf((list), (count), __VA_ARGS__) < 0 \
		? appctl_error_nomem() : NULL)

/* Unix time of an event's ISO time; `fallback` when it does not parse. */
static int64_t event_time(const char *iso, int64_t fallback)
{
	int64_t t;
	int date_only;

	return appctl_time_parse(&t, &date_only, iso) == 0 ? t : fallback;
}

appctl_error *appctl_event_signer(char **principal, char **why,
	const appctl_event *ev, const char *signers_text, int64_t at)
{
	*principal = NULL;
	*why = NULL;
	if (!ev->signature) {
		*why = strdup("not signed");
		return *why ? NULL : appctl_error_nomem();
	}
	return appctl_ssh_verify(principal, why, signers_text, ev->json,
		ev->json_len, ev->signature, at);
}

/*
 * Who an event speaks for, as of `at`: the principal its signature proves;
 * or, when the policy does not require signatures and it does not verify,
 * the one it claims (*verified 0). *principal NULL: nobody.
 */
static appctl_error *establish_principal(char **principal, int *verified,
	char **why, const appctl_event *ev, const appctl_snapshot *current,
	int64_t at)
{
	appctl_error *err;

	*verified = 0;
	err = appctl_event_signer(principal, why, ev, current->signers_text, at);
	if (err || *principal) {
		*verified = *principal != NULL;
		return err;
	}
	if (!current->policy->require_signature &&
	    !(*principal = strdup(ev->principal)))
		return appctl_error_nomem();
	return NULL;
}

/*
 * An event's own signature: when it is signed, claims to be verified, or
 * `required`, it must verify as of `at` to the principal it names.
 * *problem says why not (caller frees); *proven gets who signed (or NULL).
 */
static appctl_error *signature_problem(char **problem, char **proven,
	const appctl_event *ev, const char *signers_text, int required,
	int64_t at)
{
	char *principal = NULL, *why = NULL;
	appctl_error *err = NULL;

	*problem = NULL;
	if (proven)
		*proven = NULL;
	if (!ev->verified && !ev->signature && !required)
		return NULL;
	err = appctl_event_signer(&principal, &why, ev, signers_text, at);
	if (err)
		goto done;
	if (!principal)
		*problem = appctl_str_printf("its signature does not verify: %s",
			why ? why : "unknown reason");
	else if (strcmp(principal, ev->principal) != 0)
		*problem = appctl_str_printf("it names %s but is signed by %s",
			ev->principal, principal);
	else if (proven) {
		*proven = principal;
		principal = NULL;
		goto done;
	} else
		goto done;
	if (!*problem)
		err = appctl_error_nomem();
done:
	free(principal);
	free(why);
	return err;
}

/* ---- gathering the approvals of a move ---- */

typedef struct gathered_event {
	appctl_event *ev;
	int64_t position;
} gathered_event;

typedef struct gather {
	const char *env;
	const char *stop_at;           /* the event after which approvals count */
	gathered_event *approves;      /* newest first */
	size_t approve_count;
	gathered_event *revokes;       /* newest first */
	size_t revoke_count;
	size_t cap_a, cap_r;
} gather;

static appctl_error *keep(gathered_event **list, size_t *count, size_t *cap,
	const appctl_event *ev, int64_t position)
{
	appctl_error *err;

	if (*count == *cap) {
		size_t n = *cap ? *cap * 2 : 16;
		gathered_event *grown = realloc(*list, n * sizeof(*grown));

		if (!grown)
			return appctl_error_nomem();
		*list = grown;
		*cap = n;
	}
	err = appctl_event_dup(&(*list)[*count].ev, ev);
	if (!err)
		(*list)[(*count)++].position = position;
	return err;
}

static appctl_error *gather_visit(const appctl_event *ev, int64_t position,
	void *arg, int *stop)
{
	gather *g = arg;

	/* Approvals older than the env's latest release judged another move. */
	if (strcmp(ev->id, g->stop_at) == 0 || ev->type == APPCTL_EV_INIT) {
		*stop = 1;
		return NULL;
	}
	if (!ev->env || strcmp(ev->env, g->env) != 0)
		return NULL;
	if (ev->type == APPCTL_EV_APPROVE)
		return keep(&g->approves, &g->approve_count, &g->cap_a, ev, position);
	if (ev->type == APPCTL_EV_REVOKE)
		return keep(&g->revokes, &g->revoke_count, &g->cap_r, ev, position);
	return NULL;
}

static void gather_dispose(gather *g)
{
	size_t i;

	for (i = 0; i < g->approve_count; i++)
		appctl_event_free(g->approves[i].ev);
	for (i = 0; i < g->revoke_count; i++)
		appctl_event_free(g->revokes[i].ev);
	free(g->approves);
	free(g->revokes);
	memset(g, 0, sizeof(*g));
}

/* Takes approve event `k` of the gathering into the case (the case owns it). */
static appctl_error *case_take(appctl_case *c, gather *g, size_t k,
	int64_t *positions)
{
	appctl_error *err = appctl_event_dup(&c->events[c->event_count],
		g->approves[k].ev);

	if (!err)
		positions[c->event_count++] = g->approves[k].position;
	return err;
}

/*
 * The approvals of the move, oldest first: every approve event of the env
 * since its last release (pending), the ones the event names (each must be
 * one of those: an older one is stale), or those of exactly the reviewed
 * commit and base (review). Fills c->events; *problem for a named approval
 * that is not there.
 */
static appctl_error *select_approvals(appctl_case *c, gather *g,
	const appctl_move *move, int64_t *positions, char **problem)
{
	const appctl_event *ev = move->event;
	appctl_error *err = NULL;
	size_t k, i;

	if (!ev || move->review_of) {
		for (k = g->approve_count; k > 0 && !err; k--) {
			const appctl_event *a = g->approves[k - 1].ev;

			if (move->review_of && (strcmp(a->commit, c->commit) != 0 ||
					strcmp(a->base, c->base) != 0))
				continue;
			err = case_take(c, g, k - 1, positions);
		}
		return err;
	}
	for (i = 0; i < ev->approval_count && !err; i++) {
		for (k = g->approve_count; k > 0; k--)
			if (strcmp(g->approves[k - 1].ev->id, ev->approvals[i]) == 0)
				break;
		if (!k) {
			*problem = appctl_str_printf("it relies on approval %s, which is not "
				"an approve event of '%s' given since its last release "
				"(unknown, or stale: given before release %lld)",
				ev->approvals[i], c->env, (long long)c->release);
			return *problem ? NULL : appctl_error_nomem();
		}
		err = case_take(c, g, k - 1, positions);
	}
	return err;
}

/* Proves each approval's principal and applies the revocation rule. */
static appctl_error *build_approvals(appctl_case *c, gather *g,
	const int64_t *positions, int64_t sig_at, int64_t latest,
	int64_t move_position)
{
	appctl_revocation *revs = NULL;
	char **rev_principals = NULL;
	appctl_error *err = NULL;
	size_t i, k, n = c->event_count ? c->event_count : 1;

	c->approvals = calloc(n, sizeof(*c->approvals));
	c->principals = calloc(n, sizeof(*c->principals));
	c->whys = calloc(n, sizeof(*c->whys));
	revs = calloc(g->revoke_count + 1, sizeof(*revs));
	rev_principals = calloc(g->revoke_count + 1, sizeof(*rev_principals));
	if (!c->approvals || !c->principals || !c->whys || !revs ||
	    !rev_principals) {
		err = appctl_error_nomem();
		goto done;
	}
	/* A revoke is proven as of its own time: valid when logged, in force for good. */
	for (k = 0; k < g->revoke_count && !err; k++) {
		const appctl_event *r = g->revokes[k].ev;
		char *why = NULL;
		int verified;

		err = establish_principal(&rev_principals[k], &verified, &why, r,
			c->current, event_time(r->time, sig_at));
		free(why);
		revs[k].env = r->env;
		revs[k].commit = r->commit;
		revs[k].principal = rev_principals[k];
		revs[k].position = (size_t)g->revokes[k].position;
	}
	for (i = 0; i < c->event_count && !err; i++) {
		appctl_approval *a = &c->approvals[i];
		int verified = 0;

		/*
		 * An approval is signed over its own time: one dated after the
		 * move it backs was not there when the move was made, and would
		 * let a back-dated move borrow a key that has expired since.
		 */
		if (event_time(c->events[i]->time, latest) > latest)
			c->whys[i] = appctl_str_printf("dated %s, after the move it "
				"is named by", c->events[i]->time);
		else
			err = establish_principal(&c->principals[i], &verified,
				&c->whys[i], c->events[i], c->current, sig_at);
		if (!err && !c->principals[i] && !c->whys[i])
			err = appctl_error_nomem();
		a->event = c->events[i];
		a->principal = c->principals[i];
		a->verified = verified;
		a->why_unverified = verified ? NULL : c->whys[i];
		for (k = 0; !err && k < g->revoke_count && !a->revoked; k++)
			a->revoked = appctl_revocation_withdraws(&revs[k], c->env,
				a->event->commit, a->principal, (size_t)positions[i],
				(size_t)move_position);
	}
	c->approval_count = c->event_count;
done:
	for (k = 0; rev_principals && k < g->revoke_count; k++)
		free(rev_principals[k]);
	free(rev_principals);
	free(revs);
	return err;
}

/* ---- the facts of a move ---- */

static appctl_error *move_facts(appctl_move_facts *f, char source_at[41],
	char release_at[41], appctl_judge_ctx *ctx, const appctl_case *c,
	const appctl_event *ev)
{
	const appctl_policy *policy = c->current->policy;
	appctl_error *err = NULL;
	int found = 0, reaches = 0;

	memset(f, 0, sizeof(*f));
	f->env_commit = c->base;
	f->env_release = c->release;
	f->now = ctx->now;
	f->on_source = -1;
	f->expected_source = appctl_policy_source_env(policy, c->env);
	if (ev->type == APPCTL_EV_PROMOTE && f->expected_source) {
		const appctl_env_state *se = appctl_log_state_env(
			appctl_chain_state(ctx->chain), f->expected_source);

		/* The first environment moves by commits: only its branch knows. */
		if (strcmp(policy->environments[0], f->expected_source) != 0) {
			found = se != NULL;
			if (se)
				memcpy(source_at, se->commit, 41);
		} else if (ctx->first_env_branch) {
			err = ctx->first_env_branch(source_at, &found, ctx->branch_arg,
				f->expected_source);
		} else {
			return NULL;
		}
		f->on_source = 0;
		if (!err && found) {
			f->source_commit = source_at;
			err = appctl_commit_reaches(&reaches, ctx->repo, source_at, ev->to);
			f->on_source = reaches;
		}
	}
	if (!err && ev->type == APPCTL_EV_ROLLBACK) {
		err = appctl_chain_release_commit(release_at, &found, ctx->chain,
			c->env, ev->rollback_to);
		if (!err && found)
			f->release_commit = release_at;
	}
	return err;
}

/* ---- the case ---- */

static appctl_error *load_sides(appctl_case *c, appctl_judge_ctx *ctx)
{
	appctl_error *err;

	c->borrowed = ctx->memo != NULL;
	err = snapshot_at(&c->current, ctx, c->base, NULL);
	if (err)
		return appctl_error_wrap(err, "%s at %.12s", c->env, c->base);
	err = snapshot_at(&c->target, ctx, c->commit, c->base);
	if (err)
		return appctl_error_wrap(err, "%.12s", c->commit);
	return NULL;
}

/* A pending move as the event it would record, so its claims are checked alike. */
static void pending_event(appctl_event *ev, const appctl_move *move,
	const appctl_case *c, char *now_text)
{
	memset(ev, 0, sizeof(*ev));
	ev->type = move->type;
	ev->time = now_text;
	ev->env = c->env;
	ev->source = move->source;
	ev->from = c->base;
	ev->to = c->commit;
	ev->release = c->release + 1;
	ev->rollback_to = move->type == APPCTL_EV_ROLLBACK ? move->rollback_to : -1;
}

/* The promoter of a recorded move: proven by its signature, or as claimed. */
static appctl_error *event_promoter(appctl_case *c, const appctl_event *ev,
	int64_t sig_at, char **problem)
{
	char *proven = NULL;
	appctl_error *err = signature_problem(problem, &proven, ev,
		c->current->signers_text, 0, sig_at);

	if (err || *problem)
		return err;
	c->promoter_verified = proven != NULL;
	c->promoter = proven ? proven : strdup(ev->principal);
	return c->promoter ? NULL : appctl_error_nomem();
}

static appctl_error *judge_lint(appctl_case *c, appctl_date day)
{
	appctl_error *err = appctl_lint(&c->findings, c->target, day);

	if (err)
		return err;
	c->lint_errors = c->findings.errors;
	if (!c->lint_errors)
		return NULL;
	return add_line(&c->missing, &c->missing_count, "the definitions at "
		"%.7s have %zu lint error%s; see 'appctl validate %.12s'",
		c->commit, c->lint_errors, c->lint_errors == 1 ? "" : "s",
		c->commit);
}

/* The verdict from everything gathered: claims, lint, freeze, approvals, break-glass. */
static appctl_error *decide(appctl_case *c, int blocked, int break_glass)
{
	appctl_error *err = NULL;
	size_t i;
	int bg_met = 0;
	char *bg_missing = NULL;

	c->used = calloc(c->approval_count + 1, sizeof(*c->used));
	if (!c->used)
		return appctl_error_nomem();
	if (c->freeze && !break_glass) {
		char *text = appctl_freeze_describe(c->freeze, c->freeze_index);

		err = add_line(&c->missing, &c->missing_count, "'%s' is frozen by "
			"%s; only --break-glass -m REASON may pass", c->env,
			text ? text : "a freeze window");
		free(text);
		if (err)
			return err;
	}
	if (break_glass && (c->freeze || !c->verdict.allowed)) {
		err = appctl_break_glass_judge(&bg_met, &bg_missing, c->used,
			c->current->policy, c->approvals, c->approval_count,
			(const char *const *)c->authors, c->author_count,
			c->promoter, c->promoter_verified);
		if (err)
			return err;
		c->break_glass = 1;
		if (bg_missing)
			err = add_line(&c->missing, &c->missing_count, "%s", bg_missing);
		free(bg_missing);
		c->allowed = bg_met && !blocked;
		return err;
	}
	for (i = 0; i < c->verdict.missing_count && !err; i++)
		err = add_line(&c->missing, &c->missing_count, "%s",
			c->verdict.missing[i]);
	for (i = 0; i < c->approval_count; i++)
		c->used[i] = c->approvals[i].status == APPCTL_APPROVAL_COUNTED;
	c->allowed = !blocked && !c->freeze && c->verdict.allowed;
	return err;
}

appctl_error *appctl_case_build(appctl_case *out, appctl_judge_ctx *ctx,
	const appctl_move *move)
{
	const appctl_event *claim = move->review_of ? NULL : move->event;
	const appctl_log_state *state = appctl_chain_state(ctx->chain);
	const appctl_env_state *e;
	appctl_event pending;
	appctl_move_facts facts;
	gather g;
	appctl_error *err;
	char now_text[32], source_at[41] = "", release_at[41] = "";
	char *problem = NULL;
	int64_t *positions = NULL, sig_at, move_time;
	int blocked = 0, break_glass;
	appctl_date day;
	appctl_event_type type;
	const char *env, *to;

	memset(out, 0, sizeof(*out));
	memset(&g, 0, sizeof(g));
	type = move->review_of ? move->review_of->type : move->type;
	env = move->review_of ? move->review_of->env : move->env;
	to = move->review_of ? move->review_of->to : move->to;
	break_glass = claim ? claim->break_glass : move->review_of ? 0
		: move->break_glass;
	if (!env || strlen(env) >= sizeof(out->env))
		return appctl_error_new(APPCTL_EUSAGE, "'%.64s' is not an "
			"environment", env ? env : "");
	if (!appctl_event_id_is_valid(to))
		return appctl_error_new(APPCTL_EUSAGE, "'%s' is not a commit id",
			to ? to : "");
	memcpy(out->env, env, strlen(env) + 1);
	memcpy(out->commit, to, 41);
	e = state ? appctl_log_state_env(state, env) : NULL;
	if (!e)
		return appctl_error_new(APPCTL_EUSAGE, "'%s' is not an environment "
			"of the event log", env);
	out->release = e->release;
	memcpy(out->base, move->review_of ? move->review_of->from : e->commit, 41);

	/* The clock of the mode: now, or the recorded event's own time. */
	move_time = claim && ctx->mode == APPCTL_JUDGE_RECORDED
		? event_time(claim->time, ctx->now) : ctx->now;
	sig_at = move->review_of ? ctx->now : move_time;
	out->at = move_time;
	day = appctl_date_from_unix(move->review_of
		? event_time(move->review_of->time, ctx->now) : move_time);

	if (appctl_changes_init(&out->changes) != 0)
		return appctl_error_nomem();
	out->changes_ready = 1;
	if ((err = load_sides(out, ctx)))
		goto done;
	err = appctl_diff_snapshots(&out->changes, out->current, out->target, day);
	if (!err)
		err = appctl_commit_authors(&out->authors, &out->author_count,
			ctx->repo, out->base, out->commit);
	if (err)
		goto done;

	/* The claims: an event's as it stands, a pending move's as it would record. */
	if (!move->review_of) {
		appctl_time_format(now_text, sizeof(now_text), ctx->now);
		pending_event(&pending, move, out, now_text);
		err = move_facts(&facts, source_at, release_at, ctx, out,
			claim ? claim : &pending);
		if (!err)
			err = appctl_move_claims_check(&problem, claim ? claim : &pending,
				&facts);
		if (!err && !problem && claim)
			err = event_promoter(out, claim, sig_at, &problem);
		if (err)
			goto done;
		if (problem) {
			blocked = 1;
			err = add_line(&out->missing, &out->missing_count, "%s", problem);
			free(problem);
			problem = NULL;
			if (err)
				goto done;
		}
		if (!claim && move->promoter) {
			out->promoter = strdup(move->promoter);
			out->promoter_verified = move->promoter_verified;
			if (!out->promoter) {
				err = appctl_error_nomem();
				goto done;
			}
		}
		if ((err = judge_lint(out, day)))
			goto done;
		blocked |= out->lint_errors > 0;
		err = appctl_freeze_find(&out->freeze, &out->freeze_index,
			out->current->policy, out->env, move_time);
		if (err)
			goto done;
	}

	/* The approvals: given since the env's last release (or since the reviewed release). */
	g.env = out->env;
	g.stop_at = move->review_of ? move->review_of->id : e->event;
	if ((err = appctl_chain_visit(ctx->chain, gather_visit, &g)))
		goto done;
	{
		size_t room = g.approve_count + (claim ? claim->approval_count : 0) + 1;

		out->events = calloc(room, sizeof(*out->events));
		positions = calloc(room, sizeof(*positions));
	}
	if (!out->events || !positions) {
		err = appctl_error_nomem();
		goto done;
	}
	err = select_approvals(out, &g, move, positions, &problem);
	if (!err && problem) {
		blocked = 1;
		err = add_line(&out->missing, &out->missing_count, "%s", problem);
	}
	if (!err)
		err = build_approvals(out, &g, positions, sig_at,
			claim ? move_time + APPCTL_CLOCK_SKEW_S : INT64_MAX,
			appctl_chain_length(ctx->chain) + 1);
	if (err)
		goto done;

	out->request.policy = out->current->policy;
	out->request.env = out->env;
	out->request.commit = out->commit;
	out->request.base = out->base;
	out->request.changes = &out->changes;
	out->request.target = out->target;
	out->request.current = out->current;
	out->request.authors = (const char *const *)out->authors;
	out->request.author_count = out->author_count;
	out->request.approvals = out->approvals;
	out->request.approval_count = out->approval_count;
	out->request.required_override = type == APPCTL_EV_ROLLBACK
		? appctl_rollback_required(out->current->policy, &out->changes) : -1;
	err = appctl_policy_evaluate(&out->verdict, &out->request);
	if (!err)
		err = decide(out, blocked, break_glass);
done:
	free(problem);
	free(positions);
	gather_dispose(&g);
	return err;
}

void appctl_case_dispose(appctl_case *c)
{
	size_t i;

	if (!c)
		return;
	appctl_verdict_dispose(&c->verdict);
	for (i = 0; i < c->event_count; i++) {
		if (c->principals)
			free(c->principals[i]);
		if (c->whys)
			free(c->whys[i]);
		appctl_event_free(c->events[i]);
	}
	free(c->principals);
	free(c->whys);
	free(c->events);
	free(c->approvals);
	for (i = 0; i < c->author_count; i++)
		free(c->authors[i]);
	free(c->authors);
	for (i = 0; i < c->missing_count; i++)
		free(c->missing[i]);
	free(c->missing);
	free(c->used);
	free(c->promoter);
	appctl_findings_dispose(&c->findings);
	if (c->changes_ready)
		appctl_changes_dispose(&c->changes);
	if (!c->borrowed) {
		appctl_snapshot_free(c->target);
		appctl_snapshot_free(c->current);
	}
	memset(c, 0, sizeof(*c));
}

appctl_error *appctl_break_glass_reviewed(int *reviewed, appctl_judge_ctx *ctx,
	const appctl_event *ev)
{
	appctl_move move;
	appctl_case c;
	appctl_error *err;

	memset(&move, 0, sizeof(move));
	move.review_of = ev;
	err = appctl_case_build(&c, ctx, &move);
	*reviewed = !err && c.allowed;
	appctl_case_dispose(&c);
	return err;
}

char *appctl_case_explain(const appctl_case *c)
{
	appctl_strbuf b = APPCTL_STRBUF_INIT;
	size_t i, shown = 0;

	for (i = 0; i < c->missing_count; i++)
		appctl_strbuf_printf(&b, "%s%s", i ? "; " : "", c->missing[i]);
	if (!c->missing_count)
		appctl_strbuf_puts(&b, "denied");
	for (i = 0; i < c->approval_count; i++) {
		const appctl_approval *a = &c->approvals[i];

		if (a->status == APPCTL_APPROVAL_COUNTED || (c->used && c->used[i]))
			continue;
		appctl_strbuf_printf(&b, "%s%s (%s)", shown++ ? ", " : "; not "
			"counted: ", a->principal ? a->principal : a->event->principal,
			a->reason ? a->reason : appctl_approval_status_text(a->status));
	}
	return appctl_strbuf_detach(&b);
}

/* ---- one event ---- */

static appctl_error *judge_approval_event(char **problem, appctl_judge_ctx *ctx,
	const appctl_event *ev, const appctl_env_state *e, int64_t sig_at)
{
	appctl_app_listing *l = NULL;
	appctl_error *err;
	char tree[41];
	int held = 0, owned = 0;
	const char *signers_at = e->commit;

	if (ev->type == APPCTL_EV_APPROVE) {
		/* The signer chooses the base; only one the env really held can judge it. */
		err = appctl_chain_env_held(&held, ctx->chain, ev->env, ev->base);
		if (err)
			return err;
		if (!held) {
			*problem = appctl_str_printf("its base %.12s is not a commit that '%s' "
				"held: an approval is judged by the allowed_signers of the "
				"environment it approves for", ev->base, ev->env);
			return *problem ? NULL : appctl_error_nomem();
		}
		err = appctl_commit_tree(tree, ctx->repo, ev->commit);
		if (err)
			return err;
		if (strcmp(tree, ev->tree) != 0) {
			*problem = appctl_str_printf("its tree %.12s is not the tree of its "
				"commit %.12s (%.12s)", ev->tree, ev->commit, tree);
			return *problem ? NULL : appctl_error_nomem();
		}
		signers_at = ev->base;
	}
	err = listing_at(&l, &owned, ctx, signers_at);
	if (err)
		return appctl_error_wrap(err, "the policy at %.12s", signers_at);
	err = signature_problem(problem, NULL, ev, l->signers_text,
		l->policy->require_signature, sig_at);
	if (owned)
		appctl_app_listing_free(l);
	return err;
}

appctl_error *appctl_judge_event(char **problem, appctl_judge_ctx *ctx,
	const appctl_event *ev)
{
	const appctl_log_state *state = appctl_chain_state(ctx->chain);
	const appctl_env_state *e;
	appctl_case c;
	appctl_move move;
	appctl_error *err;
	int64_t sig_at;

	*problem = NULL;
	if (ev->type == APPCTL_EV_INIT) {
		if (state)
			*problem = strdup("a second init event: the log has one root");
		return state && !*problem ? appctl_error_nomem() : NULL;
	}
	if (!state) {
		*problem = strdup("the log must start with an init event");
		return *problem ? NULL : appctl_error_nomem();
	}
	if (!appctl_event_time_acceptable(ev->time, ctx->now) &&
	    !(ctx->inert_ok && (ev->type == APPCTL_EV_APPROVE ||
				ev->type == APPCTL_EV_REVOKE))) {
		char now[32];

		appctl_time_format(now, sizeof(now), ctx->now);
		*problem = appctl_str_printf("it is dated %s, in the future of this clock "
			"(%s; %d s of skew allowed)", ev->time, now,
			APPCTL_CLOCK_SKEW_S);
		return *problem ? NULL : appctl_error_nomem();
	}
	e = appctl_log_state_env(state, ev->env);
	if (!e) {
		*problem = appctl_str_printf("it names '%s', which is not an environment "
			"of the log", ev->env);
		return *problem ? NULL : appctl_error_nomem();
	}
	sig_at = ctx->mode == APPCTL_JUDGE_RECORDED
		? event_time(ev->time, ctx->now) : ctx->now;
	if (ev->type == APPCTL_EV_APPROVE || ev->type == APPCTL_EV_REVOKE) {
		err = judge_approval_event(problem, ctx, ev, e, sig_at);
		if (!err && ctx->inert_ok) {
			free(*problem);
			*problem = NULL;
		}
		return err;
	}

	memset(&move, 0, sizeof(move));
	move.type = ev->type;
	move.env = ev->env;
	move.to = ev->to;
	move.source = ev->source;
	move.rollback_to = ev->rollback_to;
	move.break_glass = ev->break_glass;
	move.event = ev;
	err = appctl_case_build(&c, ctx, &move);
	if (!err && !c.allowed) {
		char *why = appctl_case_explain(&c);

		*problem = why ? appctl_str_printf("it and its approvals do not satisfy "
			"the policy of its base %.12s: %s", c.base, why) : NULL;
		free(why);
		if (!*problem)
			err = appctl_error_nomem();
	}
	appctl_case_dispose(&c);
	return err;
}
