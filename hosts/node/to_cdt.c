#include "node_host.h"

/* ------------------------------------------------------------------------------------ */
/* Conversion JS -> CDT                                                                  */


void conv_init(conv *c, napi_env env, arena *ar, uint64_t str_type)
{
	c->env = env;
	c->ar = ar;
	c->str_type = str_type;
	c->where[0] = 0;
	c->msg[0] = 0;
	c->last_box = NULL;
	c->depth = 0;
	c->range = 0;
	c->too_deep = 0;
}

/* The first few steps of an error path ("[0][\"k\"][2][0]"), "..." when there are more. */
const char *where_short(const char *where, char *out, size_t size)
{
	size_t i = 0, steps = 0;
	while (where[i] && steps < 4) {
		if (where[i] == ']' && (where[i + 1] == '[' || !where[i + 1])) steps++;
		i++;
	}
	snprintf(out, size, "%.*s%s", (int)i, where, where[i] ? "..." : "");
	return out;
}

/* Throw what a converter's return code says: -1 a TypeError or RangeError with the message,
 * -2 the pending JS exception, or a RangeError when memory ran out (nothing pending). */
void conv_throw(conv *c, int rc, const char *prefix)
{
	bool pending = false;
	napi_is_exception_pending(c->env, &pending);
	if (pending) return;
	char msg[900];
	if (rc == -1 && c->too_deep) {
		char at[200];
		snprintf(msg, sizeof msg, "%s is nested deeper than %d levels (at %s); flatten it or pass a handle",
		         prefix, METAFFI_MAX_DEPTH, where_short(c->where, at, sizeof at));
		napi_throw_range_error(c->env, NULL, msg);
	} else if (rc == -1) {
		snprintf(msg, sizeof msg, "%s%s: %s", prefix, c->where, c->msg);
		if (c->range) napi_throw_range_error(c->env, NULL, msg);
		else napi_throw_type_error(c->env, NULL, msg);
	} else {
		snprintf(msg, sizeof msg, "%s%s: not enough memory to convert the value", prefix, c->where);
		napi_throw_range_error(c->env, NULL, msg);
	}
}

/* Enter one level of nesting; -1 with the message set when that is one too many. */
int conv_enter(conv *c)
{
	if (++c->depth <= METAFFI_MAX_DEPTH) return 0;
	c->depth--;
	c->range = 1;
	c->too_deep = 1;
	return -1;
}

void conv_leave(conv *c) { c->depth--; }

/* The index of the first lone surrogate in UTF-16 text, or -1. */
ptrdiff_t find_lone_surrogate(const char16_t *u, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (u[i] < 0xD800 || u[i] > 0xDFFF) continue;
		if (u[i] <= 0xDBFF && i + 1 < n && u[i + 1] >= 0xDC00 && u[i + 1] <= 0xDFFF) {
			i++;
			continue;
		}
		return (ptrdiff_t)i;
	}
	return -1;
}


void describe_js(napi_env env, napi_value v, char *out, size_t size)
{
	napi_valuetype t;
	napi_typeof(env, v, &t);
	switch (t) {
	case napi_undefined: snprintf(out, size, "undefined"); return;
	case napi_null: snprintf(out, size, "null"); return;
	case napi_boolean: {
		bool b;
		napi_get_value_bool(env, v, &b);
		snprintf(out, size, "boolean %s", b ? "true" : "false");
		return;
	}
	case napi_number: {
		double d;
		napi_get_value_double(env, v, &d);
		snprintf(out, size, "number %.17g", d);
		return;
	}
	case napi_string: {
		char s[40];
		size_t n = 0;
		napi_get_value_string_utf8(env, v, s, sizeof s, &n);
		snprintf(out, size, "string \"%s%s\"", s, n >= sizeof s - 1 ? "..." : "");
		return;
	}
	case napi_bigint: snprintf(out, size, "bigint"); return;
	case napi_symbol: snprintf(out, size, "symbol"); return;
	case napi_function: snprintf(out, size, "function"); return;
	default: {
		bool arr = false;
		napi_is_array(env, v, &arr);
		uint32_t kind = 0;
		int handle = core_wrapped(env, v, &kind) && kind == WRAP_BOX;
		snprintf(out, size, "%s", arr ? "array" : handle ? "MetaFFIHandle" : "object");
		return;
	}
	}
}

