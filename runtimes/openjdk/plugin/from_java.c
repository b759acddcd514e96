/* The openjdk runtime plugin: Java -> CDT and declared return types. */
#include "openjdk_plugin.h"

/* ------------------------------------------------------------------------------------ */
/* Java -> CDT. References in results carry one reference (the receiver owns them).       */

void prim_to_cdt(int k, jvalue v, cdt *out)
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
int jobject_to_cdt(JNIEnv *env, jobject o, const jplan *p, uint64_t declared, int dims, int depth,
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
	if ((decl == MT_NULL && v->type != MT_NULL) || (decl == MT_CALLABLE && v->type != MT_CALLABLE) ||
	    (decl == MT_MAP && v->type != MT_MAP))
		return fit_error(err, v, decl, "is no value for");
	return 0; /* handle, any: what Java gave */
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
int fit_declared(cdt *v, uint64_t decl, int dims, metaffi_error *err)
{
	if (v->type == MT_NULL) {
		if (dims == 0 && is_scalar_decl(decl) && !is_string_type(decl)) return fit_error(err, v, decl, "");
		return 0;
	}
	if (dims == 0) {
		if ((v->type & MT_ARRAY) && decl != MT_ANY && decl != MT_HANDLE) return fit_error(err, v, decl, "");
		return (v->type & MT_ARRAY) ? 0 : fit_scalar(v, decl, err);
	}
	if (!(v->type & MT_ARRAY)) {
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
