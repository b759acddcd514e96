#include "core.h"

/* ------------------------------------------------------------------------------------ */
/* Per-thread call arena: bump allocation, reset to a mark when a call ends.             */



pthread_key_t g_arena_key;
pthread_once_t g_arena_once = PTHREAD_ONCE_INIT;

void arena_destroy(void *p)
{
	arena *a = p;
	chunk *c = a->head;
	while (c) {
		chunk *n = c->next;
		free(c);
		c = n;
	}
	free(a);
}

void arena_key_init(void) { pthread_key_create(&g_arena_key, arena_destroy); }

chunk *chunk_new(size_t size)
{
	chunk *c = malloc(sizeof(chunk) + size);
	if (!c) return NULL;
	c->next = NULL;
	c->size = size;
	c->used = 0;
	return c;
}

__thread arena *tls_arena __attribute__((tls_model("initial-exec")));

arena *thread_arena(void)
{
	if (tls_arena) return tls_arena;
	pthread_once(&g_arena_once, arena_key_init);
	arena *a = calloc(1, sizeof(arena));
	if (!a) return NULL;
	a->head = a->cur = chunk_new(64 * 1024);
	if (!a->head) {
		free(a);
		return NULL;
	}
	pthread_setspecific(g_arena_key, a); /* frees it when the thread ends */
	tls_arena = a;
	return a;
}

void *arena_alloc(arena *a, size_t size)
{
	size = (size + 15) & ~(size_t)15;
	chunk *c = a->cur;
	if (c->used + size <= c->size) {
		void *p = c->data + c->used;
		c->used += size;
		return p;
	}
	/* Chunks after cur are free (marks only point at cur or earlier). */
	chunk *n = c->next;
	if (!n || n->size < size) {
		size_t want = size > 64 * 1024 ? size : 64 * 1024;
		chunk *fresh = chunk_new(want);
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

metaffi_mark arena_mark_of(arena *a)
{
	metaffi_mark m = {a->cur, a->cur->used};
	return m;
}

void arena_reset_to(arena *a, metaffi_mark m)
{
	a->cur = m.chunk;
	a->cur->used = m.used;
}

void *core_alloc(size_t size)
{
	arena *a = thread_arena();
	return a ? arena_alloc(a, size) : NULL;
}

metaffi_mark core_arena_mark(void) { return arena_mark_of(thread_arena()); }

void core_arena_reset(metaffi_mark m) { arena_reset_to(thread_arena(), m); }

const char *arena_strdup(arena *a, const char *s, size_t len)
{
	char *p = arena_alloc(a, len + 1);
	if (!p) return "";
	memcpy(p, s, len);
	p[len] = 0;
	return p;
}

const char *core_strdup(const char *s, size_t len)
{
	return arena_strdup(thread_arena(), s, len);
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
