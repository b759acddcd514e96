#include "node_host.h"

/* ------------------------------------------------------------------------------------ */
/* Conversion CDT -> JS                                                                  */


napi_status int64_to_js(napi_env env, int64_t v, napi_value *out)
{
	if (v >= -MAX_SAFE_INT && v <= MAX_SAFE_INT) return napi_create_int64(env, v, out);
	return napi_create_bigint_int64(env, v, out);
}

napi_status uint64_to_js(napi_env env, uint64_t v, napi_value *out)
{
	if (v <= (uint64_t)MAX_SAFE_INT) return napi_create_int64(env, (int64_t)v, out);
	return napi_create_bigint_uint64(env, v, out);
}

size_t utf16_encode(uint32_t cp, char16_t *o)
{
	if (cp < 0x10000) {
		o[0] = (char16_t)cp;
		return 1;
	}
	cp -= 0x10000;
	o[0] = (char16_t)(0xD800 + (cp >> 10));
	o[1] = (char16_t)(0xDC00 + (cp & 0x3FF));
	return 2;
}

napi_status packed_to_typedarray(napi_env env, const cdt *v, napi_value *out)
{
	uint64_t e = MT_ELEMENT(v->type);
	napi_typedarray_type tt;
	size_t width;
	switch (e) {
	case MT_FLOAT64: tt = napi_float64_array; width = 8; break;
	case MT_FLOAT32: tt = napi_float32_array; width = 4; break;
	case MT_INT8: tt = napi_int8_array; width = 1; break;
	case MT_INT16: tt = napi_int16_array; width = 2; break;
	case MT_INT32: tt = napi_int32_array; width = 4; break;
	case MT_INT64: tt = napi_bigint64_array; width = 8; break;
	case MT_UINT8: case MT_BOOL: tt = napi_uint8_array; width = 1; break;
	case MT_UINT16: tt = napi_uint16_array; width = 2; break;
	case MT_UINT32: tt = napi_uint32_array; width = 4; break;
	default: tt = napi_biguint64_array; width = 8; break; /* uint64, size */
	}
	void *data;
	napi_value ab;
	size_t len = v->v.packed.len;
	napi_status st = napi_create_arraybuffer(env, len * width, &data, &ab);
	if (st != napi_ok) return st;
	if (len) memcpy(data, v->v.packed.data, len * width);
	return napi_create_typedarray(env, tt, len, ab, 0, out);
}



/* The offset of the first byte that is not part of well-formed UTF-8, or -1. */
ptrdiff_t utf8_invalid_at(const unsigned char *s, size_t n)
{
	size_t i = 0;
	while (i < n) {
		if (i + 8 <= n) { /* ASCII runs, eight bytes at a time */
			uint64_t w;
			memcpy(&w, s + i, 8);
			if (!(w & 0x8080808080808080ULL)) {
				i += 8;
				continue;
			}
		}
		unsigned char b = s[i];
		if (b < 0x80) {
			i++;
			continue;
		}
		size_t need;
		uint32_t cp, min;
		if (b >= 0xC2 && b <= 0xDF) { need = 1; cp = b & 0x1F; min = 0x80; }
		else if (b >= 0xE0 && b <= 0xEF) { need = 2; cp = b & 0x0F; min = 0x800; }
		else if (b >= 0xF0 && b <= 0xF4) { need = 3; cp = b & 0x07; min = 0x10000; }
		else return (ptrdiff_t)i;
		if (need >= n - i) return (ptrdiff_t)i; /* cut short */
		for (size_t k = 1; k <= need; k++) {
			if ((s[i + k] & 0xC0) != 0x80) return (ptrdiff_t)i;
			cp = (cp << 6) | (s[i + k] & 0x3F);
		}
		if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return (ptrdiff_t)i;
		i += need + 1;
	}
	return -1;
}


napi_status cdt_to_js(napi_env env, arena *ar, const cdt *v, int flags, napi_value *out)
{
	return cdt_to_js_at(env, ar, v, flags, 0, out);
}

