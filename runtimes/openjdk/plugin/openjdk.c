/*
 * The openjdk runtime plugin: a JVM in this process through JNI. libjvm is found at run
 * time (src/runtimes/openjdk.ts) and opened here; one JVM per process, created on first
 * use on the JS thread. Module loading, entity resolution and overload choice live in the
 * Java helper (java/metaffi/jvm/Bridge.java); the call path and the common conversions
 * are here.
 *
 * References: every Java object held by another runtime is a `jref` (one JNI global
 * reference with a count). Local references made during a call are freed by a local
 * frame around the call (or deleted one by one in loops), on every path.
 */
#include <jni.h>

#include <dlfcn.h>
#include <float.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "metaffi.h"

#define INLINE_ARGS 16

/* Kinds of Java types; the same numbers as in Bridge.java. */
enum {
	K_VOID = 0, K_Z = 1, K_B = 2, K_C = 3, K_S = 4, K_I = 5, K_J = 6, K_F = 7, K_D = 8,
	K_STRING = 9, K_BOX = 10, /* K_BOX + primitive kind - 1: Boolean .. Double */
	K_ARRAY = 18, K_FUNC = 19, K_OBJECT = 20, K_FOREIGN = 21,
	K_PRIM_ARRAY = 30 /* + primitive kind */
};

enum { F_INSTANCE = 1, F_GETTER = 2, F_SETTER = 4 };

static const metaffi_core *core;
static JavaVM *g_jvm;
static int g_active;
static atomic_long g_live_refs;
static __thread JNIEnv *tls_env;
static pthread_key_t g_detach_key;
static char g_broken[1400]; /* why the JVM of this process cannot be used, once it happened */

/* Classes and methods used on the call path, resolved once. */
static jclass c_bridge, c_object, c_string, c_foreign_obj, c_foreign_exc, c_class, c_map, c_iae;
static jclass c_box[8];
static jclass c_soe, c_ste, c_bigint;
static jmethodID m_bigint_new, m_bigint_bits, m_bigint_signum, m_bigint_long;
static jfieldID f_host_error, f_foreign_type, f_foreign_message, f_foreign_stack, f_detail, f_stack_trace;
static jmethodID m_box_of[8], m_unbox[8];
static jmethodID m_init, m_adopt, m_add_paths, m_find_class, m_kind_of, m_kind_of_object,
	m_foreign_ref, m_class_name, m_resolve, m_param_types, m_return_type, m_is_static, m_proxy,
	m_invoke_functional, m_describe_exc, m_flush, m_foreign_obj_new, m_foreign_exc_new,
	m_component_type, m_is_array, m_map_new, m_map_put;
static jobject g_void; /* Bridge.VOID */

typedef struct {
	jobject obj; /* global reference */
	atomic_long refs;
} jref;

/* ------------------------------------------------------------------------------------ */
/* Threads                                                                               */

static void detach_thread(void *p)
{
	(void)p;
	if (g_jvm) (*g_jvm)->DetachCurrentThread(g_jvm);
}

/* The JNIEnv of this thread; threads of other runtimes are attached on first use (as
 * daemons, detached when they end). */
static JNIEnv *get_env(void)
{
	if (tls_env) return tls_env;
	JNIEnv *env = NULL;
	if ((*g_jvm)->GetEnv(g_jvm, (void **)&env, JNI_VERSION_1_8) == JNI_OK) {
		tls_env = env;
		return env;
	}
	JavaVMAttachArgs a = {JNI_VERSION_1_8, "metaffi-foreign-thread", NULL};
	if ((*g_jvm)->AttachCurrentThreadAsDaemon(g_jvm, (void **)&env, &a) != JNI_OK) return NULL;
	pthread_setspecific(g_detach_key, (void *)1);
	tls_env = env;
	if (m_adopt) {
		(*env)->CallStaticVoidMethod(env, c_bridge, m_adopt);
		(*env)->ExceptionClear(env);
	}
	return env;
}

/* ------------------------------------------------------------------------------------ */
/* Strings                                                                               */

static void set_error(metaffi_error *err, const char *type, const char *msg)
{
	err->type = type;
	err->message = core->strdup(msg, strlen(msg));
	err->stack = NULL;
	err->host_error = 0;
}

static char *utf16_to_utf8(const jchar *s, size_t n, size_t *out_len)
{
	char *o = core->alloc(n * 3 + 1);
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		uint32_t c = s[i];
		if (c >= 0xD800 && c <= 0xDBFF && i + 1 < n && s[i + 1] >= 0xDC00 && s[i + 1] <= 0xDFFF) {
			c = 0x10000 + ((c - 0xD800) << 10) + (s[i + 1] - 0xDC00);
			i++;
		}
		if (c < 0x80) {
			o[k++] = (char)c;
		} else if (c < 0x800) {
			o[k++] = (char)(0xC0 | (c >> 6));
			o[k++] = (char)(0x80 | (c & 0x3F));
		} else if (c < 0x10000) {
			o[k++] = (char)(0xE0 | (c >> 12));
			o[k++] = (char)(0x80 | ((c >> 6) & 0x3F));
			o[k++] = (char)(0x80 | (c & 0x3F));
		} else {
			o[k++] = (char)(0xF0 | (c >> 18));
			o[k++] = (char)(0x80 | ((c >> 12) & 0x3F));
			o[k++] = (char)(0x80 | ((c >> 6) & 0x3F));
			o[k++] = (char)(0x80 | (c & 0x3F));
		}
	}
	o[k] = 0;
	if (out_len) *out_len = k;
	return o;
}

/* A Java string as UTF-8 in the arena ("" for null). */
static const char *jstring_utf8(JNIEnv *env, jstring s)
{
	if (!s) return "";
	jsize n = (*env)->GetStringLength(env, s);
	jchar small[256];
	jchar *buf = n <= 256 ? small : core->alloc((size_t)n * sizeof(jchar));
	(*env)->GetStringRegion(env, s, 0, n, buf);
	return utf16_to_utf8(buf, (size_t)n, NULL);
}

/* UTF-8 to UTF-16; `out` has room for n units (UTF-16 never needs more units than UTF-8
 * has bytes). Invalid bytes become U+FFFD. */
static size_t utf8_to_utf16(const unsigned char *s, size_t n, jchar *out)
{
	size_t k = 0;
	for (size_t i = 0; i < n;) {
		uint32_t c = s[i];
		size_t len = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
		if (len == 0 || i + len > n) {
			out[k++] = 0xFFFD;
			i++;
			continue;
		}
		if (len == 2) c = ((c & 0x1F) << 6) | (s[i + 1] & 0x3F);
		else if (len == 3) c = ((c & 0x0F) << 12) | ((s[i + 1] & 0x3F) << 6) | (s[i + 2] & 0x3F);
		else if (len == 4)
			c = ((c & 0x07) << 18) | ((s[i + 1] & 0x3F) << 12) | ((s[i + 2] & 0x3F) << 6) | (s[i + 3] & 0x3F);
		i += len;
		if (c >= 0x10000) {
			c -= 0x10000;
			out[k++] = (jchar)(0xD800 + (c >> 10));
			out[k++] = (jchar)(0xDC00 + (c & 0x3FF));
		} else {
			out[k++] = (jchar)c;
		}
	}
	return k;
}

/* A string CDT as UTF-16 units (a pointer into the CDT for string16, else arena). */
static const jchar *cdt_utf16(const cdt *v, jchar *small, size_t small_len, size_t *n)
{
	if (v->type == MT_STRING16) {
		*n = v->v.str.len;
		return v->v.str.ptr;
	}
	size_t cap = v->type == MT_STRING8 ? v->v.str.len : v->v.str.len * 2;
	jchar *buf = cap <= small_len ? small : core->alloc((cap ? cap : 1) * sizeof(jchar));
	*n = 0;
	if (!buf) return NULL;
	if (v->type == MT_STRING8) {
		*n = utf8_to_utf16(v->v.str.ptr, v->v.str.len, buf);
	} else {
		const uint32_t *s = v->v.str.ptr;
		size_t k = 0;
		for (size_t i = 0; i < v->v.str.len; i++) {
			uint32_t c = s[i];
			if (c >= 0x10000) {
				c -= 0x10000;
				buf[k++] = (jchar)(0xD800 + (c >> 10));
				buf[k++] = (jchar)(0xDC00 + (c & 0x3FF));
			} else {
				buf[k++] = (jchar)c;
			}
		}
		*n = k;
	}
	return buf;
}

static jstring make_jstring(JNIEnv *env, const cdt *v)
{
	jchar small[256];
	size_t n;
	const jchar *u = cdt_utf16(v, small, 256, &n);
	return u ? (*env)->NewString(env, u, (jsize)n) : NULL;
}

static jstring jstring_from_utf8(JNIEnv *env, const char *s)
{
	cdt v;
	v.type = MT_STRING8;
	v.v.str.ptr = s ? s : "";
	v.v.str.len = s ? strlen(s) : 0;
	return make_jstring(env, &v);
}

/* Arena memory for a converted value; NULL (with the error set) when there is none. */
static void *alloc_value(size_t size, metaffi_error *err)
{
	void *p = core->alloc(size);
	if (!p) {
		char msg[160];
		snprintf(msg, sizeof msg, "not enough memory to convert a value of %zu bytes", size);
		set_error(err, "MetaFFIError", msg);
	}
	return p;
}

static int is_string_type(uint64_t t)
{
	return t == MT_STRING8 || t == MT_STRING16 || t == MT_STRING32;
}

/* ------------------------------------------------------------------------------------ */
/* Errors                                                                                */

static const char *cdt_type_name(uint64_t t)
{
	if ((t & MT_ARRAY) && !(t & MT_PACKED)) return "an array";
	if (t & MT_PACKED) return "a numeric array";
	switch (t) {
	case MT_STRING8: case MT_STRING16: case MT_STRING32: return "a string";
	case MT_CHAR8: case MT_CHAR16: case MT_CHAR32: return "a character";
	case MT_HANDLE: return "a handle";
	case MT_CALLABLE: return "a function";
	case MT_MAP: return "a map";
	case MT_ANY: return "an unknown value";
	default: {
		const char *name = metaffi_type_name(t);
		return strcmp(name, "unknown") == 0 ? "an unknown value" : name;
	}
	}
}

static const char *kind_name(int k)
{
	static const char *names[] = {"void", "boolean", "byte", "char", "short", "int", "long", "float", "double",
	                              "java.lang.String", "java.lang.Boolean", "java.lang.Byte", "java.lang.Character",
	                              "java.lang.Short", "java.lang.Integer", "java.lang.Long", "java.lang.Float",
	                              "java.lang.Double", "an array", "a functional interface", "an object"};
	if (k >= 0 && k <= K_OBJECT) return names[k];
	if (k > K_PRIM_ARRAY && k <= K_PRIM_ARRAY + K_D) return "a primitive array";
	return "a value";
}

static int conv_error(metaffi_error *err, const char *expected, const cdt *got)
{
	char msg[300];
	snprintf(msg, sizeof msg, "expected %s, got %s", expected, cdt_type_name(got->type));
	set_error(err, "TypeError", msg);
	return -1;
}

/*
 * Nesting. Every recursive conversion passes its depth (0 for an argument or result
 * itself); an array or map at depth METAFFI_MAX_DEPTH is one level too many. The indexes
 * on the way down are kept per thread so the error can say where. The error's type is
 * this very string, so the levels above it know not to prefix their own index.
 */
static const char DEPTH_ERROR[] = "MetaFFIError";
static __thread size_t tls_path[METAFFI_MAX_DEPTH + 1];

static int too_deep(int depth, metaffi_error *err)
{
	if (depth < METAFFI_MAX_DEPTH) return 0;
	char msg[200];
	int n = snprintf(msg, sizeof msg, "is nested deeper than %d levels (at ", METAFFI_MAX_DEPTH);
	for (int i = 0; i < 4 && i < depth; i++) n += snprintf(msg + n, sizeof msg - (size_t)n, "[%zu]", tls_path[i]);
	snprintf(msg + n, sizeof msg - (size_t)n, "%s); flatten it or pass a handle", depth > 4 ? "..." : "");
	set_error(err, "MetaFFIError", msg);
	err->type = DEPTH_ERROR;
	return 1;
}

/* Put the place of a failing element ("[3]") in front of its error. Kept out of the
 * recursive functions so their stack frames stay small. */
static __attribute__((noinline)) void prefix_index(metaffi_error *err, size_t i)
{
	if (err->type == DEPTH_ERROR) return;
	char msg[700];
	snprintf(msg, sizeof msg, "[%zu]%s%s", i, err->message[0] == '[' ? "" : ": ", err->message);
	err->message = core->strdup(msg, strlen(msg));
}

