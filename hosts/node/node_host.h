/*
 * The Node.js host binding (the Node-API addon metaffi.node): JS values <-> CDTs, JS
 * functions lent to foreign runtimes, JS wrappers of handles and entities. Plugins, the
 * runtime table and the call arena are XLLR's (xllr/xllr.h). This internal header holds
 * what the binding's files share.
 */
#ifndef METAFFI_NODE_HOST_H
#define METAFFI_NODE_HOST_H

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
#include <unistd.h>

#include "xllr.h"

#define INLINE_ARGS 16
#define FOREIGN_FN_ASKED 4
#define MAX_SAFE_INT 9007199254740991LL
#define HOST_ERROR_SLOTS 64


typedef struct box box;

typedef struct entity entity;

typedef struct module_rec module_rec;

/* What the binding holds of each runtime, so that stopping the runtime can free it all. The
 * runtime itself (plugin, started, generation) is XLLR's: xllr_runtimes. */
typedef struct {
	entity *entities;
	module_rec *modules;
	box *boxes; /* JS wrappers owning one reference each */
} runtime_slot;

enum { WRAP_BOX = 0x626f7831, WRAP_HOST = 0x686f7374 };

typedef struct {
	void **slots; /* NULL = empty, LIVE_GONE = removed */
	size_t cap;   /* a power of two */
	size_t used;  /* live and removed slots */
	size_t live;
} live_set;

#define LIVE_GONE ((void *)&g_live_gone_mark)
struct box {
	uint32_t kind; /* WRAP_BOX */
	void *val;
	uint32_t runtime;
	uint32_t generation;
	int released;
	int is_callable;
	box *prev, *next;
};

enum { DEFER_RELEASE, DEFER_FREE_ENTITY, DEFER_FREE_MODULE, DEFER_HOST_SYNC };

typedef struct {
	int kind;
	uint32_t runtime;
	uint32_t generation;
	void *ptr;
} deferred;

typedef struct node_env node_env;

typedef struct {
	uint32_t kind; /* WRAP_HOST */
	node_env *owner; /* the environment of the JS value */
	napi_ref ref;
	atomic_int count;
	atomic_int queued; /* host syncs of this record waiting in the deferred queue */
	int cached;        /* entity parameter caches holding it (JS thread only) */
	int strong;
	int typed; /* declared by makeMetaFFICallable */
	size_t np, nr;
	metaffi_type_info *params, *rets;
} host_rec;

/* Declared here: the Node-API headers this builds with list it among later versions, while
 * Node.js 20 exports it. Weak, so a Node.js without it still loads the addon. */
extern napi_status node_api_post_finalizer(napi_env env, napi_finalize finalize_cb,
                                           void *finalize_data, void *finalize_hint)
	__attribute__((weak));

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

/* cdt_to_js flags: keep packed arrays as typed arrays; the references in the value are
 * borrowed (parameters) rather than owned (results). */
#define CONV_KEEP_PACKED 1
#define CONV_BORROWED 2
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

/* 50 ms ticks: how long one foreign call may keep the JS thread while a foreign thread
 * waits to run a JS callback, before the wait is taken for a deadlock. */
#define CALLBACK_DEADLOCK_TICKS 20
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
	int refs; /* its JS function, its .async function, async calls in flight (JS thread only) */
	int in_flight; /* its async calls running on pool threads (JS thread only) */
	ref_cache *ref_cache; /* per parameter, for handle and callable parameters; or NULL */
};


/*
 * One Node.js environment: the main thread's, or a Worker's. Everything that holds JS values or
 * belongs to one JS thread lives here; each JS thread reaches its own through tls_env. Other
 * threads reach an environment only through a record that names it (host_rec.owner, an async
 * call's request). An environment's struct is never freed: records lent to foreign runtimes
 * may name it after the environment is gone (then `dead` says so).
 */
