/*
 * The native core: a Node-API addon that turns JS values into CDTs and back, keeps the
 * table of loaded runtime plugins, owns the JS wrappers of foreign handles and callables,
 * and lends JS values (objects, functions) to foreign runtimes.
 *
 * Threading: every Node-API call happens on the JS thread. Plugins may call back from other
 * threads (core_call, core_retain, core_release); such work is handed to the JS thread
 * through a thread-safe function.
 */
/* Node-API's experimental version: finalizers then run during garbage collection instead of
 * waiting for the event loop to turn, so handles and lent JS values dropped inside a long
 * synchronous loop are freed as the loop goes. Such a finalizer may not call Node-API
 * functions that touch the JS heap; the few that must (host records) post that part with
 * node_api_post_finalizer. */
#define NAPI_EXPERIMENTAL
#define NAPI_VERSION 2147483647
#include <node_api.h>

#include <dlfcn.h>
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "metaffi.h"

#define INLINE_ARGS 16
#define FOREIGN_FN_ASKED 4
#define MAX_SAFE_INT 9007199254740991LL
#define HOST_ERROR_SLOTS 64

/* ------------------------------------------------------------------------------------ */
/* Per-thread call arena: bump allocation, reset to a mark when a call ends.             */

typedef struct chunk {
	struct chunk *next;
	size_t size;
	size_t used;
	_Alignas(16) char data[];
} chunk;

typedef struct {
	chunk *head;
	chunk *cur;
} arena;

static pthread_key_t g_arena_key;
static pthread_once_t g_arena_once = PTHREAD_ONCE_INIT;

static void arena_destroy(void *p)
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

static void arena_key_init(void) { pthread_key_create(&g_arena_key, arena_destroy); }

static chunk *chunk_new(size_t size)
{
	chunk *c = malloc(sizeof(chunk) + size);
	if (!c) return NULL;
	c->next = NULL;
	c->size = size;
	c->used = 0;
	return c;
}

static __thread arena *tls_arena __attribute__((tls_model("initial-exec")));

static arena *thread_arena(void)
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

static void *arena_alloc(arena *a, size_t size)
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

static metaffi_mark arena_mark_of(arena *a)
{
	metaffi_mark m = {a->cur, a->cur->used};
	return m;
}

static void arena_reset_to(arena *a, metaffi_mark m)
{
	a->cur = m.chunk;
	a->cur->used = m.used;
}

static void *core_alloc(size_t size)
{
	arena *a = thread_arena();
	return a ? arena_alloc(a, size) : NULL;
}

static metaffi_mark core_arena_mark(void) { return arena_mark_of(thread_arena()); }

static void core_arena_reset(metaffi_mark m) { arena_reset_to(thread_arena(), m); }

static const char *arena_strdup(arena *a, const char *s, size_t len)
{
	char *p = arena_alloc(a, len + 1);
	if (!p) return "";
	memcpy(p, s, len);
	p[len] = 0;
	return p;
}

static const char *core_strdup(const char *s, size_t len)
{
	return arena_strdup(thread_arena(), s, len);
}

static const char *arena_printf(arena *a, const char *fmt, ...)
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

/* ------------------------------------------------------------------------------------ */
/* Global state                                                                          */

typedef struct box box;
typedef struct entity entity;
typedef struct module_rec module_rec;

typedef struct {
	const metaffi_plugin *plugin;
	void *dl;
	int loaded;
	uint32_t generation;
	entity *entities;
	module_rec *modules;
	box *boxes; /* JS wrappers owning one reference each */
} runtime_slot;

static runtime_slot g_rt[RT_COUNT];
static napi_env g_env;
static atomic_int g_shutting_down; /* set by the environment's cleanup hook */
static atomic_int g_depth; /* foreign calls in progress on the JS thread */
static atomic_uint g_outer_calls; /* outermost foreign calls the JS thread has started */

/* Only the JS thread changes g_depth and g_outer_calls; other threads only read them. */
static void depth_enter(void)
{
	int d = atomic_load_explicit(&g_depth, memory_order_relaxed);
	if (d == 0)
		atomic_store_explicit(&g_outer_calls,
		                      atomic_load_explicit(&g_outer_calls, memory_order_relaxed) + 1,
		                      memory_order_relaxed);
	atomic_store_explicit(&g_depth, d + 1, memory_order_relaxed);
}

static void depth_leave(void)
{
	atomic_store_explicit(&g_depth, atomic_load_explicit(&g_depth, memory_order_relaxed) - 1,
	                      memory_order_relaxed);
}

static napi_ref g_error_ctor, g_handle_ctor, g_pack_fn, g_unpack_fn, g_to_map_fn;
static napi_ref g_error_details_fn; /* errorDetails(runtime, type, message, stack, cause) */
static napi_ref g_object_proto;
static napi_threadsafe_function g_tsfn;


/* Errors thrown by JS callbacks, kept until the outermost foreign call returns so the
 * original exception can be handed back to the JS caller. */
static napi_ref g_host_errors[HOST_ERROR_SLOTS];
static uint64_t g_host_error_seq;
static int g_host_errors_kept;

static const metaffi_core g_core;

/* Set once, on the JS thread, by module_init: a thread-local flag is one load where
 * pthread_self/pthread_equal is a call (initial-exec: the addon is small and loaded once). */
static __thread int tls_is_js_thread __attribute__((tls_model("initial-exec")));

static int on_js_thread(void) { return tls_is_js_thread; }

/* ------------------------------------------------------------------------------------ */
/* What the core wraps. Every struct the core attaches to a JS object with napi_wrap starts
 * with a kind word, and is listed in a set of live pointers while it is attached, so one
 * napi_unwrap tells whether an object is ours and what it is. The set matters because
 * napi_unwrap also succeeds on objects wrapped by other addons (or on the core's entity
 * functions), whose pointers must never be read as ours. JS thread only.               */

enum { WRAP_BOX = 0x626f7831, WRAP_HOST = 0x686f7374 };

typedef struct {
	void **slots; /* NULL = empty, LIVE_GONE = removed */
	size_t cap;   /* a power of two */
	size_t used;  /* live and removed slots */
	size_t live;
} live_set;

static live_set g_live;
static char g_live_gone_mark;
#define LIVE_GONE ((void *)&g_live_gone_mark)

static size_t live_hash(const void *p, size_t cap)
{
	uint64_t x = (uint64_t)(uintptr_t)p;
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	return (size_t)x & (cap - 1);
}

static int live_has(const void *p)
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

static int live_add(void *p)
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

static void live_remove(const void *p)
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
static void *core_wrapped(napi_env env, napi_value v, uint32_t *kind)
{
	void *p = NULL;
	if (napi_unwrap(env, v, &p) != napi_ok || !p || !live_has(p)) return NULL;
	*kind = *(const uint32_t *)p;
	return p;
}

/* ------------------------------------------------------------------------------------ */
/* Boxes: one foreign reference owned by a JS object (MetaFFIHandle or a JS function that
 * calls a foreign callable). Linked per runtime so releasing a runtime drops them all.    */

struct box {
	uint32_t kind; /* WRAP_BOX */
	void *val;
	uint32_t runtime;
	uint32_t generation;
	int released;
	int is_callable;
	box *prev, *next;
};

static void box_link(box *b)
{
	runtime_slot *s = &g_rt[b->runtime];
	b->prev = NULL;
	b->next = s->boxes;
	if (s->boxes) s->boxes->prev = b;
	s->boxes = b;
}

static void box_unlink(box *b)
{
	runtime_slot *s = &g_rt[b->runtime];
	if (b->prev) b->prev->next = b->next;
	else if (s->boxes == b) s->boxes = b->next;
	if (b->next) b->next->prev = b->prev;
	b->prev = b->next = NULL;
}

static int box_alive(const box *b)
{
	return !b->released && g_rt[b->runtime].loaded && g_rt[b->runtime].generation == b->generation;
}

/* ------------------------------------------------------------------------------------ */
/* Deferred work: finalizers and other threads queue releases; the JS thread runs them.   */

enum { DEFER_RELEASE, DEFER_FREE_ENTITY, DEFER_FREE_MODULE, DEFER_HOST_SYNC };

typedef struct {
	int kind;
	uint32_t runtime;
	uint32_t generation;
	void *ptr;
} deferred;

static pthread_mutex_t g_defer_lock = PTHREAD_MUTEX_INITIALIZER;
static deferred *g_defer;
static size_t g_defer_len, g_defer_cap;
static int g_defer_posted;

static void defer_push(int kind, uint32_t runtime, uint32_t generation, void *ptr)
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

static void host_sync_queued(void *rec);
static void entity_destroy(entity *e);
static void module_destroy(module_rec *m);

static void defer_drain(void)
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
			runtime_slot *s = &g_rt[d->runtime];
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

/* ------------------------------------------------------------------------------------ */
/* Host records: a JS value lent to foreign runtimes. The record is attached to the JS
 * object (napi_wrap) so passing the same object again reuses it. `count` is the number of
 * foreign references; while it is above zero the napi reference is strong.              */

typedef struct {
	uint32_t kind; /* WRAP_HOST */
	napi_ref ref;
	atomic_int count;
	atomic_int queued; /* host syncs of this record waiting in the deferred queue */
	int cached;        /* entity parameter caches holding it (JS thread only) */
	int strong;
	int typed; /* declared by makeMetaFFICallable */
	size_t np, nr;
	metaffi_type_info *params, *rets;
} host_rec;

static void types_free(metaffi_type_info *t, size_t n)
{
	if (!t) return;
	for (size_t i = 0; i < n; i++) free((void *)t[i].alias);
	free(t);
}

/* Declared here: the Node-API headers this builds with list it among later versions, while
 * Node.js 20 exports it. Weak, so a Node.js without it still loads the addon. */
extern napi_status node_api_post_finalizer(napi_env env, napi_finalize finalize_cb,
                                           void *finalize_data, void *finalize_hint)
	__attribute__((weak));

static void host_rec_free(host_rec *r)
{
	live_remove(r);
	types_free(r->params, r->np);
	types_free(r->rets, r->nr);
	free(r);
}

static void host_rec_finalize_later(napi_env env, void *data, void *hint)
{
	(void)hint;
	host_rec *r = data;
	if (atomic_load(&r->queued)) defer_drain(); /* a queued sync still names this record */
	if (r->ref) napi_delete_reference(env, r->ref);
	host_rec_free(r);
}

/* The object was collected (during GC: deleting the reference must wait until after it). */
static void host_rec_finalize(napi_env env, void *data, void *hint)
{
	host_rec *r = data;
	live_remove(r); /* no longer ours from now on, whatever comes next */
	r->kind = 0;
	if (g_shutting_down) { /* the environment is being torn down and deletes its references itself */
		r->ref = NULL;
		host_rec_free(r);
		return;
	}
	if (!node_api_post_finalizer || node_api_post_finalizer(env, host_rec_finalize_later, r, hint) != napi_ok)
		host_rec_finalize_later(env, r, hint);
}

/* The last foreign reference to a JS value is gone: detach the record from the object and
 * free it now rather than when the object is collected, so JS values lent once (a fresh
 * closure per call) cost nothing after the call. Passing the object again makes a new one.
 * Records of makeMetaFFICallable functions keep their declared types: they stay. */
static void host_forget(host_rec *r)
{
	napi_value obj = NULL;
	void *unused;
	if (r->typed || r->cached || atomic_load(&r->queued) || atomic_load(&r->count) > 0) return;
	if (napi_get_reference_value(g_env, r->ref, &obj) != napi_ok || !obj) return;
	if (napi_remove_wrap(g_env, obj, &unused) != napi_ok) return;
	napi_delete_reference(g_env, r->ref);
	host_rec_free(r);
}

/* JS thread: make the napi reference strong exactly while foreign references exist. */
static void host_sync(void *p)
{
	host_rec *r = p;
	int want = atomic_load(&r->count) > 0;
	uint32_t rc;
	if (want && !r->strong) {
		napi_reference_ref(g_env, r->ref, &rc);
		r->strong = 1;
	} else if (!want && r->strong) {
		napi_reference_unref(g_env, r->ref, &rc);
		r->strong = 0;
		host_forget(r);
	}
}

static void host_sync_queued(void *p)
{
	host_rec *r = p;
	atomic_fetch_sub(&r->queued, 1);
	host_sync(r);
}

/* Another thread changes the count: `queued` goes up first and comes down only on the JS
 * thread (or right here when nothing was queued), so the JS thread never frees a record that
 * another thread is still touching (host_forget waits while queued is above zero). */
static void host_retain(host_rec *r)
{
	if (on_js_thread()) {
		atomic_fetch_add(&r->count, 1);
		host_sync(r);
		return;
	}
	atomic_fetch_add(&r->queued, 1);
	atomic_fetch_add(&r->count, 1);
	defer_push(DEFER_HOST_SYNC, RT_HOST, 0, r);
}

static void host_release(host_rec *r)
{
	if (on_js_thread()) {
		if (atomic_fetch_sub(&r->count, 1) == 1) host_sync(r);
		return;
	}
	atomic_fetch_add(&r->queued, 1);
	if (atomic_fetch_sub(&r->count, 1) == 1) defer_push(DEFER_HOST_SYNC, RT_HOST, 0, r);
	else atomic_fetch_sub(&r->queued, 1);
}

/* A new record for a JS object or function that carries none yet. */
static host_rec *host_rec_new(napi_env env, napi_value obj)
{
	host_rec *r = calloc(1, sizeof(host_rec));
	if (!r || live_add(r)) {
		free(r);
		napi_throw_error(env, NULL, "out of memory");
		return NULL;
	}
	r->kind = WRAP_HOST;
	if (napi_wrap(env, obj, r, host_rec_finalize, NULL, &r->ref) != napi_ok) {
		live_remove(r);
		free(r);
		bool pending = false;
		napi_is_exception_pending(env, &pending);
		if (!pending)
			napi_throw_type_error(env, NULL,
			                      "this object cannot be passed to a foreign runtime: it is "
			                      "already wrapped by another native addon");
		return NULL;
	}
	return r;
}

/* The record of a JS object or function, created on first use. NULL with a pending
 * exception when the object cannot carry one. */
static host_rec *host_rec_of(napi_env env, napi_value obj)
{
	void *p = NULL;
	if (napi_unwrap(env, obj, &p) == napi_ok) {
		if (p && live_has(p) && *(const uint32_t *)p == WRAP_HOST) return p;
		napi_throw_type_error(env, NULL,
		                      "this object cannot be passed to a foreign runtime: it is "
		                      "already wrapped by another native addon");
		return NULL;
	}
	return host_rec_new(env, obj);
}