int conv_fail(conv *c, napi_value v, const char *expected)
{
	char got[96];
	describe_js(c->env, v, got, sizeof got);
	snprintf(c->msg, sizeof c->msg, "expected %s, got %s", expected, got);
	return -1;
}

/* Return codes of the converters: 0 ok, -1 type error (c->msg), -2 JS exception pending. */

int lone_surrogate_fail(conv *c, ptrdiff_t at, uint64_t declared)
{
	snprintf(c->msg, sizeof c->msg,
	         "expected a string that %s can hold, got a string with a lone surrogate at index %td "
	         "(declare string16 to pass it unchanged)", metaffi_type_name(declared), at);
	return -1;
}

int js_string_to_utf16(conv *c, napi_value v, cdt *out)
{
	size_t len = 0;
	if (napi_get_value_string_utf16(c->env, v, NULL, 0, &len) != napi_ok) return -2;
	char16_t *buf = arena_alloc(c->ar, (len + 1) * 2);
	if (!buf) return -2;
	napi_get_value_string_utf16(c->env, v, buf, len + 1, &len);
	out->type = MT_STRING16;
	out->v.str.ptr = buf;
	out->v.str.len = len;
	return 0;
}

/* want: MT_STRING8/16/32 as declared, or 0 for any (the plugin's preferred encoding). A
 * string with a lone surrogate cannot be UTF-8 or UTF-32: for a declared string8/string32
 * that is a type error; for any it travels as UTF-16, which holds it exactly. */
int js_string_to_cdt(conv *c, napi_value v, uint64_t want, cdt *out)
{
	size_t len = 0;
	if (want == MT_STRING16 || ((want == 0 || want == MT_STRING32) && c->str_type == MT_STRING16)) {
		int rc = js_string_to_utf16(c, v, out);
		if (rc || want == MT_STRING16 || want == 0) return rc;
		ptrdiff_t at = find_lone_surrogate(out->v.str.ptr, out->v.str.len);
		return at < 0 ? 0 : lone_surrogate_fail(c, at, want);
	}
	/* UTF-8: try a small buffer first, measure only when it does not fit. */
	char *buf = arena_alloc(c->ar, 128);
	if (!buf) return -2;
	if (napi_get_value_string_utf8(c->env, v, buf, 128, &len) != napi_ok) return -2;
	if (len >= 127) {
		napi_get_value_string_utf8(c->env, v, NULL, 0, &len);
		buf = arena_alloc(c->ar, len + 1);
		if (!buf) return -2;
		napi_get_value_string_utf8(c->env, v, buf, len + 1, &len);
	}
	/* V8 writes U+FFFD (EF BF BD) for a lone surrogate: only then look at the UTF-16 text. */
	for (const char *p = buf; (p = memchr(p, 0xEF, len - (size_t)(p - buf))) != NULL; p++) {
		if ((size_t)(p - buf) + 2 < len && (unsigned char)p[1] == 0xBF && (unsigned char)p[2] == 0xBD) {
			metaffi_mark m = arena_mark_of(c->ar);
			cdt wide;
			int rc = js_string_to_utf16(c, v, &wide);
			if (rc) return rc;
			ptrdiff_t at = find_lone_surrogate(wide.v.str.ptr, wide.v.str.len);
			if (at < 0) {
				arena_reset_to(c->ar, m);
				break;
			}
			if (want == 0) {
				*out = wide;
				return 0;
			}
			return lone_surrogate_fail(c, at, want);
		}
	}
	out->type = MT_STRING8;
	out->v.str.ptr = buf;
	out->v.str.len = len;
	return 0;
}

