#include "node_host.h"

/* ------------------------------------------------------------------------------------ */
/* Global state                                                                          */



__thread node_env *tls_env __attribute__((tls_model("initial-exec")));

int on_js_thread(void) { return tls_env != NULL; }

int env_post(node_env *ne, napi_threadsafe_function f, void *data)
{
	pthread_mutex_lock(&ne->gate);
	int rc = !ne->closed && f && napi_call_threadsafe_function(f, data, napi_tsfn_nonblocking) == napi_ok ? 0 : -1;
	pthread_mutex_unlock(&ne->gate);
	return rc;
}


/* ------------------------------------------------------------------------------------ */
/* What the core wraps. Every struct the core attaches to a JS object with napi_wrap starts
 * with a kind word, and is listed in a set of live pointers while it is attached, so one
 * napi_unwrap tells whether an object is ours and what it is. The set matters because
 * napi_unwrap also succeeds on objects wrapped by other addons (or on the core's entity
 * functions), whose pointers must never be read as ours. JS thread only.               */



char g_live_gone_mark;

size_t live_hash(const void *p, size_t cap)
{
	uint64_t x = (uint64_t)(uintptr_t)p;
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	return (size_t)x & (cap - 1);
}

int live_has(const void *p)
{
	if (!g_live.cap) return 0;
	size_t i = live_hash(p, g_live.cap);
	for (;;) {
		void *s = g_live.slots[i];
		if (s == p) return 1;
		if (!s) return 0;
		i = (i + 1) & (g_live.cap - 1);
	}
}

int live_add(void *p)
{
	if ((g_live.used + 1) * 2 > g_live.cap) {
		size_t cap = g_live.cap ? g_live.cap : 256;
		while ((g_live.live + 1) * 4 > cap) cap *= 2; /* rehash to at most 1/4 full */
		void **slots = calloc(cap, sizeof(void *));
		if (!slots) return -1;
		for (size_t i = 0; i < g_live.cap; i++) {
			void *q = g_live.slots[i];
			if (!q || q == LIVE_GONE) continue;
			size_t j = live_hash(q, cap);
			while (slots[j]) j = (j + 1) & (cap - 1);
			slots[j] = q;
		}
		free(g_live.slots);
		g_live.slots = slots;
		g_live.cap = cap;
		g_live.used = g_live.live;
	}
	size_t i = live_hash(p, g_live.cap);
	while (g_live.slots[i] && g_live.slots[i] != LIVE_GONE) i = (i + 1) & (g_live.cap - 1);
	if (!g_live.slots[i]) g_live.used++;
	g_live.slots[i] = p;
	g_live.live++;
	return 0;
}

void live_remove(const void *p)
{
	if (!g_live.cap) return;
	size_t i = live_hash(p, g_live.cap);
	for (;;) {
		void *s = g_live.slots[i];
		if (!s) return;
		if (s == p) {
			g_live.slots[i] = LIVE_GONE;
			g_live.live--;
			return;
		}
		i = (i + 1) & (g_live.cap - 1);
	}
}

/* The core's struct attached to a JS value (its kind word is the first member), or NULL for
 * anything else: primitives, plain objects, objects wrapped by other addons. */
void *core_wrapped(napi_env env, napi_value v, uint32_t *kind)
{
	void *p = NULL;
	if (napi_unwrap(env, v, &p) != napi_ok || !p || !live_has(p)) return NULL;
	*kind = *(const uint32_t *)p;
	return p;
}


/* ------------------------------------------------------------------------------------ */
/* Boxes: one foreign reference owned by a JS object (MetaFFIHandle or a JS function that
 * calls a foreign callable). Linked per runtime so releasing a runtime drops them all.    */


void box_link(box *b)
{
	runtime_slot *s = &g_rt[b->runtime];
	b->prev = NULL;
	b->next = s->boxes;
	if (s->boxes) s->boxes->prev = b;
	s->boxes = b;
}

void box_unlink(box *b)
{
	runtime_slot *s = &g_rt[b->runtime];
	if (b->prev) b->prev->next = b->next;
	else if (s->boxes == b) s->boxes = b->next;
	if (b->next) b->next->prev = b->prev;
	b->prev = b->next = NULL;
}

int box_alive(const box *b)
{
	const xllr_runtime *r = &xllr_runtimes[b->runtime];
	return !b->released && r->loaded && r->generation == b->generation;
}


/* ------------------------------------------------------------------------------------ */
/* Deferred work: finalizers and other threads queue releases; the JS thread runs them.   */



/* Queue work for the JS thread of environment ne (from any thread). */
void defer_push_to(node_env *ne, int kind, uint32_t runtime, uint32_t generation, void *ptr)
{
	pthread_mutex_lock(&ne->defer_lock);
	if (ne->defer_len == ne->defer_cap) {
		size_t cap = ne->defer_cap ? ne->defer_cap * 2 : 64;
		deferred *n = realloc(ne->defer, cap * sizeof(deferred));
		if (!n) {
			pthread_mutex_unlock(&ne->defer_lock);
			return; /* out of memory: the reference leaks rather than crashing */
		}
		ne->defer = n;
		ne->defer_cap = cap;
	}
	ne->defer[ne->defer_len].kind = kind;
	ne->defer[ne->defer_len].runtime = runtime;
	ne->defer[ne->defer_len].generation = generation;
	ne->defer[ne->defer_len].ptr = ptr;
	ne->defer_len++;
	int post = !ne->defer_posted;
	ne->defer_posted = 1;
	pthread_mutex_unlock(&ne->defer_lock);
	if (post) env_post(ne, ne->tsfn, NULL);
}


void defer_drain(void)
{
	for (;;) {
		pthread_mutex_lock(&g_defer_lock);
		deferred *items = g_defer;
		size_t n = g_defer_len;
		g_defer = NULL;
		g_defer_len = g_defer_cap = 0;
		g_defer_posted = 0;
		pthread_mutex_unlock(&g_defer_lock);
		if (n == 0) {
			free(items);
			return;
		}
		for (size_t i = 0; i < n; i++) {
			deferred *d = &items[i];
			const xllr_runtime *s = &xllr_runtimes[d->runtime];
			switch (d->kind) {
			case DEFER_RELEASE:
				if (s->loaded && s->generation == d->generation && s->plugin)
					s->plugin->release(d->ptr);
				break;
			case DEFER_FREE_ENTITY:
				entity_destroy(d->ptr);
				break;
			case DEFER_FREE_MODULE:
				module_destroy(d->ptr);
				break;
			case DEFER_HOST_SYNC:
				host_sync_queued(d->ptr);
				break;
			}
		}
		free(items);
	}
}