/* ------------------------------------------------------------------------------------ */
/* Conversion JS -> CDT                                                                  */

typedef struct {
	napi_env env;
	arena *ar;
	uint64_t str_type;     /* encoding the receiving plugin prefers */
	char where[160];       /* "[3][1]" path inside nested arrays, for messages */
	char msg[512];         /* type error message */
	box *last_box;         /* set by js_ref_to_cdt when the value was one of our boxes */
	int depth;             /* arrays and maps entered, against METAFFI_MAX_DEPTH */
	int range;             /* the error in msg is a RangeError */
	int too_deep;          /* ... because the value nests deeper than METAFFI_MAX_DEPTH */
} conv;

static void conv_init(conv *c, napi_env env, arena *ar, uint64_t str_type)
{
	c->env = env;
	c->ar = ar;
	c->str_type = str_type;
	c->where[0] = 0;
	c->msg[0] = 0;
	c->last_box = NULL;
	c->depth = 0;
	c->range = 0;
	c->too_deep = 0;
}

/* The first few steps of an error path ("[0][\"k\"][2][0]"), "..." when there are more. */
static const char *where_short(const char *where, char *out, size_t size)
{
	size_t i = 0, steps = 0;
	while (where[i] && steps < 4) {
		if (where[i] == ']' && (where[i + 1] == '[' || !where[i + 1])) steps++;
		i++;
	}
	snprintf(out, size, "%.*s%s", (int)i, where, where[i] ? "..." : "");
	return out;
}

/* Throw what a converter's return code says: -1 a TypeError or RangeError with the message,
 * -2 the pending JS exception, or a RangeError when memory ran out (nothing pending). */
static void conv_throw(conv *c, int rc, const char *prefix)
{
	bool pending = false;
	napi_is_exception_pending(c->env, &pending);
	if (pending) return;
	char msg[900];
	if (rc == -1 && c->too_deep) {
		char at[200];
		snprintf(msg, sizeof msg, "%s is nested deeper than %d levels (at %s); flatten it or pass a handle",
		         prefix, METAFFI_MAX_DEPTH, where_short(c->where, at, sizeof at));
		napi_throw_range_error(c->env, NULL, msg);
	} else if (rc == -1) {
		snprintf(msg, sizeof msg, "%s%s: %s", prefix, c->where, c->msg);
		if (c->range) napi_throw_range_error(c->env, NULL, msg);
		else napi_throw_type_error(c->env, NULL, msg);
	} else {
		snprintf(msg, sizeof msg, "%s%s: not enough memory to convert the value", prefix, c->where);
		napi_throw_range_error(c->env, NULL, msg);
	}
}

/* Enter one level of nesting; -1 with the message set when that is one too many. */
static int conv_enter(conv *c)
{
	if (++c->depth <= METAFFI_MAX_DEPTH) return 0;
	c->depth--;
	c->range = 1;
	c->too_deep = 1;
	return -1;
}

static void conv_leave(conv *c) { c->depth--; }

/* The index of the first lone surrogate in UTF-16 text, or -1. */
static ptrdiff_t find_lone_surrogate(const char16_t *u, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (u[i] < 0xD800 || u[i] > 0xDFFF) continue;
		if (u[i] <= 0xDBFF && i + 1 < n && u[i + 1] >= 0xDC00 && u[i + 1] <= 0xDFFF) {
			i++;
			continue;
		}
		return (ptrdiff_t)i;
	}
	return -1;
}


static void describe_js(napi_env env, napi_value v, char *out, size_t size)
{
	napi_valuetype t;
	napi_typeof(env, v, &t);
	switch (t) {
	case napi_undefined: snprintf(out, size, "undefined"); return;
	case napi_null: snprintf(out, size, "null"); return;
	case napi_boolean: {
		bool b;
		napi_get_value_bool(env, v, &b);
		snprintf(out, size, "boolean %s", b ? "true" : "false");
		return;
	}
	case napi_number: {
		double d;
		napi_get_value_double(env, v, &d);
		snprintf(out, size, "number %.17g", d);
		return;
	}
	case napi_string: {
		char s[40];
		size_t n = 0;
		napi_get_value_string_utf8(env, v, s, sizeof s, &n);
		snprintf(out, size, "string \"%s%s\"", s, n >= sizeof s - 1 ? "..." : "");
		return;
	}
	case napi_bigint: snprintf(out, size, "bigint"); return;
	case napi_symbol: snprintf(out, size, "symbol"); return;
	case napi_function: snprintf(out, size, "function"); return;
	default: {
		bool arr = false;
		napi_is_array(env, v, &arr);
		uint32_t kind = 0;
		int handle = core_wrapped(env, v, &kind) && kind == WRAP_BOX;
		snprintf(out, size, "%s", arr ? "array" : handle ? "MetaFFIHandle" : "object");
		return;
	}
	}
}

static int conv_fail(conv *c, napi_value v, const char *expected)
{
	char got[96];
	describe_js(c->env, v, got, sizeof got);
	snprintf(c->msg, sizeof c->msg, "expected %s, got %s", expected, got);
	return -1;
}

/* Return codes of the converters: 0 ok, -1 type error (c->msg), -2 JS exception pending. */

static int lone_surrogate_fail(conv *c, ptrdiff_t at, uint64_t declared)
{
	snprintf(c->msg, sizeof c->msg,
	         "expected a string that %s can hold, got a string with a lone surrogate at index %td "
	         "(declare string16 to pass it unchanged)", metaffi_type_name(declared), at);
	return -1;
}

static int js_string_to_utf16(conv *c, napi_value v, cdt *out)
{
	size_t len = 0;
	if (napi_get_value_string_utf16(c->env, v, NULL, 0, &len) != napi_ok) return -2;
	char16_t *buf = arena_alloc(c->ar, (len + 1) * 2);
	if (!buf) return -2;
	napi_get_value_string_utf16(c->env, v, buf, len + 1, &len);
	out->type = MT_STRING16;
	out->v.str.ptr = buf;
	out->v.str.len = len;
	return 0;
}

/* want: MT_STRING8/16/32 as declared, or 0 for any (the plugin's preferred encoding). A
 * string with a lone surrogate cannot be UTF-8 or UTF-32: for a declared string8/string32
 * that is a type error; for any it travels as UTF-16, which holds it exactly. */
static int js_string_to_cdt(conv *c, napi_value v, uint64_t want, cdt *out)
{
	size_t len = 0;
	if (want == MT_STRING16 || ((want == 0 || want == MT_STRING32) && c->str_type == MT_STRING16)) {
		int rc = js_string_to_utf16(c, v, out);
		if (rc || want == MT_STRING16 || want == 0) return rc;
		ptrdiff_t at = find_lone_surrogate(out->v.str.ptr, out->v.str.len);
		return at < 0 ? 0 : lone_surrogate_fail(c, at, want);
	}
	/* UTF-8: try a small buffer first, measure only when it does not fit. */
	char *buf = arena_alloc(c->ar, 128);
	if (!buf) return -2;
	if (napi_get_value_string_utf8(c->env, v, buf, 128, &len) != napi_ok) return -2;
	if (len >= 127) {
		napi_get_value_string_utf8(c->env, v, NULL, 0, &len);
		buf = arena_alloc(c->ar, len + 1);
		if (!buf) return -2;
		napi_get_value_string_utf8(c->env, v, buf, len + 1, &len);
	}
	/* V8 writes U+FFFD (EF BF BD) for a lone surrogate: only then look at the UTF-16 text. */
	for (const char *p = buf; (p = memchr(p, 0xEF, len - (size_t)(p - buf))) != NULL; p++) {
		if ((size_t)(p - buf) + 2 < len && (unsigned char)p[1] == 0xBF && (unsigned char)p[2] == 0xBD) {
			metaffi_mark m = arena_mark_of(c->ar);
			cdt wide;
			int rc = js_string_to_utf16(c, v, &wide);
			if (rc) return rc;
			ptrdiff_t at = find_lone_surrogate(wide.v.str.ptr, wide.v.str.len);
			if (at < 0) {
				arena_reset_to(c->ar, m);
				break;
			}
			if (want == 0) {
				*out = wide;
				return 0;
			}
			return lone_surrogate_fail(c, at, want);
		}
	}
	out->type = MT_STRING8;
	out->v.str.ptr = buf;
	out->v.str.len = len;
	return 0;
}

static int js_char_to_cdt(conv *c, napi_value v, uint64_t type, cdt *out)
{
	napi_valuetype t;
	napi_typeof(c->env, v, &t);
	if (t != napi_string) return conv_fail(c, v, "a one-character string");
	char16_t u[4];
	size_t len = 0;
	napi_get_value_string_utf16(c->env, v, u, 4, &len);
	uint32_t cp;
	if (len == 1 && !(u[0] >= 0xD800 && u[0] <= 0xDFFF)) cp = u[0];
	else if (len == 2 && u[0] >= 0xD800 && u[0] <= 0xDBFF && u[1] >= 0xDC00 && u[1] <= 0xDFFF)
		cp = 0x10000 + ((uint32_t)(u[0] - 0xD800) << 10) + (u[1] - 0xDC00);
	else return conv_fail(c, v, "a one-character string");
	if (type == MT_CHAR16 && cp > 0xFFFF)
		return conv_fail(c, v, "a one-character string in the Basic Multilingual Plane (char16)");
	if (type == MT_CHAR8 && cp > 0x7F)
		return conv_fail(c, v, "a one-character ASCII string (char8)");
	out->type = type;
	out->v.ch = cp;
	return 0;
}

/* Integers: numbers must be integral and in range; bigints are accepted when they fit. */
static int js_int_to_cdt(conv *c, napi_value v, uint64_t type, cdt *out)
{
	int is_unsigned = type == MT_UINT8 || type == MT_UINT16 || type == MT_UINT32 ||
	                  type == MT_UINT64 || type == MT_SIZE;
	int64_t s = 0;
	uint64_t u = 0;
	int negative = 0;
	double d;
	napi_valuetype t = napi_number;
	/* Numbers are the common case: ask for one first, look at the type only if it is not. */
	if (napi_get_value_double(c->env, v, &d) != napi_ok) napi_typeof(c->env, v, &t);
	if (t == napi_number) {
		if (!isfinite(d) || d != trunc(d)) goto not_integer;
		if (d < -9223372036854775808.0 || d >= 18446744073709551616.0) goto out_of_range;
		if (d >= 9223372036854775808.0) { /* above int64: only unsigned 64-bit types hold it */
			if (type != MT_UINT64 && type != MT_SIZE) goto out_of_range;
			out->type = type;
			out->v.u64 = (uint64_t)d;
			return 0;
		}
		s = (int64_t)d;
		negative = s < 0;
	} else if (t == napi_bigint) {
		bool lossless = false;
		if (is_unsigned) {
			napi_get_value_bigint_uint64(c->env, v, &u, &lossless);
			if (!lossless) goto out_of_range;
			if (type == MT_UINT64 || type == MT_SIZE) {
				out->type = type;
				out->v.u64 = u;
				return 0;
			}
			s = u > (uint64_t)INT64_MAX ? INT64_MAX : (int64_t)u;
		} else {
			napi_get_value_bigint_int64(c->env, v, &s, &lossless);
			if (!lossless) goto out_of_range;
			negative = s < 0;
		}
	} else {
		goto not_integer;
	}
	switch (type) {
	case MT_INT8:
		if (s < INT8_MIN || s > INT8_MAX) goto out_of_range;
		out->v.i8 = (int8_t)s;
		break;
	case MT_INT16:
		if (s < INT16_MIN || s > INT16_MAX) goto out_of_range;
		out->v.i16 = (int16_t)s;
		break;
	case MT_INT32:
		if (s < INT32_MIN || s > INT32_MAX) goto out_of_range;
		out->v.i32 = (int32_t)s;
		break;
	case MT_INT64: out->v.i64 = s; break;
	case MT_UINT8:
		if (negative || s > UINT8_MAX) goto out_of_range;
		out->v.u8 = (uint8_t)s;
		break;
	case MT_UINT16:
		if (negative || s > UINT16_MAX) goto out_of_range;
		out->v.u16 = (uint16_t)s;
		break;
	case MT_UINT32:
		if (negative || s > (int64_t)UINT32_MAX) goto out_of_range;
		out->v.u32 = (uint32_t)s;
		break;
	default: /* uint64, size */
		if (negative) goto out_of_range;
		out->v.u64 = (uint64_t)s;
		break;
	}
	out->type = type;
	return 0;
not_integer : {
	char e[64];
	snprintf(e, sizeof e, "%s (an integer number or bigint)", metaffi_type_name(type));
	return conv_fail(c, v, e);
}
out_of_range : {
	char e[64];
	snprintf(e, sizeof e, "%s, but the value is out of its range", metaffi_type_name(type));
	return conv_fail(c, v, e);
}
}

static int js_to_cdt(conv *c, napi_value v, uint64_t type, int dims, cdt *out);

static size_t packed_width(uint64_t e)
{
	switch (e) {
	case MT_INT8: case MT_UINT8: case MT_BOOL: return 1;
	case MT_INT16: case MT_UINT16: return 2;
	case MT_INT32: case MT_UINT32: case MT_FLOAT32: return 4;
	default: return 8;
	}
}

static int is_packable(uint64_t t)
{
	switch (t) {
	case MT_FLOAT64: case MT_FLOAT32: case MT_INT8: case MT_INT16: case MT_INT32:
	case MT_INT64: case MT_UINT8: case MT_UINT16: case MT_UINT32: case MT_UINT64:
	case MT_SIZE: case MT_BOOL:
		return 1;
	default:
		return 0;
	}
}

static uint64_t typedarray_element(napi_typedarray_type t)
{
	switch (t) {
	case napi_int8_array: return MT_INT8;
	case napi_uint8_array: return MT_UINT8;
	case napi_uint8_clamped_array: return MT_UINT8;
	case napi_int16_array: return MT_INT16;
	case napi_uint16_array: return MT_UINT16;
	case napi_int32_array: return MT_INT32;
	case napi_uint32_array: return MT_UINT32;
	case napi_float32_array: return MT_FLOAT32;
	case napi_float64_array: return MT_FLOAT64;
	case napi_bigint64_array: return MT_INT64;
	case napi_biguint64_array: return MT_UINT64;
	default: return 0;
	}
}

/* Scratch typed arrays, one per element kind, reused across calls: allocating a typed array
 * costs more than converting a short array. The JS helpers fill or read them; the core
 * copies out before the scratch can be reused. */
#define SCRATCH_MAX_ELEMS (1u << 16)

typedef struct {
	napi_ref ref;
	void *data;
	size_t cap;
	int busy; /* a helper is filling it (an element getter could re-enter) */
} scratch_t;