napi_status too_deep(napi_env env)
{
	throw_simple(env, "a foreign runtime returned a value nested deeper than %d levels; "
	             "flatten it or return a handle", METAFFI_MAX_DEPTH);
	return napi_pending_exception;
}

napi_status cdt_to_js_at(napi_env env, arena *ar, const cdt *v, int flags, int depth, napi_value *out)
{
	uint64_t t = v->type;
	if ((t & MT_ARRAY) && !(t & MT_PACKED) && depth >= METAFFI_MAX_DEPTH) return too_deep(env);
	if (t == MT_MAP && depth >= METAFFI_MAX_DEPTH) return too_deep(env);
	if (t & MT_ARRAY) {
		if (t & MT_PACKED) {
			if (flags & CONV_KEEP_PACKED) return packed_to_typedarray(env, v, out);
			/* Fill the scratch and let the JS helper build the array in one compiled loop. */
			napi_value fn, global, args[3];
			void *scratch;
			size_t n = v->v.packed.len;
			napi_status st = scratch_get(env, MT_ELEMENT(t), n, &args[0], &scratch);
			if (st != napi_ok) return st;
			if (n) memcpy(scratch, v->v.packed.data, n * metaffi_packed_width(MT_ELEMENT(t)));
			napi_get_reference_value(env, g_unpack_fn, &fn);
			napi_get_global(env, &global);
			napi_create_uint32(env, (uint32_t)n, &args[1]);
			napi_get_boolean(env, MT_ELEMENT(t) == MT_BOOL, &args[2]);
			return napi_call_function(env, global, fn, 3, args, out);
		}
		napi_status st = napi_create_array_with_length(env, v->v.arr.len, out);
		if (st != napi_ok) return st;
		for (size_t i = 0; i < v->v.arr.len; i++) {
			napi_value item;
			st = cdt_to_js_at(env, ar, &v->v.arr.elems[i], flags, depth + 1, &item);
			if (st != napi_ok) return st;
			napi_set_element(env, *out, (uint32_t)i, item);
		}
		return napi_ok;
	}
	switch (t) {
	case MT_FLOAT64: return napi_create_double(env, v->v.f64, out);
	case MT_FLOAT32: return napi_create_double(env, (double)v->v.f32, out);
	case MT_INT8: return napi_create_int32(env, v->v.i8, out);
	case MT_INT16: return napi_create_int32(env, v->v.i16, out);
	case MT_INT32: return napi_create_int32(env, v->v.i32, out);
	case MT_INT64: return int64_to_js(env, v->v.i64, out);
	case MT_UINT8: return napi_create_uint32(env, v->v.u8, out);
	case MT_UINT16: return napi_create_uint32(env, v->v.u16, out);
	case MT_UINT32: return napi_create_uint32(env, v->v.u32, out);
	case MT_UINT64:
	case MT_SIZE: return uint64_to_js(env, v->v.u64, out);
	case MT_BOOL: return napi_get_boolean(env, v->v.b != 0, out);
	case MT_STRING8: {
		ptrdiff_t bad = utf8_invalid_at(v->v.str.ptr, v->v.str.len);
		if (bad >= 0) {
			throw_simple(env, "a foreign runtime returned a string that is not valid UTF-8 (at byte %td); "
			             "return bytes as a uint8 array instead", bad);
			return napi_pending_exception;
		}
		return napi_create_string_utf8(env, v->v.str.ptr, v->v.str.len, out);
	}
	case MT_STRING16: return napi_create_string_utf16(env, v->v.str.ptr, v->v.str.len, out);
	case MT_STRING32: {
		const uint32_t *s = v->v.str.ptr;
		char16_t *buf = arena_alloc(ar, v->v.str.len * 2 * sizeof(char16_t) + 2);
		if (!buf) return napi_generic_failure;
		size_t n = 0;
		for (size_t i = 0; i < v->v.str.len; i++) {
			if (s[i] > 0x10FFFF || (s[i] >= 0xD800 && s[i] <= 0xDFFF)) {
				throw_simple(env, "a foreign runtime returned a string32 with an invalid code point "
				             "0x%X at index %zu", (unsigned)s[i], i);
				return napi_pending_exception;
			}
			n += utf16_encode(s[i], buf + n);
		}
		return napi_create_string_utf16(env, buf, n, out);
	}
	case MT_CHAR8:
	case MT_CHAR16:
	case MT_CHAR32: {
		char16_t u[2];
		if (v->v.ch > 0x10FFFF || (v->v.ch >= 0xD800 && v->v.ch <= 0xDFFF && t != MT_CHAR16) ||
		    (t == MT_CHAR8 && v->v.ch > 0x7F) || (t == MT_CHAR16 && v->v.ch > 0xFFFF)) {
			throw_simple(env, "a foreign runtime returned an invalid %s code point 0x%X",
			             metaffi_type_name(t), (unsigned)v->v.ch);
			return napi_pending_exception;
		}
		size_t n = utf16_encode(v->v.ch, u);
		return napi_create_string_utf16(env, u, n, out);
	}
	case MT_NULL: return napi_get_null(env, out);
	case MT_HANDLE:
	case MT_CALLABLE:
		if (v->v.ref.runtime == RT_HOST) {
			host_rec *r = v->v.ref.val;
			if (r->owner != tls_env) { /* lent by another environment (a Worker): not ours to touch */
				if (!(flags & CONV_BORROWED)) host_release_any_thread(r);
				throw_simple(env, "a foreign runtime returned a JS %s of another Node.js environment (the main "
				                  "thread or a Worker); JS values can be used only in the environment that lent them",
				             t == MT_CALLABLE ? "function" : "object");
				return napi_pending_exception;
			}
			napi_status st = napi_get_reference_value(env, r->ref, out);
			if (!(flags & CONV_BORROWED)) host_release(r); /* drop the reference we were given */
			return st;
		}
		if (flags & CONV_BORROWED) xllr_retain(v->v.ref.runtime, v->v.ref.val); /* the box owns one */
		*out = make_box_object(env, v->v.ref.runtime, v->v.ref.val, t == MT_CALLABLE);
		return *out ? napi_ok : napi_generic_failure;
	case MT_MAP: {
		int all_strings = 1;
		for (size_t i = 0; i < v->v.map.len; i++) {
			uint64_t kt = v->v.map.kv[2 * i].type;
			if (kt != MT_STRING8 && kt != MT_STRING16 && kt != MT_STRING32) all_strings = 0;
		}
		napi_status st;
		if (all_strings) {
			st = napi_create_object(env, out);
			if (st != napi_ok) return st;
			for (size_t i = 0; i < v->v.map.len; i++) {
				napi_value k, item;
				st = cdt_to_js_at(env, ar, &v->v.map.kv[2 * i], flags, depth + 1, &k);
				if (st == napi_ok) st = cdt_to_js_at(env, ar, &v->v.map.kv[2 * i + 1], flags, depth + 1, &item);
				if (st != napi_ok) return st;
				napi_set_property(env, *out, k, item);
			}
			return napi_ok;
		}
		napi_value flat, fn, global;
		st = napi_create_array_with_length(env, v->v.map.len * 2, &flat);
		if (st != napi_ok) return st;
		for (size_t i = 0; i < v->v.map.len * 2; i++) {
			napi_value item;
			st = cdt_to_js_at(env, ar, &v->v.map.kv[i], flags, depth + 1, &item);
			if (st != napi_ok) return st;
			napi_set_element(env, flat, (uint32_t)i, item);
		}
		napi_get_reference_value(env, g_to_map_fn, &fn);
		napi_get_global(env, &global);
		return napi_call_function(env, global, fn, 1, &flat, out);
	}
	default: {
		char msg[96];
		snprintf(msg, sizeof msg, "a foreign runtime produced a value of unknown type code %llu",
		         (unsigned long long)t);
		napi_throw_error(env, NULL, msg);
		return napi_pending_exception;
	}
	}
}

/* Drop the references owned by results that were not turned into JS values. */
