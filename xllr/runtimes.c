/* The runtime table, and routing call/retain/release to the runtime that owns a value. */
#include <dlfcn.h>
#include <stdatomic.h>
#include <stddef.h>

#include "xllr.h"

xllr_runtime xllr_runtimes[RT_COUNT];

static const char *const g_names[RT_COUNT] = {"host", "python3", "openjdk", "go"};

static xllr_host g_host;

const char *xllr_runtime_name(uint32_t rt)
{
	if (rt < RT_COUNT && xllr_runtimes[rt].plugin) return xllr_runtimes[rt].plugin->name;
	return rt < RT_COUNT ? g_names[rt] : "unknown";
}

static void *core_alloc(size_t size)
{
	arena *a = thread_arena();
	return a ? arena_alloc(a, size) : NULL;
}

static metaffi_mark core_arena_mark(void) { return arena_mark_of(thread_arena()); }

static void core_arena_reset(metaffi_mark m) { arena_reset_to(thread_arena(), m); }

static const char *core_strdup(const char *s, size_t len)
{
	arena *a = thread_arena();
	return a ? arena_strdup(a, s, len) : "";
}

static const metaffi_core g_core = {
	METAFFI_ABI_VERSION, core_alloc, core_arena_mark, core_arena_reset, core_strdup,
	xllr_call, xllr_retain, xllr_release,
};

const metaffi_core *xllr_core(void) { return &g_core; }

void xllr_set_host(const xllr_host *host)
{
	if (host) g_host = *host;
	else g_host = (xllr_host){0};
}

int xllr_call(uint32_t runtime, void *callable, const cdt *params, size_t np, cdt **rets, size_t *nr,
              metaffi_error *err)
{
	if (runtime == RT_HOST) {
		if (g_host.call) return g_host.call(callable, params, np, rets, nr, err);
		err->type = "MetaFFIError";
		err->message = "this host lends no functions to foreign runtimes";
		return -1;
	}
	if (runtime >= RT_COUNT || !xllr_runtimes[runtime].loaded) {
		err->type = "MetaFFIError";
		err->message = "the runtime that owns this callable has been released";
		return -1;
	}
	return xllr_runtimes[runtime].plugin->call_callable(callable, params, np, rets, nr, err);
}

void xllr_retain(uint32_t runtime, void *val)
{
	if (runtime == RT_HOST) {
		if (g_host.retain) g_host.retain(val);
	} else if (runtime < RT_COUNT && xllr_runtimes[runtime].loaded) {
		xllr_runtimes[runtime].plugin->retain(val);
	}
}

void xllr_release(uint32_t runtime, void *val)
{
	if (runtime == RT_HOST) {
		if (g_host.release) g_host.release(val);
	} else if (runtime < RT_COUNT && xllr_runtimes[runtime].loaded) {
		xllr_runtimes[runtime].plugin->release(val);
	}
}

static int fail(metaffi_error *err, const char *message)
{
	err->type = "MetaFFIError";
	err->message = message;
	err->stack = NULL;
	err->host_error = 0;
	return -1;
}

int xllr_load_library(const char *path, metaffi_error *err)
{
	if (dlopen(path, RTLD_NOW | RTLD_GLOBAL)) return 0;
	return fail(err, arena_printf(thread_arena(), "cannot load %s: %s", path, dlerror()));
}

int xllr_start_runtime(uint32_t rt, const char *plugin_path, const char *config, metaffi_error *err)
{
	if (rt == RT_HOST || rt >= RT_COUNT) return fail(err, "unknown runtime id");
	xllr_runtime *s = &xllr_runtimes[rt];
	if (s->loaded) return 0;
	if (!s->plugin) {
		/* Plugins stay open for the process: their runtimes cannot be unloaded anyway. */
		void *dl = dlopen(plugin_path, RTLD_NOW | RTLD_LOCAL);
		if (!dl)
			return fail(err, arena_printf(thread_arena(), "cannot load the %s runtime plugin %s: %s",
			                              g_names[rt], plugin_path, dlerror()));
		metaffi_plugin_get_fn get = (metaffi_plugin_get_fn)dlsym(dl, "metaffi_plugin_get");
		const metaffi_plugin *p = get ? get() : NULL;
		if (!p || p->abi != METAFFI_ABI_VERSION || p->runtime != rt) {
			dlclose(dl);
			return fail(err, arena_printf(thread_arena(),
			                              "%s is not a MetaFFI %s runtime plugin of this version (rebuild it)",
			                              plugin_path, g_names[rt]));
		}
		s->plugin = p;
	}
	if (s->plugin->load_runtime(&g_core, config, err)) return -1;
	s->generation++;
	s->loaded = 1;
	return 0;
}

int xllr_stop_runtime(uint32_t rt, metaffi_error *err)
{
	if (rt == RT_HOST || rt >= RT_COUNT) return fail(err, "unknown runtime id");
	xllr_runtime *s = &xllr_runtimes[rt];
	if (!s->loaded) return 0;
	s->loaded = 0;
	return s->plugin->free_runtime(err);
}

void xllr_flush_runtimes(void)
{
	for (int i = 0; i < RT_COUNT; i++)
		if (xllr_runtimes[i].loaded && xllr_runtimes[i].plugin->at_exit) xllr_runtimes[i].plugin->at_exit();
}