/* "argument 2: ..." / "return value: ..." in front of an error. */
static __attribute__((noinline)) void prefix_place(metaffi_error *err, const char *place)
{
	char msg[900];
	/* "argument 1 is nested ...", "argument 1[2]: ...", "argument 1: ..." */
	const char *sep = err->type == DEPTH_ERROR ? " " : err->message[0] == '[' ? "" : ": ";
	snprintf(msg, sizeof msg, "%s%s%s", place, sep, err->message);
	err->message = core->strdup(msg, strlen(msg));
	if (err->type == DEPTH_ERROR) err->type = "MetaFFIError";
}

static const char *class_name(JNIEnv *env, jobject cls_or_obj, int is_class)
{
	jobject cls = is_class ? cls_or_obj : (*env)->GetObjectClass(env, cls_or_obj);
	jstring n = (*env)->CallObjectMethod(env, cls, m_class_name == NULL ? NULL : m_class_name);
	const char *r = "?";
	if ((*env)->ExceptionCheck(env)) (*env)->ExceptionClear(env);
	else r = jstring_utf8(env, n);
	if (n) (*env)->DeleteLocalRef(env, n);
	if (!is_class) (*env)->DeleteLocalRef(env, cls);
	return r;
}

static jstring string_field(JNIEnv *env, jobject o, jfieldID f)
{
	return f ? (jstring)(*env)->GetObjectField(env, o, f) : NULL;
}

static __attribute__((noinline)) void error_without_java(JNIEnv *env, jthrowable t, metaffi_error *err)
{
	if ((*env)->IsInstanceOf(env, t, c_foreign_exc)) {
		jstring ty = string_field(env, t, f_foreign_type), msg = string_field(env, t, f_foreign_message),
		        st = string_field(env, t, f_foreign_stack);
		err->type = jstring_utf8(env, ty);
		err->message = jstring_utf8(env, msg);
		err->stack = st ? jstring_utf8(env, st) : NULL;
		err->host_error = (uint64_t)(*env)->GetLongField(env, t, f_host_error);
		if (ty) (*env)->DeleteLocalRef(env, ty);
		if (msg) (*env)->DeleteLocalRef(env, msg);
		if (st) (*env)->DeleteLocalRef(env, st);
		return;
	}
	if ((*env)->IsInstanceOf(env, t, c_soe)) {
		set_error(err, "java.lang.StackOverflowError", "the Java stack overflowed (calls nested too deeply, for "
		          "example functions of JavaScript and Java calling each other)");
		return;
	}
	set_error(err, "java.lang.Throwable", "an exception that could not be described (the Java stack is exhausted)");
}

/* The pending Java exception as a metaffi_error. plain: an error of ours (bad entity
 * path, missing class) whose message says it all, without Java type and stack. */
static void error_from_java(JNIEnv *env, metaffi_error *err, int plain)
{
	jthrowable t = (*env)->ExceptionOccurred(env);
	(*env)->ExceptionClear(env);
	err->host_error = 0;
	err->stack = NULL;
	if (!t) {
		set_error(err, "MetaFFIError", "the Java call failed without an exception");
		return;
	}
	jobjectArray d = (*env)->CallStaticObjectMethod(env, c_bridge, m_describe_exc, t);
	if ((*env)->ExceptionCheck(env) || !d) {
		/* Describing it needs Java stack, and there may be none left (a StackOverflowError,
		 * or an error passing through deeply nested calls): read what JNI can read alone. */
		(*env)->ExceptionClear(env);
		error_without_java(env, t, err);
		(*env)->DeleteLocalRef(env, t);
		return;
	}
	jstring s[4];
	for (int i = 0; i < 4; i++) s[i] = (*env)->GetObjectArrayElement(env, d, i);
	err->type = jstring_utf8(env, s[0]);
	err->message = jstring_utf8(env, s[1]);
	err->stack = jstring_utf8(env, s[2]);
	err->host_error = strtoull(jstring_utf8(env, s[3]), NULL, 10);
	/* Only our own argument errors are plain; a failing static initializer, a linkage error
	 * and the like keep their Java type and stack. */
	if (plain && !err->host_error && strcmp(err->type, "java.lang.IllegalArgumentException") == 0) {
		err->type = NULL;
		err->stack = NULL;
	}
	for (int i = 0; i < 4; i++)
		if (s[i]) (*env)->DeleteLocalRef(env, s[i]);
	(*env)->DeleteLocalRef(env, d);
	(*env)->DeleteLocalRef(env, t);
}

/* ------------------------------------------------------------------------------------ */
/* References held by other runtimes                                                     */

static jref *jref_new(JNIEnv *env, jobject o)
{
	jref *r = malloc(sizeof *r);
	if (!r) return NULL;
	r->obj = (*env)->NewGlobalRef(env, o);
	atomic_init(&r->refs, 1);
	atomic_fetch_add(&g_live_refs, 1);
	return r;
}

static void jref_release(jref *r)
{
	if (atomic_fetch_sub(&r->refs, 1) != 1) return;
	JNIEnv *env = get_env();
	if (env) (*env)->DeleteGlobalRef(env, r->obj);
	atomic_fetch_sub(&g_live_refs, 1);
	free(r);
}

/* Drop the references a CDT value holds. */
static void release_refs(const cdt *v)
{
	if ((v->type & MT_ARRAY) && !(v->type & MT_PACKED)) {
		for (size_t i = 0; i < v->v.arr.len; i++) release_refs(&v->v.arr.elems[i]);
	} else if (v->type == MT_MAP) {
		for (size_t i = 0; i < 2 * v->v.map.len; i++) release_refs(&v->v.map.kv[i]);
	} else if (v->type == MT_HANDLE || v->type == MT_CALLABLE) {
		if (v->v.ref.runtime == RT_OPENJDK) jref_release(v->v.ref.val);
		else core->release(v->v.ref.runtime, v->v.ref.val);
	}
}

/* ------------------------------------------------------------------------------------ */
/* Plans: how to convert to and from one Java type, decided at loadEntity.              */

typedef struct jplan {
	int kind;
	jclass cls;          /* K_ARRAY: the component class; K_FUNC, K_OBJECT: the class (NULL: Object) */
	struct jplan *elem;  /* K_ARRAY: the component's plan */
} jplan;

static int plan_build(JNIEnv *env, jclass c, jplan *p)
{
	memset(p, 0, sizeof *p);
	p->kind = (*env)->CallStaticIntMethod(env, c_bridge, m_kind_of, c);
	if ((*env)->ExceptionCheck(env)) return -1;
	if (p->kind == K_ARRAY) {
		jclass comp = (*env)->CallObjectMethod(env, c, m_component_type);
		if ((*env)->ExceptionCheck(env)) return -1;
		jplan e;
		if (plan_build(env, comp, &e)) {
			(*env)->DeleteLocalRef(env, comp);
			return -1;
		}
		if (e.kind >= K_Z && e.kind <= K_D) {
			p->kind = K_PRIM_ARRAY + e.kind;
		} else {
			p->elem = malloc(sizeof(jplan));
			*p->elem = e;
			p->cls = (*env)->NewGlobalRef(env, comp);
		}
		(*env)->DeleteLocalRef(env, comp);
	} else if (p->kind == K_FUNC || p->kind == K_OBJECT) {
		if (!(*env)->IsSameObject(env, c, c_object)) p->cls = (*env)->NewGlobalRef(env, c);
	}
	return 0;
}

static void plan_free(JNIEnv *env, jplan *p)
{
	if (p->cls) (*env)->DeleteGlobalRef(env, p->cls);
	if (p->elem) {
		plan_free(env, p->elem);
		free(p->elem);
	}
	p->cls = NULL;
	p->elem = NULL;
}

/* ------------------------------------------------------------------------------------ */
/* CDT -> Java                                                                           */

enum { N_NONE, N_INT, N_UINT, N_FLOAT, N_BOOL, N_CHAR };

static int cdt_number(const cdt *v, int64_t *i, double *d)
{
	switch (v->type) {
	case MT_INT8: *i = v->v.i8; return N_INT;
	case MT_INT16: *i = v->v.i16; return N_INT;
	case MT_INT32: *i = v->v.i32; return N_INT;
	case MT_INT64: *i = v->v.i64; return N_INT;
	case MT_UINT8: *i = v->v.u8; return N_UINT;
	case MT_UINT16: *i = v->v.u16; return N_UINT;
	case MT_UINT32: *i = v->v.u32; return N_UINT;
	case MT_UINT64: case MT_SIZE: *i = (int64_t)v->v.u64; return N_UINT;
	case MT_FLOAT32: *d = v->v.f32; return N_FLOAT;
	case MT_FLOAT64: *d = v->v.f64; return N_FLOAT;
	case MT_BOOL: *i = v->v.b != 0; return N_BOOL;
	case MT_CHAR8: case MT_CHAR16: case MT_CHAR32: *i = v->v.ch; return N_CHAR;
	default: return N_NONE;
	}
}

/* One element of a packed array as a CDT. */
static void packed_get(const cdt *v, size_t i, cdt *out)
{
	uint64_t e = MT_ELEMENT(v->type);
	const void *d = v->v.packed.data;
	out->type = e;
	switch (e) {
	case MT_FLOAT64: out->v.f64 = ((const double *)d)[i]; break;
	case MT_FLOAT32: out->v.f32 = ((const float *)d)[i]; break;
	case MT_INT8: out->v.i8 = ((const int8_t *)d)[i]; break;
	case MT_INT16: out->v.i16 = ((const int16_t *)d)[i]; break;
	case MT_INT32: out->v.i32 = ((const int32_t *)d)[i]; break;
	case MT_INT64: out->v.i64 = ((const int64_t *)d)[i]; break;
	case MT_UINT8: case MT_BOOL: out->v.u8 = ((const uint8_t *)d)[i]; break;
	case MT_UINT16: out->v.u16 = ((const uint16_t *)d)[i]; break;
	case MT_UINT32: out->v.u32 = ((const uint32_t *)d)[i]; break;
	default: out->v.u64 = ((const uint64_t *)d)[i]; break;
	}
}

/* The width in bytes of an integer type code. */
static size_t int_width(uint64_t t)
{
	switch (t) {
	case MT_INT8: case MT_UINT8: return 1;
	case MT_INT16: case MT_UINT16: return 2;
	case MT_INT32: case MT_UINT32: return 4;
	default: return 8;
	}
}

static size_t prim_width(int k);

static int cdt_to_prim(const cdt *v, int kind, jvalue *out, metaffi_error *err)
{
	int64_t i = 0;
	double d = 0;
	int n = cdt_number(v, &i, &d);
	if (kind == K_Z) {
		if (n != N_BOOL) return conv_error(err, "boolean", v);
		out->z = (jboolean)i;
		return 0;
	}
	if (kind == K_C) {
		if (is_string_type(v->type)) {
			jchar small[4];
			size_t len = 0;
			const jchar *u = v->v.str.len <= 4 ? cdt_utf16(v, small, 4, &len) : NULL;
			if (len != 1) return conv_error(err, "char (a one-character string)", v);
			out->c = u[0];
			return 0;
		}
		if ((n != N_CHAR && n != N_INT && n != N_UINT) || i < 0 || i > 0xFFFF)
			return conv_error(err, "char (a character of the Basic Multilingual Plane)", v);
		out->c = (jchar)i;
		return 0;
	}
	if (kind == K_F || kind == K_D) {
		if (n == N_INT) d = (double)i;
		else if (n == N_UINT) d = (double)(uint64_t)i;
		else if (n != N_FLOAT) return conv_error(err, kind == K_F ? "float" : "double", v);
		if (kind == K_F) {
			out->f = (jfloat)d;
			if (isinf(out->f) && !isinf(d)) { /* a finite double beyond float's range */
				char msg[160];
				snprintf(msg, sizeof msg, "the value %g is out of the range of a Java float", d);
				set_error(err, "MetaFFIError", msg);
				return -1;
			}
		} else {
			out->d = d;
		}
		return 0;
	}
	if (n != N_INT && n != N_UINT) return conv_error(err, kind_name(kind), v);
	int64_t lo = kind == K_B ? -128 : kind == K_S ? -32768 : kind == K_I ? INT32_MIN : INT64_MIN;
	int64_t hi = kind == K_B ? 127 : kind == K_S ? 32767 : kind == K_I ? INT32_MAX : INT64_MAX;
	int ok;
	if (n == N_UINT && int_width(v->type) == prim_width(kind)) {
		ok = 1; /* the Java type of the same width keeps the bits (uint8 255 is the byte -1) */
	} else if (n == N_UINT) {
		ok = (uint64_t)i <= (uint64_t)hi;
	} else {
		ok = i >= lo && i <= hi;
	}
	if (!ok) {
		char msg[160];
		if (n == N_UINT) snprintf(msg, sizeof msg, "the value %llu does not fit a Java %s", (unsigned long long)i, kind_name(kind));
		else snprintf(msg, sizeof msg, "the value %lld does not fit a Java %s", (long long)i, kind_name(kind));
		set_error(err, "TypeError", msg);
		return -1;
	}
	switch (kind) {
	case K_B: out->b = (jbyte)i; break;
	case K_S: out->s = (jshort)i; break;
	case K_I: out->i = (jint)i; break;
	default: out->j = (jlong)i; break;
	}
	return 0;
}

