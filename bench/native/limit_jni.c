/*
 * The openjdk limit: a minimal hand-written Node-API addon that creates a JVM and calls the
 * benchmark's static methods of bench.Bench (bench/fixtures/java) directly through JNI. The
 * class and the method ids are resolved in init(); strings go as UTF-16, the encoding both
 * V8 and Java hold.
 */
#define NAPI_VERSION 8
#include <node_api.h>

#include <jni.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static JavaVM *g_vm;
static JNIEnv *g_env;
static jclass g_bench;
static jmethodID g_noop, g_echo_long, g_echo_string;

static napi_value undefined_value(napi_env env)
{
	napi_value u;
	napi_get_undefined(env, &u);
	return u;
}

/* A pending Java exception as a JS error. */
static napi_value throw_java(napi_env env)
{
	jthrowable t = (*g_env)->ExceptionOccurred(g_env);
	(*g_env)->ExceptionClear(g_env);
	char buf[512] = "Java exception";
	if (t) {
		jclass cls = (*g_env)->FindClass(g_env, "java/lang/Throwable");
		jmethodID to_string = (*g_env)->GetMethodID(g_env, cls, "toString", "()Ljava/lang/String;");
		jstring s = (*g_env)->CallObjectMethod(g_env, t, to_string);
		if (s) {
			const char *u = (*g_env)->GetStringUTFChars(g_env, s, NULL);
			snprintf(buf, sizeof buf, "%s", u);
			(*g_env)->ReleaseStringUTFChars(g_env, s, u);
			(*g_env)->DeleteLocalRef(g_env, s);
		}
		(*g_env)->ExceptionClear(g_env);
		(*g_env)->DeleteLocalRef(g_env, cls);
		(*g_env)->DeleteLocalRef(g_env, t);
	}
	napi_throw_error(env, NULL, buf);
	return NULL;
}

/* init(classFolder): create the JVM with the folder on its class path. */
static napi_value n_init(napi_env env, napi_callback_info info)
{
	size_t argc = 1;
	napi_value a;
	napi_get_cb_info(env, info, &argc, &a, NULL, NULL);
	char folder[4096];
	size_t len;
	if (argc < 1 || napi_get_value_string_utf8(env, a, folder, sizeof folder, &len) != napi_ok) {
		napi_throw_type_error(env, NULL, "init(classFolder)");
		return NULL;
	}
	if (!g_vm) {
		char cp[4200];
		snprintf(cp, sizeof cp, "-Djava.class.path=%s", folder);
		JavaVMOption opts[1] = {{cp, NULL}};
		JavaVMInitArgs args;
		args.version = JNI_VERSION_1_8;
		args.nOptions = 1;
		args.options = opts;
		args.ignoreUnrecognized = JNI_FALSE;
		jint rc = JNI_CreateJavaVM(&g_vm, (void **)&g_env, &args);
		if (rc != JNI_OK) {
			char msg[64];
			snprintf(msg, sizeof msg, "JNI_CreateJavaVM failed: %d", (int)rc);
			napi_throw_error(env, NULL, msg);
			return NULL;
		}
	}
	jclass local = (*g_env)->FindClass(g_env, "bench/Bench");
	if (!local) return throw_java(env);
	g_bench = (*g_env)->NewGlobalRef(g_env, local);
	(*g_env)->DeleteLocalRef(g_env, local);
	g_noop = (*g_env)->GetStaticMethodID(g_env, g_bench, "noop", "()V");
	g_echo_long = g_noop ? (*g_env)->GetStaticMethodID(g_env, g_bench, "echo", "(J)J") : NULL;
	g_echo_string = g_echo_long ? (*g_env)->GetStaticMethodID(g_env, g_bench, "echo", "(Ljava/lang/String;)Ljava/lang/String;") : NULL;
	if (!g_echo_string) return throw_java(env);
	jint v = (*g_env)->GetVersion(g_env);
	char version[32];
	snprintf(version, sizeof version, "JNI %d.%d", (int)(v >> 16), (int)(v & 0xffff));
	napi_value out;
	napi_create_string_utf8(env, version, NAPI_AUTO_LENGTH, &out);
	return out;
}

static napi_value n_noop(napi_env env, napi_callback_info info)
{
	(void)info;
	(*g_env)->CallStaticVoidMethod(g_env, g_bench, g_noop);
	if ((*g_env)->ExceptionCheck(g_env)) return throw_java(env);
	return undefined_value(env);
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
	jlong y = (*g_env)->CallStaticLongMethod(g_env, g_bench, g_echo_long, (jlong)x);
	if ((*g_env)->ExceptionCheck(g_env)) return throw_java(env);
	napi_value out;
	napi_create_int64(env, (int64_t)y, &out);
	return out;
}

static napi_value n_echo_string(napi_env env, napi_callback_info info)
{
	size_t argc = 1;
	napi_value a;
	napi_get_cb_info(env, info, &argc, &a, NULL, NULL);
	char16_t stackbuf[256];
	char16_t *buf = stackbuf;
	size_t len;
	if (napi_get_value_string_utf16(env, a, buf, 256, &len) != napi_ok) {
		napi_throw_type_error(env, NULL, "expected a string");
		return NULL;
	}
	if (len >= 255) {
		napi_get_value_string_utf16(env, a, NULL, 0, &len);
		buf = malloc((len + 1) * sizeof(char16_t));
		napi_get_value_string_utf16(env, a, buf, len + 1, &len);
	}
	jstring s = (*g_env)->NewString(g_env, (const jchar *)buf, (jsize)len);
	if (buf != stackbuf) free(buf);
	if (!s) return throw_java(env);
	jstring r = (*g_env)->CallStaticObjectMethod(g_env, g_bench, g_echo_string, s);
	(*g_env)->DeleteLocalRef(g_env, s);
	if ((*g_env)->ExceptionCheck(g_env)) return throw_java(env);
	jsize n = (*g_env)->GetStringLength(g_env, r);
	char16_t *out_buf = n <= 256 ? stackbuf : malloc((size_t)n * sizeof(char16_t));
	(*g_env)->GetStringRegion(g_env, r, 0, n, (jchar *)out_buf);
	(*g_env)->DeleteLocalRef(g_env, r);
	napi_value out;
	napi_create_string_utf16(env, out_buf, (size_t)n, &out);
	if (out_buf != stackbuf) free(out_buf);
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
