#include "node_host.h"

/* ------------------------------------------------------------------------------------ */
/* Host records: a JS value lent to foreign runtimes. The record is attached to the JS
 * object (napi_wrap) so passing the same object again reuses it. `count` is the number of
 * foreign references; while it is above zero the napi reference is strong.              */


void types_free(metaffi_type_info *t, size_t n)
{
	if (!t) return;
	for (size_t i = 0; i < n; i++) free((void *)t[i].alias);
	free(t);
}


void host_rec_free(host_rec *r)
{
	live_remove(r);
	types_free(r->params, r->np);
	types_free(r->rets, r->nr);
	free(r);
}

void host_rec_finalize_later(napi_env env, void *data, void *hint)
{
	(void)hint;
	host_rec *r = data;
	if (atomic_load(&r->queued)) defer_drain(); /* a queued sync still names this record */
	if (r->ref) napi_delete_reference(env, r->ref);
	host_rec_free(r);
}

/* The object was collected (during GC: deleting the reference must wait until after it). */
void host_rec_finalize(napi_env env, void *data, void *hint)
{
	host_rec *r = data;
	live_remove(r); /* no longer ours from now on, whatever comes next */
	r->kind = 0;
	if (g_shutting_down) { /* the environment is being torn down and deletes its references itself */
		r->ref = NULL;
		/* A foreign runtime still holding it may call or release it later: the record then
		 * stays (calls fail, see host_call), rather than be freed under that runtime. */
		if (atomic_load(&r->count) == 0 && atomic_load(&r->queued) == 0) host_rec_free(r);
		return;
	}
	if (!node_api_post_finalizer || node_api_post_finalizer(env, host_rec_finalize_later, r, hint) != napi_ok)
		host_rec_finalize_later(env, r, hint);
}

/* The last foreign reference to a JS value is gone: detach the record from the object and
 * free it now rather than when the object is collected, so JS values lent once (a fresh
 * closure per call) cost nothing after the call. Passing the object again makes a new one.
 * Records of makeMetaFFICallable functions keep their declared types: they stay. */
void host_forget(host_rec *r)
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
void host_sync(void *p)
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

void host_sync_queued(void *p)
{
	host_rec *r = p;
	atomic_fetch_sub(&r->queued, 1);
	host_sync(r);
}

/* Another thread changes the count: `queued` goes up first and comes down only on the JS
 * thread (or right here when nothing was queued), so the JS thread never frees a record that
 * another thread is still touching (host_forget waits while queued is above zero). */
void host_retain(host_rec *r)
{
	if (tls_env == r->owner) {
		atomic_fetch_add(&r->count, 1);
		host_sync(r);
		return;
	}
	atomic_fetch_add(&r->queued, 1);
	atomic_fetch_add(&r->count, 1);
	defer_push_to(r->owner, DEFER_HOST_SYNC, RT_HOST, 0, r);
}

void host_release(host_rec *r)
{
	if (tls_env == r->owner) {
		if (atomic_fetch_sub(&r->count, 1) == 1) host_sync(r);
		return;
	}
	atomic_fetch_add(&r->queued, 1);
	if (atomic_fetch_sub(&r->count, 1) == 1) defer_push_to(r->owner, DEFER_HOST_SYNC, RT_HOST, 0, r);
	else atomic_fetch_sub(&r->queued, 1);
}

/* A new record for a JS object or function that carries none yet. */
host_rec *host_rec_new(napi_env env, napi_value obj)
{
	host_rec *r = calloc(1, sizeof(host_rec));
	if (!r || live_add(r)) {
		free(r);
		napi_throw_error(env, NULL, "out of memory");
		return NULL;
	}
	r->kind = WRAP_HOST;
	r->owner = tls_env;
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
host_rec *host_rec_of(napi_env env, napi_value obj)
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
