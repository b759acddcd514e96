#include "node_host.h"

/* ------------------------------------------------------------------------------------ */
/* JS wrappers of foreign handles and callables                                           */

void box_finalize(napi_env env, void *data, void *hint)
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


napi_value make_box_object(napi_env env, uint32_t runtime, void *val, int is_callable)
{
	box *b = malloc(sizeof(box));
	if (!b || live_add(b)) {
		free(b);
		xllr_release(runtime, val);
		return NULL;
	}
	b->kind = WRAP_BOX;
	b->val = val;
	b->runtime = runtime;
	b->generation = xllr_runtimes[runtime].generation;
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
		xllr_release(runtime, val);
		return NULL;
	}
	box_link(b);
	return obj;
}

const char *runtime_name(uint32_t rt)
{
	return rt == RT_HOST ? "js" : xllr_runtime_name(rt);
}

void finish_call_slow(napi_env env)
{
	if (!g_in_flight) clear_host_errors(env); /* while async calls run, they may want them */
	if (g_defer_len) defer_drain(); /* a cheap moment to run queued releases */
}

/* JS calls a foreign callable: arguments go as `any`, results come back as they are. */
napi_value foreign_fn_call(napi_env env, napi_callback_info info)
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
	conv_init(&c, env, ar, xllr_runtimes[b->runtime].plugin->preferred_string);
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
	int rc = xllr_runtimes[b->runtime].plugin->call_callable(b->val, params, argc, &rets, &nr, &err);
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
