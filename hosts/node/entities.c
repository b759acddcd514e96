#include "node_host.h"

/* ------------------------------------------------------------------------------------ */
/* Modules and entities                                                                  */



void ref_cache_clear(napi_env env, ref_cache *cache)
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


void entity_destroy(entity *e)
{
	const xllr_runtime *s = &xllr_runtimes[e->runtime];
	entity **pp = &g_rt[e->runtime].entities;
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

/* One holder less: the entity's function, its .async function, or an async call. */
void entity_unref(entity *e)
{
	if (--e->refs == 0 && !g_shutting_down) defer_push(DEFER_FREE_ENTITY, e->runtime, e->generation, e);
}

void entity_finalize(napi_env env, void *data, void *hint)
{
	(void)env;
	(void)hint;
	entity *e = data;
	if (g_shutting_down) return;
	entity_unref(e);
}


/* `asked`: how many arguments to fetch at first. V8 writes every slot asked for (undefined
 * past the real count), so the entity's function asks for its declared count (see
 * entity_callback); argc still reports the real count. */


/* The JS value of a call's results (undefined, the value, or an array for several), checked
 * against the declared types; the owned references in rets are consumed. NULL with an
 * exception pending on failure. */
napi_value entity_results_to_js(napi_env env, entity *e, arena *ar, cdt *rets)
{
	napi_value result = NULL;
	int flags = e->keep_packed ? CONV_KEEP_PACKED : 0;
	const char *mismatch = check_results(e->rets, e->nr, rets, e->name, e->plugin->name);
	if (mismatch) {
		throw_simple(env, "%s", mismatch);
	} else if (e->nr == 0) {
		napi_get_undefined(env, &result);
	} else if (e->nr == 1) {
		if (cdt_to_js(env, ar, &rets[0], flags, &result) != napi_ok) result = NULL;
	} else {
		napi_create_array_with_length(env, e->nr, &result);
		for (size_t i = 0; i < e->nr; i++) {
			napi_value item;
			if (cdt_to_js(env, ar, &rets[i], flags, &item) != napi_ok) {
				for (size_t j = i + 1; j < e->nr; j++) cdt_release_refs(&rets[j]);
				result = NULL;
				break;
			}
			napi_set_element(env, result, (uint32_t)i, item);
		}
	}
	return result;
}

void entity_throw_released(napi_env env, const entity *e)
{
	throw_simple(env, "%s: the %s runtime was released; load the runtime, module and entity again", e->name,
	             runtime_name(e->runtime));
}

/* Throws the TypeError of a call with the wrong number of arguments. */
void entity_throw_arity(napi_env env, const entity *e, size_t argc)
{
	char types[512];
	type_list_text(e->params, e->np, types, sizeof types);
	char msg[768];
	snprintf(msg, sizeof msg, "%s expects %zu argument%s (%s), got %zu", e->name, e->np, e->np == 1 ? "" : "s",
	         types, argc);
	napi_throw_type_error(env, NULL, msg);
}

napi_value entity_call(napi_env env, napi_callback_info info, size_t asked)
{
	napi_value inline_argv[INLINE_ARGS];
	size_t argc = asked;
	entity *e;
	napi_get_cb_info(env, info, &argc, inline_argv, NULL, (void **)&e);
	if (entity_check_live(env, e)) return NULL;
	if (argc != e->np) {
		entity_throw_arity(env, e, argc);
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
	if (e->np && entity_args_to_cdt(env, e, ar, argv, cd, 1)) {
		arena_reset_to(ar, mark);
		return NULL;
	}
	metaffi_error err = {0};
	depth_enter();
	int rc = e->plugin->xcall(e->pent, cd, e->np, cd + e->np, e->nr, &err);
	depth_leave();
	napi_value result = NULL;
	if (rc) throw_metaffi_error(env, e->plugin->name, &err, NULL);
	else if (e->nr == 0) napi_get_undefined(env, &result);
	else result = entity_results_to_js(env, e, ar, cd + e->np);
	finish_call(env, ar, mark);
	return result;
}

napi_value entity_call_0(napi_env env, napi_callback_info info) { return entity_call(env, info, 0); }
napi_value entity_call_1(napi_env env, napi_callback_info info) { return entity_call(env, info, 1); }
napi_value entity_call_2(napi_env env, napi_callback_info info) { return entity_call(env, info, 2); }
napi_value entity_call_3(napi_env env, napi_callback_info info) { return entity_call(env, info, 3); }
napi_value entity_call_4(napi_env env, napi_callback_info info) { return entity_call(env, info, 4); }
napi_value entity_call_n(napi_env env, napi_callback_info info) { return entity_call(env, info, INLINE_ARGS); }

/* The function for an entity of np parameters: it fetches exactly np arguments. */
napi_callback entity_callback(size_t np)
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