typedef struct node_env {
	napi_env env;
	int is_main;
	atomic_int shutting_down; /* set by the environment's cleanup hook */
	atomic_int dead;          /* the environment is gone */
	atomic_int depth;         /* foreign calls in progress on this JS thread */
	atomic_uint outer_calls;  /* outermost foreign calls this JS thread has started */
	napi_ref error_ctor, handle_ctor, pack_fn, unpack_fn, to_map_fn, error_details_fn, object_proto;
	napi_threadsafe_function tsfn;      /* deferred work and callbacks from other threads */
	napi_threadsafe_function done_tsfn; /* async calls that finished */
	size_t in_flight;                   /* this environment's async calls (JS thread only) */
	napi_ref host_errors[HOST_ERROR_SLOTS];
	uint64_t host_error_seq;
	int host_errors_kept;
	live_set live;
	scratch_t scratch[16];
	runtime_slot rt[RT_COUNT];
	pthread_mutex_t gate; /* other threads post to the thread-safe functions only while !closed */
	int closed;
	pthread_mutex_t defer_lock;
	deferred *defer;
	size_t defer_len, defer_cap;
	int defer_posted;
} node_env;

/* The environment of this thread's JS; NULL on threads that run no JS. */
extern __thread node_env *tls_env __attribute__((tls_model("initial-exec")));

/* The environment's state under the names the binding's files use. */
#define g_env (tls_env->env)
#define g_shutting_down (tls_env->shutting_down)
#define g_depth (tls_env->depth)
#define g_outer_calls (tls_env->outer_calls)
#define g_error_ctor (tls_env->error_ctor)
#define g_handle_ctor (tls_env->handle_ctor)
#define g_pack_fn (tls_env->pack_fn)
#define g_unpack_fn (tls_env->unpack_fn)
#define g_to_map_fn (tls_env->to_map_fn)
#define g_error_details_fn (tls_env->error_details_fn)
#define g_object_proto (tls_env->object_proto)
#define g_tsfn (tls_env->tsfn)
#define g_host_errors (tls_env->host_errors)
#define g_host_error_seq (tls_env->host_error_seq)
#define g_host_errors_kept (tls_env->host_errors_kept)
#define g_live (tls_env->live)
#define g_scratch (tls_env->scratch)
#define g_rt (tls_env->rt)
#define g_defer_lock (tls_env->defer_lock)
#define g_defer (tls_env->defer)
#define g_defer_len (tls_env->defer_len)
#define g_defer_cap (tls_env->defer_cap)
#define g_defer_posted (tls_env->defer_posted)
#define g_in_flight (tls_env->in_flight)

/* Only the JS thread changes depth and outer_calls; other threads only read them. */
static inline void depth_enter(void)
{
	node_env *ne = tls_env;
	int d = atomic_load_explicit(&ne->depth, memory_order_relaxed);
	if (d == 0)
		atomic_store_explicit(&ne->outer_calls, atomic_load_explicit(&ne->outer_calls, memory_order_relaxed) + 1,
		                      memory_order_relaxed);
	atomic_store_explicit(&ne->depth, d + 1, memory_order_relaxed);
}

static inline void depth_leave(void)
{
	node_env *ne = tls_env;
	atomic_store_explicit(&ne->depth, atomic_load_explicit(&ne->depth, memory_order_relaxed) - 1,
	                      memory_order_relaxed);
}
int on_js_thread(void);
extern char g_live_gone_mark;
size_t live_hash(const void *p, size_t cap);
int live_has(const void *p);
int live_add(void *p);
void live_remove(const void *p);
void *core_wrapped(napi_env env, napi_value v, uint32_t *kind);
void box_link(box *b);
void box_unlink(box *b);
int box_alive(const box *b);
void defer_push_to(node_env *ne, int kind, uint32_t runtime, uint32_t generation, void *ptr);
#define defer_push(kind, runtime, generation, ptr) defer_push_to(tls_env, kind, runtime, generation, ptr)
void defer_drain(void);
/* From any thread: queue data on one of ne's thread-safe functions, unless the environment
 * has ended (then -1: the caller keeps data). */
