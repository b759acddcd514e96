/* The openjdk runtime plugin: Errors, references held by other runtimes, conversion plans. */
#include "openjdk_plugin.h"

/* ------------------------------------------------------------------------------------ */
/* Errors                                                                                */

const char *cdt_type_name(uint64_t t)
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

const char *kind_name(int k)
{
	static const char *names[] = {"void", "boolean", "byte", "char", "short", "int", "long", "float", "double",
	                              "java.lang.String", "java.lang.Boolean", "java.lang.Byte", "java.lang.Character",
	                              "java.lang.Short", "java.lang.Integer", "java.lang.Long", "java.lang.Float",
	                              "java.lang.Double", "an array", "a functional interface", "an object"};
	if (k >= 0 && k <= K_OBJECT) return names[k];
	if (k > K_PRIM_ARRAY && k <= K_PRIM_ARRAY + K_D) return "a primitive array";
	return "a value";
}

int conv_error(metaffi_error *err, const char *expected, const cdt *got)
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
__thread size_t tls_path[METAFFI_MAX_DEPTH + 1];

int too_deep(int depth, metaffi_error *err)
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
__attribute__((noinline)) void prefix_index(metaffi_error *err, size_t i)
{
	if (err->type == DEPTH_ERROR) return;
	char msg[700];
	snprintf(msg, sizeof msg, "[%zu]%s%s", i, err->message[0] == '[' ? "" : ": ", err->message);
	err->message = core->strdup(msg, strlen(msg));
}

/* "argument 2: ..." / "return value: ..." in front of an error. */
__attribute__((noinline)) void prefix_place(metaffi_error *err, const char *place)
{
	char msg[900];
	/* "argument 1 is nested ...", "argument 1[2]: ...", "argument 1: ..." */
	const char *sep = err->type == DEPTH_ERROR ? " " : err->message[0] == '[' ? "" : ": ";
	snprintf(msg, sizeof msg, "%s%s%s", place, sep, err->message);
	err->message = core->strdup(msg, strlen(msg));
	if (err->type == DEPTH_ERROR) err->type = "MetaFFIError";
}

const char *class_name(JNIEnv *env, jobject cls_or_obj, int is_class)
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
void error_from_java(JNIEnv *env, metaffi_error *err, int plain)
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

jref *jref_new(JNIEnv *env, jobject o)
{
	jref *r = malloc(sizeof *r);
	if (!r) return NULL;
	r->obj = (*env)->NewGlobalRef(env, o);
	atomic_init(&r->refs, 1);
	atomic_fetch_add(&g_live_refs, 1);
	return r;
}

void jref_release(jref *r)
{
	if (atomic_fetch_sub(&r->refs, 1) != 1) return;
	JNIEnv *env = get_env();
	if (env) (*env)->DeleteGlobalRef(env, r->obj);
	atomic_fetch_sub(&g_live_refs, 1);
	free(r);
}

/* Drop the references a CDT value holds. */
void release_refs(const cdt *v)
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

int plan_build(JNIEnv *env, jclass c, jplan *p)
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

void plan_free(JNIEnv *env, jplan *p)
{
	if (p->cls) (*env)->DeleteGlobalRef(env, p->cls);
	if (p->elem) {
		plan_free(env, p->elem);
		free(p->elem);
	}
	p->cls = NULL;
	p->elem = NULL;
}
