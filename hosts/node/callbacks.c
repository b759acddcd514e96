#include "node_host.h"

/* ------------------------------------------------------------------------------------ */
/* Calling JS functions for foreign runtimes                                             */

/* Make a value produced from JS values independent of them: retain references, copy
 * packed data out of JS memory. */
void cdt_own(arena *ar, cdt *v)
{
	if (v->type & MT_ARRAY) {
		if (v->type & MT_PACKED) {
			size_t bytes = v->v.packed.len * metaffi_packed_width(MT_ELEMENT(v->type));
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
		else xllr_retain(v->v.ref.runtime, v->v.ref.val);
	}
}

int call_host_on_js_thread(napi_env env, arena *ar, host_rec *r, const cdt *params,
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



void run_host_request(napi_env env, host_call_req *req)
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
	if (atomic_load(&g_depth) == 0 && !g_in_flight) clear_host_errors(env); /* an async call may still want it */
	pthread_mutex_lock(&req->lock);
	req->state = REQ_DONE;
	pthread_cond_signal(&req->cond);
	pthread_mutex_unlock(&req->lock);
}

void tsfn_call_js(napi_env env, napi_value js_cb, void *context, void *data)
{
	(void)js_cb;
	(void)context;
	if (!env) return; /* the environment is going away */
	if (data) run_host_request(env, data);
	else defer_drain();
}


int call_host_from_other_thread(host_rec *r, const cdt *params, size_t np, cdt **rets,
                                       size_t *nr, metaffi_error *err)
{
	node_env *ne = r->owner; /* this thread runs no JS of that environment */
	arena *ar = thread_arena();
	if (!ne->tsfn || ne->shutting_down) {
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
	if (env_post(ne, ne->tsfn, req)) {
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
	unsigned stuck_in = atomic_load(&ne->outer_calls);
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
			unsigned now_in = atomic_load(&ne->outer_calls);
			busy_ticks = atomic_load(&ne->depth) > 0 && now_in == stuck_in ? busy_ticks + 1 : 0;
			stuck_in = now_in;
			if (busy_ticks >= CALLBACK_DEADLOCK_TICKS || ne->shutting_down) {
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
/* The host hooks XLLR routes RT_HOST values to                                          */

int host_call(void *callable, const cdt *params, size_t np, cdt **rets, size_t *nr, metaffi_error *err)
{
	host_rec *r = callable;
	if (atomic_load(&r->owner->shutting_down)) {
		*rets = NULL;
		*nr = 0;
		err->type = "MetaFFIError";
		err->message = "the JS function was lent by a Node.js environment that has ended (a Worker that exited)";
		err->stack = NULL;
		err->host_error = 0;
		return -1;
	}
	if (tls_env == r->owner) {
		depth_enter(); /* the JS thread is busy while the callback runs */
		int rc = call_host_on_js_thread(g_env, thread_arena(), callable, params, np, rets, nr, err);
		depth_leave();
		return rc;
	}
	return call_host_from_other_thread(callable, params, np, rets, nr, err);
}

/* Once the JS environment is being torn down its records go with it: foreign threads that
 * still drop references (a JVM's cleaner, Go's finalizers) must not touch them. */
void host_retain_any_thread(void *val)
{
	host_rec *r = val;
	if (!atomic_load(&r->owner->shutting_down)) host_retain(r);
}

void host_release_any_thread(void *val)
{
	host_rec *r = val;
	if (!atomic_load(&r->owner->shutting_down)) host_release(r);
}