int env_post(node_env *ne, napi_threadsafe_function f, void *data);
void types_free(metaffi_type_info *t, size_t n);
void host_rec_free(host_rec *r);
void host_rec_finalize_later(napi_env env, void *data, void *hint);
void host_rec_finalize(napi_env env, void *data, void *hint);
void host_forget(host_rec *r);
void host_sync(void *p);
void host_sync_queued(void *p);
void host_retain(host_rec *r);
void host_release(host_rec *r);
host_rec *host_rec_new(napi_env env, napi_value obj);
host_rec *host_rec_of(napi_env env, napi_value obj);
void conv_init(conv *c, napi_env env, arena *ar, uint64_t str_type);
const char *where_short(const char *where, char *out, size_t size);
void conv_throw(conv *c, int rc, const char *prefix);
int conv_enter(conv *c);
void conv_leave(conv *c);
ptrdiff_t find_lone_surrogate(const char16_t *u, size_t n);
void describe_js(napi_env env, napi_value v, char *out, size_t size);
int conv_fail(conv *c, napi_value v, const char *expected);
int lone_surrogate_fail(conv *c, ptrdiff_t at, uint64_t declared);
int js_string_to_utf16(conv *c, napi_value v, cdt *out);
int js_string_to_cdt(conv *c, napi_value v, uint64_t want, cdt *out);
int js_char_to_cdt(conv *c, napi_value v, uint64_t type, cdt *out);
int js_int_to_cdt(conv *c, napi_value v, uint64_t type, cdt *out);
uint64_t typedarray_element(napi_typedarray_type t);
int scratch_slot(uint64_t elem, napi_typedarray_type *tt);
void free_external(napi_env env, void *data, void *hint);
napi_status scratch_get(napi_env env, uint64_t elem, size_t n, napi_value *out, void **data);
int typedarray_to_packed(conv *c, napi_value v, uint64_t want, cdt *out);
int pack_with_helper(conv *c, napi_value v, uint64_t elem, uint32_t len, cdt *out);
void where_prepend(conv *c, size_t i);
void where_prepend_key(conv *c, napi_value key);
int array_element(conv *c, napi_value arr, uint32_t i, napi_value *item);
int js_array_to_cdt(conv *c, napi_value v, uint64_t elem, int dims, cdt *out);
int js_any_to_cdt(conv *c, napi_value v, cdt *out);
int js_ref_to_cdt(conv *c, napi_value v, cdt *out, int want_callable);
int js_to_cdt(conv *c, napi_value v, uint64_t type, int dims, cdt *out);
napi_status int64_to_js(napi_env env, int64_t v, napi_value *out);
napi_status uint64_to_js(napi_env env, uint64_t v, napi_value *out);
size_t utf16_encode(uint32_t cp, char16_t *o);
napi_status packed_to_typedarray(napi_env env, const cdt *v, napi_value *out);
ptrdiff_t utf8_invalid_at(const unsigned char *s, size_t n);
napi_status cdt_to_js(napi_env env, arena *ar, const cdt *v, int flags, napi_value *out);
napi_status too_deep(napi_env env);
napi_status cdt_to_js_at(napi_env env, arena *ar, const cdt *v, int flags, int depth, napi_value *out);
void throw_metaffi_error(napi_env env, const char *runtime, const metaffi_error *err,
                                const char *context);
void throw_simple(napi_env env, const char *fmt, ...);
void clear_host_errors(napi_env env);
void host_exception_to_error(napi_env env, arena *ar, napi_value exc, metaffi_error *err);
void cdt_own(arena *ar, cdt *v);
int call_host_on_js_thread(napi_env env, arena *ar, host_rec *r, const cdt *params,
                                  size_t np, cdt **rets, size_t *nr, metaffi_error *err);
void run_host_request(napi_env env, host_call_req *req);
void tsfn_call_js(napi_env env, napi_value js_cb, void *context, void *data);
int call_host_from_other_thread(host_rec *r, const cdt *params, size_t np, cdt **rets,
                                       size_t *nr, metaffi_error *err);
int host_call(void *callable, const cdt *params, size_t np, cdt **rets, size_t *nr,
              metaffi_error *err);
void host_retain_any_thread(void *val);
void host_release_any_thread(void *val);
void box_finalize(napi_env env, void *data, void *hint);
napi_value make_box_object(napi_env env, uint32_t runtime, void *val, int is_callable);
const char *runtime_name(uint32_t rt);
void finish_call_slow(napi_env env);

/* A call from JS ends: reset the arena; when no foreign call is in progress on this thread, drop
 * kept JS errors (unless async calls may still want them) and run queued releases. */