int js_char_to_cdt(conv *c, napi_value v, uint64_t type, cdt *out)
{
	napi_valuetype t;
	napi_typeof(c->env, v, &t);
	if (t != napi_string) return conv_fail(c, v, "a one-character string");
	char16_t u[4];
	size_t len = 0;
	napi_get_value_string_utf16(c->env, v, u, 4, &len);
	uint32_t cp;
	if (len == 1 && !(u[0] >= 0xD800 && u[0] <= 0xDFFF)) cp = u[0];
	else if (len == 2 && u[0] >= 0xD800 && u[0] <= 0xDBFF && u[1] >= 0xDC00 && u[1] <= 0xDFFF)
		cp = 0x10000 + ((uint32_t)(u[0] - 0xD800) << 10) + (u[1] - 0xDC00);
	else return conv_fail(c, v, "a one-character string");
	if (type == MT_CHAR16 && cp > 0xFFFF)
		return conv_fail(c, v, "a one-character string in the Basic Multilingual Plane (char16)");
	if (type == MT_CHAR8 && cp > 0x7F)
		return conv_fail(c, v, "a one-character ASCII string (char8)");
	out->type = type;
	out->v.ch = cp;
	return 0;
}

/* Integers: numbers must be integral and in range; bigints are accepted when they fit. */
int js_int_to_cdt(conv *c, napi_value v, uint64_t type, cdt *out)
{
	int is_unsigned = type == MT_UINT8 || type == MT_UINT16 || type == MT_UINT32 ||
	                  type == MT_UINT64 || type == MT_SIZE;
	int64_t s = 0;
	uint64_t u = 0;
	int negative = 0;
	double d;
	napi_valuetype t = napi_number;
	/* Numbers are the common case: ask for one first, look at the type only if it is not. */
	if (napi_get_value_double(c->env, v, &d) != napi_ok) napi_typeof(c->env, v, &t);
	if (t == napi_number) {
		if (!isfinite(d) || d != trunc(d)) goto not_integer;
		if (d < -9223372036854775808.0 || d >= 18446744073709551616.0) goto out_of_range;
		if (d >= 9223372036854775808.0) { /* above int64: only unsigned 64-bit types hold it */
			if (type != MT_UINT64 && type != MT_SIZE) goto out_of_range;
			out->type = type;
			out->v.u64 = (uint64_t)d;
			return 0;
		}
		s = (int64_t)d;
		negative = s < 0;
	} else if (t == napi_bigint) {
		bool lossless = false;
		if (is_unsigned) {
			napi_get_value_bigint_uint64(c->env, v, &u, &lossless);
			if (!lossless) goto out_of_range;
			if (type == MT_UINT64 || type == MT_SIZE) {
				out->type = type;
				out->v.u64 = u;
				return 0;
			}
			s = u > (uint64_t)INT64_MAX ? INT64_MAX : (int64_t)u;
		} else {
			napi_get_value_bigint_int64(c->env, v, &s, &lossless);
			if (!lossless) goto out_of_range;
			negative = s < 0;
		}
	} else {
		goto not_integer;
	}
	switch (type) {
	case MT_INT8:
		if (s < INT8_MIN || s > INT8_MAX) goto out_of_range;
		out->v.i8 = (int8_t)s;
		break;
	case MT_INT16:
		if (s < INT16_MIN || s > INT16_MAX) goto out_of_range;
		out->v.i16 = (int16_t)s;
		break;
	case MT_INT32:
		if (s < INT32_MIN || s > INT32_MAX) goto out_of_range;
		out->v.i32 = (int32_t)s;
		break;
	case MT_INT64: out->v.i64 = s; break;
	case MT_UINT8:
		if (negative || s > UINT8_MAX) goto out_of_range;
		out->v.u8 = (uint8_t)s;
		break;
	case MT_UINT16:
		if (negative || s > UINT16_MAX) goto out_of_range;
		out->v.u16 = (uint16_t)s;
		break;
	case MT_UINT32:
		if (negative || s > (int64_t)UINT32_MAX) goto out_of_range;
		out->v.u32 = (uint32_t)s;
		break;
	default: /* uint64, size */
		if (negative) goto out_of_range;
		out->v.u64 = (uint64_t)s;
		break;
	}
	out->type = type;
	return 0;
not_integer : {
	char e[64];
	snprintf(e, sizeof e, "%s (an integer number or bigint)", metaffi_type_name(type));
	return conv_fail(c, v, e);
}
out_of_range : {
	char e[64];
	snprintf(e, sizeof e, "%s, but the value is out of its range", metaffi_type_name(type));
	return conv_fail(c, v, e);
}
}



