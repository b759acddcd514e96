/* The per-thread call arena: bump allocation, reset to a mark when a call ends. */
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xllr.h"

static pthread_key_t g_arena_key;
static pthread_once_t g_arena_once = PTHREAD_ONCE_INIT;

static void arena_destroy(void *p)
{
	arena *a = p;
	xllr_chunk *c = a->head;
	while (c) {
		xllr_chunk *n = c->next;
		free(c);
		c = n;
	}
	free(a);
}

static void arena_key_init(void) { pthread_key_create(&g_arena_key, arena_destroy); }

static xllr_chunk *chunk_new(size_t size)
{
	xllr_chunk *c = malloc(sizeof(xllr_chunk) + size);
	if (!c) return NULL;
	c->next = NULL;
	c->size = size;
	c->used = 0;
	return c;
}

/* initial-exec: one load, where the default model of a shared library calls __tls_get_addr */
__thread arena *xllr_tls_arena __attribute__((tls_model("initial-exec")));

arena *arena_new(size_t size)
{
	arena *a = calloc(1, sizeof(arena));
	if (!a) return NULL;
	a->head = a->cur = chunk_new(size);
	if (!a->head) {
		free(a);
		return NULL;
	}
	return a;
}

void arena_free(arena *a)
{
	if (a) arena_destroy(a);
}

arena *thread_arena_new(void)
{
	if (xllr_tls_arena) return xllr_tls_arena;
	pthread_once(&g_arena_once, arena_key_init);
	arena *a = arena_new(64 * 1024);
	if (!a) return NULL;
	pthread_setspecific(g_arena_key, a); /* frees it when the thread ends */
	xllr_tls_arena = a;
	return a;
}

void *arena_alloc_slow(arena *a, size_t size)
{
	/* Chunks after cur are free (marks only point at cur or earlier). */
	xllr_chunk *c = a->cur;
	xllr_chunk *n = c->next;
	if (!n || n->size < size) {
		size_t want = size > 64 * 1024 ? size : 64 * 1024;
		xllr_chunk *fresh = chunk_new(want);
		if (!fresh) return NULL;
		fresh->next = n ? n->next : NULL;
		free(n);
		c->next = fresh;
		n = fresh;
	}
	n->used = size;
	a->cur = n;
	return n->data;
}

const char *arena_strdup(arena *a, const char *s, size_t len)
{
	char *p = arena_alloc(a, len + 1);
	if (!p) return "";
	memcpy(p, s, len);
	p[len] = 0;
	return p;
}

const char *arena_printf(arena *a, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	if (n < 0) n = 0;
	if ((size_t)n >= sizeof buf) n = sizeof buf - 1;
	return arena_strdup(a, buf, (size_t)n);
}