static scratch_t g_scratch[16];

static int scratch_slot(uint64_t elem, napi_typedarray_type *tt)
{
	switch (elem) {
	case MT_FLOAT64: *tt = napi_float64_array; return 0;
	case MT_FLOAT32: *tt = napi_float32_array; return 1;
	case MT_INT8: *tt = napi_int8_array; return 2;
	case MT_INT16: *tt = napi_int16_array; return 3;
	case MT_INT32: *tt = napi_int32_array; return 4;
	case MT_INT64: *tt = napi_bigint64_array; return 5;
	case MT_UINT8: case MT_BOOL: *tt = napi_uint8_array; return 6;
	case MT_UINT16: *tt = napi_uint16_array; return 7;
	case MT_UINT32: *tt = napi_uint32_array; return 8;
	default: *tt = napi_biguint64_array; return 9; /* uint64, size */
	}
}

static void free_external(napi_env env, void *data, void *hint)
{
	(void)env;
	(void)hint;
	free(data);
}

/* A typed array of `elem` with room for n elements (a fresh one past SCRATCH_MAX_ELEMS). */
static napi_status scratch_get(napi_env env, uint64_t elem, size_t n, napi_value *out, void **data)
{
	napi_typedarray_type tt;
	scratch_t *sc = &g_scratch[scratch_slot(elem, &tt)];
	size_t w = packed_width(elem);
	if (sc->ref && n <= sc->cap && !sc->busy) {
		*data = sc->data;
		return napi_get_reference_value(env, sc->ref, out);
	}
	size_t cap = n > SCRATCH_MAX_ELEMS ? n : (n < 64 ? 64 : n * 2 > SCRATCH_MAX_ELEMS ? SCRATCH_MAX_ELEMS : n * 2);
	napi_value ab;
	void *p;
	napi_status st;
	if (cap > SCRATCH_MAX_ELEMS) {
		/* A one-off buffer for a large array: malloc fails cleanly where V8's own allocator
		 * would end the process, so a huge array is an error, never an abort. */
		if (cap > SIZE_MAX / w || !(p = malloc(cap * w))) return napi_generic_failure;
		st = napi_create_external_arraybuffer(env, p, cap * w, free_external, NULL, &ab);
		if (st != napi_ok) {
			free(p);
			return st;
		}
	} else {
		st = napi_create_arraybuffer(env, cap * w, &p, &ab);
	}
	if (st == napi_ok) st = napi_create_typedarray(env, tt, cap, ab, 0, out);
	if (st != napi_ok) return st;
	*data = p;
	if (cap <= SCRATCH_MAX_ELEMS && !sc->busy) {
		if (sc->ref) napi_delete_reference(env, sc->ref);
		napi_create_reference(env, *out, 1, &sc->ref);
		sc->data = p;
		sc->cap = cap;
	}
	return napi_ok;
}

static int typedarray_to_packed(conv *c, napi_value v, uint64_t want, cdt *out)
{
	napi_typedarray_type tt;
	size_t len;
	void *data;
	if (napi_get_typedarray_info(c->env, v, &tt, &len, &data, NULL, NULL) != napi_ok) return -2;
	uint64_t have = typedarray_element(tt);
	if (want == MT_SIZE && have == MT_UINT64) have = MT_SIZE;
	if (want == MT_BOOL && have == MT_UINT8) have = MT_BOOL;
	if (want != 0 && want != MT_ANY && have != want) return 1; /* caller converts */
	out->type = have | MT_ARRAY | MT_PACKED;
	out->v.packed.data = data;
	out->v.packed.len = len;
	return 0;
}

/* A JS array of numbers (or booleans) for a packable element type: the JS helper checks
 * and copies it into a typed array in one JIT-compiled loop. */
static int pack_with_helper(conv *c, napi_value v, uint64_t elem, uint32_t len, cdt *out)
{
	napi_value fn, args[3], result, global;
	void *scratch;
	if (scratch_get(c->env, elem, len, &args[2], &scratch) != napi_ok) return -2;
	napi_get_reference_value(c->env, g_pack_fn, &fn);
	napi_get_global(c->env, &global);
	args[0] = v;
	napi_create_double(c->env, (double)elem, &args[1]);
	napi_typedarray_type tt;
	scratch_t *sc = &g_scratch[scratch_slot(elem, &tt)];
	int was_busy = sc->busy;
	sc->busy = 1;
	napi_status st = napi_call_function(c->env, global, fn, 3, args, &result);
	sc->busy = was_busy;
	if (st != napi_ok) return -2;
	napi_valuetype t;
	napi_typeof(c->env, result, &t);
	if (t == napi_string) { /* the helper explains what is wrong: "[i]: message" */
		size_t n;
		napi_get_value_string_utf8(c->env, result, c->msg, sizeof c->msg, &n);
		char *sep = c->msg[0] == '[' ? strstr(c->msg, "]: ") : NULL;
		if (sep && (size_t)(sep - c->msg) + 2 < sizeof c->where) {
			size_t wl = (size_t)(sep - c->msg) + 1;
			memcpy(c->where, c->msg, wl);
			c->where[wl] = 0;
			memmove(c->msg, sep + 3, strlen(sep + 3) + 1);
		}
		return -1;
	}
	/* The helper filled the scratch: copy the elements out, the scratch serves the next array. */
	size_t bytes = (size_t)len * packed_width(elem);
	void *data = arena_alloc(c->ar, bytes + 1);
	if (!data) return -2;
	if (bytes) memcpy(data, scratch, bytes);
	out->type = elem | MT_ARRAY | MT_PACKED;
	out->v.packed.data = data;
	out->v.packed.len = len;
	return 0;
}

static void where_prepend(conv *c, size_t i)
{
	char tmp[sizeof c->where + 32];
	snprintf(tmp, sizeof tmp, "[%zu]%s", i, c->where);
	tmp[sizeof c->where - 1] = 0;
	memcpy(c->where, tmp, sizeof c->where);
}

/* Prepend a property name ("[\"key\"]", cut short when long) to the error path. */
static void where_prepend_key(conv *c, napi_value key)
{
	char name[28], tmp[sizeof c->where + 40];
	size_t n = 0;
	if (napi_get_value_string_utf8(c->env, key, name, sizeof name, &n) != napi_ok) n = 0;
	name[n] = 0;
	snprintf(tmp, sizeof tmp, "[\"%s%s\"]%s", name, n >= sizeof name - 1 ? "..." : "", c->where);
	tmp[sizeof c->where - 1] = 0;
	memcpy(c->where, tmp, sizeof c->where);
}

/* Element i of a JS array; a hole (a missing element, read as undefined) is a type error
 * naming it, at any depth and for any element type. -1 with the message set, -2 pending. */
static int array_element(conv *c, napi_value arr, uint32_t i, napi_value *item)
{
	if (napi_get_element(c->env, arr, i, item) != napi_ok) return -2;
	napi_valuetype t;
	napi_typeof(c->env, *item, &t);
	if (t != napi_undefined) return 0;
	bool has = true;
	if (napi_has_element(c->env, arr, i, &has) != napi_ok) return -2;
	if (has) return 0;
	snprintf(c->msg, sizeof c->msg, "a hole (a missing element) where a value is expected; fill it or use null");
	where_prepend(c, i);
	return -1;
}

static int js_array_to_cdt(conv *c, napi_value v, uint64_t elem, int dims, cdt *out)
{
	napi_valuetype t;
	napi_typeof(c->env, v, &t);
	if (t == napi_null) {
		out->type = MT_NULL;
		return 0;
	}
	bool is_typed = false, is_arr = false;
	napi_is_typedarray(c->env, v, &is_typed);
	if (is_typed && dims == 1 && (is_packable(elem) || elem == MT_ANY)) {
		int rc = typedarray_to_packed(c, v, elem, out);
		if (rc <= 0) return rc;
		size_t tlen;
		napi_get_typedarray_info(c->env, v, NULL, &tlen, NULL, NULL, NULL);
		return pack_with_helper(c, v, elem, (uint32_t)tlen, out); /* another kind of typed array */
	}
	napi_is_array(c->env, v, &is_arr);
	if (!is_arr) {
		char e[64];
		snprintf(e, sizeof e, "an array (%s%s)", metaffi_type_name(elem),
		         dims == 1 ? "[]" : dims == 2 ? "[][]" : "[]...");
		return conv_fail(c, v, e);
	}
	uint32_t len;
	napi_get_array_length(c->env, v, &len);
	if (dims == 1 && is_packable(elem)) {
		return pack_with_helper(c, v, elem, len, out);
	}
	if (conv_enter(c)) return -1;
	cdt *elems = arena_alloc(c->ar, (len ? len : 1) * sizeof(cdt));
	if (!elems) return -2;
	for (uint32_t i = 0; i < len; i++) {
		napi_value item;
		int rc = array_element(c, v, i, &item);
		if (rc) return rc;
		rc = js_to_cdt(c, item, elem, dims - 1, &elems[i]);
		if (rc) {
			if (rc == -1) where_prepend(c, i);
			return rc;
		}
	}
	conv_leave(c);
	out->type = elem | MT_ARRAY;
	out->v.arr.elems = elems;
	out->v.arr.len = len;
	return 0;
}

static int js_ref_to_cdt(conv *c, napi_value v, cdt *out, int want_callable);

/* `any`: the natural CDT of whatever JS value arrived. */
static int js_any_to_cdt(conv *c, napi_value v, cdt *out)
{
	napi_valuetype t;
	napi_typeof(c->env, v, &t);
	switch (t) {
	case napi_undefined: /* as null: `any` takes JS's two empty values alike */
	case napi_null: out->type = MT_NULL; return 0;
	case napi_boolean: {
		bool b;
		napi_get_value_bool(c->env, v, &b);
		out->type = MT_BOOL;
		out->v.b = b;
		return 0;
	}
	case napi_number: {
		double d;
		napi_get_value_double(c->env, v, &d);
		if (d == (double)(int64_t)d && d >= -9.2e18 && d <= 9.2e18 && !(d == 0 && 1 / d < 0)) {
			out->type = MT_INT64;
			out->v.i64 = (int64_t)d;
		} else {
			out->type = MT_FLOAT64;
			out->v.f64 = d;
		}
		return 0;
	}
	case napi_bigint: {
		bool lossless = false;
		int64_t s;
		napi_get_value_bigint_int64(c->env, v, &s, &lossless);
		if (lossless) {
			out->type = MT_INT64;
			out->v.i64 = s;
			return 0;
		}
		uint64_t u;
		napi_get_value_bigint_uint64(c->env, v, &u, &lossless);
		if (lossless) {
			out->type = MT_UINT64;
			out->v.u64 = u;
			return 0;
		}
		return conv_fail(c, v, "a bigint within the 64-bit range");
	}
	case napi_string: return js_string_to_cdt(c, v, 0, out);
	case napi_function: return js_ref_to_cdt(c, v, out, 1);
	case napi_symbol: return conv_fail(c, v, "a value that can cross to a foreign runtime");
	default: break;
	}
	bool flag = false;
	napi_is_array(c->env, v, &flag);
	if (flag) {
		uint32_t len;
		napi_get_array_length(c->env, v, &len);
		if (conv_enter(c)) return -1;
		cdt *elems = arena_alloc(c->ar, (len ? len : 1) * sizeof(cdt));
		if (!elems) return -2;
		for (uint32_t i = 0; i < len; i++) {
			napi_value item;
			int rc = array_element(c, v, i, &item);
			if (rc) return rc;
			rc = js_any_to_cdt(c, item, &elems[i]);
			if (rc) {
				if (rc == -1) where_prepend(c, i);
				return rc;
			}
		}
		conv_leave(c);
		out->type = MT_ANY | MT_ARRAY;
		out->v.arr.elems = elems;
		out->v.arr.len = len;
		return 0;
	}
	napi_is_typedarray(c->env, v, &flag);
	if (flag) return typedarray_to_packed(c, v, 0, out);
	napi_is_arraybuffer(c->env, v, &flag);
	if (flag) {
		void *data;
		size_t len;
		napi_get_arraybuffer_info(c->env, v, &data, &len);
		out->type = MT_UINT8 | MT_ARRAY | MT_PACKED;
		out->v.packed.data = data;
		out->v.packed.len = len;
		return 0;
	}
	uint32_t kind = 0;
	if (core_wrapped(c->env, v, &kind)) return js_ref_to_cdt(c, v, out, 0);
	/* Plain objects become maps with string keys; Map instances maps of any keys. */
	napi_value proto, object_proto;
	napi_get_prototype(c->env, v, &proto);
	napi_get_reference_value(c->env, g_object_proto, &object_proto);
	bool plain = false;
	napi_strict_equals(c->env, proto, object_proto, &plain);
	if (!plain) {
		napi_valuetype pt;
		napi_typeof(c->env, proto, &pt);
		plain = pt == napi_null;
	}
	if (plain) {
		napi_value keys;
		if (napi_get_all_property_names(c->env, v, napi_key_own_only,
		                                napi_key_enumerable | napi_key_skip_symbols,
		                                napi_key_numbers_to_strings, &keys) != napi_ok)
			return -2;
		uint32_t len;
		napi_get_array_length(c->env, keys, &len);
		if (conv_enter(c)) return -1;
		cdt *kv = arena_alloc(c->ar, (len ? len : 1) * 2 * sizeof(cdt));
		if (!kv) return -2;
		for (uint32_t i = 0; i < len; i++) {
			napi_value k, item;
			napi_get_element(c->env, keys, i, &k);
			if (napi_get_property(c->env, v, k, &item) != napi_ok) return -2;
			int rc = js_string_to_cdt(c, k, 0, &kv[2 * i]);
			if (!rc) rc = js_any_to_cdt(c, item, &kv[2 * i + 1]);
			if (rc) {
				if (rc == -1) where_prepend_key(c, k);
				return rc;
			}
		}
		conv_leave(c);
		out->type = MT_MAP;
		out->v.map.kv = kv;
		out->v.map.len = len;
		return 0;
	}
	napi_value global, map_ctor;
	napi_get_global(c->env, &global);
	napi_get_named_property(c->env, global, "Map", &map_ctor);
	bool is_map = false;
	napi_instanceof(c->env, v, map_ctor, &is_map);
	if (is_map) {
		/* entries as a flat [k, v, k, v...] array via Array.from(map).flat() */
		napi_value array_ctor, from, entries, flat_fn, flat;
		napi_get_named_property(c->env, global, "Array", &array_ctor);
		napi_get_named_property(c->env, array_ctor, "from", &from);
		if (napi_call_function(c->env, array_ctor, from, 1, &v, &entries) != napi_ok) return -2;
		napi_get_named_property(c->env, entries, "flat", &flat_fn);
		if (napi_call_function(c->env, entries, flat_fn, 0, NULL, &flat) != napi_ok) return -2;
		uint32_t len;
		napi_get_array_length(c->env, flat, &len);
		if (conv_enter(c)) return -1;
		cdt *kv = arena_alloc(c->ar, (len ? len : 2) * sizeof(cdt));
		if (!kv) return -2;
		for (uint32_t i = 0; i < len; i++) {
			napi_value item;
			napi_get_element(c->env, flat, i, &item);
			int rc = js_any_to_cdt(c, item, &kv[i]);
			if (rc) {
				if (rc == -1) where_prepend(c, i / 2); /* the entry's position in the Map */
				return rc;
			}
		}
		conv_leave(c);
		out->type = MT_MAP;
		out->v.map.kv = kv;
		out->v.map.len = len / 2;
		return 0;
	}
	return js_ref_to_cdt(c, v, out, 0); /* any other object: lent as a handle */
}