uint64_t typedarray_element(napi_typedarray_type t)
{
	switch (t) {
	case napi_int8_array: return MT_INT8;
	case napi_uint8_array: return MT_UINT8;
	case napi_uint8_clamped_array: return MT_UINT8;
	case napi_int16_array: return MT_INT16;
	case napi_uint16_array: return MT_UINT16;
	case napi_int32_array: return MT_INT32;
	case napi_uint32_array: return MT_UINT32;
	case napi_float32_array: return MT_FLOAT32;
	case napi_float64_array: return MT_FLOAT64;
	case napi_bigint64_array: return MT_INT64;
	case napi_biguint64_array: return MT_UINT64;
	default: return 0;
	}
}




int scratch_slot(uint64_t elem, napi_typedarray_type *tt)
{
	switch (elem) {
	case MT_FLOAT64: *tt = napi_float64_array; return 0;
	case MT_FLOAT32: *tt = napi_float32_array; return 1;
	case MT_INT8: *tt = napi_int8_array; return 2;
	case MT_INT16: *tt = napi_int16_array; return 3;
	case MT_INT32: *tt = napi_int32_array; return 4;
	case MT_INT64: *tt = napi_bigint64_array; return 5;
	case MT_UINT8: case MT_BOOL: *tt = napi_uint8_array; return 6;
	case MT_UINT16: *tt = napi_uint16_array; return 7;
	case MT_UINT32: *tt = napi_uint32_array; return 8;
	default: *tt = napi_biguint64_array; return 9; /* uint64, size */
	}
}

void free_external(napi_env env, void *data, void *hint)
{
	(void)env;
	(void)hint;
	free(data);
}

/* A typed array of `elem` with room for n elements (a fresh one past SCRATCH_MAX_ELEMS). */
napi_status scratch_get(napi_env env, uint64_t elem, size_t n, napi_value *out, void **data)
{
	napi_typedarray_type tt;
	scratch_t *sc = &g_scratch[scratch_slot(elem, &tt)];
	size_t w = metaffi_packed_width(elem);
	if (sc->ref && n <= sc->cap && !sc->busy) {
		*data = sc->data;
		return napi_get_reference_value(env, sc->ref, out);
	}
	size_t cap = n > SCRATCH_MAX_ELEMS ? n : (n < 64 ? 64 : n * 2 > SCRATCH_MAX_ELEMS ? SCRATCH_MAX_ELEMS : n * 2);
	napi_value ab;
	void *p;
	napi_status st;
	if (cap > SCRATCH_MAX_ELEMS) {
		/* A one-off buffer for a large array: malloc fails cleanly where V8's own allocator
		 * would end the process, so a huge array is an error, never an abort. */
		if (cap > SIZE_MAX / w || !(p = malloc(cap * w))) return napi_generic_failure;
		st = napi_create_external_arraybuffer(env, p, cap * w, free_external, NULL, &ab);
		if (st != napi_ok) {
			free(p);
			return st;
		}
	} else {
		st = napi_create_arraybuffer(env, cap * w, &p, &ab);
	}
	if (st == napi_ok) st = napi_create_typedarray(env, tt, cap, ab, 0, out);
	if (st != napi_ok) return st;
	*data = p;
	if (cap <= SCRATCH_MAX_ELEMS && !sc->busy) {
		if (sc->ref) napi_delete_reference(env, sc->ref);
		napi_create_reference(env, *out, 1, &sc->ref);
		sc->data = p;
		sc->cap = cap;
	}
	return napi_ok;
}

int typedarray_to_packed(conv *c, napi_value v, uint64_t want, cdt *out)
{
	napi_typedarray_type tt;
	size_t len;
	void *data;
	if (napi_get_typedarray_info(c->env, v, &tt, &len, &data, NULL, NULL) != napi_ok) return -2;
	uint64_t have = typedarray_element(tt);
	if (want == MT_SIZE && have == MT_UINT64) have = MT_SIZE;
	if (want == MT_BOOL && have == MT_UINT8) have = MT_BOOL;
	if (want != 0 && want != MT_ANY && have != want) return 1; /* caller converts */
	out->type = have | MT_ARRAY | MT_PACKED;
	out->v.packed.data = data;
	out->v.packed.len = len;
	return 0;
}

