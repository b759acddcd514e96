/*
 * The contract between the core (XLLR and the host binding above it) and the runtime
 * plugins (runtimes/<name>/plugin). Plugins never see a host language: they exchange values
 * with the core as CDTs (common data types) and call back into it through metaffi_core,
 * which XLLR provides (xllr.h). Each plugin is its own shared object exporting
 * metaffi_plugin_get().
 */
#ifndef METAFFI_H
#define METAFFI_H

#include <stddef.h>
#include <stdint.h>

#define METAFFI_ABI_VERSION 1

#include "metaffi_types.h" /* the type codes: MT_FLOAT64, ... */

/* How deep a value may nest (arrays in arrays, maps, any) in any conversion, in the core
 * and in every plugin. Deeper is an error, never a stack overflow: 256 levels of C
 * recursion fit every thread stack a runtime gives us, Java's small ones included. */
#define METAFFI_MAX_DEPTH 256

#define MT_ELEMENT(t) ((t) & ~(MT_ARRAY | MT_PACKED))

/* Runtime ids. A handle or callable carries the id of the runtime that owns it. */
enum {
	RT_HOST = 0,    /* values of the host language lent to runtimes (JS functions and objects) */
	RT_PYTHON3 = 1,
	RT_OPENJDK = 2,
	RT_GO = 3,
	RT_COUNT = 4
};

typedef struct cdt cdt;

/*
 * One value. `type` is always concrete (never MT_ANY): the producer says what it wrote.
 * Strings: MT_STRING8 is UTF-8 (len in bytes), MT_STRING16 UTF-16 (len in 16-bit units),
 * MT_STRING32 UTF-32 (len in code points); none is NUL-terminated. Producers choose the
 * encoding they have at hand; consumers accept all three.
 * Arrays: element|MT_ARRAY holds `arr` (each element a cdt with its own type, so nested
 * arrays and mixed `any` arrays work); element|MT_ARRAY|MT_PACKED holds contiguous numbers
 * (bool as uint8) in `packed`.
 * Handles and callables: `ref.val` is meaningful only to runtime `ref.runtime`.
 * Ownership, the same for every call (xcall, call_callable, core->call): a ref in the
 * parameters is borrowed (the caller keeps it alive during the call and releases what it
 * made afterwards); a ref in the results is owned by the receiver (one retain each, nested
 * refs in arrays and maps included), who releases it once converted.
 */
struct cdt {
	uint64_t type;
	union {
		double f64;
		float f32;
		int8_t i8;
		int16_t i16;
		int32_t i32;
		int64_t i64;
		uint8_t u8;
		uint16_t u16;
		uint32_t u32;
		uint64_t u64;
		uint8_t b;
		uint32_t ch; /* any char type: the code point */
		struct { const void *ptr; size_t len; } str;
		struct { cdt *elems; size_t len; } arr;
		struct { void *data; size_t len; } packed;
		struct { void *val; uint32_t runtime; } ref;
		struct { cdt *kv; size_t len; } map; /* kv holds 2*len cdts: key, value, key, ... */
	} v;
};

/* A declared type: MetaFFI type code, array dimensions (0 = not an array), alias. */
typedef struct {
	uint64_t type;
	int32_t dims;
	const char *alias;
} metaffi_type_info;

/*
 * An error crossing the boundary. Strings live in the call arena (see metaffi_core.alloc).
 * host_error != 0 marks an error that started as a JS exception thrown by a callback; the
 * core uses it to hand the original exception back to the JS caller.
 */
typedef struct {
	const char *type;
	const char *message;
	const char *stack;
	uint64_t host_error;
} metaffi_error;

/* A point in a thread's call arena to return to. */
typedef struct {
	void *chunk;
	size_t used;
} metaffi_mark;

/* One item of an entity path: "key=value" (value set) or a bare tag (value NULL). */
typedef struct {
	const char *key;
	const char *value;
} metaffi_path_item;

static inline const char *metaffi_path_value(const metaffi_path_item *items, size_t n,
                                             const char *key)
{
	for (size_t i = 0; i < n; i++) {
		const char *a = items[i].key, *b = key;
		while (*a && *a == *b) { a++; b++; }
		if (*a == 0 && *b == 0)
			return items[i].value ? items[i].value : "";
	}
	return NULL;
}

/*
 * Services the core gives plugins.
 * alloc: memory in the calling thread's arena; lives until the arena is reset to a mark
 *   taken before it. The core marks and resets around every call it makes; a plugin that
 *   calls `call` resets to its own mark once it has consumed the results.
 * call: invoke a callable of any runtime (a JS function, or another plugin's callable).
 *   Results are written to `rets` (the core allocates them in the arena). Works from any
 *   thread; for JS functions called off the JS thread the core hands the call to the JS
 *   thread and waits, or fails with a clear error when that would deadlock.
 * retain/release: add or drop one reference to a handle or callable of any runtime; both may
 *   be called from any thread.
 */
typedef struct metaffi_core {
	int abi;
	void *(*alloc)(size_t size);
	metaffi_mark (*arena_mark)(void);
	void (*arena_reset)(metaffi_mark mark);
	const char *(*strdup)(const char *s, size_t len); /* arena copy, NUL-terminated */
	int (*call)(uint32_t runtime, void *callable, const cdt *params, size_t nparams,
	            cdt **rets, size_t *nrets, metaffi_error *err);
	void (*retain)(uint32_t runtime, void *val);
	void (*release)(uint32_t runtime, void *val);
} metaffi_core;

/*
 * What every runtime plugin exports (through metaffi_plugin_get). Calls come from the JS
 * thread unless noted. All functions return 0 on success; on failure they fill `err`.
 * load_entity receives the entity path split into items ("callable=f,varargs" gives
 * {callable, f}, {varargs, NULL}), already checked by the TypeScript layer for known keys
 * and tags.
 * xcall runs one call of an entity: params[0..nparams) in, rets[0..nrets) out.
 * call_callable runs a callable value of this runtime (from any thread).
 * retain/release manage references to this runtime's handles and callables (any thread).
 * free_module: the JS side dropped its module object; entities loaded from it stay valid.
 * describe writes a short description of a handle ("builtins.dict") into the arena.
 * Plugins do not hold their runtime's lock (GIL, ...) while control is outside the runtime:
 * they release it before calling core->call, so a callback may call back into them.
 */
typedef struct metaffi_plugin {
	int abi;
	uint32_t runtime;
	const char *name;
	uint64_t preferred_string; /* the string encoding the core should send: MT_STRING8/16 */
	int (*load_runtime)(const metaffi_core *core, const char *config, metaffi_error *err);
	int (*free_runtime)(metaffi_error *err);
	void *(*load_module)(const char *path, metaffi_error *err);
	void (*free_module)(void *module);
	void *(*load_entity)(void *module, const metaffi_path_item *path, size_t npath,
	                     const metaffi_type_info *params, size_t nparams,
	                     const metaffi_type_info *rets, size_t nrets, metaffi_error *err);
	void (*free_entity)(void *entity);
	int (*xcall)(void *entity, cdt *params, size_t nparams, cdt *rets, size_t nrets,
	             metaffi_error *err);
	int (*call_callable)(void *callable, const cdt *params, size_t nparams, cdt **rets,
	                     size_t *nrets, metaffi_error *err);
	void (*retain)(void *val);
	void (*release)(void *val);
	const char *(*describe)(void *val);
	void (*at_exit)(void); /* the process is ending: flush what the runtime buffers */
} metaffi_plugin;

typedef const metaffi_plugin *(*metaffi_plugin_get_fn)(void);

#endif