/* A handle or callable: our own wrappers unwrap to the foreign reference they hold; any
 * other JS object or function is lent as a host reference. */
static int js_ref_to_cdt(conv *c, napi_value v, cdt *out, int want_callable)
{
	void *p = NULL;
	host_rec *r;
	if (napi_unwrap(c->env, v, &p) != napi_ok) {
		r = host_rec_new(c->env, v); /* first time this object crosses */
		if (!r) return -2;
	} else if (p && live_has(p) && *(const uint32_t *)p == WRAP_BOX) {
		box *b = p;
		if (!box_alive(b)) {
			snprintf(c->msg, sizeof c->msg,
			         "the %s was released%s; it can no longer be used",
			         b->is_callable ? "foreign function" : "handle",
			         !b->released ? " together with its runtime" : "");
			return -1;
		}
		out->type = b->is_callable ? MT_CALLABLE : MT_HANDLE;
		out->v.ref.val = b->val;
		out->v.ref.runtime = b->runtime;
		c->last_box = b;
		return 0;
	} else if (p && live_has(p) && *(const uint32_t *)p == WRAP_HOST) {
		r = p;
	} else {
		napi_throw_type_error(c->env, NULL,
		                      "this object cannot be passed to a foreign runtime: it is "
		                      "already wrapped by another native addon");
		return -2;
	}
	if (want_callable) {
		out->type = MT_CALLABLE;
	} else {
		napi_valuetype t;
		napi_typeof(c->env, v, &t);
		out->type = t == napi_function ? MT_CALLABLE : MT_HANDLE;
	}
	out->v.ref.val = r;
	out->v.ref.runtime = RT_HOST;
	return 0;
}

static int js_to_cdt(conv *c, napi_value v, uint64_t type, int dims, cdt *out)
{
	if (dims > 0) return js_array_to_cdt(c, v, type, dims, out);
	napi_valuetype t;
	switch (type) {
	case MT_FLOAT64:
	case MT_FLOAT32: {
		double d;
		if (napi_get_value_double(c->env, v, &d) != napi_ok)
			return conv_fail(c, v, type == MT_FLOAT64 ? "float64 (a number)" : "float32 (a number)");
		out->type = type;
		if (type == MT_FLOAT64) {
			out->v.f64 = d;
			return 0;
		}
		out->v.f32 = (float)d;
		if (isinf(out->v.f32) && isfinite(d))
			return conv_fail(c, v, "float32, but the value is out of its range (+-3.4028234e38)");
		return 0;
	}
	case MT_INT8: case MT_INT16: case MT_INT32: case MT_INT64:
	case MT_UINT8: case MT_UINT16: case MT_UINT32: case MT_UINT64: case MT_SIZE:
		return js_int_to_cdt(c, v, type, out);
	case MT_BOOL: {
		napi_typeof(c->env, v, &t);
		if (t != napi_boolean) return conv_fail(c, v, "bool (true or false)");
		bool b;
		napi_get_value_bool(c->env, v, &b);
		out->type = MT_BOOL;
		out->v.b = b;
		return 0;
	}
	case MT_STRING8:
	case MT_STRING16:
	case MT_STRING32:
		napi_typeof(c->env, v, &t);
		if (t == napi_null) {
			out->type = MT_NULL;
			return 0;
		}
		if (t != napi_string) return conv_fail(c, v, "a string (or null)");
		return js_string_to_cdt(c, v, type, out);
	case MT_CHAR8:
	case MT_CHAR16:
	case MT_CHAR32:
		return js_char_to_cdt(c, v, type, out);
	case MT_HANDLE:
		napi_typeof(c->env, v, &t);
		if (t == napi_null) {
			out->type = MT_NULL;
			return 0;
		}
		if (t != napi_object && t != napi_function)
			return conv_fail(c, v, "a handle (a MetaFFIHandle, an object, or null)");
		return js_ref_to_cdt(c, v, out, 0);
	case MT_CALLABLE:
		napi_typeof(c->env, v, &t);
		if (t == napi_null) {
			out->type = MT_NULL;
			return 0;
		}
		if (t != napi_function) return conv_fail(c, v, "a function (or null)");
		return js_ref_to_cdt(c, v, out, 1);
	case MT_NULL:
		out->type = MT_NULL;
		return 0;
	case MT_ANY:
		return js_any_to_cdt(c, v, out);
	default:
		snprintf(c->msg, sizeof c->msg, "unsupported declared type code %llu",
		         (unsigned long long)type);
		return -1;
	}
}

/* ------------------------------------------------------------------------------------ */
/* Conversion CDT -> JS                                                                  */

static napi_value make_box_object(napi_env env, uint32_t runtime, void *val, int is_callable);

static napi_status int64_to_js(napi_env env, int64_t v, napi_value *out)
{
	if (v >= -MAX_SAFE_INT && v <= MAX_SAFE_INT) return napi_create_int64(env, v, out);
	return napi_create_bigint_int64(env, v, out);
}

static napi_status uint64_to_js(napi_env env, uint64_t v, napi_value *out)
{
	if (v <= (uint64_t)MAX_SAFE_INT) return napi_create_int64(env, (int64_t)v, out);
	return napi_create_bigint_uint64(env, v, out);
}

static size_t utf16_encode(uint32_t cp, char16_t *o)
{
	if (cp < 0x10000) {
		o[0] = (char16_t)cp;
		return 1;
	}
	cp -= 0x10000;
	o[0] = (char16_t)(0xD800 + (cp >> 10));
	o[1] = (char16_t)(0xDC00 + (cp & 0x3FF));
	return 2;
}

static napi_status packed_to_typedarray(napi_env env, const cdt *v, napi_value *out)
{
	uint64_t e = MT_ELEMENT(v->type);
	napi_typedarray_type tt;
	size_t width;
	switch (e) {
	case MT_FLOAT64: tt = napi_float64_array; width = 8; break;
	case MT_FLOAT32: tt = napi_float32_array; width = 4; break;
	case MT_INT8: tt = napi_int8_array; width = 1; break;
	case MT_INT16: tt = napi_int16_array; width = 2; break;
	case MT_INT32: tt = napi_int32_array; width = 4; break;
	case MT_INT64: tt = napi_bigint64_array; width = 8; break;
	case MT_UINT8: case MT_BOOL: tt = napi_uint8_array; width = 1; break;
	case MT_UINT16: tt = napi_uint16_array; width = 2; break;
	case MT_UINT32: tt = napi_uint32_array; width = 4; break;
	default: tt = napi_biguint64_array; width = 8; break; /* uint64, size */
	}
	void *data;
	napi_value ab;
	size_t len = v->v.packed.len;
	napi_status st = napi_create_arraybuffer(env, len * width, &data, &ab);
	if (st != napi_ok) return st;
	if (len) memcpy(data, v->v.packed.data, len * width);
	return napi_create_typedarray(env, tt, len, ab, 0, out);
}

/* cdt_to_js flags: keep packed arrays as typed arrays; the references in the value are
 * borrowed (parameters) rather than owned (results). */
#define CONV_KEEP_PACKED 1
#define CONV_BORROWED 2

static void throw_simple(napi_env env, const char *fmt, ...);

/* The offset of the first byte that is not part of well-formed UTF-8, or -1. */
static ptrdiff_t utf8_invalid_at(const unsigned char *s, size_t n)
{
	size_t i = 0;
	while (i < n) {
		if (i + 8 <= n) { /* ASCII runs, eight bytes at a time */
			uint64_t w;
			memcpy(&w, s + i, 8);
			if (!(w & 0x8080808080808080ULL)) {
				i += 8;
				continue;
			}
		}
		unsigned char b = s[i];
		if (b < 0x80) {
			i++;
			continue;
		}
		size_t need;
		uint32_t cp, min;
		if (b >= 0xC2 && b <= 0xDF) { need = 1; cp = b & 0x1F; min = 0x80; }
		else if (b >= 0xE0 && b <= 0xEF) { need = 2; cp = b & 0x0F; min = 0x800; }
		else if (b >= 0xF0 && b <= 0xF4) { need = 3; cp = b & 0x07; min = 0x10000; }
		else return (ptrdiff_t)i;
		if (need >= n - i) return (ptrdiff_t)i; /* cut short */
		for (size_t k = 1; k <= need; k++) {
			if ((s[i + k] & 0xC0) != 0x80) return (ptrdiff_t)i;
			cp = (cp << 6) | (s[i + k] & 0x3F);
		}
		if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return (ptrdiff_t)i;
		i += need + 1;
	}
	return -1;
}

static napi_status cdt_to_js_at(napi_env env, arena *ar, const cdt *v, int flags, int depth, napi_value *out);

static napi_status cdt_to_js(napi_env env, arena *ar, const cdt *v, int flags, napi_value *out)
{
	return cdt_to_js_at(env, ar, v, flags, 0, out);
}

static napi_status too_deep(napi_env env)
{
	throw_simple(env, "a foreign runtime returned a value nested deeper than %d levels; "
	             "flatten it or return a handle", METAFFI_MAX_DEPTH);
	return napi_pending_exception;
}

static napi_status cdt_to_js_at(napi_env env, arena *ar, const cdt *v, int flags, int depth, napi_value *out)
{
	uint64_t t = v->type;
	if ((t & MT_ARRAY) && !(t & MT_PACKED) && depth >= METAFFI_MAX_DEPTH) return too_deep(env);
	if (t == MT_MAP && depth >= METAFFI_MAX_DEPTH) return too_deep(env);
	if (t & MT_ARRAY) {
		if (t & MT_PACKED) {
			if (flags & CONV_KEEP_PACKED) return packed_to_typedarray(env, v, out);
			/* Fill the scratch and let the JS helper build the array in one compiled loop. */
			napi_value fn, global, args[3];
			void *scratch;
			size_t n = v->v.packed.len;
			napi_status st = scratch_get(env, MT_ELEMENT(t), n, &args[0], &scratch);
			if (st != napi_ok) return st;
			if (n) memcpy(scratch, v->v.packed.data, n * packed_width(MT_ELEMENT(t)));
			napi_get_reference_value(env, g_unpack_fn, &fn);
			napi_get_global(env, &global);
			napi_create_uint32(env, (uint32_t)n, &args[1]);
			napi_get_boolean(env, MT_ELEMENT(t) == MT_BOOL, &args[2]);
			return napi_call_function(env, global, fn, 3, args, out);
		}
		napi_status st = napi_create_array_with_length(env, v->v.arr.len, out);
		if (st != napi_ok) return st;
		for (size_t i = 0; i < v->v.arr.len; i++) {
			napi_value item;
			st = cdt_to_js_at(env, ar, &v->v.arr.elems[i], flags, depth + 1, &item);
			if (st != napi_ok) return st;
			napi_set_element(env, *out, (uint32_t)i, item);
		}
		return napi_ok;
	}
	switch (t) {
	case MT_FLOAT64: return napi_create_double(env, v->v.f64, out);
	case MT_FLOAT32: return napi_create_double(env, (double)v->v.f32, out);
	case MT_INT8: return napi_create_int32(env, v->v.i8, out);
	case MT_INT16: return napi_create_int32(env, v->v.i16, out);
	case MT_INT32: return napi_create_int32(env, v->v.i32, out);
	case MT_INT64: return int64_to_js(env, v->v.i64, out);
	case MT_UINT8: return napi_create_uint32(env, v->v.u8, out);
	case MT_UINT16: return napi_create_uint32(env, v->v.u16, out);
	case MT_UINT32: return napi_create_uint32(env, v->v.u32, out);
	case MT_UINT64:
	case MT_SIZE: return uint64_to_js(env, v->v.u64, out);
	case MT_BOOL: return napi_get_boolean(env, v->v.b != 0, out);
	case MT_STRING8: {
		ptrdiff_t bad = utf8_invalid_at(v->v.str.ptr, v->v.str.len);
		if (bad >= 0) {
			throw_simple(env, "a foreign runtime returned a string that is not valid UTF-8 (at byte %td); "
			             "return bytes as a uint8 array instead", bad);
			return napi_pending_exception;
		}
		return napi_create_string_utf8(env, v->v.str.ptr, v->v.str.len, out);
	}
	case MT_STRING16: return napi_create_string_utf16(env, v->v.str.ptr, v->v.str.len, out);
	case MT_STRING32: {
		const uint32_t *s = v->v.str.ptr;
		char16_t *buf = arena_alloc(ar, v->v.str.len * 2 * sizeof(char16_t) + 2);
		if (!buf) return napi_generic_failure;
		size_t n = 0;
		for (size_t i = 0; i < v->v.str.len; i++) {
			if (s[i] > 0x10FFFF || (s[i] >= 0xD800 && s[i] <= 0xDFFF)) {
				throw_simple(env, "a foreign runtime returned a string32 with an invalid code point "
				             "0x%X at index %zu", (unsigned)s[i], i);
				return napi_pending_exception;
			}
			n += utf16_encode(s[i], buf + n);
		}
		return napi_create_string_utf16(env, buf, n, out);
	}
	case MT_CHAR8:
	case MT_CHAR16:
	case MT_CHAR32: {
		char16_t u[2];
		if (v->v.ch > 0x10FFFF || (v->v.ch >= 0xD800 && v->v.ch <= 0xDFFF && t != MT_CHAR16) ||
		    (t == MT_CHAR8 && v->v.ch > 0x7F) || (t == MT_CHAR16 && v->v.ch > 0xFFFF)) {
			throw_simple(env, "a foreign runtime returned an invalid %s code point 0x%X",
			             metaffi_type_name(t), (unsigned)v->v.ch);
			return napi_pending_exception;
		}
		size_t n = utf16_encode(v->v.ch, u);
		return napi_create_string_utf16(env, u, n, out);
	}
	case MT_NULL: return napi_get_null(env, out);
	case MT_HANDLE:
	case MT_CALLABLE:
		if (v->v.ref.runtime == RT_HOST) {
			host_rec *r = v->v.ref.val;
			napi_status st = napi_get_reference_value(env, r->ref, out);
			if (!(flags & CONV_BORROWED)) host_release(r); /* drop the reference we were given */
			return st;
		}
		if (flags & CONV_BORROWED) g_core.retain(v->v.ref.runtime, v->v.ref.val); /* the box owns one */
		*out = make_box_object(env, v->v.ref.runtime, v->v.ref.val, t == MT_CALLABLE);
		return *out ? napi_ok : napi_generic_failure;
	case MT_MAP: {
		int all_strings = 1;
		for (size_t i = 0; i < v->v.map.len; i++) {
			uint64_t kt = v->v.map.kv[2 * i].type;
			if (kt != MT_STRING8 && kt != MT_STRING16 && kt != MT_STRING32) all_strings = 0;
		}
		napi_status st;
		if (all_strings) {
			st = napi_create_object(env, out);
			if (st != napi_ok) return st;
			for (size_t i = 0; i < v->v.map.len; i++) {
				napi_value k, item;
				st = cdt_to_js_at(env, ar, &v->v.map.kv[2 * i], flags, depth + 1, &k);
				if (st == napi_ok) st = cdt_to_js_at(env, ar, &v->v.map.kv[2 * i + 1], flags, depth + 1, &item);
				if (st != napi_ok) return st;
				napi_set_property(env, *out, k, item);
			}
			return napi_ok;
		}
		napi_value flat, fn, global;
		st = napi_create_array_with_length(env, v->v.map.len * 2, &flat);
		if (st != napi_ok) return st;
		for (size_t i = 0; i < v->v.map.len * 2; i++) {
			napi_value item;
			st = cdt_to_js_at(env, ar, &v->v.map.kv[i], flags, depth + 1, &item);
			if (st != napi_ok) return st;
			napi_set_element(env, flat, (uint32_t)i, item);
		}
		napi_get_reference_value(env, g_to_map_fn, &fn);
		napi_get_global(env, &global);
		return napi_call_function(env, global, fn, 1, &flat, out);
	}
	default: {
		char msg[96];
		snprintf(msg, sizeof msg, "a foreign runtime produced a value of unknown type code %llu",
		         (unsigned long long)t);
		napi_throw_error(env, NULL, msg);
		return napi_pending_exception;
	}
	}
}