/* A JS array of numbers (or booleans) for a packable element type: the JS helper checks
 * and copies it into a typed array in one JIT-compiled loop. */
int pack_with_helper(conv *c, napi_value v, uint64_t elem, uint32_t len, cdt *out)
{
	napi_value fn, args[3], result, global;
	void *scratch;
	if (scratch_get(c->env, elem, len, &args[2], &scratch) != napi_ok) return -2;
	napi_get_reference_value(c->env, g_pack_fn, &fn);
	napi_get_global(c->env, &global);
	args[0] = v;
	napi_create_double(c->env, (double)elem, &args[1]);
	napi_typedarray_type tt;
	scratch_t *sc = &g_scratch[scratch_slot(elem, &tt)];
	int was_busy = sc->busy;
	sc->busy = 1;
	napi_status st = napi_call_function(c->env, global, fn, 3, args, &result);
	sc->busy = was_busy;
	if (st != napi_ok) return -2;
	napi_valuetype t;
	napi_typeof(c->env, result, &t);
	if (t == napi_string) { /* the helper explains what is wrong: "[i]: message" */
		size_t n;
		napi_get_value_string_utf8(c->env, result, c->msg, sizeof c->msg, &n);
		char *sep = c->msg[0] == '[' ? strstr(c->msg, "]: ") : NULL;
		if (sep && (size_t)(sep - c->msg) + 2 < sizeof c->where) {
			size_t wl = (size_t)(sep - c->msg) + 1;
			memcpy(c->where, c->msg, wl);
			c->where[wl] = 0;
			memmove(c->msg, sep + 3, strlen(sep + 3) + 1);
		}
		return -1;
	}
	/* The helper filled the scratch: copy the elements out, the scratch serves the next array. */
	size_t bytes = (size_t)len * metaffi_packed_width(elem);
	void *data = arena_alloc(c->ar, bytes + 1);
	if (!data) return -2;
	if (bytes) memcpy(data, scratch, bytes);
	out->type = elem | MT_ARRAY | MT_PACKED;
	out->v.packed.data = data;
	out->v.packed.len = len;
	return 0;
}

void where_prepend(conv *c, size_t i)
{
	char tmp[sizeof c->where + 32];
	snprintf(tmp, sizeof tmp, "[%zu]%s", i, c->where);
	tmp[sizeof c->where - 1] = 0;
	memcpy(c->where, tmp, sizeof c->where);
}

/* Prepend a property name ("[\"key\"]", cut short when long) to the error path. */
void where_prepend_key(conv *c, napi_value key)
{
	char name[28], tmp[sizeof c->where + 40];
	size_t n = 0;
	if (napi_get_value_string_utf8(c->env, key, name, sizeof name, &n) != napi_ok) n = 0;
	name[n] = 0;
	snprintf(tmp, sizeof tmp, "[\"%s%s\"]%s", name, n >= sizeof name - 1 ? "..." : "", c->where);
	tmp[sizeof c->where - 1] = 0;
	memcpy(c->where, tmp, sizeof c->where);
}

/* Element i of a JS array; a hole (a missing element, read as undefined) is a type error
 * naming it, at any depth and for any element type. -1 with the message set, -2 pending. */
int array_element(conv *c, napi_value arr, uint32_t i, napi_value *item)
{
	if (napi_get_element(c->env, arr, i, item) != napi_ok) return -2;
	napi_valuetype t;
	napi_typeof(c->env, *item, &t);
	if (t != napi_undefined) return 0;
	bool has = true;
	if (napi_has_element(c->env, arr, i, &has) != napi_ok) return -2;
	if (has) return 0;
	snprintf(c->msg, sizeof c->msg, "a hole (a missing element) where a value is expected; fill it or use null");
	where_prepend(c, i);
	return -1;
}

