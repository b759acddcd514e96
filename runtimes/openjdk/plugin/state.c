/* The openjdk runtime plugin: Plugin state, threads and strings. */
#include "openjdk_plugin.h"

const metaffi_core *core;
JavaVM *g_jvm;
int g_active;
atomic_long g_live_refs;
__thread JNIEnv *tls_env;
pthread_key_t g_detach_key;

/* Classes and methods used on the call path, resolved once. */
jclass c_bridge, c_object, c_string, c_foreign_obj, c_foreign_exc, c_class, c_map, c_iae;
jclass c_box[8];
jclass c_soe, c_ste, c_bigint;
jmethodID m_bigint_new, m_bigint_bits, m_bigint_signum, m_bigint_long;
jfieldID f_host_error, f_foreign_type, f_foreign_message, f_foreign_stack, f_detail, f_stack_trace;
jmethodID m_box_of[8], m_unbox[8];
jmethodID m_init, m_adopt, m_add_paths, m_find_class, m_kind_of, m_kind_of_object,
	m_foreign_ref, m_class_name, m_resolve, m_param_types, m_return_type, m_is_static, m_proxy,
	m_invoke_functional, m_describe_exc, m_flush, m_foreign_obj_new, m_foreign_exc_new,
	m_component_type, m_is_array, m_map_new, m_map_put;
jobject g_void; /* Bridge.VOID */

/* ------------------------------------------------------------------------------------ */
/* Threads                                                                               */

void detach_thread(void *p)
{
	(void)p;
	if (g_jvm) (*g_jvm)->DetachCurrentThread(g_jvm);
}

/* The JNIEnv of this thread; threads of other runtimes are attached on first use (as
 * daemons, detached when they end). */
JNIEnv *get_env(void)
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

void set_error(metaffi_error *err, const char *type, const char *msg)
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
const char *jstring_utf8(JNIEnv *env, jstring s)
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
const jchar *cdt_utf16(const cdt *v, jchar *small, size_t small_len, size_t *n)
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

jstring make_jstring(JNIEnv *env, const cdt *v)
{
	jchar small[256];
	size_t n;
	const jchar *u = cdt_utf16(v, small, 256, &n);
	return u ? (*env)->NewString(env, u, (jsize)n) : NULL;
}

jstring jstring_from_utf8(JNIEnv *env, const char *s)
{
	cdt v;
	v.type = MT_STRING8;
	v.v.str.ptr = s ? s : "";
	v.v.str.len = s ? strlen(s) : 0;
	return make_jstring(env, &v);
}

/* Arena memory for a converted value; NULL (with the error set) when there is none. */
void *alloc_value(size_t size, metaffi_error *err)
{
	void *p = core->alloc(size);
	if (!p) {
		char msg[160];
		snprintf(msg, sizeof msg, "not enough memory to convert a value of %zu bytes", size);
		set_error(err, "MetaFFIError", msg);
	}
	return p;
}

int is_string_type(uint64_t t)
{
	return t == MT_STRING8 || t == MT_STRING16 || t == MT_STRING32;
}
