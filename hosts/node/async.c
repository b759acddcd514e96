#include "node_host.h"

/* ------------------------------------------------------------------------------------ */
/* Asynchronous calls (entity.async(...)): the arguments are converted on the JS thread into
 * an arena of the call's own, the foreign call runs on a thread of a small pool, and the
 * results are converted and the promise settled on the JS thread. The JS thread is free
 * meanwhile, so JS callbacks made by the foreign code run on it as usual (through g_tsfn). */

typedef struct async_req {
	struct async_req *next;
	entity *e;
	node_env *ne; /* the environment that made the call: its JS thread settles the promise */
	arena *ar; /* the arguments; then the results and the error, copied out of the worker's arena */
	cdt *cd;   /* np parameters, then nr results */
	metaffi_error err;
	int rc;
	napi_deferred deferred;
} async_req;

static pthread_mutex_t g_pool_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t g_pool_cond = PTHREAD_COND_INITIALIZER;
static async_req *g_queue_head, *g_queue_tail;
static int g_pool_threads, g_pool_idle, g_pool_size, g_queued;
atomic_size_t g_async_in_flight[RT_COUNT]; /* per runtime, all environments */

static int default_pool_size(void)
{
	const char *env = getenv("METAFFI_THREADS");
	if (env && *env) {
		char *end;
		long n = strtol(env, &end, 10);
		if (*end == 0 && n >= 1 && n <= 256) return (int)n;
		fprintf(stderr, "metaffi: METAFFI_THREADS=%s is not a number from 1 to 256; using the default\n", env);
	}
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	return cpus > 4 ? (int)cpus : 4;
}

int async_pool_size(void)
{
	pthread_mutex_lock(&g_pool_lock);
	if (!g_pool_size) g_pool_size = default_pool_size();
	int n = g_pool_size;
	pthread_mutex_unlock(&g_pool_lock);
	return n;
}

void async_set_pool_size(int n)
{
	pthread_mutex_lock(&g_pool_lock);
	g_pool_size = n; /* threads already started stay; more start while calls wait */
	pthread_mutex_unlock(&g_pool_lock);
}

/* The error's strings live in the worker's arena, which the worker resets: copy them. */
static void error_copy_into(arena *a, metaffi_error *err)
{
	if (err->type) err->type = arena_strdup(a, err->type, strlen(err->type));
	if (err->message) err->message = arena_strdup(a, err->message, strlen(err->message));
	if (err->stack) err->stack = arena_strdup(a, err->stack, strlen(err->stack));
}

static void run_request(async_req *req)
{
	entity *e = req->e;
	arena *ta = thread_arena();
	metaffi_mark mark = arena_mark_of(ta);
	cdt *rets = req->cd + e->np;
	req->rc = e->plugin->xcall(e->pent, req->cd, e->np, rets, e->nr, &req->err);
	if (req->rc == 0) {
		int oom = 0;
		for (size_t i = 0; i < e->nr; i++)
			if (cdt_copy_into(req->ar, &rets[i])) oom = 1;
		if (oom) {
			for (size_t i = 0; i < e->nr; i++) cdt_release_refs(&rets[i]);
			req->rc = -1;
			req->err = (metaffi_error){"MetaFFIError", "out of memory while keeping the results of an async call",
			                           NULL, 0};
		}
	} else {
		error_copy_into(req->ar, &req->err);
	}
	arena_reset_to(ta, mark);
}

/* A caller awaiting async calls one after another makes the next one a few microseconds
 * after the last one settled: an idle thread looks for it a little while before it sleeps,
 * which saves the wake-up (a futex round trip) on each call. */
#define POOL_SPIN_NS 30000

static void spin_for_work(void)
{
	struct timespec start, now;
	clock_gettime(CLOCK_MONOTONIC, &start);
	for (unsigned i = 1;; i++) {
		if (__atomic_load_n(&g_queue_head, __ATOMIC_ACQUIRE)) return;
#if defined(__x86_64__) || defined(__i386__)
		__builtin_ia32_pause();
#endif
		if ((i & 63) == 0) {
			clock_gettime(CLOCK_MONOTONIC, &now);
			long ns = (now.tv_sec - start.tv_sec) * 1000000000L + (now.tv_nsec - start.tv_nsec);
			if (ns > POOL_SPIN_NS) return;
		}
	}
}