/* Drop the references owned by results that were not turned into JS values. */
static void cdt_release_refs(const cdt *v)
{
	if ((v->type & MT_ARRAY) && !(v->type & MT_PACKED)) {
		for (size_t i = 0; i < v->v.arr.len; i++) cdt_release_refs(&v->v.arr.elems[i]);
	} else if (v->type == MT_MAP) {
		for (size_t i = 0; i < 2 * v->v.map.len; i++) cdt_release_refs(&v->v.map.kv[i]);
	} else if (v->type == MT_HANDLE || v->type == MT_CALLABLE) {
		g_core.release(v->v.ref.runtime, v->v.ref.val);
	}
}

/* ------------------------------------------------------------------------------------ */
/* Errors                                                                                */

static void throw_metaffi_error(napi_env env, const char *runtime, const metaffi_error *err,
                                const char *context)
{
	napi_value ctor, args[2], details, exc, s;
	char msg[4096];
	const char *type = err->type && *err->type ? err->type : NULL;
	const char *text = err->message ? err->message : "";
	/* A plugin's own error (not a foreign exception) carries our class name as its type: the
	 * JS error is already a MetaFFIError, so the message does not repeat it. */
	const char *shown = type && strcmp(type, "MetaFFIError") != 0 ? type : NULL;
	if (context && shown) snprintf(msg, sizeof msg, "%s: %s: %s", context, shown, text);
	else if (context) snprintf(msg, sizeof msg, "%s: %s", context, text);
	else if (shown) snprintf(msg, sizeof msg, "%s: %s", shown, text);
	else snprintf(msg, sizeof msg, "%s", text);
	napi_create_string_utf8(env, msg, NAPI_AUTO_LENGTH, &args[0]);
	napi_value cause = NULL;
	if (err->host_error && g_host_errors[err->host_error % HOST_ERROR_SLOTS] &&
	    g_host_error_seq - err->host_error < HOST_ERROR_SLOTS)
		napi_get_reference_value(env, g_host_errors[err->host_error % HOST_ERROR_SLOTS], &cause);
	if (g_error_details_fn) {
		/* one call with positional values instead of an object filled through Node-API */
		napi_value fn, global, undef, fargs[5];
		napi_get_undefined(env, &undef);
		napi_create_string_utf8(env, runtime, NAPI_AUTO_LENGTH, &fargs[0]);
		fargs[1] = undef;
		if (type) napi_create_string_utf8(env, type, NAPI_AUTO_LENGTH, &fargs[1]);
		napi_create_string_utf8(env, text, NAPI_AUTO_LENGTH, &fargs[2]);
		fargs[3] = undef;
		if (err->stack) napi_create_string_utf8(env, err->stack, NAPI_AUTO_LENGTH, &fargs[3]);
		fargs[4] = cause ? cause : undef;
		napi_get_reference_value(env, g_error_details_fn, &fn);
		napi_get_global(env, &global);
		if (napi_call_function(env, global, fn, 5, fargs, &details) != napi_ok) {
			/* No room left to build an error (the JS stack is exhausted): hand back the
			 * original JS exception when there is one, else a plain error. */
			napi_value ignored;
			napi_get_and_clear_last_exception(env, &ignored);
			if (cause) napi_throw(env, cause);
			else napi_throw_error(env, NULL, msg);
			return;
		}
	} else {
		napi_create_object(env, &details);
		napi_create_string_utf8(env, runtime, NAPI_AUTO_LENGTH, &s);
		napi_set_named_property(env, details, "runtime", s);
		if (type) {
			napi_create_string_utf8(env, type, NAPI_AUTO_LENGTH, &s);
			napi_set_named_property(env, details, "foreignType", s);
		}
		napi_create_string_utf8(env, text, NAPI_AUTO_LENGTH, &s);
		napi_set_named_property(env, details, "foreignMessage", s);
		if (err->stack) {
			napi_create_string_utf8(env, err->stack, NAPI_AUTO_LENGTH, &s);
			napi_set_named_property(env, details, "foreignStack", s);
		}
		if (cause) napi_set_named_property(env, details, "cause", cause);
	}
	args[1] = details;
	napi_get_reference_value(env, g_error_ctor, &ctor);
	if (napi_new_instance(env, ctor, 2, args, &exc) == napi_ok) {
		napi_throw(env, exc);
	} else {
		napi_value ignored;
		napi_get_and_clear_last_exception(env, &ignored);
		if (cause) napi_throw(env, cause);
		else napi_throw_error(env, NULL, msg);
	}
}

static void throw_simple(napi_env env, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	metaffi_error e = {NULL, msg, NULL, 0};
	throw_metaffi_error(env, "", &e, NULL);
}

static void clear_host_errors(napi_env env)
{
	if (!g_host_errors_kept) return;
	g_host_errors_kept = 0;
	for (int i = 0; i < HOST_ERROR_SLOTS; i++) {
		if (g_host_errors[i]) {
			napi_delete_reference(env, g_host_errors[i]);
			g_host_errors[i] = NULL;
		}
	}
}

/* Record a JS exception from a callback and describe it for the foreign runtime. */
static void host_exception_to_error(napi_env env, arena *ar, napi_value exc, metaffi_error *err)
{
	/* A MetaFFIError with a cause is a JS exception that already went through a foreign
	 * runtime (nested callbacks): pass on the original, so the JS caller at the top gets one
	 * MetaFFIError whose cause is the exception that was thrown, not a chain of wrappers
	 * that repeat each other's messages. */
	napi_value ctor, cause;
	bool is_ours = false;
	napi_valuetype ct;
	if (g_error_ctor && napi_get_reference_value(env, g_error_ctor, &ctor) == napi_ok &&
	    napi_instanceof(env, exc, ctor, &is_ours) == napi_ok && is_ours &&
	    napi_get_named_property(env, exc, "cause", &cause) == napi_ok &&
	    napi_typeof(env, cause, &ct) == napi_ok && ct != napi_undefined)
		exc = cause;
	uint64_t id = ++g_host_error_seq;
	napi_ref *slot = &g_host_errors[id % HOST_ERROR_SLOTS];
	if (*slot) napi_delete_reference(env, *slot);
	napi_create_reference(env, exc, 1, slot);
	g_host_errors_kept = 1;
	err->host_error = id;
	err->type = "Error";
	err->message = "";
	err->stack = NULL;
	napi_valuetype t;
	napi_typeof(env, exc, &t);
	napi_value s;
	char buf[2048];
	size_t n;
	if (t == napi_object) {
		napi_value name, message;
		if (napi_get_named_property(env, exc, "name", &name) == napi_ok &&
		    napi_coerce_to_string(env, name, &s) == napi_ok &&
		    napi_get_value_string_utf8(env, s, buf, sizeof buf, &n) == napi_ok)
			err->type = arena_strdup(ar, buf, n);
		if (napi_get_named_property(env, exc, "message", &message) == napi_ok &&
		    napi_coerce_to_string(env, message, &s) == napi_ok &&
		    napi_get_value_string_utf8(env, s, buf, sizeof buf, &n) == napi_ok)
			err->message = arena_strdup(ar, buf, n);
		/* The JS stack is not copied: formatting it is costly, and the JS caller gets the
		 * original exception (with its stack) as the cause. */
	} else if (napi_coerce_to_string(env, exc, &s) == napi_ok &&
	           napi_get_value_string_utf8(env, s, buf, sizeof buf, &n) == napi_ok) {
		err->message = arena_strdup(ar, buf, n);
	}
	/* a pending exception from coercion must not leak into the foreign call */
	bool pending = false;
	napi_is_exception_pending(env, &pending);
	if (pending) {
		napi_value ignored;
		napi_get_and_clear_last_exception(env, &ignored);
	}
}

/* ------------------------------------------------------------------------------------ */
/* Calling JS functions for foreign runtimes                                             */

/* Make a value produced from JS values independent of them: retain references, copy
 * packed data out of JS memory. */
static void cdt_own(arena *ar, cdt *v)
{
	if (v->type & MT_ARRAY) {
		if (v->type & MT_PACKED) {
			size_t bytes = v->v.packed.len * packed_width(MT_ELEMENT(v->type));
			void *copy = arena_alloc(ar, bytes + 1);
			if (copy && bytes) memcpy(copy, v->v.packed.data, bytes);
			v->v.packed.data = copy;
		} else {
			for (size_t i = 0; i < v->v.arr.len; i++) cdt_own(ar, &v->v.arr.elems[i]);
		}
	} else if (v->type == MT_MAP) {
		for (size_t i = 0; i < 2 * v->v.map.len; i++) cdt_own(ar, &v->v.map.kv[i]);
	} else if (v->type == MT_HANDLE || v->type == MT_CALLABLE) {
		if (v->v.ref.runtime == RT_HOST) host_retain(v->v.ref.val);
		else g_core.retain(v->v.ref.runtime, v->v.ref.val);
	}
}

static int call_host_on_js_thread(napi_env env, arena *ar, host_rec *r, const cdt *params,
                                  size_t np, cdt **rets, size_t *nr, metaffi_error *err)
{
	napi_handle_scope scope;
	napi_open_handle_scope(env, &scope);
	int rc = -1;
	napi_value fn, global, result;
	napi_value inline_argv[INLINE_ARGS];
	napi_value *argv = np <= INLINE_ARGS ? inline_argv : arena_alloc(ar, np * sizeof(napi_value));
	*rets = NULL;
	*nr = 0;
	if (!argv || napi_get_reference_value(env, r->ref, &fn) != napi_ok || !fn) {
		err->type = "MetaFFIError";
		err->message = "the JS function is no longer available";
		goto done;
	}
	for (size_t i = 0; i < np; i++) {
		if (cdt_to_js(env, ar, &params[i], CONV_BORROWED, &argv[i]) != napi_ok) {
			napi_value exc;
			napi_get_and_clear_last_exception(env, &exc);
			err->type = "MetaFFIError";
			err->message = arena_printf(ar, "argument %zu of the JS callback could not be converted", i + 1);
			goto done;
		}
	}
	napi_get_global(env, &global);
	napi_status st = napi_call_function(env, global, fn, np, argv, &result);
	if (st != napi_ok) {
		napi_value exc;
		if (napi_get_and_clear_last_exception(env, &exc) == napi_ok)
			host_exception_to_error(env, ar, exc, err);
		else err->message = "the JS callback failed";
		goto done;
	}
	conv c;
	conv_init(&c, env, ar, MT_STRING8);
	size_t want = r->typed ? r->nr : 1;
	napi_valuetype rt;
	napi_typeof(env, result, &rt);
	if (!r->typed && rt == napi_undefined) want = 0;
	cdt *out = arena_alloc(ar, (want ? want : 1) * sizeof(cdt));
	if (!out) goto done;
	int crc = 0;
	if (want == 1) {
		crc = r->typed ? js_to_cdt(&c, result, MT_ELEMENT(r->rets[0].type),
		                           (r->rets[0].type & MT_ARRAY) ? (r->rets[0].dims > 0 ? r->rets[0].dims : 1) : 0, &out[0])
		               : js_any_to_cdt(&c, result, &out[0]);
	} else if (want > 1) {
		bool is_arr = false;
		uint32_t len = 0;
		napi_is_array(env, result, &is_arr);
		if (is_arr) napi_get_array_length(env, result, &len);
		if (!is_arr || len != want) {
			err->type = "TypeError";
			err->message = arena_printf(ar, "the JS callback must return an array of %zu values", want);
			goto done;
		}
		for (size_t i = 0; i < want && !crc; i++) {
			napi_value item;
			napi_get_element(env, result, (uint32_t)i, &item);
			crc = js_to_cdt(&c, item, MT_ELEMENT(r->rets[i].type),
			                (r->rets[i].type & MT_ARRAY) ? (r->rets[i].dims > 0 ? r->rets[i].dims : 1) : 0, &out[i]);
		}
	}
	bool pending = false;
	if (crc == -2) napi_is_exception_pending(env, &pending);
	if (crc == -1 || (crc == -2 && !pending)) {
		err->type = crc == -1 && !c.range ? "TypeError" : "RangeError";
		char at[200];
		if (c.too_deep)
			err->message = arena_printf(ar, "the JS callback's result is nested deeper than %d levels "
			                            "(at %s); flatten it or return a handle",
			                            METAFFI_MAX_DEPTH, where_short(c.where, at, sizeof at));
		else
			err->message = arena_printf(ar, "the JS callback returned a wrong value%s%s: %s",
			                            c.where[0] ? " at " : "", c.where,
			                            crc == -1 ? c.msg : "not enough memory to convert it");
		goto done;
	}
	if (crc == -2) {
		napi_value exc;
		napi_get_and_clear_last_exception(env, &exc);
		host_exception_to_error(env, ar, exc, err);
		goto done;
	}
	/* The receiver owns the results: every reference gets one retain, and data that points
	 * into JS memory (typed arrays) is copied before the handle scope closes. */
	for (size_t i = 0; i < want; i++) cdt_own(ar, &out[i]);
	*rets = out;
	*nr = want;
	rc = 0;
done:
	napi_close_handle_scope(env, scope);
	return rc;
}

