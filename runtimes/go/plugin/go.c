/*
 * The go runtime plugin: loads a Go guest library (<name>_MetaFFIGuest.so, built by
 * `metaffi -c --idl <file.go> -g go`) and calls its entities.
 *
 * The guest carries its own Go runtime and the MetaFFI Go runtime support
 * (go/guest/metaffi_runtime.go), which exports a few C functions (mffi*). This plugin only
 * forwards: one C -> Go crossing per call, with the core's CDT arrays as they are, plus a
 * per-thread scratch buffer of C memory where the guest writes result payloads (strings,
 * arrays) without allocating.
 *
 * One Go guest per process: every guest library holds a whole Go runtime, and two Go
 * runtimes in one process fight over signal handlers and threads. Loading a second,
 * different guest fails with a MetaFFIError; loading the same one again returns it.
 * A Go runtime cannot be unloaded either, so the library stays loaded until the process
 * ends; releasing the runtime drops every Go handle and makes later calls fail cleanly.
 */
#include <dlfcn.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "metaffi.h"

#define GUEST_ABI 1
#define SCRATCH_SIZE (64 * 1024)

typedef struct {
	void *dl;
	char path[PATH_MAX];
	int (*abi)(void);
	int (*init)(const metaffi_core *core, int (*in_call)(void));
	void (*shutdown)(void);
	void (*quiesce)(void);
	uint64_t (*load)(const char *key, int flags, const metaffi_type_info *params, size_t np,
	                 const metaffi_type_info *rets, size_t nr, metaffi_error *err);
	void (*free_instance)(uint64_t id);
	int (*xcall)(uint64_t id, cdt *params, cdt *rets, metaffi_error *err, size_t np, size_t nr,
	             void *scratch, size_t scratch_size);
	int (*call)(uint64_t id, const cdt *params, size_t np, cdt **rets, size_t *nr, metaffi_error *err);
	void (*retain)(uint64_t id);
	void (*release)(uint64_t id);
	const char *(*describe)(uint64_t id);
} guest;

static const metaffi_core *core;
static guest g_guest;  /* the one Go guest of this process (dl == NULL: none yet) */
static int g_started;  /* g_guest was initialized for the current load_runtime */

static pthread_key_t g_scratch_key;
static pthread_once_t g_scratch_once = PTHREAD_ONCE_INIT;
static __thread char *t_scratch;
static __thread int t_depth; /* calls of this plugin into Go in progress on this thread */

/* For the guest: is this thread inside a call from the plugin (so a Go panic is recovered
 * there and becomes a MetaFFIError) rather than in a goroutine of its own? */
static int in_call(void) { return t_depth > 0; }

static void scratch_free(void *p) { free(p); }
static void scratch_key_init(void) { pthread_key_create(&g_scratch_key, scratch_free); }

static char *thread_scratch(void)
{
	if (t_scratch) return t_scratch;
	pthread_once(&g_scratch_once, scratch_key_init);
	t_scratch = malloc(SCRATCH_SIZE);
	if (t_scratch) pthread_setspecific(g_scratch_key, t_scratch);
	return t_scratch;
}

static void set_error(metaffi_error *err, const char *type, const char *msg)
{
	err->type = type;
	err->message = core->strdup(msg, strlen(msg));
	err->stack = NULL;
	err->host_error = 0;
}

/* config: unused (the Go toolchain is needed only to build guests, not to load them). */
static int go_load_runtime(const metaffi_core *c, const char *config, metaffi_error *err)
{
	(void)config;
	(void)err;
	core = c;
	g_started = 0;
	return 0;
}

static int go_free_runtime(metaffi_error *err)
{
	(void)err;
	if (g_guest.dl && g_started) g_guest.shutdown();
	g_started = 0;
	return 0;
}

static void *need(void *dl, const char *name, const char *path, metaffi_error *err)
{
	void *p = dlsym(dl, name);
	if (!p && !err->message) {
		char msg[PATH_MAX + 256];
		snprintf(msg, sizeof msg, "%s is not a MetaFFI Go guest library (it has no %s); build one with "
		         "`metaffi -c --idl <file.go> -g go`", path, name);
		set_error(err, "MetaFFIError", msg);
	}
	return p;
}

