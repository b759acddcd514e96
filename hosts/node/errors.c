#include "node_host.h"

/* ------------------------------------------------------------------------------------ */
/* Errors                                                                                */

void throw_metaffi_error(napi_env env, const char *runtime, const metaffi_error *err,
                                const char *context)
{
	napi_value ctor, args[2], details, exc, s;
	char msg[4096];
	const char *type = err->type && *err->type ? err->type : NULL;
	const char *text = err->message ? err->message : "";
	/* A plugin's own error (not a foreign exception) carries our class name as its type: the
	 * JS error is already a MetaFFIError, so the message does not repeat it. */
	const char *shown = type && strcmp(type, "MetaFFIError") != 0 ? type : NULL;
	if (context && shown) snprintf(msg, sizeof msg, "%s: %s: %s", context, shown, text);
	else if (context) snprintf(msg, sizeof msg, "%s: %s", context, text);
	else if (shown) snprintf(msg, sizeof msg, "%s: %s", shown, text);
	else snprintf(msg, sizeof msg, "%s", text);
	napi_create_string_utf8(env, msg, NAPI_AUTO_LENGTH, &args[0]);
	napi_value cause = NULL;
	if (err->host_error && g_host_errors[err->host_error % HOST_ERROR_SLOTS] &&
	    g_host_error_seq - err->host_error < HOST_ERROR_SLOTS)
		napi_get_reference_value(env, g_host_errors[err->host_error % HOST_ERROR_SLOTS], &cause);
	if (g_error_details_fn) {
		/* one call with positional values instead of an object filled through Node-API */
		napi_value fn, global, undef, fargs[5];
		napi_get_undefined(env, &undef);
		napi_create_string_utf8(env, runtime, NAPI_AUTO_LENGTH, &fargs[0]);
		fargs[1] = undef;
		if (type) napi_create_string_utf8(env, type, NAPI_AUTO_LENGTH, &fargs[1]);
		napi_create_string_utf8(env, text, NAPI_AUTO_LENGTH, &fargs[2]);
		fargs[3] = undef;
		if (err->stack) napi_create_string_utf8(env, err->stack, NAPI_AUTO_LENGTH, &fargs[3]);
		fargs[4] = cause ? cause : undef;
		napi_get_reference_value(env, g_error_details_fn, &fn);
		napi_get_global(env, &global);
		if (napi_call_function(env, global, fn, 5, fargs, &details) != napi_ok) {
			/* No room left to build an error (the JS stack is exhausted): hand back the
			 * original JS exception when there is one, else a plain error. */
			napi_value ignored;
			napi_get_and_clear_last_exception(env, &ignored);
			if (cause) napi_throw(env, cause);
			else napi_throw_error(env, NULL, msg);
			return;
		}
	} else {
		napi_create_object(env, &details);
		napi_create_string_utf8(env, runtime, NAPI_AUTO_LENGTH, &s);
		napi_set_named_property(env, details, "runtime", s);
		if (type) {
			napi_create_string_utf8(env, type, NAPI_AUTO_LENGTH, &s);
			napi_set_named_property(env, details, "foreignType", s);
		}
		napi_create_string_utf8(env, text, NAPI_AUTO_LENGTH, &s);
		napi_set_named_property(env, details, "foreignMessage", s);
		if (err->stack) {
			napi_create_string_utf8(env, err->stack, NAPI_AUTO_LENGTH, &s);
			napi_set_named_property(env, details, "foreignStack", s);
		}
		if (cause) napi_set_named_property(env, details, "cause", cause);
	}
	args[1] = details;
	napi_get_reference_value(env, g_error_ctor, &ctor);
	if (napi_new_instance(env, ctor, 2, args, &exc) == napi_ok) {
		napi_throw(env, exc);
	} else {
		napi_value ignored;
		napi_get_and_clear_last_exception(env, &ignored);
		if (cause) napi_throw(env, cause);
		else napi_throw_error(env, NULL, msg);
	}
}

void throw_simple(napi_env env, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	metaffi_error e = {NULL, msg, NULL, 0};
	throw_metaffi_error(env, "", &e, NULL);
}

void clear_host_errors(napi_env env)
{
	if (!g_host_errors_kept) return;
	g_host_errors_kept = 0;
	for (int i = 0; i < HOST_ERROR_SLOTS; i++) {
		if (g_host_errors[i]) {
			napi_delete_reference(env, g_host_errors[i]);
			g_host_errors[i] = NULL;
		}
	}
}

/* Record a JS exception from a callback and describe it for the foreign runtime. */
void host_exception_to_error(napi_env env, arena *ar, napi_value exc, metaffi_error *err)
{
	/* A MetaFFIError with a cause is a JS exception that already went through a foreign
	 * runtime (nested callbacks): pass on the original, so the JS caller at the top gets one
	 * MetaFFIError whose cause is the exception that was thrown, not a chain of wrappers
	 * that repeat each other's messages. */
	napi_value ctor, cause;
	bool is_ours = false;
	napi_valuetype ct;
	if (g_error_ctor && napi_get_reference_value(env, g_error_ctor, &ctor) == napi_ok &&
	    napi_instanceof(env, exc, ctor, &is_ours) == napi_ok && is_ours &&
	    napi_get_named_property(env, exc, "cause", &cause) == napi_ok &&
	    napi_typeof(env, cause, &ct) == napi_ok && ct != napi_undefined)
		exc = cause;
	uint64_t id = ++g_host_error_seq;
	napi_ref *slot = &g_host_errors[id % HOST_ERROR_SLOTS];
	if (*slot) napi_delete_reference(env, *slot);
	napi_create_reference(env, exc, 1, slot);
	g_host_errors_kept = 1;
	err->host_error = id;
	err->type = "Error";
	err->message = "";
	err->stack = NULL;
	napi_valuetype t;
	napi_typeof(env, exc, &t);
	napi_value s;
	char buf[2048];
	size_t n;
	if (t == napi_object) {
		napi_value name, message;
		if (napi_get_named_property(env, exc, "name", &name) == napi_ok &&
		    napi_coerce_to_string(env, name, &s) == napi_ok &&
		    napi_get_value_string_utf8(env, s, buf, sizeof buf, &n) == napi_ok)
			err->type = arena_strdup(ar, buf, n);
		if (napi_get_named_property(env, exc, "message", &message) == napi_ok &&
		    napi_coerce_to_string(env, message, &s) == napi_ok &&
		    napi_get_value_string_utf8(env, s, buf, sizeof buf, &n) == napi_ok)
			err->message = arena_strdup(ar, buf, n);
		/* The JS stack is not copied: formatting it is costly, and the JS caller gets the
		 * original exception (with its stack) as the cause. */
	} else if (napi_coerce_to_string(env, exc, &s) == napi_ok &&
	           napi_get_value_string_utf8(env, s, buf, sizeof buf, &n) == napi_ok) {
		err->message = arena_strdup(ar, buf, n);
	}
	/* a pending exception from coercion must not leak into the foreign call */
	bool pending = false;
	napi_is_exception_pending(env, &pending);
	if (pending) {
		napi_value ignored;
		napi_get_and_clear_last_exception(env, &ignored);
	}
}