static jobject box_value(JNIEnv *env, int prim, jvalue v)
{
	return (*env)->CallStaticObjectMethodA(env, c_box[prim - 1], m_box_of[prim - 1], &v);
}

static size_t prim_width(int k)
{
	switch (k) {
	case K_Z: case K_B: return 1;
	case K_C: case K_S: return 2;
	case K_I: case K_F: return 4;
	default: return 8;
	}
}

/* Does a packed element type have exactly the layout of a Java primitive? */
static int packed_matches(uint64_t e, int k)
{
	switch (k) {
	case K_Z: return e == MT_BOOL;
	case K_B: return e == MT_INT8 || e == MT_UINT8;
	case K_C: return e == MT_UINT16;
	case K_S: return e == MT_INT16 || e == MT_UINT16;
	case K_I: return e == MT_INT32 || e == MT_UINT32;
	case K_J: return e == MT_INT64 || e == MT_UINT64 || e == MT_SIZE;
	case K_F: return e == MT_FLOAT32;
	case K_D: return e == MT_FLOAT64;
	default: return 0;
	}
}

static jarray new_prim_array(JNIEnv *env, int k, jsize n)
{
	switch (k) {
	case K_Z: return (*env)->NewBooleanArray(env, n);
	case K_B: return (*env)->NewByteArray(env, n);
	case K_C: return (*env)->NewCharArray(env, n);
	case K_S: return (*env)->NewShortArray(env, n);
	case K_I: return (*env)->NewIntArray(env, n);
	case K_J: return (*env)->NewLongArray(env, n);
	case K_F: return (*env)->NewFloatArray(env, n);
	default: return (*env)->NewDoubleArray(env, n);
	}
}

static void set_prim_region(JNIEnv *env, int k, jarray a, jsize n, const void *data)
{
	switch (k) {
	case K_Z: (*env)->SetBooleanArrayRegion(env, a, 0, n, data); break;
	case K_B: (*env)->SetByteArrayRegion(env, a, 0, n, data); break;
	case K_C: (*env)->SetCharArrayRegion(env, a, 0, n, data); break;
	case K_S: (*env)->SetShortArrayRegion(env, a, 0, n, data); break;
	case K_I: (*env)->SetIntArrayRegion(env, a, 0, n, data); break;
	case K_J: (*env)->SetLongArrayRegion(env, a, 0, n, data); break;
	case K_F: (*env)->SetFloatArrayRegion(env, a, 0, n, data); break;
	default: (*env)->SetDoubleArrayRegion(env, a, 0, n, data); break;
	}
}

static void get_prim_region(JNIEnv *env, int k, jarray a, jsize n, void *data)
{
	switch (k) {
	case K_Z: (*env)->GetBooleanArrayRegion(env, a, 0, n, data); break;
	case K_B: (*env)->GetByteArrayRegion(env, a, 0, n, data); break;
	case K_C: (*env)->GetCharArrayRegion(env, a, 0, n, data); break;
	case K_S: (*env)->GetShortArrayRegion(env, a, 0, n, data); break;
	case K_I: (*env)->GetIntArrayRegion(env, a, 0, n, data); break;
	case K_J: (*env)->GetLongArrayRegion(env, a, 0, n, data); break;
	case K_F: (*env)->GetFloatArrayRegion(env, a, 0, n, data); break;
	default: (*env)->GetDoubleArrayRegion(env, a, 0, n, data); break;
	}
}

/* The natural primitive array kind of a packed element type. */
static int natural_prim(uint64_t e)
{
	switch (e) {
	case MT_BOOL: return K_Z;
	case MT_INT8: case MT_UINT8: return K_B;
	case MT_INT16: case MT_UINT16: return K_S;
	case MT_INT32: case MT_UINT32: return K_I;
	case MT_FLOAT32: return K_F;
	case MT_FLOAT64: return K_D;
	default: return K_J;
	}
}

/* An array CDT (packed or not) as a Java primitive array of kind k. */
static int cdt_to_prim_array(JNIEnv *env, const cdt *v, int k, jobject *out, metaffi_error *err)
{
	int packed = (v->type & MT_PACKED) != 0;
	size_t n = packed ? v->v.packed.len : v->v.arr.len;
	jarray a = new_prim_array(env, k, (jsize)n);
	if (!a) {
		error_from_java(env, err, 0);
		return -1;
	}
	if (packed && packed_matches(MT_ELEMENT(v->type), k)) {
		if (n) set_prim_region(env, k, a, (jsize)n, v->v.packed.data);
		*out = a;
		return 0;
	}
	size_t w = prim_width(k);
	char *buf = alloc_value(n * w + 8, err);
	if (!buf) {
		(*env)->DeleteLocalRef(env, a);
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		cdt one;
		const cdt *src = &one;
		if (packed) packed_get(v, i, &one);
		else src = &v->v.arr.elems[i];
		jvalue jv;
		if (cdt_to_prim(src, k, &jv, err)) {
			prefix_index(err, i);
			(*env)->DeleteLocalRef(env, a);
			return -1;
		}
		memcpy(buf + i * w, &jv, w); /* jvalue members share the start of the union */
	}
	if (n) set_prim_region(env, k, a, (jsize)n, buf);
	*out = a;
	return 0;
}

static int cdt_to_jobject(JNIEnv *env, const cdt *v, const jplan *p, int narrow, int depth, jobject *out,
                          metaffi_error *err);

static int check_instance(JNIEnv *env, jobject o, const jplan *p, const cdt *v, metaffi_error *err)
{
	if (!o || !p || !p->cls || (p->kind != K_OBJECT && p->kind != K_FUNC)) return 0;
	if ((*env)->IsInstanceOf(env, o, p->cls)) return 0;
	char msg[600];
	snprintf(msg, sizeof msg, "expected a %s, got %s (%s)", class_name(env, p->cls, 1),
	         v->type == MT_HANDLE || v->type == MT_CALLABLE ? "a Java object" : cdt_type_name(v->type),
	         class_name(env, o, 0));
	set_error(err, "TypeError", msg);
	return -1;
}

/* A foreign reference (another runtime's handle or function) for Java. */
static int foreign_to_jobject(JNIEnv *env, const cdt *v, const jplan *p, jobject *out, metaffi_error *err)
{
	int as_proxy = p && p->kind == K_FUNC;
	if (!as_proxy && p && p->cls && p->kind != K_FUNC) {
		char msg[400];
		snprintf(msg, sizeof msg, "expected a %s, got %s of another runtime", class_name(env, p->cls, 1),
		         v->type == MT_CALLABLE ? "a function" : "an object");
		set_error(err, "TypeError", msg);
		return -1;
	}
	core->retain(v->v.ref.runtime, v->v.ref.val);
	jlong rt = v->v.ref.runtime, val = (jlong)(intptr_t)v->v.ref.val;
	jobject o;
	if (as_proxy) o = (*env)->CallStaticObjectMethod(env, c_bridge, m_proxy, p->cls, rt, val);
	else o = (*env)->NewObject(env, c_foreign_obj, m_foreign_obj_new, rt, val, (jboolean)(v->type == MT_CALLABLE));
	if ((*env)->ExceptionCheck(env) || !o) {
		error_from_java(env, err, 0);
		core->release(v->v.ref.runtime, v->v.ref.val);
		return -1;
	}
	*out = o;
	return 0;
}

static int cdt_to_object_array(JNIEnv *env, const cdt *v, const jplan *p, int narrow, int depth, jobject *out,
                               metaffi_error *err)
{
	int packed = (v->type & MT_PACKED) != 0;
	size_t n = packed ? v->v.packed.len : v->v.arr.len;
	jclass comp = p ? p->cls : NULL;
	const jplan *ep = p ? p->elem : NULL;
	if (!comp) comp = v->type == (MT_STRING8 | MT_ARRAY) || v->type == (MT_STRING16 | MT_ARRAY) ? c_string : c_object;
	jobjectArray a = (*env)->NewObjectArray(env, (jsize)n, comp, NULL);
	if (!a) {
		error_from_java(env, err, 0);
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		cdt one;
		const cdt *src = &one;
		if (packed) packed_get(v, i, &one);
		else src = &v->v.arr.elems[i];
		jobject e = NULL;
		tls_path[depth] = i;
		if (cdt_to_jobject(env, src, ep, narrow, depth + 1, &e, err)) {
			prefix_index(err, i);
			(*env)->DeleteLocalRef(env, a);
			return -1;
		}
		(*env)->SetObjectArrayElement(env, a, (jsize)i, e);
		if (e) (*env)->DeleteLocalRef(env, e);
		if ((*env)->ExceptionCheck(env)) { /* ArrayStoreException */
			error_from_java(env, err, 0);
			(*env)->DeleteLocalRef(env, a);
			return -1;
		}
	}
	*out = a;
	return 0;
}

/* The natural box of a number, bool or char (Integer for int64 values that fit when
 * `narrow`: untyped JS numbers). */
static jobject natural_box(JNIEnv *env, const cdt *v, int narrow)
{
	int64_t i = 0;
	double d = 0;
	jvalue jv;
	int k;
	switch (cdt_number(v, &i, &d)) {
	case N_BOOL: k = K_Z; jv.z = (jboolean)i; break;
	case N_CHAR:
		if (i > 0xFFFF) {
			cdt s;
			uint32_t cp = (uint32_t)i;
			s.type = MT_STRING32;
			s.v.str.ptr = &cp;
			s.v.str.len = 1;
			return make_jstring(env, &s);
		}
		k = K_C;
		jv.c = (jchar)i;
		break;
	case N_FLOAT:
		if (v->type == MT_FLOAT32) { k = K_F; jv.f = (jfloat)d; }
		else { k = K_D; jv.d = d; }
		break;
	default:
		switch (v->type) {
		case MT_INT8: k = K_B; jv.b = (jbyte)i; break;
		case MT_INT16: case MT_UINT8: k = K_S; jv.s = (jshort)i; break;
		case MT_INT32: case MT_UINT16: k = K_I; jv.i = (jint)i; break;
		case MT_INT64:
			if (narrow && i >= INT32_MIN && i <= INT32_MAX) { k = K_I; jv.i = (jint)i; }
			else { k = K_J; jv.j = i; }
			break;
		default:
			if ((uint64_t)i > (uint64_t)INT64_MAX) { /* beyond a long: a BigInteger */
				char digits[24];
				snprintf(digits, sizeof digits, "%llu", (unsigned long long)(uint64_t)i);
				jstring s = (*env)->NewStringUTF(env, digits);
				jobject b = s ? (*env)->NewObject(env, c_bigint, m_bigint_new, s) : NULL;
				if (s) (*env)->DeleteLocalRef(env, s);
				return b;
			}
			k = K_J;
			jv.j = i;
			break;
		}
	}
	return box_value(env, k, jv);
}

static int cdt_to_map(JNIEnv *env, const cdt *v, int narrow, int depth, jobject *out, metaffi_error *err)
{
	jobject m = (*env)->NewObject(env, c_map, m_map_new);
	if (!m) {
		error_from_java(env, err, 0);
		return -1;
	}
	for (size_t i = 0; i < v->v.map.len; i++) {
		jobject k = NULL, x = NULL;
		tls_path[depth] = i;
		if (cdt_to_jobject(env, &v->v.map.kv[2 * i], NULL, narrow, depth + 1, &k, err) ||
		    cdt_to_jobject(env, &v->v.map.kv[2 * i + 1], NULL, narrow, depth + 1, &x, err)) {
			if (k) (*env)->DeleteLocalRef(env, k);
			(*env)->DeleteLocalRef(env, m);
			return -1;
		}
		jobject prev = (*env)->CallObjectMethod(env, m, m_map_put, k, x);
		if (prev) (*env)->DeleteLocalRef(env, prev);
		if (k) (*env)->DeleteLocalRef(env, k);
		if (x) (*env)->DeleteLocalRef(env, x);
		if ((*env)->ExceptionCheck(env)) {
			error_from_java(env, err, 0);
			(*env)->DeleteLocalRef(env, m);
			return -1;
		}
	}
	*out = m;
	return 0;
}

