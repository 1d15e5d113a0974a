/* arena.c: bump allocator in chained blocks; one free releases a whole model. */
/* madvise and MADV_HUGEPAGE are not POSIX. */
#define _DEFAULT_SOURCE
#include "appctl/arena.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#define BLOCK_SIZE (64u * 1024u)
#define ALIGN 16u

struct block {
	struct block *next;
	size_t used;
	size_t size;
	_Alignas(16) unsigned char data[];
};

struct appctl_arena {
	struct block *head;
};

appctl_arena *appctl_arena_new(void)
{
	return calloc(1, sizeof(appctl_arena));
}

void appctl_arena_free(appctl_arena *arena)
{
	struct block *b, *next;

	if (!arena)
		return;
	for (b = arena->head; b; b = next) {
		next = b->next;
		free(b);
	}
	free(arena);
}

void appctl_arena_adopt(appctl_arena *into, appctl_arena *from)
{
	struct block *last;

	if (!from)
		return;
	if (from->head) {
		/* Behind into's head, which goes on taking small requests. */
		for (last = from->head; last->next; last = last->next)
			;
		if (into->head) {
			last->next = into->head->next;
			into->head->next = from->head;
		} else {
			into->head = from->head;
		}
	}
	free(from);
}

static void *arena_alloc(appctl_arena *arena, size_t n)
{
	struct block *b = arena->head;
	size_t size;
	void *p;

	if (n > SIZE_MAX - ALIGN)
		return NULL;
	n = (n + ALIGN - 1) & ~(size_t)(ALIGN - 1);
	if (!b || b->size - b->used < n) {
		/* Large requests get a block of their own so small ones keep packing. */
		size = n > BLOCK_SIZE / 4 ? n : BLOCK_SIZE;
		b = malloc(sizeof(*b) + size);
		if (!b)
			return NULL;
		b->size = size;
		b->used = 0;
		if (size == n && arena->head) {
			b->next = arena->head->next;
			arena->head->next = b;
		} else {
			b->next = arena->head;
			arena->head = b;
		}
	}
	p = b->data + b->used;
	b->used += n;
	return p;
}

void *appctl_arena_calloc(appctl_arena *arena, size_t n, size_t size)
{
	void *p;

	if (size && n > SIZE_MAX / size)
		return NULL;
	if (n * size == 0)
		n = size = 1;
	p = arena_alloc(arena, n * size);
	if (p)
		memset(p, 0, n * size);
	return p;
}

char *appctl_arena_strndup(appctl_arena *arena, const char *s, size_t n)
{
	char *p = arena_alloc(arena, n + 1);

	if (!p)
		return NULL;
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

char *appctl_arena_strdup(appctl_arena *arena, const char *s)
{
	return appctl_arena_strndup(arena, s, strlen(s));
}

char *appctl_arena_printf(appctl_arena *arena, const char *fmt, ...)
{
	va_list ap;
	char *p;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return NULL;
	p = arena_alloc(arena, (size_t)n + 1);
	if (!p)
		return NULL;
	va_start(ap, fmt);
	vsnprintf(p, (size_t)n + 1, fmt, ap);
	va_end(ap);
	return p;
}

void *appctl_alloc_large(size_t size)
{
	void *p = NULL;

	if (posix_memalign(&p, APPCTL_HUGE_PAGE, size) != 0)
		return NULL;
#ifdef MADV_HUGEPAGE
	/* A refusal (no huge pages here) changes nothing but the speed. */
	if (size >= APPCTL_HUGE_PAGE)
		(void)madvise(p, size & ~(APPCTL_HUGE_PAGE - 1), MADV_HUGEPAGE);
#endif
	return p;
}
