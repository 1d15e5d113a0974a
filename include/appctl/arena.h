/* arena.h: region allocation for parsed definitions, freed all at once. */
#ifndef APPCTL_ARENA_H
#define APPCTL_ARENA_H

#include <stddef.h>

/*
 * A model (an app, a policy, a snapshot) owns hundreds of small strings and
 * arrays; allocating them from one arena makes every error path leak-free by
 * construction: free the arena, and the whole model goes.
 */
typedef struct appctl_arena appctl_arena;

/* Returns a new arena or NULL when out of memory. Free with appctl_arena_free. */
appctl_arena *appctl_arena_new(void);

/* Frees the arena and everything allocated from it; NULL is a no-op. */
void appctl_arena_free(appctl_arena *arena);

/* Zeroed memory owned by the arena, or NULL (also for n * size overflow). */
void *appctl_arena_calloc(appctl_arena *arena, size_t n, size_t size);

/* A NUL-terminated copy owned by the arena, or NULL. */
char *appctl_arena_strdup(appctl_arena *arena, const char *s);
char *appctl_arena_strndup(appctl_arena *arena, const char *s, size_t n);

/*
 * Hands everything allocated from `from` to `into` and frees `from`: what
 * lived as long as `from` now lives as long as `into`. NULL `from` is a
 * no-op. Work done in an arena of its own (on another thread, say) joins
 * a result without being copied.
 */
void appctl_arena_adopt(appctl_arena *into, appctl_arena *from);

/*
 * `size` bytes (uninitialised, freed with free()) for an array that grows
 * to megabytes, a diff's change list: aligned to huge pages and advised to
 * use them, where the system has them. A fresh page costs a fault, and on
 * virtual machines a fault costs more than writing the page: a large
 * diff's lists took thousands. NULL when out of memory.
 */
void *appctl_alloc_large(size_t size);
#define APPCTL_HUGE_PAGE ((size_t)2 << 20)

/* printf into arena memory, or NULL. */
char *appctl_arena_printf(appctl_arena *arena, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#endif