/* A call of a JS function from a thread other than the JS thread. */
enum { REQ_PENDING, REQ_RUNNING, REQ_DONE, REQ_CANCELLED };

typedef struct {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	int state;
	host_rec *rec;
	const cdt *params;
	size_t np;
	cdt *rets;
	size_t nr;
	metaffi_error err;
	arena *ar;
	int rc;
} host_call_req;

static void run_host_request(napi_env env, host_call_req *req)
{
	pthread_mutex_lock(&req->lock);
	if (req->state == REQ_CANCELLED) {
		pthread_mutex_unlock(&req->lock);
		pthread_mutex_destroy(&req->lock);
		pthread_cond_destroy(&req->cond);
		free(req);
		return;
	}
	req->state = REQ_RUNNING;
	pthread_mutex_unlock(&req->lock);
	/* The requesting thread is blocked, so its arena is ours to fill. */
	req->rc = call_host_on_js_thread(env, req->ar, req->rec, req->params, req->np, &req->rets,
	                                 &req->nr, &req->err);
	if (atomic_load(&g_depth) == 0) clear_host_errors(env);
	pthread_mutex_lock(&req->lock);
	req->state = REQ_DONE;
	pthread_cond_signal(&req->cond);
	pthread_mutex_unlock(&req->lock);
}

static void tsfn_call_js(napi_env env, napi_value js_cb, void *context, void *data)
{
	(void)js_cb;
	(void)context;
	if (!env) return; /* the environment is going away */
	if (data) run_host_request(env, data);
	else defer_drain();
}

/* 50 ms ticks: how long one foreign call may keep the JS thread while a foreign thread
 * waits to run a JS callback, before the wait is taken for a deadlock. */
#define CALLBACK_DEADLOCK_TICKS 20

static int call_host_from_other_thread(host_rec *r, const cdt *params, size_t np, cdt **rets,
                                       size_t *nr, metaffi_error *err)
{
	arena *ar = thread_arena();
	if (!g_tsfn || g_shutting_down) {
		err->type = "MetaFFIError";
		err->message = "the JS environment is shutting down; the JS callback was not called";
		return -1;
	}
	host_call_req *req = calloc(1, sizeof *req);
	if (!req) {
		err->message = "out of memory";
		return -1;
	}
	pthread_mutex_init(&req->lock, NULL);
	pthread_cond_init(&req->cond, NULL);
	req->state = REQ_PENDING;
	req->rec = r;
	req->params = params;
	req->np = np;
	req->ar = ar;
	if (napi_call_threadsafe_function(g_tsfn, req, napi_tsfn_blocking) != napi_ok) {
		pthread_mutex_destroy(&req->lock);
		pthread_cond_destroy(&req->cond);
		free(req);
		err->type = "MetaFFIError";
		err->message = "the JS environment is shutting down; the JS callback was not called";
		return -1;
	}
	/* The request runs when the JS thread is back in its event loop. Wait for it; but if
	 * the JS thread stays inside one and the same foreign call for CALLBACK_DEADLOCK_TICKS
	 * while the request has not started, that call is probably waiting for this thread (a
	 * join): give up rather than deadlock. Short calls the JS thread makes meanwhile (a
	 * polling loop) restart the count. */
	int busy_ticks = 0;
	unsigned stuck_in = atomic_load(&g_outer_calls);
	pthread_mutex_lock(&req->lock);
	while (req->state != REQ_DONE) {
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += 50 * 1000000L;
		if (ts.tv_nsec >= 1000000000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&req->cond, &req->lock, &ts);
		if (req->state == REQ_PENDING) {
			unsigned now_in = atomic_load(&g_outer_calls);
			busy_ticks = atomic_load(&g_depth) > 0 && now_in == stuck_in ? busy_ticks + 1 : 0;
			stuck_in = now_in;
			if (busy_ticks >= CALLBACK_DEADLOCK_TICKS || g_shutting_down) {
				req->state = REQ_CANCELLED; /* the JS thread frees it when it gets there */
				pthread_mutex_unlock(&req->lock);
				err->type = "MetaFFIError";
				err->message = "a JS callback was called from a foreign thread while the JS thread is "
				               "blocked in a call to a foreign runtime (for a second or more, probably "
				               "waiting for this thread); the callback was not run. JS callbacks run "
				               "on other threads once the JS thread is back in its event loop";
				return -1;
			}
		}
	}
	pthread_mutex_unlock(&req->lock);
	int rc = req->rc;
	*rets = req->rets;
	*nr = req->nr;
	*err = req->err;
	pthread_mutex_destroy(&req->lock);
	pthread_cond_destroy(&req->cond);
	free(req);
	return rc;
}

/* ------------------------------------------------------------------------------------ */
/* Services for plugins                                                                  */

static int core_call(uint32_t runtime, void *callable, const cdt *params, size_t np,
                     cdt **rets, size_t *nr, metaffi_error *err)
{
	if (runtime == RT_HOST) {
		if (on_js_thread()) {
			depth_enter(); /* the JS thread is busy while the callback runs */
			int rc = call_host_on_js_thread(g_env, thread_arena(), callable, params, np, rets, nr, err);
			depth_leave();
			return rc;
		}
		return call_host_from_other_thread(callable, params, np, rets, nr, err);
	}
	if (runtime >= RT_COUNT || !g_rt[runtime].loaded) {
		err->type = "MetaFFIError";
		err->message = "the runtime that owns this callable has been released";
		return -1;
	}
	return g_rt[runtime].plugin->call_callable(callable, params, np, rets, nr, err);
}

/* Once the JS environment is being torn down its records go with it: foreign threads that
 * still drop references (a JVM's cleaner, Go's finalizers) must not touch them. */
static void core_retain(uint32_t runtime, void *val)
{
	if (runtime == RT_HOST) {
		if (!g_shutting_down) host_retain(val);
	} else if (runtime < RT_COUNT && g_rt[runtime].loaded) {
		g_rt[runtime].plugin->retain(val);
	}
}

static void core_release(uint32_t runtime, void *val)
{
	if (runtime == RT_HOST) {
		if (!g_shutting_down) host_release(val);
		return;
	}
	if (runtime < RT_COUNT && g_rt[runtime].loaded) g_rt[runtime].plugin->release(val);
}

static const metaffi_core g_core = {
	METAFFI_ABI_VERSION, core_alloc, core_arena_mark, core_arena_reset, core_strdup,
	core_call, core_retain, core_release,
};

/* ------------------------------------------------------------------------------------ */
/* JS wrappers of foreign handles and callables                                           */

static void box_finalize(napi_env env, void *data, void *hint)
{
	(void)env;
	(void)hint;
	box *b = data;
	live_remove(b);
	if (!b->released) {
		box_unlink(b);
		if (!g_shutting_down) defer_push(DEFER_RELEASE, b->runtime, b->generation, b->val);
	}
	free(b);
}

static napi_value foreign_fn_call(napi_env env, napi_callback_info info);

static napi_value make_box_object(napi_env env, uint32_t runtime, void *val, int is_callable)
{
	box *b = malloc(sizeof(box));
	if (!b || live_add(b)) {
		free(b);
		g_core.release(runtime, val);
		return NULL;
	}
	b->kind = WRAP_BOX;
	b->val = val;
	b->runtime = runtime;
	b->generation = g_rt[runtime].generation;
	b->released = 0;
	b->is_callable = is_callable;
	napi_value obj = NULL;
	napi_status st;
	if (is_callable) {
		st = napi_create_function(env, "foreignCallable", NAPI_AUTO_LENGTH, foreign_fn_call, b, &obj);
	} else {
		napi_value ctor;
		napi_get_reference_value(env, g_handle_ctor, &ctor);
		st = napi_new_instance(env, ctor, 0, NULL, &obj);
	}
	if (st != napi_ok || napi_wrap(env, obj, b, box_finalize, NULL, NULL) != napi_ok) {
		live_remove(b);
		free(b);
		g_core.release(runtime, val);
		return NULL;
	}
	box_link(b);
	return obj;
}

static const char *runtime_name(uint32_t rt)
{
	if (rt < RT_COUNT && g_rt[rt].plugin) return g_rt[rt].plugin->name;
	switch (rt) {
	case RT_HOST: return "js";
	case RT_PYTHON3: return "python3";
	case RT_OPENJDK: return "openjdk";
	case RT_GO: return "go";
	default: return "unknown";
	}
}

static void finish_call(napi_env env, arena *ar, metaffi_mark mark)
{
	arena_reset_to(ar, mark);
	if (atomic_load(&g_depth) == 0) {
		clear_host_errors(env);
		if (g_defer_len) defer_drain(); /* a cheap moment to run queued releases */
	}
}

/* JS calls a foreign callable: arguments go as `any`, results come back as they are. */
static napi_value foreign_fn_call(napi_env env, napi_callback_info info)
{
	napi_value inline_argv[INLINE_ARGS];
	size_t argc = FOREIGN_FN_ASKED; /* V8 fills every slot asked for: ask for few first */
	box *b;
	napi_get_cb_info(env, info, &argc, inline_argv, NULL, (void **)&b);
	if (!box_alive(b)) {
		throw_simple(env, "this %s function was released with its runtime; load it again",
		             runtime_name(b->runtime));
		return NULL;
	}
	arena *ar = thread_arena();
	metaffi_mark mark = arena_mark_of(ar);
	napi_value *argv = inline_argv;
	if (argc > FOREIGN_FN_ASKED) {
		argv = argc <= INLINE_ARGS ? inline_argv : arena_alloc(ar, argc * sizeof(napi_value));
		napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
	}
	cdt *params = arena_alloc(ar, (argc ? argc : 1) * sizeof(cdt));
	conv c;
	conv_init(&c, env, ar, g_rt[b->runtime].plugin->preferred_string);
	for (size_t i = 0; i < argc; i++) {
		c.where[0] = 0;
		int rc = params ? js_any_to_cdt(&c, argv[i], &params[i]) : -2;
		if (rc) {
			char prefix[64];
			snprintf(prefix, sizeof prefix, "argument %zu", i + 1);
			conv_throw(&c, rc, prefix);
			arena_reset_to(ar, mark);
			return NULL;
		}
	}
	cdt *rets = NULL;
	size_t nr = 0;
	metaffi_error err = {0};
	depth_enter();
	int rc = g_rt[b->runtime].plugin->call_callable(b->val, params, argc, &rets, &nr, &err);
	depth_leave();
	napi_value result = NULL;
	if (rc) {
		throw_metaffi_error(env, runtime_name(b->runtime), &err, NULL);
	} else if (nr == 0) {
		napi_get_undefined(env, &result);
	} else if (nr == 1) {
		if (cdt_to_js(env, ar, &rets[0], 0, &result) != napi_ok) result = NULL;
	} else {
		napi_create_array_with_length(env, nr, &result);
		for (size_t i = 0; i < nr; i++) {
			napi_value item;
			if (cdt_to_js(env, ar, &rets[i], 0, &item) != napi_ok) {
				for (size_t j = i + 1; j < nr; j++) cdt_release_refs(&rets[j]);
				result = NULL;
				break;
			}
			napi_set_element(env, result, (uint32_t)i, item);
		}
	}
	finish_call(env, ar, mark);
	return result;
}

/* ------------------------------------------------------------------------------------ */
/* Modules and entities                                                                  */

struct module_rec {
	void *pmod;
	uint32_t runtime;
	uint32_t generation;
	module_rec *next;
};

/* The JS object or function last passed to a handle or callable parameter and what it
 * converted to: passing the same one again (the usual case: a method called on one object,
 * a callback defined once) costs a weak-reference read and a comparison instead of
 * napi_unwrap. The reference is weak; while it still yields the object, the object's box
 * (freed only when the object is collected) is valid, and a box can be released before
 * that, so it is checked on every hit. A lent JS value's host record is not freed early
 * (host_forget) while a cache holds it. */
typedef struct {
	napi_ref obj;
	cdt value;
	box *b; /* the box the value came from, or NULL for a host record */
} ref_cache;

static void ref_cache_clear(napi_env env, ref_cache *cache)
{
	if (!cache->obj) return;
	napi_value alive = NULL;
	if (cache->value.v.ref.runtime == RT_HOST)
		napi_get_reference_value(env, cache->obj, &alive);
	napi_delete_reference(env, cache->obj);
	cache->obj = NULL;
	/* While its object lives, a cached record is not freed (host_forget waits for the
	 * cache); once the object is gone the record goes with it and is not touched here. */
	if (alive) {
		host_rec *r = cache->value.v.ref.val;
		r->cached--;
		host_forget(r);
	}
}

struct entity {
	entity *next;
	uint32_t runtime;
	uint32_t generation;
	const metaffi_plugin *plugin;
	void *pent; /* NULL once released */
	int js_dead;
	size_t np, nr;
	metaffi_type_info *params, *rets;
	char *name;
	int keep_packed; /* a declared return type asks for typed arrays */
	ref_cache *ref_cache; /* per parameter, for handle and callable parameters; or NULL */
};

static void entity_destroy(entity *e)
{
	runtime_slot *s = &g_rt[e->runtime];
	entity **pp = &s->entities;
	while (*pp && *pp != e) pp = &(*pp)->next;
	if (*pp) *pp = e->next;
	if (e->pent && s->loaded && s->generation == e->generation) e->plugin->free_entity(e->pent);
	types_free(e->params, e->np);
	types_free(e->rets, e->nr);
	if (e->ref_cache) {
		for (size_t i = 0; i < e->np; i++) ref_cache_clear(g_env, &e->ref_cache[i]);
		free(e->ref_cache);
	}
	free(e->name);
	free(e);
}

static void entity_finalize(napi_env env, void *data, void *hint)
{
	(void)env;
	(void)hint;
	entity *e = data;
	if (g_shutting_down) return;
	defer_push(DEFER_FREE_ENTITY, e->runtime, e->generation, e);
}