/* Any CDT as a Java object (a new local reference) for a plan (NULL: Object). */
static int cdt_to_jobject(JNIEnv *env, const cdt *v, const jplan *p, int narrow, int depth, jobject *out,
                          metaffi_error *err)
{
	uint64_t t = v->type;
	int kind = p ? p->kind : K_OBJECT;
	jobject o = NULL;
	*out = NULL;
	if (t == MT_NULL) return 0;
	if (t == MT_HANDLE || t == MT_CALLABLE) {
		if (v->v.ref.runtime != RT_OPENJDK) return foreign_to_jobject(env, v, p, out, err);
		o = (*env)->NewLocalRef(env, ((jref *)v->v.ref.val)->obj);
		if (check_instance(env, o, p, v, err)) {
			(*env)->DeleteLocalRef(env, o);
			return -1;
		}
		*out = o;
		return 0;
	}
	if (kind == K_FUNC) return conv_error(err, "a function (for a Java functional interface)", v);
	if (((t & MT_ARRAY) || t == MT_MAP) && too_deep(depth, err)) return -1;
	/* each level holds a local reference or two while the next one converts: ask for
	 * room for all of them (the JVM would grow the table anyway; this keeps it declared) */
	if (((t & MT_ARRAY) || t == MT_MAP) && depth > 0 && (*env)->EnsureLocalCapacity(env, 2 * depth + 16)) {
		error_from_java(env, err, 0);
		return -1;
	}
	if (t & MT_ARRAY) {
		if (kind > K_PRIM_ARRAY) return cdt_to_prim_array(env, v, kind - K_PRIM_ARRAY, out, err);
		if (kind == K_ARRAY) return cdt_to_object_array(env, v, p, narrow, depth, out, err);
		if (kind != K_OBJECT) return conv_error(err, kind_name(kind), v);
		int rc = (t & MT_PACKED) ? cdt_to_prim_array(env, v, natural_prim(MT_ELEMENT(t)), &o, err)
		                         : cdt_to_object_array(env, v, NULL, narrow, depth, &o, err);
		if (rc) return rc;
	} else if (is_string_type(t)) {
		if (kind != K_STRING && kind != K_OBJECT) return conv_error(err, kind_name(kind), v);
		o = make_jstring(env, v);
		if (!o && !(*env)->ExceptionCheck(env)) {
			set_error(err, "MetaFFIError", "not enough memory to convert a string");
			return -1;
		}
	} else if (t == MT_MAP) {
		if (kind != K_OBJECT) return conv_error(err, kind_name(kind), v);
		if (cdt_to_map(env, v, narrow, depth, &o, err)) return -1;
	} else if (kind >= K_BOX && kind < K_BOX + 8) {
		jvalue jv;
		if (cdt_to_prim(v, kind - K_BOX + 1, &jv, err)) return -1;
		o = box_value(env, kind - K_BOX + 1, jv);
	} else if (kind == K_OBJECT) {
		int64_t i;
		double d;
		if (cdt_number(v, &i, &d) == N_NONE) return conv_error(err, "a Java object", v);
		o = natural_box(env, v, narrow);
	} else {
		return conv_error(err, kind_name(kind), v);
	}
	if ((*env)->ExceptionCheck(env) || !o) {
		error_from_java(env, err, 0);
		return -1;
	}
	if (check_instance(env, o, p, v, err)) {
		(*env)->DeleteLocalRef(env, o);
		return -1;
	}
	*out = o;
	return 0;
}

/* ------------------------------------------------------------------------------------ */
/* Java -> CDT. References in results carry one reference (the receiver owns them).       */

static void prim_to_cdt(int k, jvalue v, cdt *out)
{
	switch (k) {
	case K_Z: out->type = MT_BOOL; out->v.b = v.z ? 1 : 0; break;
	case K_B: out->type = MT_INT8; out->v.i8 = v.b; break;
	case K_C: out->type = MT_CHAR16; out->v.ch = v.c; break;
	case K_S: out->type = MT_INT16; out->v.i16 = v.s; break;
	case K_I: out->type = MT_INT32; out->v.i32 = v.i; break;
	case K_J: out->type = MT_INT64; out->v.i64 = v.j; break;
	case K_F: out->type = MT_FLOAT32; out->v.f32 = v.f; break;
	default: out->type = MT_FLOAT64; out->v.f64 = v.d; break;
	}
}

static int jstring_to_cdt(JNIEnv *env, jstring s, cdt *out, metaffi_error *err)
{
	jsize n = (*env)->GetStringLength(env, s);
	jchar *buf = alloc_value((size_t)(n ? n : 1) * sizeof(jchar), err);
	if (!buf) return -1;
	(*env)->GetStringRegion(env, s, 0, n, buf);
	out->type = MT_STRING16;
	out->v.str.ptr = buf;
	out->v.str.len = (size_t)n;
	return 0;
}

static int ref_to_cdt(JNIEnv *env, jobject o, int callable, cdt *out, metaffi_error *err)
{
	jref *r = jref_new(env, o);
	if (!r) {
		set_error(err, "MetaFFIError", "out of memory");
		return -1;
	}
	out->type = callable ? MT_CALLABLE : MT_HANDLE;
	out->v.ref.val = r;
	out->v.ref.runtime = RT_OPENJDK;
	return 0;
}

static int jobject_to_cdt(JNIEnv *env, jobject o, const jplan *p, uint64_t declared, int dims, int depth,
                          cdt *out, metaffi_error *err);

static int prim_array_to_cdt(JNIEnv *env, jarray a, int k, cdt *out, metaffi_error *err)
{
	jsize n = (*env)->GetArrayLength(env, a);
	if (k == K_C) { /* char[]: an array of one-character strings */
		jchar *buf = alloc_value((size_t)(n ? n : 1) * sizeof(jchar), err);
		cdt *elems = buf ? alloc_value((size_t)(n ? n : 1) * sizeof(cdt), err) : NULL;
		if (!elems) return -1;
		get_prim_region(env, k, a, n, buf);
		for (jsize i = 0; i < n; i++) {
			elems[i].type = MT_CHAR16;
			elems[i].v.ch = buf[i];
		}
		out->type = MT_CHAR16 | MT_ARRAY;
		out->v.arr.elems = elems;
		out->v.arr.len = (size_t)n;
		return 0;
	}
	void *data = alloc_value((size_t)n * prim_width(k) + 8, err);
	if (!data) return -1;
	if (n) get_prim_region(env, k, a, n, data);
	static const uint64_t types[] = {0, MT_BOOL, MT_INT8, MT_UINT16, MT_INT16, MT_INT32, MT_INT64, MT_FLOAT32, MT_FLOAT64};
	out->type = types[k] | MT_ARRAY | MT_PACKED;
	out->v.packed.data = data;
	out->v.packed.len = (size_t)n;
	return 0;
}

static int object_array_to_cdt(JNIEnv *env, jobjectArray a, const jplan *ep, uint64_t declared, int dims,
                               int depth, cdt *out, metaffi_error *err)
{
	jsize n = (*env)->GetArrayLength(env, a);
	cdt *elems = alloc_value((size_t)(n ? n : 1) * sizeof(cdt), err);
	if (!elems) return -1;
	for (jsize i = 0; i < n; i++) {
		jobject e = (*env)->GetObjectArrayElement(env, a, i);
		tls_path[depth] = (size_t)i;
		int rc = jobject_to_cdt(env, e, ep, declared, dims > 0 ? dims - 1 : 0, depth + 1, &elems[i], err);
		if (e) (*env)->DeleteLocalRef(env, e);
		if (rc) {
			prefix_index(err, (size_t)i);
			for (jsize j = 0; j < i; j++) release_refs(&elems[j]);
			return -1;
		}
	}
	out->type = MT_ANY | MT_ARRAY;
	out->v.arr.elems = elems;
	out->v.arr.len = (size_t)n;
	return 0;
}

static int is_array_object(JNIEnv *env, jobject o)
{
	jclass c = (*env)->GetObjectClass(env, o);
	jboolean r = (*env)->CallBooleanMethod(env, c, m_is_array);
	(*env)->DeleteLocalRef(env, c);
	if ((*env)->ExceptionCheck(env)) {
		(*env)->ExceptionClear(env);
		return 0;
	}
	return r;
}

static int foreign_ref_to_cdt(JNIEnv *env, jobject o, cdt *out, metaffi_error *err)
{
	jlongArray a = (*env)->CallStaticObjectMethod(env, c_bridge, m_foreign_ref, o);
	if ((*env)->ExceptionCheck(env) || !a) {
		error_from_java(env, err, 0);
		return -1;
	}
	jlong r[3];
	(*env)->GetLongArrayRegion(env, a, 0, 3, r);
	(*env)->DeleteLocalRef(env, a);
	out->type = r[2] ? MT_CALLABLE : MT_HANDLE;
	out->v.ref.runtime = (uint32_t)r[0];
	out->v.ref.val = (void *)(intptr_t)r[1];
	core->retain(out->v.ref.runtime, out->v.ref.val);
	return 0;
}

/* A Java object as a CDT: `declared` is the declared element type (handle: always a handle,
 * callable: a callable, anything else: the natural value). */
static int jobject_to_cdt(JNIEnv *env, jobject o, const jplan *p, uint64_t declared, int dims, int depth,
                          cdt *out, metaffi_error *err)
{
	if (!o) {
		out->type = MT_NULL;
		return 0;
	}
	int kind = p ? p->kind : -1;
	/* handle[] keeps a Java array as an array of handles; a bare handle is the array itself */
	int array = kind == K_ARRAY || kind > K_PRIM_ARRAY ||
	            (dims > 0 && (kind < 0 || kind == K_OBJECT) && is_array_object(env, o));
	if (declared == MT_HANDLE && kind != K_FUNC && (dims == 0 || !array)) {
		if ((*env)->IsInstanceOf(env, o, c_foreign_obj)) return foreign_ref_to_cdt(env, o, out, err);
		return ref_to_cdt(env, o, 0, out, err);
	}
	if (kind < 0 || kind == K_OBJECT || kind == K_FUNC || kind == K_ARRAY) {
		int k = (*env)->CallStaticIntMethod(env, c_bridge, m_kind_of_object, o);
		if ((*env)->ExceptionCheck(env)) {
			error_from_java(env, err, 0);
			return -1;
		}
		if (k != K_OBJECT || kind < 0) kind = k;
	}
	if (kind == K_STRING) return jstring_to_cdt(env, o, out, err);
	if (kind >= K_BOX && kind < K_BOX + 8) {
		int prim = kind - K_BOX + 1;
		jvalue v;
		switch (prim) {
		case K_Z: v.z = (*env)->CallBooleanMethod(env, o, m_unbox[0]); break;
		case K_B: v.b = (*env)->CallByteMethod(env, o, m_unbox[1]); break;
		case K_C: v.c = (*env)->CallCharMethod(env, o, m_unbox[2]); break;
		case K_S: v.s = (*env)->CallShortMethod(env, o, m_unbox[3]); break;
		case K_I: v.i = (*env)->CallIntMethod(env, o, m_unbox[4]); break;
		case K_J: v.j = (*env)->CallLongMethod(env, o, m_unbox[5]); break;
		case K_F: v.f = (*env)->CallFloatMethod(env, o, m_unbox[6]); break;
		default: v.d = (*env)->CallDoubleMethod(env, o, m_unbox[7]); break;
		}
		if ((*env)->ExceptionCheck(env)) {
			error_from_java(env, err, 0);
			return -1;
		}
		prim_to_cdt(prim, v, out);
		return 0;
	}
	if ((kind == K_ARRAY || kind > K_PRIM_ARRAY) && too_deep(depth, err)) return -1;
	if ((kind == K_ARRAY || kind > K_PRIM_ARRAY) && depth > 0 && (*env)->EnsureLocalCapacity(env, 2 * depth + 16)) {
		error_from_java(env, err, 0);
		return -1;
	}
	if (kind > K_PRIM_ARRAY && kind <= K_PRIM_ARRAY + K_D) return prim_array_to_cdt(env, o, kind - K_PRIM_ARRAY, out, err);
	if (kind == K_ARRAY)
		return object_array_to_cdt(env, o, p && p->kind == K_ARRAY ? p->elem : NULL, declared, dims, depth, out, err);
	if (kind == K_FOREIGN) return foreign_ref_to_cdt(env, o, out, err);
	if (kind == K_OBJECT && declared != MT_CALLABLE && (*env)->IsInstanceOf(env, o, c_bigint)) {
		/* a BigInteger that fits 64 bits is a number (signed, or unsigned up to 2^64-1) */
		jint bits = (*env)->CallIntMethod(env, o, m_bigint_bits);
		jint sign = (*env)->CallIntMethod(env, o, m_bigint_signum);
		jlong l = (*env)->CallLongMethod(env, o, m_bigint_long);
		if ((*env)->ExceptionCheck(env)) {
			error_from_java(env, err, 0);
			return -1;
		}
		if (bits <= 63) {
			out->type = MT_INT64;
			out->v.i64 = l;
			return 0;
		}
		if (bits == 64 && sign > 0) {
			out->type = MT_UINT64;
			out->v.u64 = (uint64_t)l;
			return 0;
		}
	}
	/* Any other object: a handle; a callable when one was declared, or when the Java type is
	 * a functional interface and `any` was declared. */
	int callable = declared == MT_CALLABLE || (p && p->kind == K_FUNC && declared == MT_ANY);
	return ref_to_cdt(env, o, callable, out, err);
}

