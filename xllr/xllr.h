/*
 * XLLR: the host-agnostic core, one shared library (libmetaffi_xllr.so) that every host
 * binding links against. It owns what does not depend on the host language:
 * - the runtime table: loading runtime plugins, starting and stopping their runtimes;
 * - the per-thread call arena;
 * - routing call/retain/release of a callable or handle to the runtime that owns it
 *   (values of RT_HOST go to the host binding's hooks, see xllr_set_host);
 * - the checks every host makes on values a plugin returns.
 * Host bindings (hosts/node, hosts/python3) convert their language's values to CDTs and back;
 * runtime plugins (runtimes/<name>/plugin) see only metaffi.h.
 */
#ifndef METAFFI_XLLR_H
#define METAFFI_XLLR_H

#include <stddef.h>
#include <stdint.h>

#include "metaffi.h"

#define XLLR_API __attribute__((visibility("default")))

/* ---- The call arena: bump allocation per thread, reset to a mark when a call ends. ---- */

typedef struct xllr_chunk {
	struct xllr_chunk *next;
	size_t size;
	size_t used;
	_Alignas(16) char data[];
} xllr_chunk;

typedef struct {
	xllr_chunk *head;
	xllr_chunk *cur;
} arena;

/* The calling thread's arena (made on first use, freed when the thread ends); NULL when out
 * of memory. The pointer is read inline: every call starts with it. */
XLLR_API extern __thread arena *xllr_tls_arena __attribute__((tls_model("initial-exec")));
XLLR_API arena *thread_arena_new(void);

static inline arena *thread_arena(void)
{
	arena *a = xllr_tls_arena;
	return a ? a : thread_arena_new();
}
/* An arena of its own, for values that outlive a call on one thread (an asynchronous call's
 * arguments and results); NULL when out of memory. */
XLLR_API arena *arena_new(size_t size);
XLLR_API void arena_free(arena *a);
/* Slow path of arena_alloc: the current chunk is full. */
XLLR_API void *arena_alloc_slow(arena *a, size_t size);

static inline void *arena_alloc(arena *a, size_t size)
{
	size = (size + 15) & ~(size_t)15;
	xllr_chunk *c = a->cur;
	if (c->used + size <= c->size) {
		void *p = c->data + c->used;
		c->used += size;
		return p;
	}
	return arena_alloc_slow(a, size);
}

static inline metaffi_mark arena_mark_of(arena *a)
{
	metaffi_mark m = {a->cur, a->cur->used};
	return m;
}

static inline void arena_reset_to(arena *a, metaffi_mark m)
{
	a->cur = (xllr_chunk *)m.chunk;
	a->cur->used = m.used;
}

XLLR_API const char *arena_strdup(arena *a, const char *s, size_t len);
XLLR_API const char *arena_printf(arena *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* ---- The runtime table ---- */

typedef struct {
	const metaffi_plugin *plugin; /* set once the plugin is opened; stays for the process */
	int loaded;                   /* the runtime is started */
	uint32_t generation;          /* counts starts: what a stopped runtime made is stale */
} xllr_runtime;

XLLR_API extern xllr_runtime xllr_runtimes[RT_COUNT];

/* The services plugins receive (metaffi_core): arena, call, retain, release. */
XLLR_API const metaffi_core *xllr_core(void);

/* dlopen with RTLD_GLOBAL (a libpython, a libjvm), so plugins and extension modules see its
 * symbols. 0, or -1 with err->message set (in the arena). */
XLLR_API int xllr_load_library(const char *path, metaffi_error *err);

/* Open the plugin of runtime `rt` (once per process) and start its runtime with `config`
 * (what the plugin expects; see each plugin's load_runtime). Starting a started runtime does
 * nothing. 0, or -1 with err filled: err->type "MetaFFIError" and a message naming the file
 * when the plugin cannot be opened, the plugin's error when the runtime cannot start. */
XLLR_API int xllr_start_runtime(uint32_t rt, const char *plugin_path, const char *config,
                                metaffi_error *err);

/* Stop runtime `rt`: the host binding first frees what it holds of that runtime (entities,
 * modules, handles); this calls the plugin's free_runtime. 0, or -1 with err filled. */
XLLR_API int xllr_stop_runtime(uint32_t rt, metaffi_error *err);

/* The process is ending: let every started runtime flush what it buffers. */
XLLR_API void xllr_flush_runtimes(void);

XLLR_API const char *xllr_runtime_name(uint32_t rt);

/* ---- The host ---- */

/* How XLLR reaches values of RT_HOST (the host language's functions and objects lent to
 * foreign runtimes). A host binding sets them once; a host with nothing to lend (its own
 * values travel as a plugin's, as Python's do through the python3 plugin) leaves them unset,
 * and a call of an RT_HOST callable is then an error. retain/release may come from any
 * thread, also while the host is shutting down. */
typedef struct {
	int (*call)(void *callable, const cdt *params, size_t np, cdt **rets, size_t *nr,
	            metaffi_error *err);
	void (*retain)(void *val);
	void (*release)(void *val);
} xllr_host;

XLLR_API void xllr_set_host(const xllr_host *host);

/* Route to the runtime that owns the value (the same functions plugins get in metaffi_core). */
XLLR_API int xllr_call(uint32_t runtime, void *callable, const cdt *params, size_t np, cdt **rets,
                       size_t *nr, metaffi_error *err);
XLLR_API void xllr_retain(uint32_t runtime, void *val);
XLLR_API void xllr_release(uint32_t runtime, void *val);

/* ---- Values ---- */

/* Drop the references a value holds (handles and callables, nested ones included). */
XLLR_API void cdt_release_refs(const cdt *v);

/* Copy what a value points to (strings, arrays, packed data, maps) into `a`, so it outlives
 * the arena it was made in; references are not retained again (they move with the value).
 * -1 when out of memory (the value is then NULL, its references released). */
XLLR_API int cdt_copy_into(arena *a, cdt *v);

/* Whether a result is of the kind its declared type promises (kind, array depth, char
 * range). Plugins convert to the declared type themselves; hosts check once more so that no
 * plugin lapse reaches the host's caller. */
XLLR_API int value_fits(uint64_t declared_element, int dims, const cdt *v);

static inline int result_fits(const metaffi_type_info *declared, const cdt *v)
{
	if (v->type == declared->type && !(v->type & MT_ARRAY)) return 1; /* the usual case: exactly the scalar declared */
	int dims = (declared->type & MT_ARRAY) ? (declared->dims > 0 ? declared->dims : 1) : 0;
	return value_fits(MT_ELEMENT(declared->type), dims, v);
}

/* Every result of a call against its declared type. NULL when all fit; otherwise the references
 * in rets are released and the message says what came back instead, for the entity `name` (in
 * the thread's arena: no buffer on the call path's stack, which deep JS<->Java nesting needs). */
XLLR_API const char *results_mismatch(const metaffi_type_info *declared, size_t n, cdt *rets, const char *name,
                                      const char *runtime);

static inline const char *check_results(const metaffi_type_info *declared, size_t n, cdt *rets, const char *name,
                                        const char *runtime)
{
	for (size_t i = 0; i < n; i++)
		if (!result_fits(&declared[i], &rets[i])) return results_mismatch(declared, n, rets, name, runtime);
	return NULL;
}

/* "int64, string8[]": a type list for messages. */
XLLR_API void type_list_text(const metaffi_type_info *t, size_t n, char *out, size_t size);

/* Whether arrays of this element type travel packed (contiguous numbers). */
static inline int is_packable(uint64_t element)
{
	return metaffi_packed_width(element) != 0;
}

#endif