static void type_list_text(const metaffi_type_info *t, size_t n, char *out, size_t size)
{
	size_t o = 0;
	out[0] = 0;
	for (size_t i = 0; i < n && o < size; i++) {
		int dims = (t[i].type & MT_ARRAY) ? (t[i].dims > 0 ? t[i].dims : 1) : 0;
		o += snprintf(out + o, size - o, "%s%s", i ? ", " : "", metaffi_type_name(MT_ELEMENT(t[i].type)));
		for (int d = 0; d < dims && o < size; d++) o += snprintf(out + o, size - o, "[]");
	}
}

/* `asked`: how many arguments to fetch at first. V8 writes every slot asked for (undefined
 * past the real count), so the entity's function asks for its declared count (see
 * entity_callback); argc still reports the real count. */
/* Whether a plugin's result is of the kind its declared type promises. Plugins convert to
 * the declared type themselves; this one check in the core makes sure that whatever a
 * plugin does, a JS caller never receives a value of another kind than declared. */
static int value_fits(uint64_t d, int dims, const cdt *v)
{
	uint64_t t = v->type;
	if (dims > 0) {
		if (t == MT_NULL) return 1;
		if (!(t & MT_ARRAY)) return 0;
		if (t & MT_PACKED) return dims == 1 && (d == MT_ANY || d == MT_HANDLE || MT_ELEMENT(t) == d);
		for (size_t i = 0; i < v->v.arr.len; i++)
			if (!value_fits(d, dims - 1, &v->v.arr.elems[i])) return 0;
		return 1;
	}
	switch (d) {
	case MT_ANY:
	case MT_HANDLE: return 1;
	case MT_NULL: return t == MT_NULL;
	case MT_CALLABLE: return t == MT_CALLABLE || t == MT_NULL;
	case MT_MAP: return t == MT_MAP || t == MT_NULL;
	case MT_STRING8:
	case MT_STRING16:
	case MT_STRING32: return t == MT_STRING8 || t == MT_STRING16 || t == MT_STRING32 || t == MT_NULL;
	case MT_CHAR8:
	case MT_CHAR16:
	case MT_CHAR32: return t == MT_CHAR8 || t == MT_CHAR16 || t == MT_CHAR32;
	default: return t == d; /* numbers and bool: exactly the declared type */
	}
}

static int result_fits(const metaffi_type_info *ti, const cdt *v)
{
	int dims = (ti->type & MT_ARRAY) ? (ti->dims > 0 ? ti->dims : 1) : 0;
	return value_fits(MT_ELEMENT(ti->type), dims, v);
}

static int check_results(napi_env env, const entity *e, const cdt *rets)
{
	for (size_t i = 0; i < e->nr; i++) {
		if (result_fits(&e->rets[i], &rets[i])) continue;
		throw_simple(env, "%s: the %s runtime returned %s%s where %s is declared (return value %zu)", e->name,
		             e->plugin->name, rets[i].type & MT_ARRAY ? "an array of " : "",
		             metaffi_type_name(MT_ELEMENT(rets[i].type)), metaffi_type_name(MT_ELEMENT(e->rets[i].type)),
		             i + 1);
		for (size_t j = 0; j < e->nr; j++) cdt_release_refs(&rets[j]);
		return -1;
	}
	return 0;
}

static napi_value entity_call(napi_env env, napi_callback_info info, size_t asked)
{
	napi_value inline_argv[INLINE_ARGS];
	size_t argc = asked;
	entity *e;
	napi_get_cb_info(env, info, &argc, inline_argv, NULL, (void **)&e);
	runtime_slot *s = &g_rt[e->runtime];
	if (!e->pent || !s->loaded || s->generation != e->generation) {
		throw_simple(env, "%s: the %s runtime was released; load the runtime, module and entity again",
		             e->name, runtime_name(e->runtime));
		return NULL;
	}
	if (argc != e->np) {
		char types[512];
		type_list_text(e->params, e->np, types, sizeof types);
		char msg[768];
		snprintf(msg, sizeof msg, "%s expects %zu argument%s (%s), got %zu", e->name, e->np,
		         e->np == 1 ? "" : "s", types, argc);
		napi_throw_type_error(env, NULL, msg);
		return NULL;
	}
	arena *ar = thread_arena();
	metaffi_mark mark = arena_mark_of(ar);
	napi_value *argv = inline_argv;
	if (argc > asked) {
		argv = argc <= INLINE_ARGS ? inline_argv : arena_alloc(ar, argc * sizeof(napi_value));
		napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
	}
	cdt inline_cdts[INLINE_ARGS];
	size_t total = e->np + e->nr;
	cdt *cd = total <= INLINE_ARGS ? inline_cdts : arena_alloc(ar, total * sizeof(cdt));
	conv c;
	conv_init(&c, env, ar, e->plugin->preferred_string);
	for (size_t i = 0; i < e->np; i++) {
		const metaffi_type_info *ti = &e->params[i];
		ref_cache *cache = e->ref_cache && (ti->type == MT_CALLABLE || ti->type == MT_HANDLE)
		                     ? &e->ref_cache[i] : NULL;
		if (cache && cache->obj) {
			napi_value last = NULL;
			bool same = false;
			napi_get_reference_value(env, cache->obj, &last);
			if (last) napi_strict_equals(env, last, argv[i], &same);
			if (same && (!cache->b || box_alive(cache->b))) {
				cd[i] = cache->value;
				continue;
			}
		}
		int dims = (ti->type & MT_ARRAY) ? (ti->dims > 0 ? ti->dims : 1) : 0;
		c.where[0] = 0;
		c.last_box = NULL;
		int rc = js_to_cdt(&c, argv[i], MT_ELEMENT(ti->type), dims, &cd[i]);
		if (!rc && cache && (cd[i].type == MT_CALLABLE || cd[i].type == MT_HANDLE)) {
			ref_cache_clear(env, cache);
			if (napi_create_reference(env, argv[i], 0, &cache->obj) != napi_ok) cache->obj = NULL;
			cache->value = cd[i];
			cache->b = c.last_box;
			if (cache->obj && cd[i].v.ref.runtime == RT_HOST) ((host_rec *)cd[i].v.ref.val)->cached++;
		}
		if (rc) {
			char prefix[400];
			snprintf(prefix, sizeof prefix, "%s: argument %zu", e->name, i + 1);
			conv_throw(&c, rc, prefix);
			arena_reset_to(ar, mark);
			return NULL;
		}
	}
	metaffi_error err = {0};
	depth_enter();
	int rc = e->plugin->xcall(e->pent, cd, e->np, cd + e->np, e->nr, &err);
	depth_leave();
	napi_value result = NULL;
	if (rc) {
		throw_metaffi_error(env, e->plugin->name, &err, NULL);
	} else if (check_results(env, e, cd + e->np)) {
		result = NULL;
	} else if (e->nr == 0) {
		napi_get_undefined(env, &result);
	} else if (e->nr == 1) {
		if (cdt_to_js(env, ar, &cd[e->np], e->keep_packed ? CONV_KEEP_PACKED : 0, &result) != napi_ok) result = NULL;
	} else {
		napi_create_array_with_length(env, e->nr, &result);
		for (size_t i = 0; i < e->nr; i++) {
			napi_value item;
			if (cdt_to_js(env, ar, &cd[e->np + i], e->keep_packed ? CONV_KEEP_PACKED : 0, &item) != napi_ok) {
				for (size_t j = i + 1; j < e->nr; j++) cdt_release_refs(&cd[e->np + j]);
				result = NULL;
				break;
			}
			napi_set_element(env, result, (uint32_t)i, item);
		}
	}
	finish_call(env, ar, mark);
	return result;
}

static napi_value entity_call_0(napi_env env, napi_callback_info info) { return entity_call(env, info, 0); }
static napi_value entity_call_1(napi_env env, napi_callback_info info) { return entity_call(env, info, 1); }
static napi_value entity_call_2(napi_env env, napi_callback_info info) { return entity_call(env, info, 2); }
static napi_value entity_call_3(napi_env env, napi_callback_info info) { return entity_call(env, info, 3); }
static napi_value entity_call_4(napi_env env, napi_callback_info info) { return entity_call(env, info, 4); }
static napi_value entity_call_n(napi_env env, napi_callback_info info) { return entity_call(env, info, INLINE_ARGS); }

/* The function for an entity of np parameters: it fetches exactly np arguments. */
static napi_callback entity_callback(size_t np)
{
	switch (np) {
	case 0: return entity_call_0;
	case 1: return entity_call_1;
	case 2: return entity_call_2;
	case 3: return entity_call_3;
	case 4: return entity_call_4;
	default: return entity_call_n;
	}
}

/* ------------------------------------------------------------------------------------ */
/* Exported functions (used by src/native.ts)                                             */

static int get_u32(napi_env env, napi_value v, uint32_t *out)
{
	return napi_get_value_uint32(env, v, out) == napi_ok ? 0 : -1;
}

static char *get_string(napi_env env, napi_value v)
{
	size_t len;
	if (napi_get_value_string_utf8(env, v, NULL, 0, &len) != napi_ok) return NULL;
	char *s = malloc(len + 1);
	if (!s) return NULL;
	napi_get_value_string_utf8(env, v, s, len + 1, &len);
	if (strlen(s) != len) { /* it would be cut short at the NUL and name something else */
		free(s);
		napi_throw_type_error(env, NULL, "a path or name contains a NUL character (\\0); it cannot contain NUL");
		return NULL;
	}
	return s;
}

static napi_value js_undefined(napi_env env)
{
	napi_value u;
	napi_get_undefined(env, &u);
	return u;
}

static int slot_of(napi_env env, napi_value v, runtime_slot **out, uint32_t *rt)
{
	if (get_u32(env, v, rt) || *rt == RT_HOST || *rt >= RT_COUNT) {
		napi_throw_type_error(env, NULL, "unknown runtime id");
		return -1;
	}
	*out = &g_rt[*rt];
	return 0;
}

/* init({ MetaFFIError, MetaFFIHandle, pack, unpack, toMap, errorDetails? }) */
static napi_value n_init(napi_env env, napi_callback_info info)
{
	size_t argc = 1;
	napi_value opts, v, object_ctor, proto;
	napi_get_cb_info(env, info, &argc, &opts, NULL, NULL);
	struct { const char *name; napi_ref *ref; } fields[] = {
		{"MetaFFIError", &g_error_ctor}, {"MetaFFIHandle", &g_handle_ctor},
		{"pack", &g_pack_fn}, {"unpack", &g_unpack_fn}, {"toMap", &g_to_map_fn},
	};
	for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) {
		if (*fields[i].ref) continue;
		if (napi_get_named_property(env, opts, fields[i].name, &v) != napi_ok) return NULL;
		napi_create_reference(env, v, 1, fields[i].ref);
	}
	/* optional: without it the details of errors are filled property by property */
	napi_valuetype vt = napi_undefined;
	if (!g_error_details_fn && napi_get_named_property(env, opts, "errorDetails", &v) == napi_ok &&
	    napi_typeof(env, v, &vt) == napi_ok && vt == napi_function)
		napi_create_reference(env, v, 1, &g_error_details_fn);
	if (!g_object_proto) {
		napi_value global;
		napi_get_global(env, &global);
		napi_get_named_property(env, global, "Object", &object_ctor);
		napi_get_named_property(env, object_ctor, "prototype", &proto);
		napi_create_reference(env, proto, 1, &g_object_proto);
	}
	return js_undefined(env);
}

/* loadLibrary(path): dlopen with RTLD_GLOBAL so plugins and extension modules see it. */
static napi_value n_load_library(napi_env env, napi_callback_info info)
{
	size_t argc = 1;
	napi_value a;
	napi_get_cb_info(env, info, &argc, &a, NULL, NULL);
	char *path = get_string(env, a);
	if (!path) return NULL;
	void *h = dlopen(path, RTLD_NOW | RTLD_GLOBAL);
	if (!h) throw_simple(env, "cannot load %s: %s", path, dlerror());
	free(path);
	return js_undefined(env);
}

/* loadPlugin(runtime, pluginPath, config) */
static napi_value n_load_plugin(napi_env env, napi_callback_info info)
{
	size_t argc = 3;
	napi_value a[3];
	napi_get_cb_info(env, info, &argc, a, NULL, NULL);
	runtime_slot *s;
	uint32_t rt;
	if (slot_of(env, a[0], &s, &rt)) return NULL;
	if (s->loaded) return js_undefined(env);
	char *path = get_string(env, a[1]);
	char *config = get_string(env, a[2]);
	if (!path || !config) {
		free(path);
		free(config);
		napi_throw_type_error(env, NULL, "plugin path and config must be strings");
		return NULL;
	}
	if (!s->plugin) {
		void *dl = dlopen(path, RTLD_NOW | RTLD_LOCAL);
		if (!dl) {
			throw_simple(env, "cannot load the %s runtime plugin %s: %s", runtime_name(rt), path, dlerror());
			goto out;
		}
		metaffi_plugin_get_fn get = (metaffi_plugin_get_fn)dlsym(dl, "metaffi_plugin_get");
		const metaffi_plugin *p = get ? get() : NULL;
		if (!p || p->abi != METAFFI_ABI_VERSION || p->runtime != rt) {
			dlclose(dl);
			throw_simple(env, "%s is not a MetaFFI %s runtime plugin of this version (rebuild with npm rebuild)",
			             path, runtime_name(rt));
			goto out;
		}
		s->dl = dl;
		s->plugin = p;
	}
	arena *ar = thread_arena();
	metaffi_mark mark = arena_mark_of(ar);
	metaffi_error err = {0};
	if (s->plugin->load_runtime(&g_core, config, &err)) {
		throw_metaffi_error(env, s->plugin->name, &err, "cannot start the runtime");
	} else {
		s->loaded = 1;
		s->generation++;
	}
	arena_reset_to(ar, mark);
out:
	free(path);
	free(config);
	return js_undefined(env);
}

/* freeRuntime(runtime): release every module, entity and handle of the runtime. */
static napi_value n_free_runtime(napi_env env, napi_callback_info info)
{
	size_t argc = 1;
	napi_value a;
	napi_get_cb_info(env, info, &argc, &a, NULL, NULL);
	runtime_slot *s;
	uint32_t rt;
	if (slot_of(env, a, &s, &rt)) return NULL;
	if (!s->loaded) return js_undefined(env);
	defer_drain();
	for (entity *e = s->entities; e; e = e->next) {
		if (e->pent) s->plugin->free_entity(e->pent);
		e->pent = NULL;
	}
	for (box *b = s->boxes; b;) {
		box *n = b->next;
		s->plugin->release(b->val);
		b->prev = b->next = NULL; /* stale from now on: its generation is gone */
		b = n;
	}
	s->boxes = NULL;
	for (module_rec *m = s->modules; m; m = m->next) {
		if (m->pmod) s->plugin->free_module(m->pmod);
		m->pmod = NULL;
	}
	arena *ar = thread_arena();
	metaffi_mark mark = arena_mark_of(ar);
	metaffi_error err = {0};
	s->loaded = 0;
	if (s->plugin->free_runtime(&err)) throw_metaffi_error(env, s->plugin->name, &err, "releasing the runtime failed");
	arena_reset_to(ar, mark);
	return js_undefined(env);
}