static void *go_load_module(const char *path, metaffi_error *err)
{
	char real[PATH_MAX];
	if (!realpath(path, real)) {
		char msg[PATH_MAX + 64];
		snprintf(msg, sizeof msg, "%s: no such Go guest library", path);
		set_error(err, "MetaFFIError", msg);
		return NULL;
	}
	if (g_guest.dl) {
		if (strcmp(real, g_guest.path) != 0) {
			char msg[2 * PATH_MAX + 512];
			snprintf(msg, sizeof msg, "cannot load the Go guest %s: the Go guest %s is already loaded, and a "
			         "process holds one Go guest (each guest library carries a whole Go runtime, and two Go "
			         "runtimes in one process conflict). Build the Go code you need into one guest library.",
			         real, g_guest.path);
			set_error(err, "MetaFFIError", msg);
			return NULL;
		}
	} else {
		void *dl = dlopen(real, RTLD_NOW | RTLD_LOCAL);
		if (!dl) {
			const char *why = dlerror();
			char msg[PATH_MAX + 1024];
			snprintf(msg, sizeof msg, "cannot load the Go guest library %s: %s", real, why ? why : "unknown error");
			set_error(err, "MetaFFIError", msg);
			return NULL;
		}
		guest g;
		memset(&g, 0, sizeof g);
		err->message = NULL;
		*(void **)&g.abi = need(dl, "mffiGuestABI", real, err);
		*(void **)&g.init = need(dl, "mffiInit", real, err);
		*(void **)&g.shutdown = need(dl, "mffiShutdown", real, err);
		*(void **)&g.quiesce = need(dl, "mffiQuiesce", real, err);
		*(void **)&g.load = need(dl, "mffiLoad", real, err);
		*(void **)&g.free_instance = need(dl, "mffiFreeInstance", real, err);
		*(void **)&g.xcall = need(dl, "mffiXCall", real, err);
		*(void **)&g.call = need(dl, "mffiCallCallable", real, err);
		*(void **)&g.retain = need(dl, "mffiRetain", real, err);
		*(void **)&g.release = need(dl, "mffiRelease", real, err);
		*(void **)&g.describe = need(dl, "mffiDescribe", real, err);
		if (err->message && g.abi) {
			/* A guest of another metaffi version: it has the ABI query but not every entry. */
			char msg[PATH_MAX + 256];
			snprintf(msg, sizeof msg, "%s was built by another version of metaffi; build it again with "
			         "`metaffi -c --idl <file.go> -g go`", real);
			set_error(err, "MetaFFIError", msg);
		} else if (!err->message && g.abi() != GUEST_ABI) {
			char msg[PATH_MAX + 256];
			snprintf(msg, sizeof msg, "%s was built by another version of metaffi (guest ABI %d, this is %d); "
			         "build it again with `metaffi -c --idl <file.go> -g go`", real, g.abi(), GUEST_ABI);
			set_error(err, "MetaFFIError", msg);
		}
		if (err->message) {
			/* A Go library starts its runtime when loaded and cannot be unloaded again. */
			if (!dlsym(dl, "_cgo_topofstack")) dlclose(dl);
			return NULL;
		}
		g.dl = dl;
		snprintf(g.path, sizeof g.path, "%s", real);
		g_guest = g;
	}
	if (!g_started) {
		if (g_guest.init(core, in_call)) {
			set_error(err, "MetaFFIError", "the Go guest failed to start");
			return NULL;
		}
		g_started = 1;
	}
	return &g_guest;
}

static void go_free_module(void *module)
{
	(void)module; /* the library stays loaded: a Go runtime cannot be unloaded */
}

static void *go_load_entity(void *module, const metaffi_path_item *path, size_t npath,
                            const metaffi_type_info *params, size_t np,
                            const metaffi_type_info *rets, size_t nr, metaffi_error *err)
{
	guest *g = module;
	const char *kind = NULL, *name = NULL;
	static const char *kinds[] = {"callable", "global", "field"};
	for (size_t i = 0; i < 3 && !name; i++) {
		name = metaffi_path_value(path, npath, kinds[i]);
		kind = kinds[i];
	}
	if (!name) {
		set_error(err, "MetaFFIError", "a Go entity path needs callable=, global= or field=");
		return NULL;
	}
	int flags = 0;
	if (metaffi_path_value(path, npath, "getter")) flags |= 1;
	if (metaffi_path_value(path, npath, "setter")) flags |= 2;
	if (metaffi_path_value(path, npath, "instance_required")) flags |= 4;
	size_t len = strlen(kind) + 1 + strlen(name) + 1;
	char *key = core->alloc(len);
	snprintf(key, len, "%s=%s", kind, name);
	uint64_t id = g->load(key, flags, params, np, rets, nr, err);
	return id ? (void *)(uintptr_t)id : NULL;
}

static void go_free_entity(void *entity)
{
	if (g_guest.dl && g_started) g_guest.free_instance((uint64_t)(uintptr_t)entity);
}

static int go_xcall(void *entity, cdt *params, size_t np, cdt *rets, size_t nr, metaffi_error *err)
{
	char *scratch = thread_scratch();
	t_depth++;
	int rc = g_guest.xcall((uint64_t)(uintptr_t)entity, params, rets, err, np, nr, scratch,
	                       scratch ? SCRATCH_SIZE : 0);
	t_depth--;
	return rc ? -1 : 0;
}

static int go_call_callable(void *callable, const cdt *params, size_t np, cdt **rets, size_t *nr,
                            metaffi_error *err)
{
	if (!g_guest.dl || !g_started) {
		*rets = NULL;
		*nr = 0;
		set_error(err, "MetaFFIError", "the go runtime was released; the Go function can no longer be called");
		return -1;
	}
	t_depth++;
	int rc = g_guest.call((uint64_t)(uintptr_t)callable, params, np, rets, nr, err);
	t_depth--;
	return rc ? -1 : 0;
}

static void go_retain(void *val)
{
	if (g_guest.dl && g_started) g_guest.retain((uint64_t)(uintptr_t)val);
}

static void go_release(void *val)
{
	if (g_guest.dl && g_started) g_guest.release((uint64_t)(uintptr_t)val);
}

static const char *go_describe(void *val)
{
	if (!g_guest.dl || !g_started) return core->strdup("released Go value", 17);
	return g_guest.describe((uint64_t)(uintptr_t)val);
}

/* The process is ending: Go's finalizer thread must stop releasing references into the
 * core, whose JS objects are about to be torn down. (Go writes its output unbuffered, so
 * there is nothing to flush.) */
static void go_at_exit(void)
{
	if (g_guest.dl && g_started) g_guest.quiesce();
}

static const metaffi_plugin g_plugin = {
	METAFFI_ABI_VERSION,
	RT_GO,
	"go",
	MT_STRING8,
	go_load_runtime,
	go_free_runtime,
	go_load_module,
	go_free_module,
	go_load_entity,
	go_free_entity,
	go_xcall,
	go_call_callable,
	go_retain,
	go_release,
	go_describe,
	go_at_exit,
};

__attribute__((visibility("default"))) const metaffi_plugin *metaffi_plugin_get(void)
{
	return &g_plugin;
}