static void *pool_main(void *arg)
{
	(void)arg;
	for (;;) {
		pthread_mutex_lock(&g_pool_lock);
		if (!g_queue_head) {
			g_pool_idle++; /* idle while it spins too: enqueue need not start another thread */
			pthread_mutex_unlock(&g_pool_lock);
			spin_for_work();
			pthread_mutex_lock(&g_pool_lock);
			while (!g_queue_head) pthread_cond_wait(&g_pool_cond, &g_pool_lock);
			g_pool_idle--;
		}
		async_req *req = g_queue_head;
		g_queued--;
		g_queue_head = req->next;
		if (!g_queue_head) g_queue_tail = NULL;
		pthread_mutex_unlock(&g_pool_lock);
		run_request(req);
		if (env_post(req->ne, req->ne->done_tsfn, req)) {
			/* The environment has ended: nothing is left to settle. Drop the references the
			 * call holds (any thread may); the entity stays with its environment's memory. */
			entity *e = req->e;
			atomic_fetch_sub(&g_async_in_flight[e->runtime], 1);
			for (size_t i = 0; i < e->np + (req->rc == 0 ? e->nr : 0); i++) cdt_release_refs(&req->cd[i]);
			arena_free(req->ar);
			free(req);
		}
	}
	return NULL;
}

/* Queue a request; start a thread when queued calls outnumber idle threads and the pool is not full. */
static int enqueue(async_req *req)
{
	pthread_mutex_lock(&g_pool_lock);
	if (!g_pool_size) g_pool_size = default_pool_size();
	req->next = NULL;
	if (g_queue_tail) g_queue_tail->next = req;
	else __atomic_store_n(&g_queue_head, req, __ATOMIC_RELEASE); /* spinning threads read it unlocked */
	g_queue_tail = req;
	g_queued++;
	int rc = 0;
	/* idle threads take queued calls; start one more while calls outnumber them */
	if (g_queued > g_pool_idle && g_pool_threads < g_pool_size) {
		pthread_t t;
		pthread_attr_t attr;
		pthread_attr_init(&attr);
		pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
		pthread_attr_setstacksize(&attr, 8u << 20); /* what a main thread has: deep Java and Python stacks fit */
		if (pthread_create(&t, &attr, pool_main, NULL) == 0) g_pool_threads++;
		else if (g_pool_threads == 0) rc = -1;
		pthread_attr_destroy(&attr);
	}
	if (rc) {
		g_queue_head = g_queue_tail = NULL; /* req was the only one: no thread will ever take it */
		g_queued = 0;
	} else {
		pthread_cond_signal(&g_pool_cond);
	}
	pthread_mutex_unlock(&g_pool_lock);
	return rc;
}

static void reject_pending(napi_env env, napi_deferred d)
{
	napi_value exc;
	if (napi_get_and_clear_last_exception(env, &exc) != napi_ok || !exc) {
		napi_value msg;
		napi_create_string_utf8(env, "metaffi: the async call failed", NAPI_AUTO_LENGTH, &msg);
		napi_create_error(env, NULL, msg, &exc);
	}
	napi_reject_deferred(env, d, exc);
}

static void request_free(async_req *req)
{
	arena_free(req->ar);
	entity_unref(req->e);
	free(req);
}

