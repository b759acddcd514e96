/* The openjdk runtime plugin: CDT -> Java. */
#include "openjdk_plugin.h"

/* ------------------------------------------------------------------------------------ */
/* CDT -> Java                                                                           */

int cdt_number(const cdt *v, int64_t *i, double *d)
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
void packed_get(const cdt *v, size_t i, cdt *out)
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
size_t int_width(uint64_t t)
{
	switch (t) {
	case MT_INT8: case MT_UINT8: return 1;
	case MT_INT16: case MT_UINT16: return 2;
	case MT_INT32: case MT_UINT32: return 4;
	default: return 8;
	}
}

int cdt_to_prim(const cdt *v, int kind, jvalue *out, metaffi_error *err)
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

size_t prim_width(int k)
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

void get_prim_region(JNIEnv *env, int k, jarray a, jsize n, void *data)
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

int check_instance(JNIEnv *env, jobject o, const jplan *p, const cdt *v, metaffi_error *err)
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
int cdt_to_jobject(JNIEnv *env, const cdt *v, const jplan *p, int narrow, int depth, jobject *out,
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