int js_array_to_cdt(conv *c, napi_value v, uint64_t elem, int dims, cdt *out)
{
	napi_valuetype t;
	napi_typeof(c->env, v, &t);
	if (t == napi_null) {
		out->type = MT_NULL;
		return 0;
	}
	bool is_typed = false, is_arr = false;
	napi_is_typedarray(c->env, v, &is_typed);
	if (is_typed && dims == 1 && (is_packable(elem) || elem == MT_ANY)) {
		int rc = typedarray_to_packed(c, v, elem, out);
		if (rc <= 0) return rc;
		size_t tlen;
		napi_get_typedarray_info(c->env, v, NULL, &tlen, NULL, NULL, NULL);
		return pack_with_helper(c, v, elem, (uint32_t)tlen, out); /* another kind of typed array */
	}
	napi_is_array(c->env, v, &is_arr);
	if (!is_arr) {
		char e[64];
		snprintf(e, sizeof e, "an array (%s%s)", metaffi_type_name(elem),
		         dims == 1 ? "[]" : dims == 2 ? "[][]" : "[]...");
		return conv_fail(c, v, e);
	}
	uint32_t len;
	napi_get_array_length(c->env, v, &len);
	if (dims == 1 && is_packable(elem)) {
		return pack_with_helper(c, v, elem, len, out);
	}
	if (conv_enter(c)) return -1;
	cdt *elems = arena_alloc(c->ar, (len ? len : 1) * sizeof(cdt));
	if (!elems) return -2;
	for (uint32_t i = 0; i < len; i++) {
		napi_value item;
		int rc = array_element(c, v, i, &item);
		if (rc) return rc;
		rc = js_to_cdt(c, item, elem, dims - 1, &elems[i]);
		if (rc) {
			if (rc == -1) where_prepend(c, i);
			return rc;
		}
	}
	conv_leave(c);
	out->type = elem | MT_ARRAY;
	out->v.arr.elems = elems;
	out->v.arr.len = len;
	return 0;
}


