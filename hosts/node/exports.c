#include "node_host.h"

/* ------------------------------------------------------------------------------------ */
/* Exported functions (used by src/native.ts)                                             */

int get_u32(napi_env env, napi_value v, uint32_t *out)
{
	return napi_get_value_uint32(env, v, out) == napi_ok ? 0 : -1;
}

char *get_string(napi_env env, napi_value v)
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

napi_value js_undefined(napi_env env)
{
	napi_value u;
	napi_get_undefined(env, &u);
	return u;
}

int slot_of(napi_env env, napi_value v, runtime_slot **out, uint32_t *rt)
{
	if (get_u32(env, v, rt) || *rt == RT_HOST || *rt >= RT_COUNT) {
		napi_throw_type_error(env, NULL, "unknown runtime id");
		return -1;
	}
	*out = &g_rt[*rt];
	return 0;
}

/* init({ MetaFFIError, MetaFFIHandle, pack, unpack, toMap, errorDetails? }) */
napi_value n_init(napi_env env, napi_callback_info info)
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
napi_value n_load_library(napi_env env, napi_callback_info info)
{
	size_t argc = 1;
	napi_value a;
	napi_get_cb_info(env, info, &argc, &a, NULL, NULL);
	char *path = get_string(env, a);
	if (!path) return NULL;
	arena *ar = thread_arena();
	metaffi_mark mark = arena_mark_of(ar);
	metaffi_error err = {0};
	if (xllr_load_library(path, &err)) throw_simple(env, "%s", err.message);
	arena_reset_to(ar, mark);
	free(path);
	return js_undefined(env);
}

/* loadPlugin(runtime, pluginPath, config): open the plugin (once) and start its runtime. */
napi_value n_load_plugin(napi_env env, napi_callback_info info)
{
	size_t argc = 3;
	napi_value a[3];
	napi_get_cb_info(env, info, &argc, a, NULL, NULL);
	runtime_slot *s;
	uint32_t rt;
	if (slot_of(env, a[0], &s, &rt)) return NULL;
	if (xllr_runtimes[rt].loaded) return js_undefined(env);
	char *path = get_string(env, a[1]);
	char *config = get_string(env, a[2]);
	if (!path || !config) {
		free(path);
		free(config);
		napi_throw_type_error(env, NULL, "plugin path and config must be strings");
		return NULL;
	}
	arena *ar = thread_arena();
	metaffi_mark mark = arena_mark_of(ar);
	metaffi_error err = {0};
	int opened = xllr_runtimes[rt].plugin != NULL;
	if (xllr_start_runtime(rt, path, config, &err)) {
		if (!opened && !xllr_runtimes[rt].plugin) throw_simple(env, "%s", err.message);
		else throw_metaffi_error(env, xllr_runtime_name(rt), &err, "cannot start the runtime");
	}
	arena_reset_to(ar, mark);
	free(path);
	free(config);
	return js_undefined(env);
}

/* Drop what this environment holds of runtime rt (its entities, handles and modules): when the
 * runtime is released, and when a Worker's environment ends. What an earlier start of the
 * runtime made is stale and only forgotten. */
static void drop_holdings(runtime_slot *s, uint32_t rt)
{
	const xllr_runtime *x = &xllr_runtimes[rt];
	int running = 0;
	for (entity *e = s->entities; e; e = e->next) {
		/* An async call still runs on a pool thread (a Worker ending; a release waits for them):
		 * its entity, and the modules, stay; the runtime keeps them until the process ends. */
		if (e->in_flight) {
			running = 1;
			continue;
		}
		if (e->pent && x->loaded && e->generation == x->generation) x->plugin->free_entity(e->pent);
		e->pent = NULL;
	}
	for (box *b = s->boxes; b;) {
		box *n = b->next;
		if (x->loaded && b->generation == x->generation) x->plugin->release(b->val);
		b->prev = b->next = NULL; /* stale from now on: its generation is gone or its environment ends */
		b = n;
	}
	s->boxes = NULL;
	for (module_rec *m = s->modules; m && !running; m = m->next) {
		if (m->pmod && x->loaded && m->generation == x->generation) x->plugin->free_module(m->pmod);
		m->pmod = NULL;
	}
}

/* freeRuntime(runtime): release every module, entity and handle of the runtime. */
napi_value n_free_runtime(napi_env env, napi_callback_info info)
{
	size_t argc = 1;
	napi_value a;
	napi_get_cb_info(env, info, &argc, &a, NULL, NULL);
	runtime_slot *s;
	uint32_t rt;
	if (slot_of(env, a, &s, &rt)) return NULL;
	const metaffi_plugin *plugin = xllr_runtimes[rt].plugin;
	if (!xllr_runtimes[rt].loaded) return js_undefined(env);
	size_t running = atomic_load(&g_async_in_flight[rt]);
	if (running) {
		throw_simple(env, "the %s runtime cannot be released while %zu async call%s into it %s running; await %s first",
		             runtime_name(rt), running, running == 1 ? "" : "s", running == 1 ? "is" : "are",
		             running == 1 ? "it" : "them");
		return NULL;
	}
	defer_drain();
	drop_holdings(s, rt);
	arena *ar = thread_arena();
	metaffi_mark mark = arena_mark_of(ar);
	metaffi_error err = {0};
	if (xllr_stop_runtime(rt, &err)) throw_metaffi_error(env, plugin->name, &err, "releasing the runtime failed");
	arena_reset_to(ar, mark);
	return js_undefined(env);
}