static napi_value n_is_loaded(napi_env env, napi_callback_info info)
{
	size_t argc = 1;
	napi_value a, r;
	napi_get_cb_info(env, info, &argc, &a, NULL, NULL);
	runtime_slot *s;
	uint32_t rt;
	if (slot_of(env, a, &s, &rt)) return NULL;
	napi_get_boolean(env, s->loaded != 0, &r);
	return r;
}

static void module_destroy(module_rec *m)
{
	runtime_slot *s = &g_rt[m->runtime];
	module_rec **pp = &s->modules;
	while (*pp && *pp != m) pp = &(*pp)->next;
	if (*pp) *pp = m->next;
	if (m->pmod && s->loaded && s->generation == m->generation) s->plugin->free_module(m->pmod);
	free(m);
}

static void module_finalize(napi_env env, void *data, void *hint)
{
	(void)env;
	(void)hint;
	module_rec *m = data;
	if (!g_shutting_down) defer_push(DEFER_FREE_MODULE, m->runtime, m->generation, m);
}

/* loadModule(runtime, path) -> External */
static napi_value n_load_module(napi_env env, napi_callback_info info)
{
	size_t argc = 2;
	napi_value a[2], ext = NULL;
	napi_get_cb_info(env, info, &argc, a, NULL, NULL);
	runtime_slot *s;
	uint32_t rt;
	if (slot_of(env, a[0], &s, &rt)) return NULL;
	if (!s->loaded) {
		throw_simple(env, "the %s runtime is not loaded (it was released); call loadRuntimePlugin() first",
		             runtime_name(rt));
		return NULL;
	}
	char *path = get_string(env, a[1]);
	if (!path) return NULL;
	arena *ar = thread_arena();
	metaffi_mark mark = arena_mark_of(ar);
	metaffi_error err = {0};
	depth_enter();
	void *pmod = s->plugin->load_module(path, &err);
	depth_leave();
	if (!pmod) {
		char ctx[1200];
		snprintf(ctx, sizeof ctx, "cannot load %s module '%s'", s->plugin->name, path);
		throw_metaffi_error(env, s->plugin->name, &err, ctx);
	} else {
		module_rec *m = malloc(sizeof(module_rec));
		m->pmod = pmod;
		m->runtime = rt;
		m->generation = s->generation;
		m->next = s->modules;
		s->modules = m;
		napi_create_external(env, m, module_finalize, NULL, &ext);
	}
	finish_call(env, ar, mark);
	free(path);
	return ext;
}

static int read_types(napi_env env, napi_value arr, metaffi_type_info **out, size_t *n)
{
	*out = NULL;
	*n = 0;
	uint32_t len;
	if (napi_get_array_length(env, arr, &len) != napi_ok) return -1;
	if (len == 0) return 0;
	metaffi_type_info *t = calloc(len, sizeof(metaffi_type_info));
	if (!t) return -1;
	for (uint32_t i = 0; i < len; i++) {
		napi_value item, v;
		double code;
		int32_t dims;
		napi_valuetype vt;
		napi_get_element(env, arr, i, &item);
		napi_get_named_property(env, item, "type", &v);
		napi_get_value_double(env, v, &code);
		napi_get_named_property(env, item, "dims", &v);
		napi_get_value_int32(env, v, &dims);
		napi_get_named_property(env, item, "alias", &v);
		napi_typeof(env, v, &vt);
		t[i].type = (uint64_t)code;
		t[i].dims = dims;
		t[i].alias = vt == napi_string ? get_string(env, v) : NULL;
	}
	*out = t;
	*n = len;
	return 0;
}

/* loadEntity(module, name, pathItems: [key, value|null][], params, rets) -> function */
static napi_value n_load_entity(napi_env env, napi_callback_info info)
{
	size_t argc = 5;
	napi_value a[5], fn = NULL;
	napi_get_cb_info(env, info, &argc, a, NULL, NULL);
	module_rec *m;
	if (napi_get_value_external(env, a[0], (void **)&m) != napi_ok) {
		napi_throw_type_error(env, NULL, "not a module");
		return NULL;
	}
	runtime_slot *s = &g_rt[m->runtime];
	if (!s->loaded || !m->pmod || s->generation != m->generation) {
		throw_simple(env, "the %s runtime of this module was released; load the runtime and module again",
		             runtime_name(m->runtime));
		return NULL;
	}
	entity *e = calloc(1, sizeof(entity));
	uint32_t nitems = 0;
	napi_get_array_length(env, a[2], &nitems);
	metaffi_path_item *items = calloc(nitems ? nitems : 1, sizeof(metaffi_path_item));
	char **strings = calloc(nitems ? nitems * 2 : 1, sizeof(char *));
	if (!e || !items || !strings) goto oom;
	e->name = get_string(env, a[1]);
	for (uint32_t i = 0; i < nitems; i++) {
		napi_value pair, k, v;
		napi_valuetype vt;
		napi_get_element(env, a[2], i, &pair);
		napi_get_element(env, pair, 0, &k);
		napi_get_element(env, pair, 1, &v);
		strings[2 * i] = get_string(env, k);
		napi_typeof(env, v, &vt);
		strings[2 * i + 1] = vt == napi_string ? get_string(env, v) : NULL;
		items[i].key = strings[2 * i];
		items[i].value = strings[2 * i + 1];
	}
	if (read_types(env, a[3], &e->params, &e->np) || read_types(env, a[4], &e->rets, &e->nr)) goto oom;
	bool bad_string = false;
	napi_is_exception_pending(env, &bad_string);
	if (bad_string) goto fail; /* a NUL in a name: get_string threw */
	for (size_t i = 0; i < e->nr; i++)
		if (e->rets[i].type & MT_PACKED) e->keep_packed = 1;
	for (size_t i = 0; i < e->np && !e->ref_cache; i++)
		if (e->params[i].type == MT_CALLABLE || e->params[i].type == MT_HANDLE) {
			e->ref_cache = calloc(e->np, sizeof(ref_cache));
			if (!e->ref_cache) goto oom;
		}
	arena *ar = thread_arena();
	metaffi_mark mark = arena_mark_of(ar);
	metaffi_error err = {0};
	depth_enter();
	e->pent = s->plugin->load_entity(m->pmod, items, nitems, e->params, e->np, e->rets, e->nr, &err);
	depth_leave();
	if (!e->pent) {
		char ctx[600];
		snprintf(ctx, sizeof ctx, "cannot load entity '%s'", e->name ? e->name : "");
		throw_metaffi_error(env, s->plugin->name, &err, ctx);
		types_free(e->params, e->np);
		types_free(e->rets, e->nr);
		free(e->ref_cache);
		free(e->name);
		free(e);
	} else {
		e->runtime = m->runtime;
		e->generation = s->generation;
		e->plugin = s->plugin;
		const char *short_name = e->name;
		napi_create_function(env, short_name, NAPI_AUTO_LENGTH, entity_callback(e->np), e, &fn);
		/* A finalizer, not a wrap: the wrap slot stays free, so this function can itself be
		 * lent to a foreign runtime as a callback like any other JS function. */
		napi_add_finalizer(env, fn, e, entity_finalize, NULL, NULL);
		e->next = s->entities;
		s->entities = e;
	}
	finish_call(env, ar, mark);
	for (uint32_t i = 0; i < 2 * nitems; i++) free(strings[i]);
	free(strings);
	free(items);
	return fn;
oom:
	for (uint32_t i = 0; strings && i < 2 * nitems; i++) free(strings[i]);
	free(strings);
	free(items);
	if (e) {
		types_free(e->params, e->np);
		types_free(e->rets, e->nr);
		free(e->name);
		free(e);
	}
	napi_throw_error(env, NULL, "out of memory");
	return NULL;
fail:
	for (uint32_t i = 0; i < 2 * nitems; i++) free(strings[i]);
	free(strings);
	free(items);
	types_free(e->params, e->np);
	types_free(e->rets, e->nr);
	free(e->ref_cache);
	free(e->name);
	free(e);
	return NULL;
}

static box *box_of_handle(napi_env env, napi_value v)
{
	uint32_t kind = 0;
	box *b = core_wrapped(env, v, &kind);
	return b && kind == WRAP_BOX ? b : NULL;
}

/* releaseHandle(handle): drop the foreign reference now; idempotent. */
static napi_value n_release_handle(napi_env env, napi_callback_info info)
{
	size_t argc = 1;
	napi_value a;
	napi_get_cb_info(env, info, &argc, &a, NULL, NULL);
	box *b = box_of_handle(env, a);
	if (!b) {
		napi_throw_type_error(env, NULL, "not a MetaFFIHandle");
		return NULL;
	}
	if (box_alive(b)) { /* a handle of a released runtime has nothing left to drop */
		b->released = 1;
		box_unlink(b);
		g_rt[b->runtime].plugin->release(b->val);
	}
	return js_undefined(env);
}

/* handleInfo(handle) -> { runtime, released, description } */
static napi_value n_handle_info(napi_env env, napi_callback_info info)
{
	size_t argc = 1;
	napi_value a, r, v;
	napi_get_cb_info(env, info, &argc, &a, NULL, NULL);
	box *b = box_of_handle(env, a);
	if (!b) {
		napi_throw_type_error(env, NULL, "not a MetaFFIHandle");
		return NULL;
	}
	napi_create_object(env, &r);
	napi_create_string_utf8(env, runtime_name(b->runtime), NAPI_AUTO_LENGTH, &v);
	napi_set_named_property(env, r, "runtime", v);
	napi_get_boolean(env, !box_alive(b), &v);
	napi_set_named_property(env, r, "released", v);
	if (box_alive(b) && g_rt[b->runtime].plugin->describe) {
		arena *ar = thread_arena();
		metaffi_mark mark = arena_mark_of(ar);
		const char *d = g_rt[b->runtime].plugin->describe(b->val);
		if (d) {
			napi_create_string_utf8(env, d, NAPI_AUTO_LENGTH, &v);
			napi_set_named_property(env, r, "description", v);
		}
		arena_reset_to(ar, mark);
	}
	return r;
}

/* setCallableTypes(fn, params, rets): what makeMetaFFICallable declares. */
static napi_value n_set_callable_types(napi_env env, napi_callback_info info)
{
	size_t argc = 3;
	napi_value a[3];
	napi_get_cb_info(env, info, &argc, a, NULL, NULL);
	host_rec *r = host_rec_of(env, a[0]);
	if (!r) return NULL;
	metaffi_type_info *p, *q;
	size_t np, nr;
	if (read_types(env, a[1], &p, &np) || read_types(env, a[2], &q, &nr)) {
		napi_throw_error(env, NULL, "out of memory");
		return NULL;
	}
	types_free(r->params, r->np);
	types_free(r->rets, r->nr);
	r->params = p;
	r->np = np;
	r->rets = q;
	r->nr = nr;
	r->typed = 1;
	return js_undefined(env);
}

/* liveHandles(runtime) -> number of JS wrappers holding references (for leak tests). */
static napi_value n_live_handles(napi_env env, napi_callback_info info)
{
	size_t argc = 1;
	napi_value a, r;
	napi_get_cb_info(env, info, &argc, &a, NULL, NULL);
	runtime_slot *s;
	uint32_t rt;
	if (slot_of(env, a, &s, &rt)) return NULL;
	defer_drain();
	double n = 0;
	for (box *b = s->boxes; b; b = b->next) n++;
	napi_create_double(env, n, &r);
	return r;
}

static void flush_runtimes(void)
{
	for (int i = 0; i < RT_COUNT; i++)
		if (g_rt[i].loaded && g_rt[i].plugin->at_exit) g_rt[i].plugin->at_exit();
}

/* flush(): the process is about to exit (process.on('exit')): let runtimes flush output. */
static napi_value n_flush(napi_env env, napi_callback_info info)
{
	(void)info;
	flush_runtimes();
	return js_undefined(env);
}

static void at_exit_hook(void *arg)
{
	(void)arg;
	flush_runtimes();
	g_shutting_down = 1;
}

static napi_value module_init(napi_env env, napi_value exports)
{
	if (g_env && g_env != env) {
		napi_throw_error(env, NULL, "metaffi can be used from the main thread only, not from worker threads");
		return NULL;
	}
	g_env = env;
	tls_is_js_thread = 1;
	napi_value name;
	napi_create_string_utf8(env, "metaffi-deferred", NAPI_AUTO_LENGTH, &name);
	if (napi_create_threadsafe_function(env, NULL, NULL, name, 0, 1, NULL, NULL, NULL, tsfn_call_js,
	                                    &g_tsfn) == napi_ok)
		napi_unref_threadsafe_function(env, g_tsfn);
	napi_add_env_cleanup_hook(env, at_exit_hook, NULL);
	napi_property_descriptor props[] = {
		{"init", NULL, n_init, NULL, NULL, NULL, napi_default, NULL},
		{"loadLibrary", NULL, n_load_library, NULL, NULL, NULL, napi_default, NULL},
		{"loadPlugin", NULL, n_load_plugin, NULL, NULL, NULL, napi_default, NULL},
		{"freeRuntime", NULL, n_free_runtime, NULL, NULL, NULL, napi_default, NULL},
		{"isLoaded", NULL, n_is_loaded, NULL, NULL, NULL, napi_default, NULL},
		{"loadModule", NULL, n_load_module, NULL, NULL, NULL, napi_default, NULL},
		{"loadEntity", NULL, n_load_entity, NULL, NULL, NULL, napi_default, NULL},
		{"releaseHandle", NULL, n_release_handle, NULL, NULL, NULL, napi_default, NULL},
		{"handleInfo", NULL, n_handle_info, NULL, NULL, NULL, napi_default, NULL},
		{"setCallableTypes", NULL, n_set_callable_types, NULL, NULL, NULL, napi_default, NULL},
		{"liveHandles", NULL, n_live_handles, NULL, NULL, NULL, napi_default, NULL},
		{"flush", NULL, n_flush, NULL, NULL, NULL, napi_default, NULL},
	};
	napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
	return exports;
}

NAPI_MODULE(metaffi, module_init)