/* ------------------------------------------------------------------------------------ */
/* Declared return types: a Java value converted naturally is made the declared type.    */

static int is_int_type(uint64_t t)
{
	return (t >= MT_INT8 && t <= MT_UINT64 && t != MT_FLOAT32 && t != MT_FLOAT64) || t == MT_SIZE;
}

static int is_unsigned_type(uint64_t t)
{
	return t == MT_UINT8 || t == MT_UINT16 || t == MT_UINT32 || t == MT_UINT64 || t == MT_SIZE;
}

static __attribute__((noinline)) int fit_error(metaffi_error *err, const cdt *v, uint64_t decl, const char *why)
{
	char msg[300], val[64] = "";
	int64_t i;
	double d;
	switch (cdt_number(v, &i, &d)) {
	case N_INT: snprintf(val, sizeof val, " %lld", (long long)i); break;
	case N_UINT: snprintf(val, sizeof val, " %llu", (unsigned long long)i); break;
	case N_FLOAT: /* the shortest form that reads back as the same double */
		for (int prec = 1; prec <= 17; prec++) {
			snprintf(val, sizeof val, " %.*g", prec, d);
			if (strtod(val, NULL) == d || d != d) break;
		}
		break;
	case N_BOOL: snprintf(val, sizeof val, " %s", i ? "true" : "false"); break;
	default: break;
	}
	const char *java = v->type == MT_INT8 ? "byte" : v->type == MT_INT16 ? "short" : v->type == MT_INT32 ? "int" :
	                   v->type == MT_INT64 ? "long" : v->type == MT_FLOAT32 ? "float" : v->type == MT_FLOAT64 ? "double" :
	                   v->type == MT_BOOL ? "boolean" : v->type == MT_CHAR16 ? "char" : NULL;
	if (java) snprintf(msg, sizeof msg, "the Java %s%s %s the declared %s", java, val, why, metaffi_type_name(decl));
	else snprintf(msg, sizeof msg, "Java returned %s where %s is declared", cdt_type_name(v->type), metaffi_type_name(decl));
	set_error(err, "MetaFFIError", msg);
	return -1;
}

/* string8 and string32 cannot carry a lone surrogate (a Java string may hold one). */
static int check_surrogates(const cdt *v, uint64_t decl, metaffi_error *err)
{
	const jchar *u = v->v.str.ptr;
	size_t n = v->v.str.len;
	for (size_t i = 0; i < n; i++) {
		if (u[i] < 0xD800 || u[i] > 0xDFFF) continue;
		if (u[i] <= 0xDBFF && i + 1 < n && u[i + 1] >= 0xDC00 && u[i + 1] <= 0xDFFF) {
			i++;
			continue;
		}
		char msg[300];
		snprintf(msg, sizeof msg, "the Java string has a lone surrogate (0x%04X) at index %zu, which %s cannot "
		         "carry; declare string16 to receive it as it is", (unsigned)u[i], i, metaffi_type_name(decl));
		set_error(err, "MetaFFIError", msg);
		return -1;
	}
	return 0;
}

/* One scalar made the declared scalar type (integers range-checked; a signed Java value of
 * the width of a declared unsigned type keeps its bits). */
static int fit_scalar(cdt *v, uint64_t decl, metaffi_error *err)
{
	int64_t i = 0;
	double d = 0;
	int n = cdt_number(v, &i, &d);
	if (is_int_type(decl)) {
		if (n != N_INT && n != N_UINT && n != N_CHAR) return fit_error(err, v, decl, "is no integer for");
		size_t w = int_width(decl == MT_SIZE ? MT_UINT64 : decl);
		int ok;
		uint64_t u = (uint64_t)i;
		if (is_unsigned_type(decl)) {
			if (n == N_INT && int_width(v->type) == w) { /* keep the bits */
				u = w == 8 ? u : u & ((1ULL << (8 * w)) - 1);
				ok = 1;
			} else {
				ok = n != N_INT || i >= 0;
				if (ok && w < 8) ok = u < (1ULL << (8 * w));
			}
		} else {
			int64_t hi = w == 8 ? INT64_MAX : (int64_t)((1ULL << (8 * w - 1)) - 1);
			if (n == N_INT) ok = i >= -hi - 1 && i <= hi;
			else ok = u <= (uint64_t)hi;
		}
		if (!ok) return fit_error(err, v, decl, "does not fit");
		v->type = decl;
		switch (decl) {
		case MT_INT8: v->v.i8 = (int8_t)u; break;
		case MT_INT16: v->v.i16 = (int16_t)u; break;
		case MT_INT32: v->v.i32 = (int32_t)u; break;
		case MT_UINT8: v->v.u8 = (uint8_t)u; break;
		case MT_UINT16: v->v.u16 = (uint16_t)u; break;
		case MT_UINT32: v->v.u32 = (uint32_t)u; break;
		case MT_INT64: v->v.i64 = (int64_t)u; break;
		default: v->v.u64 = u; break;
		}
		return 0;
	}
	if (decl == MT_FLOAT32 || decl == MT_FLOAT64) {
		if (n == N_INT) d = (double)i;
		else if (n == N_UINT) d = (double)(uint64_t)i;
		else if (n != N_FLOAT) return fit_error(err, v, decl, "is no number for");
		if (decl == MT_FLOAT32) {
			float f = (float)d;
			if (isinf(f) && !isinf(d)) return fit_error(err, v, decl, "is out of the range of");
			v->type = MT_FLOAT32;
			v->v.f32 = f;
		} else {
			v->type = MT_FLOAT64;
			v->v.f64 = d;
		}
		return 0;
	}
	if (decl == MT_BOOL) {
		if (n == N_BOOL) return 0;
		if ((n == N_INT || n == N_UINT) && (i == 0 || i == 1)) {
			v->type = MT_BOOL;
			v->v.b = (uint8_t)i;
			return 0;
		}
		return fit_error(err, v, decl, "is not a bool (true, false, 0 or 1) for");
	}
	if (decl == MT_CHAR8 || decl == MT_CHAR16 || decl == MT_CHAR32) {
		if (n == N_CHAR) return 0;
		if (is_string_type(v->type)) return 0; /* a String of one character: the core checks its length */
		return fit_error(err, v, decl, "is no character for");
	}
	if (is_string_type(decl)) {
		if (v->type == MT_STRING16 && decl != MT_STRING16) return check_surrogates(v, decl, err);
		if (is_string_type(v->type)) return 0;
		if (n == N_CHAR) { /* a char declared as a string: a one-character string */
			uint32_t *cp = alloc_value(sizeof *cp, err);
			if (!cp) return -1;
			*cp = v->v.ch;
			v->type = MT_STRING32;
			v->v.str.ptr = cp;
			v->v.str.len = 1;
			return 0;
		}
		return fit_error(err, v, decl, "is no string for");
	}
	return 0; /* handle, callable, any, map, null: what Java gave */
}

static int is_scalar_decl(uint64_t decl)
{
	return is_int_type(decl) || decl == MT_FLOAT32 || decl == MT_FLOAT64 || decl == MT_BOOL ||
	       decl == MT_CHAR8 || decl == MT_CHAR16 || decl == MT_CHAR32 || is_string_type(decl);
}

/* A packed array made an array of the declared element type: same layout for the same
 * width (bits kept), else element by element. */
static int fit_packed(cdt *v, uint64_t decl, metaffi_error *err)
{
	uint64_t e = MT_ELEMENT(v->type);
	size_t n = v->v.packed.len;
	if (e == decl) return 0;
	if (is_int_type(decl) && is_int_type(e) && !is_unsigned_type(e) && is_unsigned_type(decl) &&
	    int_width(e) == int_width(decl == MT_SIZE ? MT_UINT64 : decl)) {
		v->type = decl | MT_ARRAY | MT_PACKED; /* same bits */
		return 0;
	}
	if (!(is_int_type(decl) || decl == MT_FLOAT32 || decl == MT_FLOAT64 || decl == MT_BOOL)) {
		if (decl == MT_ANY || decl == MT_HANDLE || decl == MT_NULL || decl == MT_CALLABLE) return 0;
		char msg[200];
		snprintf(msg, sizeof msg, "Java returned a numeric array where %s[] is declared", metaffi_type_name(decl));
		set_error(err, "MetaFFIError", msg);
		return -1;
	}
	size_t w = decl == MT_BOOL || decl == MT_INT8 || decl == MT_UINT8 ? 1 : decl == MT_INT16 || decl == MT_UINT16 ? 2 :
	           decl == MT_INT32 || decl == MT_UINT32 || decl == MT_FLOAT32 ? 4 : 8;
	char *data = alloc_value(n * w + 8, err);
	if (!data) return -1;
	for (size_t i = 0; i < n; i++) {
		cdt one;
		packed_get(v, i, &one);
		if (e == MT_BOOL) one.v.b = one.v.u8 != 0;
		if (fit_scalar(&one, decl, err)) {
			prefix_index(err, i);
			return -1;
		}
		memcpy(data + i * w, &one.v, w);
	}
	v->type = decl | MT_ARRAY | MT_PACKED;
	v->v.packed.data = data;
	return 0;
}

/* A converted Java result made the declared type (`dims` array levels of `decl`). */
static int fit_declared(cdt *v, uint64_t decl, int dims, metaffi_error *err)
{
	if (v->type == MT_NULL) {
		if (dims == 0 && is_scalar_decl(decl) && !is_string_type(decl)) return fit_error(err, v, decl, "");
		return 0;
	}
	if (dims == 0) {
		if ((v->type & MT_ARRAY) && is_scalar_decl(decl)) return fit_error(err, v, decl, "");
		return (v->type & MT_ARRAY) ? 0 : fit_scalar(v, decl, err);
	}
	if (!(v->type & MT_ARRAY)) {
		if (decl == MT_ANY || decl == MT_HANDLE) return 0;
		char msg[200];
		snprintf(msg, sizeof msg, "Java returned %s where an array is declared", cdt_type_name(v->type));
		set_error(err, "MetaFFIError", msg);
		return -1;
	}
	if (v->type & MT_PACKED) return dims == 1 ? fit_packed(v, decl, err) : fit_error(err, v, decl, "");
	for (size_t i = 0; i < v->v.arr.len; i++) {
		if (fit_declared(&v->v.arr.elems[i], decl, dims - 1, err)) {
			prefix_index(err, i);
			return -1;
		}
	}
	return 0;
}

/* ------------------------------------------------------------------------------------ */
/* Native methods of Bridge                                                              */

static void throw_foreign(JNIEnv *env, const metaffi_error *e)
{
	jstring t = jstring_from_utf8(env, e->type ? e->type : "");
	jstring m = jstring_from_utf8(env, e->message ? e->message : "");
	jstring s = e->stack ? jstring_from_utf8(env, e->stack) : NULL;
	jobject x = (*env)->NewObject(env, c_foreign_exc, m_foreign_exc_new, t, m, s, (jlong)e->host_error);
	if ((*env)->ExceptionCheck(env) || !x) {
		/* No Java stack left to run the constructor: fill the fields directly, so the error
		 * (and a JS exception's identity) still reaches the caller. */
		(*env)->ExceptionClear(env);
		x = (*env)->AllocObject(env, c_foreign_exc);
		if (x) {
			jobjectArray none = (*env)->NewObjectArray(env, 0, c_ste, NULL);
			(*env)->SetObjectField(env, x, f_foreign_type, t);
			(*env)->SetObjectField(env, x, f_foreign_message, m);
			(*env)->SetObjectField(env, x, f_foreign_stack, s);
			(*env)->SetLongField(env, x, f_host_error, (jlong)e->host_error);
			if (f_detail) (*env)->SetObjectField(env, x, f_detail, m);
			if (f_stack_trace && none) (*env)->SetObjectField(env, x, f_stack_trace, none);
			if (none) (*env)->DeleteLocalRef(env, none);
		}
		if ((*env)->ExceptionCheck(env)) (*env)->ExceptionClear(env);
	}
	if (x) (*env)->Throw(env, x);
	if (x) (*env)->DeleteLocalRef(env, x);
	(*env)->DeleteLocalRef(env, t);
	(*env)->DeleteLocalRef(env, m);
	if (s) (*env)->DeleteLocalRef(env, s);
}