napi_value n_is_loaded(napi_env env, napi_callback_info info)
{
	size_t argc = 1;
	napi_value a, r;
	napi_get_cb_info(env, info, &argc, &a, NULL, NULL);
	runtime_slot *s;
	uint32_t rt;
	if (slot_of(env, a, &s, &rt)) return NULL;
	napi_get_boolean(env, xllr_runtimes[rt].loaded != 0, &r);
	return r;
}

void module_destroy(module_rec *m)
{
	const xllr_runtime *s = &xllr_runtimes[m->runtime];
	module_rec **pp = &g_rt[m->runtime].modules;
	while (*pp && *pp != m) pp = &(*pp)->next;
	if (*pp) *pp = m->next;
	if (m->pmod && s->loaded && s->generation == m->generation) s->plugin->free_module(m->pmod);
	free(m);
}

void module_finalize(napi_env env, void *data, void *hint)
{
	(void)env;
	(void)hint;
	module_rec *m = data;
	if (!g_shutting_down) defer_push(DEFER_FREE_MODULE, m->runtime, m->generation, m);
}

/* loadModule(runtime, path) -> External */
napi_value n_load_module(napi_env env, napi_callback_info info)
{
	size_t argc = 2;
	napi_value a[2], ext = NULL;
	napi_get_cb_info(env, info, &argc, a, NULL, NULL);
	runtime_slot *s;
	uint32_t rt;
	if (slot_of(env, a[0], &s, &rt)) return NULL;
	const xllr_runtime *x = &xllr_runtimes[rt];
	if (!x->loaded) {
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
	void *pmod = x->plugin->load_module(path, &err);
	depth_leave();
	if (!pmod) {
		char ctx[1200];
		snprintf(ctx, sizeof ctx, "cannot load %s module '%s'", x->plugin->name, path);
		throw_metaffi_error(env, x->plugin->name, &err, ctx);
	} else {
		module_rec *m = malloc(sizeof(module_rec));
		m->pmod = pmod;
		m->runtime = rt;
		m->generation = x->generation;
		m->next = s->modules;
		s->modules = m;
		napi_create_external(env, m, module_finalize, NULL, &ext);
	}
	finish_call(env, ar, mark);
	free(path);
	return ext;
}

int read_types(napi_env env, napi_value arr, metaffi_type_info **out, size_t *n)
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
napi_value n_load_entity(napi_env env, napi_callback_info info)
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
	const xllr_runtime *x = &xllr_runtimes[m->runtime];
	if (!x->loaded || !m->pmod || x->generation != m->generation) {
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
	e->pent = x->plugin->load_entity(m->pmod, items, nitems, e->params, e->np, e->rets, e->nr, &err);
	depth_leave();
	if (!e->pent) {
		char ctx[600];
		snprintf(ctx, sizeof ctx, "cannot load entity '%s'", e->name ? e->name : "");
		throw_metaffi_error(env, x->plugin->name, &err, ctx);
		types_free(e->params, e->np);
		types_free(e->rets, e->nr);
		free(e->ref_cache);
		free(e->name);
		free(e);
	} else {
		e->runtime = m->runtime;
		e->generation = x->generation;
		e->plugin = x->plugin;
		const char *short_name = e->name;
		napi_value async_fn;
		napi_create_function(env, short_name, NAPI_AUTO_LENGTH, entity_callback(e->np), e, &fn);
		/* A finalizer, not a wrap: the wrap slot stays free, so this function can itself be
		 * lent to a foreign runtime as a callback like any other JS function. */
		napi_add_finalizer(env, fn, e, entity_finalize, NULL, NULL);
		napi_create_function(env, "async", NAPI_AUTO_LENGTH, entity_call_async, e, &async_fn);
		napi_add_finalizer(env, async_fn, e, entity_finalize, NULL, NULL);
		napi_property_descriptor prop = {"async", NULL, NULL, NULL, NULL, async_fn, napi_default, NULL};
		napi_define_properties(env, fn, 1, &prop);
		e->refs = 2;
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

box *box_of_handle(napi_env env, napi_value v)
{
	uint32_t kind = 0;
	box *b = core_wrapped(env, v, &kind);
	return b && kind == WRAP_BOX ? b : NULL;
}

/* releaseHandle(handle): drop the foreign reference now; idempotent. */
napi_value n_release_handle(napi_env env, napi_callback_info info)
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
		xllr_runtimes[b->runtime].plugin->release(b->val);
	}
	return js_undefined(env);
}

/* handleInfo(handle) -> { runtime, released, description } */
napi_value n_handle_info(napi_env env, napi_callback_info info)
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
	if (box_alive(b) && xllr_runtimes[b->runtime].plugin->describe) {
		arena *ar = thread_arena();
		metaffi_mark mark = arena_mark_of(ar);
		const char *d = xllr_runtimes[b->runtime].plugin->describe(b->val);
		if (d) {
			napi_create_string_utf8(env, d, NAPI_AUTO_LENGTH, &v);
			napi_set_named_property(env, r, "description", v);
		}
		arena_reset_to(ar, mark);
	}
	return r;
}