/* `any`: the natural CDT of whatever JS value arrived. */
int js_any_to_cdt(conv *c, napi_value v, cdt *out)
{
	napi_valuetype t;
	napi_typeof(c->env, v, &t);
	switch (t) {
	case napi_undefined: /* as null: `any` takes JS's two empty values alike */
	case napi_null: out->type = MT_NULL; return 0;
	case napi_boolean: {
		bool b;
		napi_get_value_bool(c->env, v, &b);
		out->type = MT_BOOL;
		out->v.b = b;
		return 0;
	}
	case napi_number: {
		double d;
		napi_get_value_double(c->env, v, &d);
		/* the range first: converting NaN or a double beyond int64 to int64 is undefined */
		if (d >= -9.2e18 && d <= 9.2e18 && d == (double)(int64_t)d && !(d == 0 && 1 / d < 0)) {
			out->type = MT_INT64;
			out->v.i64 = (int64_t)d;
		} else {
			out->type = MT_FLOAT64;
			out->v.f64 = d;
		}
		return 0;
	}
	case napi_bigint: {
		bool lossless = false;
		int64_t s;
		napi_get_value_bigint_int64(c->env, v, &s, &lossless);
		if (lossless) {
			out->type = MT_INT64;
			out->v.i64 = s;
			return 0;
		}
		uint64_t u;
		napi_get_value_bigint_uint64(c->env, v, &u, &lossless);
		if (lossless) {
			out->type = MT_UINT64;
			out->v.u64 = u;
			return 0;
		}
		return conv_fail(c, v, "a bigint within the 64-bit range");
	}
	case napi_string: return js_string_to_cdt(c, v, 0, out);
	case napi_function: return js_ref_to_cdt(c, v, out, 1);
	case napi_symbol: return conv_fail(c, v, "a value that can cross to a foreign runtime");
	default: break;
	}
	bool flag = false;
	napi_is_array(c->env, v, &flag);
	if (flag) {
		uint32_t len;
		napi_get_array_length(c->env, v, &len);
		if (conv_enter(c)) return -1;
		cdt *elems = arena_alloc(c->ar, (len ? len : 1) * sizeof(cdt));
		if (!elems) return -2;
		for (uint32_t i = 0; i < len; i++) {
			napi_value item;
			int rc = array_element(c, v, i, &item);
			if (rc) return rc;
			rc = js_any_to_cdt(c, item, &elems[i]);
			if (rc) {
				if (rc == -1) where_prepend(c, i);
				return rc;
			}
		}
		conv_leave(c);
		out->type = MT_ANY | MT_ARRAY;
		out->v.arr.elems = elems;
		out->v.arr.len = len;
		return 0;
	}
	napi_is_typedarray(c->env, v, &flag);
	if (flag) return typedarray_to_packed(c, v, 0, out);
	napi_is_arraybuffer(c->env, v, &flag);
	if (flag) {
		void *data;
		size_t len;
		napi_get_arraybuffer_info(c->env, v, &data, &len);
		out->type = MT_UINT8 | MT_ARRAY | MT_PACKED;
		out->v.packed.data = data;
		out->v.packed.len = len;
		return 0;
	}
	uint32_t kind = 0;
	if (core_wrapped(c->env, v, &kind)) return js_ref_to_cdt(c, v, out, 0);
	/* Plain objects become maps with string keys; Map instances maps of any keys. */
	napi_value proto, object_proto;
	napi_get_prototype(c->env, v, &proto);
	napi_get_reference_value(c->env, g_object_proto, &object_proto);
	bool plain = false;
	napi_strict_equals(c->env, proto, object_proto, &plain);
	if (!plain) {
		napi_valuetype pt;
		napi_typeof(c->env, proto, &pt);
		plain = pt == napi_null;
	}
	if (plain) {
		napi_value keys;
		if (napi_get_all_property_names(c->env, v, napi_key_own_only,
		                                napi_key_enumerable | napi_key_skip_symbols,
		                                napi_key_numbers_to_strings, &keys) != napi_ok)
			return -2;
		uint32_t len;
		napi_get_array_length(c->env, keys, &len);
		if (conv_enter(c)) return -1;
		cdt *kv = arena_alloc(c->ar, (len ? len : 1) * 2 * sizeof(cdt));
		if (!kv) return -2;
		for (uint32_t i = 0; i < len; i++) {
			napi_value k, item;
			napi_get_element(c->env, keys, i, &k);
			if (napi_get_property(c->env, v, k, &item) != napi_ok) return -2;
			int rc = js_string_to_cdt(c, k, 0, &kv[2 * i]);
			if (!rc) rc = js_any_to_cdt(c, item, &kv[2 * i + 1]);
			if (rc) {
				if (rc == -1) where_prepend_key(c, k);
				return rc;
			}
		}
		conv_leave(c);
		out->type = MT_MAP;
		out->v.map.kv = kv;
		out->v.map.len = len;
		return 0;
	}
	napi_value global, map_ctor;
	napi_get_global(c->env, &global);
	napi_get_named_property(c->env, global, "Map", &map_ctor);
	bool is_map = false;
	napi_instanceof(c->env, v, map_ctor, &is_map);
	if (is_map) {
		/* entries as a flat [k, v, k, v...] array via Array.from(map).flat() */
		napi_value array_ctor, from, entries, flat_fn, flat;
		napi_get_named_property(c->env, global, "Array", &array_ctor);
		napi_get_named_property(c->env, array_ctor, "from", &from);
		if (napi_call_function(c->env, array_ctor, from, 1, &v, &entries) != napi_ok) return -2;
		napi_get_named_property(c->env, entries, "flat", &flat_fn);
		if (napi_call_function(c->env, entries, flat_fn, 0, NULL, &flat) != napi_ok) return -2;
		uint32_t len;
		napi_get_array_length(c->env, flat, &len);
		if (conv_enter(c)) return -1;
		cdt *kv = arena_alloc(c->ar, (len ? len : 2) * sizeof(cdt));
		if (!kv) return -2;
		for (uint32_t i = 0; i < len; i++) {
			napi_value item;
			napi_get_element(c->env, flat, i, &item);
			int rc = js_any_to_cdt(c, item, &kv[i]);
			if (rc) {
				if (rc == -1) where_prepend(c, i / 2); /* the entry's position in the Map */
				return rc;
			}
		}
		conv_leave(c);
		out->type = MT_MAP;
		out->v.map.kv = kv;
		out->v.map.len = len / 2;
		return 0;
	}
	return js_ref_to_cdt(c, v, out, 0); /* any other object: lent as a handle */
}

/* A handle or callable: our own wrappers unwrap to the foreign reference they hold; any
 * other JS object or function is lent as a host reference. */