/* Bridge.callForeign(runtime, value, args): Java calls a function of another runtime. */
static jobject JNICALL n_call_foreign(JNIEnv *env, jclass cls, jlong rt, jlong val, jobjectArray args)
{
	(void)cls;
	metaffi_mark mark = core->arena_mark();
	jsize n = args ? (*env)->GetArrayLength(env, args) : 0;
	cdt *params = core->alloc((size_t)(n ? n : 1) * sizeof(cdt));
	metaffi_error err = {0};
	jobject result = NULL;
	for (jsize i = 0; i < n; i++) {
		jobject a = (*env)->GetObjectArrayElement(env, args, i);
		int rc = jobject_to_cdt(env, a, NULL, MT_ANY, 0, 0, &params[i], &err);
		if (a) (*env)->DeleteLocalRef(env, a);
		if (rc) {
			for (jsize j = 0; j < i; j++) release_refs(&params[j]);
			char place[60];
			snprintf(place, sizeof place, "argument %d of the foreign function", (int)i + 1);
			prefix_place(&err, place);
			(*env)->ThrowNew(env, c_iae, err.message);
			core->arena_reset(mark);
			return NULL;
		}
	}
	cdt *rets = NULL;
	size_t nr = 0;
	int rc = core->call((uint32_t)rt, (void *)(intptr_t)val, params, (size_t)n, &rets, &nr, &err);
	for (jsize i = 0; i < n; i++) release_refs(&params[i]); /* the callee only borrowed them */
	if (rc) {
		throw_foreign(env, &err);
	} else if (nr > 0) {
		if (cdt_to_jobject(env, &rets[0], NULL, 1, 0, &result, &err)) {
			result = NULL;
			if (!(*env)->ExceptionCheck(env)) {
				prefix_place(&err, "the result of the foreign function");
				(*env)->ThrowNew(env, c_iae, err.message);
			}
		}
		for (size_t i = 0; i < nr; i++) release_refs(&rets[i]);
	}
	core->arena_reset(mark);
	return result;
}

static void JNICALL n_release_foreign(JNIEnv *env, jclass cls, jlong rt, jlong val)
{
	(void)env;
	(void)cls;
	core->release((uint32_t)rt, (void *)(intptr_t)val);
}

static void JNICALL n_retain_foreign(JNIEnv *env, jclass cls, jlong rt, jlong val)
{
	(void)env;
	(void)cls;
	core->retain((uint32_t)rt, (void *)(intptr_t)val);
}

static jlong JNICALL n_live_references(JNIEnv *env, jclass cls)
{
	(void)env;
	(void)cls;
	return (jlong)atomic_load(&g_live_refs);
}

/* ------------------------------------------------------------------------------------ */
/* Runtime                                                                               */

static int cache_class(JNIEnv *env, const char *name, jclass *out)
{
	jclass c = (*env)->FindClass(env, name);
	if (!c) return -1;
	*out = (*env)->NewGlobalRef(env, c);
	(*env)->DeleteLocalRef(env, c);
	return 0;
}

static int cache_all(JNIEnv *env)
{
	static const char *boxes[8] = {"java/lang/Boolean", "java/lang/Byte", "java/lang/Character", "java/lang/Short",
	                               "java/lang/Integer", "java/lang/Long", "java/lang/Float", "java/lang/Double"};
	static const char *prims[8] = {"Z", "B", "C", "S", "I", "J", "F", "D"};
	static const char *unbox[8] = {"booleanValue", "byteValue", "charValue", "shortValue",
	                               "intValue", "longValue", "floatValue", "doubleValue"};
	if (cache_class(env, "metaffi/jvm/Bridge", &c_bridge) || cache_class(env, "java/lang/Object", &c_object) ||
	    cache_class(env, "java/lang/String", &c_string) || cache_class(env, "metaffi/jvm/ForeignObject", &c_foreign_obj) ||
	    cache_class(env, "metaffi/jvm/ForeignException", &c_foreign_exc) || cache_class(env, "java/lang/Class", &c_class) ||
	    cache_class(env, "java/util/LinkedHashMap", &c_map) ||
	    cache_class(env, "java/lang/IllegalArgumentException", &c_iae) ||
	    cache_class(env, "java/lang/StackOverflowError", &c_soe) ||
	    cache_class(env, "java/lang/StackTraceElement", &c_ste) ||
	    cache_class(env, "java/math/BigInteger", &c_bigint))
		return -1;
	m_bigint_new = (*env)->GetMethodID(env, c_bigint, "<init>", "(Ljava/lang/String;)V");
	m_bigint_bits = (*env)->GetMethodID(env, c_bigint, "bitLength", "()I");
	m_bigint_signum = (*env)->GetMethodID(env, c_bigint, "signum", "()I");
	m_bigint_long = (*env)->GetMethodID(env, c_bigint, "longValue", "()J");
	if (!m_bigint_new || !m_bigint_bits || !m_bigint_signum || !m_bigint_long) return -1;
	f_host_error = (*env)->GetFieldID(env, c_foreign_exc, "hostError", "J");
	f_foreign_type = (*env)->GetFieldID(env, c_foreign_exc, "foreignType", "Ljava/lang/String;");
	f_foreign_message = (*env)->GetFieldID(env, c_foreign_exc, "foreignMessage", "Ljava/lang/String;");
	f_foreign_stack = (*env)->GetFieldID(env, c_foreign_exc, "foreignStack", "Ljava/lang/String;");
	if (!f_host_error || !f_foreign_type || !f_foreign_message || !f_foreign_stack) return -1;
	jclass thr = (*env)->FindClass(env, "java/lang/Throwable");
	if (!thr) return -1;
	/* Throwable's own fields, for an exception made without its constructor (optional) */
	f_detail = (*env)->GetFieldID(env, thr, "detailMessage", "Ljava/lang/String;");
	if (!f_detail) (*env)->ExceptionClear(env);
	f_stack_trace = (*env)->GetFieldID(env, thr, "stackTrace", "[Ljava/lang/StackTraceElement;");
	if (!f_stack_trace) (*env)->ExceptionClear(env);
	(*env)->DeleteLocalRef(env, thr);
	for (int i = 0; i < 8; i++) {
		char sig[64];
		if (cache_class(env, boxes[i], &c_box[i])) return -1;
		snprintf(sig, sizeof sig, "(%s)L%s;", prims[i], boxes[i]);
		m_box_of[i] = (*env)->GetStaticMethodID(env, c_box[i], "valueOf", sig);
		snprintf(sig, sizeof sig, "()%s", prims[i]);
		m_unbox[i] = (*env)->GetMethodID(env, c_box[i], unbox[i], sig);
		if (!m_box_of[i] || !m_unbox[i]) return -1;
	}
	jclass b = c_bridge;
	struct { jmethodID *id; const char *name, *sig; } st[] = {
		{&m_init, "init", "()V"},
		{&m_adopt, "adoptThread", "()V"},
		{&m_add_paths, "addPaths", "(Ljava/lang/String;)V"},
		{&m_find_class, "findClass", "(Ljava/lang/String;)Ljava/lang/Class;"},
		{&m_kind_of, "kindOf", "(Ljava/lang/Class;)I"},
		{&m_kind_of_object, "kindOfObject", "(Ljava/lang/Object;)I"},
		{&m_foreign_ref, "foreignRef", "(Ljava/lang/Object;)[J"},
		{&m_resolve, "resolve", "(Ljava/lang/Class;Ljava/lang/String;Ljava/lang/String;I[J[I[Ljava/lang/String;[J[I)Ljava/lang/Object;"},
		{&m_param_types, "paramTypes", "(Ljava/lang/Object;I)[Ljava/lang/Class;"},
		{&m_return_type, "returnType", "(Ljava/lang/Object;I)Ljava/lang/Class;"},
		{&m_is_static, "isStatic", "(Ljava/lang/Object;)Z"},
		{&m_proxy, "proxy", "(Ljava/lang/Class;JJ)Ljava/lang/Object;"},
		{&m_invoke_functional, "invokeFunctional", "(Ljava/lang/Object;[Ljava/lang/Object;)Ljava/lang/Object;"},
		{&m_describe_exc, "describeException", "(Ljava/lang/Throwable;)[Ljava/lang/String;"},
		{&m_flush, "flush", "()V"},
	};
	for (size_t i = 0; i < sizeof st / sizeof st[0]; i++) {
		*st[i].id = (*env)->GetStaticMethodID(env, b, st[i].name, st[i].sig);
		if (!*st[i].id) return -1;
	}
	m_class_name = (*env)->GetMethodID(env, c_class, "getName", "()Ljava/lang/String;");
	m_component_type = (*env)->GetMethodID(env, c_class, "getComponentType", "()Ljava/lang/Class;");
	m_is_array = (*env)->GetMethodID(env, c_class, "isArray", "()Z");
	m_foreign_obj_new = (*env)->GetMethodID(env, c_foreign_obj, "<init>", "(JJZ)V");
	m_foreign_exc_new = (*env)->GetMethodID(env, c_foreign_exc, "<init>",
	                                        "(Ljava/lang/String;Ljava/lang/String;Ljava/lang/String;J)V");
	m_map_new = (*env)->GetMethodID(env, c_map, "<init>", "()V");
	m_map_put = (*env)->GetMethodID(env, c_map, "put", "(Ljava/lang/Object;Ljava/lang/Object;)Ljava/lang/Object;");
	jfieldID fv = (*env)->GetStaticFieldID(env, b, "VOID", "Ljava/lang/Object;");
	if (!m_class_name || !m_component_type || !m_is_array || !m_foreign_obj_new || !m_foreign_exc_new || !m_map_new ||
	    !m_map_put || !fv)
		return -1;
	jobject v = (*env)->GetStaticObjectField(env, b, fv);
	g_void = (*env)->NewGlobalRef(env, v);
	(*env)->DeleteLocalRef(env, v);
	JNINativeMethod natives[] = {
		{"callForeign", "(JJ[Ljava/lang/Object;)Ljava/lang/Object;", (void *)n_call_foreign},
		{"releaseForeign", "(JJ)V", (void *)n_release_foreign},
		{"retainForeign", "(JJ)V", (void *)n_retain_foreign},
		{"liveReferences", "()J", (void *)n_live_references},
	};
	if ((*env)->RegisterNatives(env, b, natives, sizeof natives / sizeof natives[0])) return -1;
	(*env)->CallStaticVoidMethod(env, b, m_init);
	return (*env)->ExceptionCheck(env) ? -1 : 0;
}

typedef jint (JNICALL *create_vm_fn)(JavaVM **, void **, void *);
typedef jint (JNICALL *created_vms_fn)(JavaVM **, jsize, jsize *);

/* config: lines of key=value: libjvm (path), classes (the helper classes folder), option
 * (one JVM option per line, any number). */
/*
 * The Go runtime (a Go guest loaded before or after the JVM) requires every signal handler
 * in the process to run with SA_ONSTACK: a fault on a goroutine's small stack is handled on
 * Go's signal stack, and a handler without the flag makes Go abort the process. HotSpot
 * installs its handlers without it. Adding the flag changes nothing where a thread has no
 * alternate signal stack (the handler runs on the thread's stack as before), so the JVM's
 * handlers are given it once the JVM has installed them.
 */
static void jvm_handlers_on_signal_stack(void)
{
	static const int sigs[] = { SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGTRAP, SIGUSR2, SIGQUIT };
	for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++) {
		struct sigaction sa;
		if (sigaction(sigs[i], NULL, &sa) != 0) continue;
		if (!(sa.sa_flags & SA_SIGINFO) && (sa.sa_handler == SIG_DFL || sa.sa_handler == SIG_IGN)) continue;
		if (sa.sa_flags & SA_ONSTACK) continue;
		sa.sa_flags |= SA_ONSTACK;
		sigaction(sigs[i], &sa, NULL);
	}
}