static inline void finish_call(napi_env env, arena *ar, metaffi_mark mark)
{
	arena_reset_to(ar, mark);
	node_env *ne = tls_env;
	if (atomic_load_explicit(&ne->depth, memory_order_relaxed) == 0 &&
	    ((ne->host_errors_kept && !ne->in_flight) || ne->defer_len))
		finish_call_slow(env);
}
napi_value foreign_fn_call(napi_env env, napi_callback_info info);
void ref_cache_clear(napi_env env, ref_cache *cache);
void entity_destroy(entity *e);
void entity_finalize(napi_env env, void *data, void *hint);
napi_value entity_call(napi_env env, napi_callback_info info, size_t asked);
napi_value entity_results_to_js(napi_env env, entity *e, arena *ar, cdt *rets);
void entity_throw_released(napi_env env, const entity *e);

/* The entity is usable: its runtime is the one it was loaded from. Throws otherwise. */
static inline int entity_check_live(napi_env env, const entity *e)
{
	const xllr_runtime *s = &xllr_runtimes[e->runtime];
	if (e->pent && s->loaded && s->generation == e->generation) return 0;
	entity_throw_released(env, e);
	return -1;
}
void entity_throw_arity(napi_env env, const entity *e, size_t argc);
void entity_unref(entity *e);
napi_value entity_call_async(napi_env env, napi_callback_info info);
extern atomic_size_t g_async_in_flight[RT_COUNT]; /* per runtime, all environments */
int async_pool_size(void);
void async_set_pool_size(int n);
napi_value entity_call_0(napi_env env, napi_callback_info info);
napi_value entity_call_1(napi_env env, napi_callback_info info);
napi_value entity_call_2(napi_env env, napi_callback_info info);
napi_value entity_call_3(napi_env env, napi_callback_info info);
napi_value entity_call_4(napi_env env, napi_callback_info info);
napi_value entity_call_n(napi_env env, napi_callback_info info);
napi_callback entity_callback(size_t np);
int get_u32(napi_env env, napi_value v, uint32_t *out);
char *get_string(napi_env env, napi_value v);
napi_value js_undefined(napi_env env);
int slot_of(napi_env env, napi_value v, runtime_slot **out, uint32_t *rt);
napi_value n_init(napi_env env, napi_callback_info info);
napi_value n_load_library(napi_env env, napi_callback_info info);
napi_value n_load_plugin(napi_env env, napi_callback_info info);
napi_value n_free_runtime(napi_env env, napi_callback_info info);
napi_value n_is_loaded(napi_env env, napi_callback_info info);
void module_destroy(module_rec *m);
void module_finalize(napi_env env, void *data, void *hint);
napi_value n_load_module(napi_env env, napi_callback_info info);
int read_types(napi_env env, napi_value arr, metaffi_type_info **out, size_t *n);
napi_value n_load_entity(napi_env env, napi_callback_info info);
box *box_of_handle(napi_env env, napi_value v);
napi_value n_release_handle(napi_env env, napi_callback_info info);
napi_value n_handle_info(napi_env env, napi_callback_info info);
napi_value n_set_callable_types(napi_env env, napi_callback_info info);
napi_value n_live_handles(napi_env env, napi_callback_info info);
napi_value n_async_threads(napi_env env, napi_callback_info info);
napi_value n_flush(napi_env env, napi_callback_info info);
void at_exit_hook(void *arg);
napi_value module_init(napi_env env, napi_value exports);

/* The arguments of a call of e as CDTs in cd[0..np), in ar. On failure it throws (naming the
 * argument) and returns -1. use_cache: remember handle and callable arguments per parameter
 * (synchronous calls; an asynchronous call owns what it converted instead). Inline: it is the
 * hot part of every call. */
static inline int entity_args_to_cdt(napi_env env, entity *e, arena *ar, napi_value *argv, cdt *cd,
                                     int use_cache)
{
	conv c;
	conv_init(&c, env, ar, e->plugin->preferred_string);
	for (size_t i = 0; i < e->np; i++) {
		const metaffi_type_info *ti = &e->params[i];
		ref_cache *cache = use_cache && e->ref_cache && (ti->type == MT_CALLABLE || ti->type == MT_HANDLE)
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
			return -1;
		}
	}
	return 0;
}

#endif