/* On the JS thread: convert the results and settle the promise. */
static void async_done(napi_env env, napi_value js_cb, void *context, void *data)
{
	(void)js_cb;
	(void)context;
	async_req *req = data;
	entity *e = req->e;
	g_in_flight--;
	e->in_flight--;
	atomic_fetch_sub(&g_async_in_flight[e->runtime], 1);
	for (size_t i = 0; i < e->np; i++) cdt_release_refs(&req->cd[i]); /* the callee only borrowed them */
	if (!env || g_shutting_down) {
		if (req->rc == 0)
			for (size_t i = 0; i < e->nr; i++) cdt_release_refs(&req->cd[e->np + i]);
		arena_free(req->ar);
		free(req);
		return;
	}
	if (g_in_flight == 0) napi_unref_threadsafe_function(env, tls_env->done_tsfn);
	napi_handle_scope scope;
	napi_open_handle_scope(env, &scope);
	if (req->rc) {
		throw_metaffi_error(env, e->plugin->name, &req->err, NULL);
		reject_pending(env, req->deferred);
	} else {
		napi_value v = entity_results_to_js(env, e, req->ar, req->cd + e->np);
		if (v) napi_resolve_deferred(env, req->deferred, v);
		else reject_pending(env, req->deferred);
	}
	napi_close_handle_scope(env, scope);
	request_free(req);
	if (atomic_load(&g_depth) == 0) {
		if (!g_in_flight) clear_host_errors(env);
		if (g_defer_len) defer_drain();
	}
}

static int ensure_done_tsfn(napi_env env)
{
	if (tls_env->done_tsfn) return 0;
	napi_value name;
	napi_create_string_utf8(env, "metaffi-async", NAPI_AUTO_LENGTH, &name);
	if (napi_create_threadsafe_function(env, NULL, NULL, name, 0, 1, NULL, NULL, NULL, async_done,
	                                    &tls_env->done_tsfn) != napi_ok)
		return -1;
	napi_unref_threadsafe_function(env, tls_env->done_tsfn);
	return 0;
}

/* entity.async(...args) -> Promise */
napi_value entity_call_async(napi_env env, napi_callback_info info)
{
	napi_value inline_argv[INLINE_ARGS], *argv = inline_argv, promise;
	size_t argc = INLINE_ARGS;
	entity *e;
	napi_deferred d;
	napi_get_cb_info(env, info, &argc, inline_argv, NULL, (void **)&e);
	if (napi_create_promise(env, &d, &promise) != napi_ok) return NULL;
	async_req *req = NULL;
	if (argc > INLINE_ARGS) {
		argv = malloc(argc * sizeof(napi_value));
		if (!argv) {
			napi_throw_error(env, NULL, "out of memory");
			goto fail;
		}
		napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
	}
	if (entity_check_live(env, e)) goto fail;
	if (argc != e->np) {
		entity_throw_arity(env, e, argc);
		goto fail;
	}
	if (ensure_done_tsfn(env)) {
		napi_throw_error(env, NULL, "metaffi: cannot create the async completion queue");
		goto fail;
	}
	req = calloc(1, sizeof(async_req));
	if (req) req->ar = arena_new(16 * 1024);
	if (req && req->ar) req->cd = arena_alloc(req->ar, (e->np + e->nr ? e->np + e->nr : 1) * sizeof(cdt));
	if (!req || !req->ar || !req->cd) {
		napi_throw_error(env, NULL, "out of memory");
		goto fail;
	}
	if (entity_args_to_cdt(env, e, req->ar, argv, req->cd, 0)) goto fail;
	/* The arguments must not change or go away while another thread reads them. */
	for (size_t i = 0; i < e->np; i++) cdt_own(req->ar, &req->cd[i]);
	req->e = e;
	req->ne = tls_env;
	req->deferred = d;
	e->refs++;
	e->in_flight++;
	if (enqueue(req)) {
		for (size_t i = 0; i < e->np; i++) cdt_release_refs(&req->cd[i]);
		e->refs--;
		e->in_flight--;
		napi_throw_error(env, NULL, "metaffi: cannot start a thread for async calls");
		goto fail;
	}
	if (g_in_flight++ == 0) napi_ref_threadsafe_function(env, tls_env->done_tsfn);
	atomic_fetch_add(&g_async_in_flight[e->runtime], 1);
	if (argv != inline_argv) free(argv);
	return promise;
fail:
	if (req) arena_free(req->ar);
	free(req);
	if (argv != inline_argv) free(argv);
	reject_pending(env, d);
	return promise;
}