static int jvm_load_runtime(const metaffi_core *c, const char *config, metaffi_error *err)
{
	core = c;
	if (g_broken[0]) { /* the JVM exists but its helper failed: a JVM cannot be made twice */
		set_error(err, "MetaFFIError", g_broken);
		return -1;
	}
	if (g_jvm) {
		g_active = 1;
		return 0;
	}
	char libjvm[4096] = "", classes[4096] = "";
	JavaVMOption opts[128];
	int nopts = 0;
	char *copy = strdup(config);
	for (char *line = strtok(copy, "\n"); line; line = strtok(NULL, "\n")) {
		if (strncmp(line, "libjvm=", 7) == 0) snprintf(libjvm, sizeof libjvm, "%s", line + 7);
		else if (strncmp(line, "classes=", 8) == 0) snprintf(classes, sizeof classes, "%s", line + 8);
		else if (strncmp(line, "option=", 7) == 0 && nopts < 120) opts[nopts++].optionString = line + 7;
	}
	int rc = -1;
	char msg[4600];
	void *dl = dlopen(libjvm, RTLD_NOW | RTLD_GLOBAL);
	if (!dl) {
		snprintf(msg, sizeof msg, "cannot load libjvm %s: %s", libjvm, dlerror());
		set_error(err, "MetaFFIError", msg);
		goto out;
	}
	create_vm_fn create = (create_vm_fn)dlsym(dl, "JNI_CreateJavaVM");
	created_vms_fn created = (created_vms_fn)dlsym(dl, "JNI_GetCreatedJavaVMs");
	if (!create || !created) {
		snprintf(msg, sizeof msg, "%s is not a JVM library (JNI_CreateJavaVM missing)", libjvm);
		set_error(err, "MetaFFIError", msg);
		goto out;
	}
	pthread_key_create(&g_detach_key, detach_thread);
	JavaVM *vm = NULL;
	JNIEnv *env = NULL;
	jsize count = 0;
	if (created(&vm, 1, &count) == JNI_OK && count > 0) {
		/* Someone else in this process made a JVM: use it. */
		if ((*vm)->AttachCurrentThread(vm, (void **)&env, NULL) != JNI_OK) {
			set_error(err, "MetaFFIError", "a JVM already runs in this process and this thread cannot attach to it");
			goto out;
		}
	} else {
		char cp[4200];
		snprintf(cp, sizeof cp, "-Djava.class.path=%s", classes);
		memmove(opts + 1, opts, (size_t)nopts * sizeof opts[0]);
		opts[0].optionString = cp;
		nopts++;
		for (int i = 0; i < nopts; i++) opts[i].extraInfo = NULL;
		JavaVMInitArgs args;
		args.version = JNI_VERSION_1_8;
		args.nOptions = nopts;
		args.options = opts;
		args.ignoreUnrecognized = JNI_FALSE;
		jint r = create(&vm, (void **)&env, &args);
		if (r != JNI_OK) {
			char list[2048] = "";
			for (int i = 1; i < nopts; i++) {
				size_t used = strlen(list);
				snprintf(list + used, sizeof list - used, " %s", opts[i].optionString);
			}
			snprintf(msg, sizeof msg, "JNI_CreateJavaVM failed (%d%s) with the options%s; the JVM tells why on "
			         "stderr; check the JVM options (METAFFI_JVM_OPTIONS)",
			         (int)r, r == JNI_EINVAL ? ": invalid arguments" : r == JNI_ENOMEM ? ": not enough memory" :
			         r == JNI_EVERSION ? ": JNI version not supported" : "", list);
			set_error(err, "MetaFFIError", msg);
			/* HotSpot cannot retry JNI_CreateJavaVM in the same process (it crashes) */
			snprintf(g_broken, sizeof g_broken, "the JVM failed to start earlier in this process (%s); "
			         "a JVM cannot be started twice: fix the options and restart the process", msg);
			goto out;
		}
	}
	g_jvm = vm;
	tls_env = env;
	jvm_handlers_on_signal_stack();
	if (cache_all(env)) {
		if ((*env)->ExceptionCheck(env)) error_from_java(env, err, 0);
		else set_error(err, "MetaFFIError", "the metaffi Java helper classes are missing or outdated");
		char m2[1200];
		snprintf(m2, sizeof m2, "the JVM started, but its metaffi helper (%s) failed: %s%s%s", classes,
		         err->type ? err->type : "", err->type ? ": " : "", err->message);
		set_error(err, "MetaFFIError", m2);
		snprintf(g_broken, sizeof g_broken, "%s (a JVM cannot be started twice in one process: restart it)", m2);
		goto out;
	}
	g_active = 1;
	rc = 0;
out:
	free(copy);
	return rc;
}

static int jvm_free_runtime(metaffi_error *err)
{
	(void)err;
	g_active = 0; /* a JVM cannot be unloaded; a later load reuses it */
	return 0;
}

static void jvm_at_exit(void)
{
	if (!g_active) return;
	JNIEnv *env = get_env();
	if (!env) return;
	(*env)->CallStaticVoidMethod(env, c_bridge, m_flush);
	(*env)->ExceptionClear(env);
}

static void *jvm_load_module(const char *path, metaffi_error *err)
{
	JNIEnv *env = get_env();
	if (!g_active) {
		set_error(err, "MetaFFIError", "the openjdk runtime was released");
		return NULL;
	}
	jstring p = jstring_from_utf8(env, path);
	(*env)->CallStaticVoidMethod(env, c_bridge, m_add_paths, p);
	(*env)->DeleteLocalRef(env, p);
	if ((*env)->ExceptionCheck(env)) {
		error_from_java(env, err, 1);
		return NULL;
	}
	return strdup(path);
}

static void jvm_free_module(void *module)
{
	free(module); /* the class path keeps what was added: classes may be in use */
}

/* ------------------------------------------------------------------------------------ */
/* Entities                                                                              */

enum { W_CALL, W_NEW, W_GET, W_SET };

typedef struct {
	int what;
	int is_static;
	int instance;
	int need_frame;  /* free the call's local references with a local frame */
	jclass cls;
	jmethodID mid;
	jfieldID fid;
	size_t njp;      /* Java parameters (without the object) */
	size_t nr;       /* declared return values */
	jplan rp;
	jplan ip;        /* instance_required: the class, for objects given as values (a JS string) */
	uint64_t rdecl;  /* declared return element type */
	int rdims;       /* declared return array dimensions */
	jplan *pp;
	int *narrow;     /* per Java parameter: declared `any` (untyped JS numbers) */
} jentity;

static void entity_free_plans(JNIEnv *env, jentity *e)
{
	for (size_t i = 0; i < e->njp; i++) plan_free(env, &e->pp[i]);
	plan_free(env, &e->rp);
	plan_free(env, &e->ip);
	if (e->cls) (*env)->DeleteGlobalRef(env, e->cls);
	free(e->pp);
	free(e->narrow);
	free(e);
}

static void *jvm_load_entity(void *module, const metaffi_path_item *path, size_t npath,
                             const metaffi_type_info *params, size_t np,
                             const metaffi_type_info *rets, size_t nr, metaffi_error *err)
{
	(void)module;
	JNIEnv *env = get_env();
	if (!g_active) {
		set_error(err, "MetaFFIError", "the openjdk runtime was released");
		return NULL;
	}
	const char *cname = metaffi_path_value(path, npath, "class");
	const char *callable = metaffi_path_value(path, npath, "callable");
	const char *field = metaffi_path_value(path, npath, "field");
	int flags = (metaffi_path_value(path, npath, "instance_required") ? F_INSTANCE : 0) |
	            (metaffi_path_value(path, npath, "getter") ? F_GETTER : 0) |
	            (metaffi_path_value(path, npath, "setter") ? F_SETTER : 0);
	if (!cname) {
		set_error(err, "MetaFFIError", "openjdk entity paths need class=<fully qualified class name>");
		return NULL;
	}
	if ((*env)->PushLocalFrame(env, 64 + 2 * (jint)(np + nr))) {
		error_from_java(env, err, 0);
		return NULL;
	}
	jentity *e = NULL;
	jstring js = jstring_from_utf8(env, cname);
	jclass cls = (*env)->CallStaticObjectMethod(env, c_bridge, m_find_class, js);
	if ((*env)->ExceptionCheck(env)) {
		error_from_java(env, err, 1);
		goto out;
	}
	jlongArray pt = (*env)->NewLongArray(env, (jsize)np);
	jintArray pd = (*env)->NewIntArray(env, (jsize)np);
	jobjectArray pa = (*env)->NewObjectArray(env, (jsize)np, c_string, NULL);
	jlongArray rt = (*env)->NewLongArray(env, (jsize)nr);
	jintArray rd = (*env)->NewIntArray(env, (jsize)nr);
	for (size_t i = 0; i < np; i++) {
		jlong t = (jlong)params[i].type;
		jint d = params[i].dims;
		(*env)->SetLongArrayRegion(env, pt, (jsize)i, 1, &t);
		(*env)->SetIntArrayRegion(env, pd, (jsize)i, 1, &d);
		if (params[i].alias && params[i].alias[0]) {
			jstring a = jstring_from_utf8(env, params[i].alias);
			(*env)->SetObjectArrayElement(env, pa, (jsize)i, a);
			(*env)->DeleteLocalRef(env, a);
		}
	}
	for (size_t i = 0; i < nr; i++) {
		jlong t = (jlong)rets[i].type;
		jint d = rets[i].dims;
		(*env)->SetLongArrayRegion(env, rt, (jsize)i, 1, &t);
		(*env)->SetIntArrayRegion(env, rd, (jsize)i, 1, &d);
	}
	jstring jcall = callable ? jstring_from_utf8(env, callable) : NULL;
	jstring jfield = field ? jstring_from_utf8(env, field) : NULL;
	jobject member = (*env)->CallStaticObjectMethod(env, c_bridge, m_resolve, cls, jcall, jfield, (jint)flags,
	                                                pt, pd, pa, rt, rd);
	if ((*env)->ExceptionCheck(env)) {
		error_from_java(env, err, 1);
		goto out;
	}
	jobjectArray ptypes = (*env)->CallStaticObjectMethod(env, c_bridge, m_param_types, member, (jint)flags);
	jclass rtype = (*env)->ExceptionCheck(env) ? NULL :
	               (*env)->CallStaticObjectMethod(env, c_bridge, m_return_type, member, (jint)flags);
	jboolean is_static = (*env)->ExceptionCheck(env) ? 0 :
	                     (*env)->CallStaticBooleanMethod(env, c_bridge, m_is_static, member);
	if ((*env)->ExceptionCheck(env)) {
		error_from_java(env, err, 0);
		goto out;
	}
	e = calloc(1, sizeof *e);
	e->instance = (flags & F_INSTANCE) != 0;
	e->is_static = is_static;
	e->what = field ? ((flags & F_GETTER) ? W_GET : W_SET) : strcmp(callable, "<init>") == 0 ? W_NEW : W_CALL;
	e->njp = (size_t)(*env)->GetArrayLength(env, ptypes);
	e->nr = nr;
	e->pp = calloc(e->njp ? e->njp : 1, sizeof(jplan));
	e->narrow = calloc(e->njp ? e->njp : 1, sizeof(int));
	e->cls = (*env)->NewGlobalRef(env, cls);
	if (field) e->fid = (*env)->FromReflectedField(env, member);
	else e->mid = (*env)->FromReflectedMethod(env, member);
	int bad = 0;
	for (size_t i = 0; i < e->njp && !bad; i++) {
		jclass c = (*env)->GetObjectArrayElement(env, ptypes, (jsize)i);
		bad = plan_build(env, c, &e->pp[i]);
		(*env)->DeleteLocalRef(env, c);
		size_t di = i + (size_t)e->instance;
		e->narrow[i] = di < np && (MT_ELEMENT(params[di].type) == MT_ANY || params[di].type == MT_ARRAY);
	}
	if (!bad) bad = plan_build(env, rtype, &e->rp);
	if (!bad && e->instance) {
		bad = plan_build(env, cls, &e->ip);
	}
	if (bad) {
		error_from_java(env, err, 0);
		entity_free_plans(env, e);
		e = NULL;
		goto out;
	}
	e->rdecl = nr ? MT_ELEMENT(rets[0].type) : 0;
	e->rdims = nr && (rets[0].type & MT_ARRAY) ? (rets[0].dims > 0 ? rets[0].dims : 1) : 0;
	if (nr && e->rdecl == 0 && e->rdims) e->rdecl = MT_ANY; /* the bare array type: an array of any */
	/* Calls delete the local references they make one by one (cheaper than a local frame);
	 * past 64 parameters a frame frees them. */
	e->need_frame = e->njp > 64;
out:
	(*env)->PopLocalFrame(env, NULL);
	return e;
}

static void jvm_free_entity(void *p)
{
	JNIEnv *env = get_env();
	entity_free_plans(env, p);
}

static int arg_error(metaffi_error *err, size_t i)
{
	char place[40];
	snprintf(place, sizeof place, "argument %zu", i + 1);
	prefix_place(err, place);
	return -1;
}