int js_ref_to_cdt(conv *c, napi_value v, cdt *out, int want_callable)
{
	void *p = NULL;
	host_rec *r;
	if (napi_unwrap(c->env, v, &p) != napi_ok) {
		r = host_rec_new(c->env, v); /* first time this object crosses */
		if (!r) return -2;
	} else if (p && live_has(p) && *(const uint32_t *)p == WRAP_BOX) {
		box *b = p;
		if (!box_alive(b)) {
			snprintf(c->msg, sizeof c->msg,
			         "the %s was released%s; it can no longer be used",
			         b->is_callable ? "foreign function" : "handle",
			         !b->released ? " together with its runtime" : "");
			return -1;
		}
		out->type = b->is_callable ? MT_CALLABLE : MT_HANDLE;
		out->v.ref.val = b->val;
		out->v.ref.runtime = b->runtime;
		c->last_box = b;
		return 0;
	} else if (p && live_has(p) && *(const uint32_t *)p == WRAP_HOST) {
		r = p;
	} else {
		napi_throw_type_error(c->env, NULL,
		                      "this object cannot be passed to a foreign runtime: it is "
		                      "already wrapped by another native addon");
		return -2;
	}
	if (want_callable) {
		out->type = MT_CALLABLE;
	} else {
		napi_valuetype t;
		napi_typeof(c->env, v, &t);
		out->type = t == napi_function ? MT_CALLABLE : MT_HANDLE;
	}
	out->v.ref.val = r;
	out->v.ref.runtime = RT_HOST;
	return 0;
}

int js_to_cdt(conv *c, napi_value v, uint64_t type, int dims, cdt *out)
{
	if (dims > 0) return js_array_to_cdt(c, v, type, dims, out);
	napi_valuetype t;
	switch (type) {
	case MT_FLOAT64:
	case MT_FLOAT32: {
		double d;
		if (napi_get_value_double(c->env, v, &d) != napi_ok)
			return conv_fail(c, v, type == MT_FLOAT64 ? "float64 (a number)" : "float32 (a number)");
		out->type = type;
		if (type == MT_FLOAT64) {
			out->v.f64 = d;
			return 0;
		}
		out->v.f32 = (float)d;
		if (isinf(out->v.f32) && isfinite(d))
			return conv_fail(c, v, "float32, but the value is out of its range (+-3.4028234e38)");
		return 0;
	}
	case MT_INT8: case MT_INT16: case MT_INT32: case MT_INT64:
	case MT_UINT8: case MT_UINT16: case MT_UINT32: case MT_UINT64: case MT_SIZE:
		return js_int_to_cdt(c, v, type, out);
	case MT_BOOL: {
		napi_typeof(c->env, v, &t);
		if (t != napi_boolean) return conv_fail(c, v, "bool (true or false)");
		bool b;
		napi_get_value_bool(c->env, v, &b);
		out->type = MT_BOOL;
		out->v.b = b;
		return 0;
	}
	case MT_STRING8:
	case MT_STRING16:
	case MT_STRING32:
		napi_typeof(c->env, v, &t);
		if (t == napi_null) {
			out->type = MT_NULL;
			return 0;
		}
		if (t != napi_string) return conv_fail(c, v, "a string (or null)");
		return js_string_to_cdt(c, v, type, out);
	case MT_CHAR8:
	case MT_CHAR16:
	case MT_CHAR32:
		return js_char_to_cdt(c, v, type, out);
	case MT_HANDLE:
		napi_typeof(c->env, v, &t);
		if (t == napi_null) {
			out->type = MT_NULL;
			return 0;
		}
		if (t != napi_object && t != napi_function)
			return conv_fail(c, v, "a handle (a MetaFFIHandle, an object, or null)");
		return js_ref_to_cdt(c, v, out, 0);
	case MT_CALLABLE:
		napi_typeof(c->env, v, &t);
		if (t == napi_null) {
			out->type = MT_NULL;
			return 0;
		}
		if (t != napi_function) return conv_fail(c, v, "a function (or null)");
		return js_ref_to_cdt(c, v, out, 1);
	case MT_NULL:
		out->type = MT_NULL;
		return 0;
	case MT_ANY:
		return js_any_to_cdt(c, v, out);
	default:
		snprintf(c->msg, sizeof c->msg, "unsupported declared type code %llu",
		         (unsigned long long)type);
		return -1;
	}
}
