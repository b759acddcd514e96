#include "node_host.h"

/* ------------------------------------------------------------------------------------ */
/* Global state                                                                          */



runtime_slot g_rt[RT_COUNT];
napi_env g_env;
atomic_int g_shutting_down; /* set by the environment's cleanup hook */
atomic_int g_depth; /* foreign calls in progress on the JS thread */
atomic_uint g_outer_calls; /* outermost foreign calls the JS thread has started */

/* Only the JS thread changes g_depth and g_outer_calls; other threads only read them. */
void depth_enter(void)
{
	int d = atomic_load_explicit(&g_depth, memory_order_relaxed);
	if (d == 0)
		atomic_store_explicit(&g_outer_calls,
		                      atomic_load_explicit(&g_outer_calls, memory_order_relaxed) + 1,
		                      memory_order_relaxed);
	atomic_store_explicit(&g_depth, d + 1, memory_order_relaxed);
}

void depth_leave(void)
{
	atomic_store_explicit(&g_depth, atomic_load_explicit(&g_depth, memory_order_relaxed) - 1,
	                      memory_order_relaxed);
}

napi_ref g_error_ctor, g_handle_ctor, g_pack_fn, g_unpack_fn, g_to_map_fn;
napi_ref g_error_details_fn; /* errorDetails(runtime, type, message, stack, cause) */
napi_ref g_object_proto;
napi_threadsafe_function g_tsfn;


/* Errors thrown by JS callbacks, kept until the outermost foreign call returns so the
 * original exception can be handed back to the JS caller. */
napi_ref g_host_errors[HOST_ERROR_SLOTS];
uint64_t g_host_error_seq;
int g_host_errors_kept;


/* Set once, on the JS thread, by module_init: a thread-local flag is one load where
 * pthread_self/pthread_equal is a call (initial-exec: the addon is small and loaded once). */
__thread int tls_is_js_thread __attribute__((tls_model("initial-exec")));

int on_js_thread(void) { return tls_is_js_thread; }


/* ------------------------------------------------------------------------------------ */
/* What the core wraps. Every struct the core attaches to a JS object with napi_wrap starts
 * with a kind word, and is listed in a set of live pointers while it is attached, so one
 * napi_unwrap tells whether an object is ours and what it is. The set matters because
 * napi_unwrap also succeeds on objects wrapped by other addons (or on the core's entity
 * functions), whose pointers must never be read as ours. JS thread only.               */



live_set g_live;
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



pthread_mutex_t g_defer_lock = PTHREAD_MUTEX_INITIALIZER;
deferred *g_defer;
size_t g_defer_len, g_defer_cap;
int g_defer_posted;

void defer_push(int kind, uint32_t runtime, uint32_t generation, void *ptr)
{
	pthread_mutex_lock(&g_defer_lock);
	if (g_defer_len == g_defer_cap) {
		size_t cap = g_defer_cap ? g_defer_cap * 2 : 64;
		deferred *n = realloc(g_defer, cap * sizeof(deferred));
		if (!n) {
			pthread_mutex_unlock(&g_defer_lock);
			return; /* out of memory: the reference leaks rather than crashing */
		}
		g_defer = n;
		g_defer_cap = cap;
	}
	g_defer[g_defer_len].kind = kind;
	g_defer[g_defer_len].runtime = runtime;
	g_defer[g_defer_len].generation = generation;
	g_defer[g_defer_len].ptr = ptr;
	g_defer_len++;
	int post = !g_defer_posted;
	g_defer_posted = 1;
	pthread_mutex_unlock(&g_defer_lock);
	if (post && g_tsfn && !g_shutting_down)
		napi_call_threadsafe_function(g_tsfn, NULL, napi_tsfn_nonblocking);
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
