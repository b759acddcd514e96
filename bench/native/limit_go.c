/*
 * The go limit: a minimal hand-written Node-API addon that opens the benchmark's c-shared Go
 * library (bench/fixtures/go-cshared, built with go build -buildmode=c-shared) and calls its
 * exported cgo functions directly.
 */
#define NAPI_VERSION 8
#include <node_api.h>

#include <dlfcn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

typedef void (*noop_fn)(void);
typedef int64_t (*echo_int64_fn)(int64_t);
typedef int (*echo_string_fn)(const char *, int, char *, int);

static noop_fn g_noop;
static echo_int64_fn g_echo_int64;
static echo_string_fn g_echo_string;

/* init(libraryPath) */
static napi_value n_init(napi_env env, napi_callback_info info)
{
	size_t argc = 1;
	napi_value a;
	napi_get_cb_info(env, info, &argc, &a, NULL, NULL);
	char path[4096];
	size_t len;
	if (argc < 1 || napi_get_value_string_utf8(env, a, path, sizeof path, &len) != napi_ok) {
		napi_throw_type_error(env, NULL, "init(libraryPath)");
		return NULL;
	}
	void *lib = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (!lib) {
		napi_throw_error(env, NULL, dlerror());
		return NULL;
	}
	g_noop = (noop_fn)dlsym(lib, "Noop");
	g_echo_int64 = (echo_int64_fn)dlsym(lib, "EchoInt64");
	g_echo_string = (echo_string_fn)dlsym(lib, "EchoString");
	if (!g_noop || !g_echo_int64 || !g_echo_string) {
		napi_throw_error(env, NULL, "the library lacks Noop, EchoInt64 or EchoString");
		return NULL;
	}
	napi_value u;
	napi_get_undefined(env, &u);
	return u;
}

static napi_value n_noop(napi_env env, napi_callback_info info)
{
	(void)info;
	g_noop();
	napi_value u;
	napi_get_undefined(env, &u);
	return u;
}

static napi_value n_echo_int64(napi_env env, napi_callback_info info)
{
	size_t argc = 1;
	napi_value a;
	napi_get_cb_info(env, info, &argc, &a, NULL, NULL);
	int64_t x;
	if (napi_get_value_int64(env, a, &x) != napi_ok) {
		napi_throw_type_error(env, NULL, "expected a number");
		return NULL;
	}
	napi_value out;
	napi_create_int64(env, g_echo_int64(x), &out);
	return out;
}

static napi_value n_echo_string(napi_env env, napi_callback_info info)
{
	size_t argc = 1;
	napi_value a;
	napi_get_cb_info(env, info, &argc, &a, NULL, NULL);
	char stackbuf[256], outbuf[256];
	char *buf = stackbuf, *obuf = outbuf;
	size_t len;
	if (napi_get_value_string_utf8(env, a, buf, sizeof stackbuf, &len) != napi_ok) {
		napi_throw_type_error(env, NULL, "expected a string");
		return NULL;
	}
	size_t cap = sizeof outbuf;
	if (len >= sizeof stackbuf - 1) {
		napi_get_value_string_utf8(env, a, NULL, 0, &len);
		buf = malloc(len + 1);
		obuf = malloc(len + 1);
		cap = len + 1;
		napi_get_value_string_utf8(env, a, buf, len + 1, &len);
	}
	int n = g_echo_string(buf, (int)len, obuf, (int)cap);
	napi_value out = NULL;
	if (n < 0) napi_throw_error(env, NULL, "EchoString: result too long");
	else napi_create_string_utf8(env, obuf, (size_t)n, &out);
	if (buf != stackbuf) {
		free(buf);
		free(obuf);
	}
	return out;
}

NAPI_MODULE_INIT()
{
	napi_property_descriptor props[] = {
		{"init", NULL, n_init, NULL, NULL, NULL, napi_default, NULL},
		{"noop", NULL, n_noop, NULL, NULL, NULL, napi_default, NULL},
		{"echoInt64", NULL, n_echo_int64, NULL, NULL, NULL, napi_default, NULL},
		{"echoString", NULL, n_echo_string, NULL, NULL, NULL, napi_default, NULL},
	};
	napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
	return exports;
}