/* setCallableTypes(fn, params, rets): what makeMetaFFICallable declares. */
napi_value n_set_callable_types(napi_env env, napi_callback_info info)
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

/* asyncThreads(n?) -> the most threads async calls run on (n: set it first; checked in TS). */
napi_value n_async_threads(napi_env env, napi_callback_info info)
{
	size_t argc = 1;
	napi_value a, r;
	napi_get_cb_info(env, info, &argc, &a, NULL, NULL);
	uint32_t n;
	if (argc == 1 && get_u32(env, a, &n) == 0 && n >= 1 && n <= 256) async_set_pool_size((int)n);
	napi_create_uint32(env, (uint32_t)async_pool_size(), &r);
	return r;
}

/* liveHandles(runtime) -> number of JS wrappers holding references (for leak tests). */
napi_value n_live_handles(napi_env env, napi_callback_info info)
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

/* flush(): the process is about to exit (process.on('exit')): let runtimes flush output. */
napi_value n_flush(napi_env env, napi_callback_info info)
{
	(void)info;
	xllr_flush_runtimes();
	return js_undefined(env);
}

/* A Worker's environment ends: drop what it holds of every runtime (its handles, entities and
 * modules), while the runtimes stay for the process. */
static void release_environment_holdings(node_env *ne)
{
	/* queued work may touch JS references: cleanup hooks run without a handle scope */
	napi_handle_scope scope;
	int scoped = napi_open_handle_scope(ne->env, &scope) == napi_ok;
	defer_drain();
	if (scoped) napi_close_handle_scope(ne->env, scope);
	for (uint32_t rt = 1; rt < RT_COUNT; rt++) drop_holdings(&ne->rt[rt], rt);
}

void at_exit_hook(void *arg)
{
	node_env *ne = arg;
	if (ne->is_main) xllr_flush_runtimes();
	else release_environment_holdings(ne);
	atomic_store(&ne->shutting_down, 1);
	/* Other threads stop posting to this environment's thread-safe functions, which Node.js
	 * deletes as the environment goes. */
	pthread_mutex_lock(&ne->gate);
	ne->closed = 1;
	pthread_mutex_unlock(&ne->gate);
}

/* Whether env is the main thread's (its loop is libuv's default loop). */
extern struct uv_loop_s *uv_default_loop(void);
static int is_main_environment(napi_env env)
{
	struct uv_loop_s *loop = NULL;
	return napi_get_uv_event_loop(env, &loop) == napi_ok && loop == uv_default_loop();
}

napi_value module_init(napi_env env, napi_value exports)
{
	int fresh = !tls_env;
	if (fresh) {
		node_env *ne = calloc(1, sizeof(node_env));
		if (!ne) {
			napi_throw_error(env, NULL, "metaffi: out of memory");
			return NULL;
		}
		pthread_mutex_init(&ne->defer_lock, NULL);
		pthread_mutex_init(&ne->gate, NULL);
		ne->env = env;
		ne->is_main = is_main_environment(env);
		tls_env = ne;
	} else if (tls_env->env != env) {
		napi_throw_error(env, NULL, "metaffi: a second Node.js environment on one thread is not supported");
		return NULL;
	}
	static const xllr_host hooks = {host_call, host_retain_any_thread, host_release_any_thread};
	xllr_set_host(&hooks);
	if (fresh) {
		napi_value name;
		napi_create_string_utf8(env, "metaffi-deferred", NAPI_AUTO_LENGTH, &name);
		if (napi_create_threadsafe_function(env, NULL, NULL, name, 0, 1, NULL, NULL, NULL, tsfn_call_js,
		                                    &g_tsfn) == napi_ok)
			napi_unref_threadsafe_function(env, g_tsfn);
		napi_add_env_cleanup_hook(env, at_exit_hook, tls_env);
	}
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
		{"asyncThreads", NULL, n_async_threads, NULL, NULL, NULL, napi_default, NULL},
		{"flush", NULL, n_flush, NULL, NULL, NULL, napi_default, NULL},
	};
	napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
	return exports;
}

NAPI_MODULE(metaffi, module_init)