static int jvm_xcall(void *p, cdt *params, size_t np, cdt *rets, size_t nr, metaffi_error *err)
{
	(void)np;
	(void)nr;
	jentity *e = p;
	JNIEnv *env = get_env();
	if (!g_active) {
		set_error(err, "MetaFFIError", "the openjdk runtime was released");
		return -1;
	}
	if (e->need_frame && (*env)->PushLocalFrame(env, (jint)(8 + 2 * e->njp))) {
		error_from_java(env, err, 0);
		return -1;
	}
	int rc = -1;
	jobject obj = NULL, ret_local = NULL;
	int obj_local = 0;
	uint64_t made = 0; /* which args[i].l are local references made for this call */
	cdt *jp = params;
	jvalue inline_args[INLINE_ARGS];
	jvalue *args = e->njp <= INLINE_ARGS ? inline_args : core->alloc(e->njp * sizeof(jvalue));
	if (e->instance) {
		int is_value = e->ip.kind == K_STRING || (e->ip.kind >= K_BOX && e->ip.kind < K_BOX + 8);
		if ((params[0].type == MT_HANDLE || params[0].type == MT_CALLABLE) && params[0].v.ref.runtime == RT_OPENJDK) {
			obj = ((jref *)params[0].v.ref.val)->obj;
			if (!(*env)->IsInstanceOf(env, obj, e->cls)) {
				char msg[600];
				snprintf(msg, sizeof msg, "argument 1: expected a %s object, got a %s", class_name(env, e->cls, 1),
				         class_name(env, obj, 0));
				set_error(err, "TypeError", msg);
				goto done;
			}
		} else if (is_value && params[0].type != MT_NULL && params[0].type != MT_HANDLE && params[0].type != MT_CALLABLE) {
			if (cdt_to_jobject(env, &params[0], &e->ip, 0, 0, &obj, err)) {
				arg_error(err, 0);
				goto done;
			}
			obj_local = 1;
		} else {
			char msg[300];
			snprintf(msg, sizeof msg, "argument 1: instance_required: expected the Java object (a handle of the "
			         "openjdk runtime), got %s", params[0].type == MT_HANDLE ? "a handle of another runtime" :
			         cdt_type_name(params[0].type));
			set_error(err, "TypeError", msg);
			goto done;
		}
		jp = params + 1;
	}

	for (size_t i = 0; i < e->njp; i++) {
		const jplan *pl = &e->pp[i];
		if (pl->kind <= K_D) {
			if (cdt_to_prim(&jp[i], pl->kind, &args[i], err)) {
				arg_error(err, i + (size_t)e->instance);
				goto done;
			}
		} else if ((jp[i].type == MT_HANDLE || jp[i].type == MT_CALLABLE) && jp[i].v.ref.runtime == RT_OPENJDK) {
			args[i].l = ((jref *)jp[i].v.ref.val)->obj; /* borrowed: no local reference needed */
			if (check_instance(env, args[i].l, pl, &jp[i], err)) {
				arg_error(err, i + (size_t)e->instance);
				goto done;
			}
		} else if (cdt_to_jobject(env, &jp[i], pl, e->narrow[i], 0, &args[i].l, err)) {
			arg_error(err, i + (size_t)e->instance);
			goto done;
		} else if (args[i].l && i < 64) {
			made |= 1ULL << i;
		}
	}
	jvalue r;
	r.j = 0;
	int k = e->rp.kind;
	switch (e->what) {
	case W_NEW:
		r.l = (*env)->NewObjectA(env, e->cls, e->mid, args);
		k = K_OBJECT;
		break;
	case W_CALL:
		if (e->is_static) {
			switch (k) {
			case K_VOID: (*env)->CallStaticVoidMethodA(env, e->cls, e->mid, args); break;
			case K_Z: r.z = (*env)->CallStaticBooleanMethodA(env, e->cls, e->mid, args); break;
			case K_B: r.b = (*env)->CallStaticByteMethodA(env, e->cls, e->mid, args); break;
			case K_C: r.c = (*env)->CallStaticCharMethodA(env, e->cls, e->mid, args); break;
			case K_S: r.s = (*env)->CallStaticShortMethodA(env, e->cls, e->mid, args); break;
			case K_I: r.i = (*env)->CallStaticIntMethodA(env, e->cls, e->mid, args); break;
			case K_J: r.j = (*env)->CallStaticLongMethodA(env, e->cls, e->mid, args); break;
			case K_F: r.f = (*env)->CallStaticFloatMethodA(env, e->cls, e->mid, args); break;
			case K_D: r.d = (*env)->CallStaticDoubleMethodA(env, e->cls, e->mid, args); break;
			default: r.l = (*env)->CallStaticObjectMethodA(env, e->cls, e->mid, args); break;
			}
		} else {
			switch (k) {
			case K_VOID: (*env)->CallVoidMethodA(env, obj, e->mid, args); break;
			case K_Z: r.z = (*env)->CallBooleanMethodA(env, obj, e->mid, args); break;
			case K_B: r.b = (*env)->CallByteMethodA(env, obj, e->mid, args); break;
			case K_C: r.c = (*env)->CallCharMethodA(env, obj, e->mid, args); break;
			case K_S: r.s = (*env)->CallShortMethodA(env, obj, e->mid, args); break;
			case K_I: r.i = (*env)->CallIntMethodA(env, obj, e->mid, args); break;
			case K_J: r.j = (*env)->CallLongMethodA(env, obj, e->mid, args); break;
			case K_F: r.f = (*env)->CallFloatMethodA(env, obj, e->mid, args); break;
			case K_D: r.d = (*env)->CallDoubleMethodA(env, obj, e->mid, args); break;
			default: r.l = (*env)->CallObjectMethodA(env, obj, e->mid, args); break;
			}
		}
		break;
	case W_GET:
		if (e->is_static) {
			switch (k) {
			case K_Z: r.z = (*env)->GetStaticBooleanField(env, e->cls, e->fid); break;
			case K_B: r.b = (*env)->GetStaticByteField(env, e->cls, e->fid); break;
			case K_C: r.c = (*env)->GetStaticCharField(env, e->cls, e->fid); break;
			case K_S: r.s = (*env)->GetStaticShortField(env, e->cls, e->fid); break;
			case K_I: r.i = (*env)->GetStaticIntField(env, e->cls, e->fid); break;
			case K_J: r.j = (*env)->GetStaticLongField(env, e->cls, e->fid); break;
			case K_F: r.f = (*env)->GetStaticFloatField(env, e->cls, e->fid); break;
			case K_D: r.d = (*env)->GetStaticDoubleField(env, e->cls, e->fid); break;
			default: r.l = (*env)->GetStaticObjectField(env, e->cls, e->fid); break;
			}
		} else {
			switch (k) {
			case K_Z: r.z = (*env)->GetBooleanField(env, obj, e->fid); break;
			case K_B: r.b = (*env)->GetByteField(env, obj, e->fid); break;
			case K_C: r.c = (*env)->GetCharField(env, obj, e->fid); break;
			case K_S: r.s = (*env)->GetShortField(env, obj, e->fid); break;
			case K_I: r.i = (*env)->GetIntField(env, obj, e->fid); break;
			case K_J: r.j = (*env)->GetLongField(env, obj, e->fid); break;
			case K_F: r.f = (*env)->GetFloatField(env, obj, e->fid); break;
			case K_D: r.d = (*env)->GetDoubleField(env, obj, e->fid); break;
			default: r.l = (*env)->GetObjectField(env, obj, e->fid); break;
			}
		}
		break;
	default: { /* W_SET */
		int fk = e->pp[0].kind;
		jvalue v = args[0];
		if (e->is_static) {
			switch (fk) {
			case K_Z: (*env)->SetStaticBooleanField(env, e->cls, e->fid, v.z); break;
			case K_B: (*env)->SetStaticByteField(env, e->cls, e->fid, v.b); break;
			case K_C: (*env)->SetStaticCharField(env, e->cls, e->fid, v.c); break;
			case K_S: (*env)->SetStaticShortField(env, e->cls, e->fid, v.s); break;
			case K_I: (*env)->SetStaticIntField(env, e->cls, e->fid, v.i); break;
			case K_J: (*env)->SetStaticLongField(env, e->cls, e->fid, v.j); break;
			case K_F: (*env)->SetStaticFloatField(env, e->cls, e->fid, v.f); break;
			case K_D: (*env)->SetStaticDoubleField(env, e->cls, e->fid, v.d); break;
			default: (*env)->SetStaticObjectField(env, e->cls, e->fid, v.l); break;
			}
		} else {
			switch (fk) {
			case K_Z: (*env)->SetBooleanField(env, obj, e->fid, v.z); break;
			case K_B: (*env)->SetByteField(env, obj, e->fid, v.b); break;
			case K_C: (*env)->SetCharField(env, obj, e->fid, v.c); break;
			case K_S: (*env)->SetShortField(env, obj, e->fid, v.s); break;
			case K_I: (*env)->SetIntField(env, obj, e->fid, v.i); break;
			case K_J: (*env)->SetLongField(env, obj, e->fid, v.j); break;
			case K_F: (*env)->SetFloatField(env, obj, e->fid, v.f); break;
			case K_D: (*env)->SetDoubleField(env, obj, e->fid, v.d); break;
			default: (*env)->SetObjectField(env, obj, e->fid, v.l); break;
			}
		}
		k = K_VOID;
		break;
	}
	}
	if (k > K_D) ret_local = r.l;
	if ((*env)->ExceptionCheck(env)) {
		error_from_java(env, err, 0);
		goto done;
	}
	rc = 0;
	if (e->nr > 0) {
		if (k == K_VOID) rets[0].type = MT_NULL;
		else if (k <= K_D) prim_to_cdt(k, r, &rets[0]);
		else rc = jobject_to_cdt(env, r.l, e->what == W_NEW ? NULL : &e->rp, e->rdecl, e->rdims, 0, &rets[0], err);
		if (!rc && k != K_VOID && e->what != W_NEW && fit_declared(&rets[0], e->rdecl, e->rdims, err)) {
			release_refs(&rets[0]);
			rc = -1;
		}
		if (rc) prefix_place(err, "return value");
	}
done:
	if (e->need_frame) {
		(*env)->PopLocalFrame(env, NULL);
		return rc;
	}
	if (ret_local) (*env)->DeleteLocalRef(env, ret_local);
	for (size_t i = 0; made && i < 64; i++) {
		if (made & (1ULL << i)) (*env)->DeleteLocalRef(env, args[i].l);
		made &= ~(1ULL << i);
	}
	if (obj_local) (*env)->DeleteLocalRef(env, obj);
	return rc;
}

static int jvm_call_callable(void *callable, const cdt *params, size_t np, cdt **rets, size_t *nr,
                             metaffi_error *err)
{
	*rets = NULL;
	*nr = 0;
	JNIEnv *env = get_env();
	if (!env) {
		set_error(err, "MetaFFIError", "this thread cannot attach to the JVM");
		return -1;
	}
	if (!g_active) {
		set_error(err, "MetaFFIError", "the openjdk runtime was released");
		return -1;
	}
	if ((*env)->PushLocalFrame(env, 16)) {
		error_from_java(env, err, 0);
		return -1;
	}
	int rc = -1;
	jobjectArray args = (*env)->NewObjectArray(env, (jsize)np, c_object, NULL);
	if (!args) {
		error_from_java(env, err, 0);
		goto done;
	}
	for (size_t i = 0; i < np; i++) {
		jobject a = NULL;
		if (cdt_to_jobject(env, &params[i], NULL, 1, 0, &a, err)) {
			arg_error(err, i);
			goto done;
		}
		(*env)->SetObjectArrayElement(env, args, (jsize)i, a);
		if (a) (*env)->DeleteLocalRef(env, a);
	}
	jobject r = (*env)->CallStaticObjectMethod(env, c_bridge, m_invoke_functional, ((jref *)callable)->obj, args);
	if ((*env)->ExceptionCheck(env)) {
		error_from_java(env, err, 0);
		goto done;
	}
	if ((*env)->IsSameObject(env, r, g_void)) {
		rc = 0;
		goto done;
	}
	cdt *out = core->alloc(sizeof(cdt));
	if (jobject_to_cdt(env, r, NULL, MT_ANY, 0, 0, out, err) == 0) {
		*rets = out;
		*nr = 1;
		rc = 0;
	}
done:
	(*env)->PopLocalFrame(env, NULL);
	return rc;
}

static void jvm_retain(void *val)
{
	atomic_fetch_add(&((jref *)val)->refs, 1);
}

static void jvm_release(void *val)
{
	jref_release(val);
}

static const char *jvm_describe(void *val)
{
	JNIEnv *env = get_env();
	return class_name(env, ((jref *)val)->obj, 0);
}

static const metaffi_plugin g_plugin = {
	METAFFI_ABI_VERSION,
	RT_OPENJDK,
	"openjdk",
	MT_STRING16,
	jvm_load_runtime,
	jvm_free_runtime,
	jvm_load_module,
	jvm_free_module,
	jvm_load_entity,
	jvm_free_entity,
	jvm_xcall,
	jvm_call_callable,
	jvm_retain,
	jvm_release,
	jvm_describe,
	jvm_at_exit,
};

__attribute__((visibility("default"))) const metaffi_plugin *metaffi_plugin_get(void)
{
	return &g_plugin;
}
