/* What every host does with values plugins return: check them, drop their references. */
#include <stdio.h>
#include <string.h>

#include "xllr.h"

void cdt_release_refs(const cdt *v)
{
	if ((v->type & MT_ARRAY) && !(v->type & MT_PACKED)) {
		for (size_t i = 0; i < v->v.arr.len; i++) cdt_release_refs(&v->v.arr.elems[i]);
	} else if (v->type == MT_MAP) {
		for (size_t i = 0; i < 2 * v->v.map.len; i++) cdt_release_refs(&v->v.map.kv[i]);
	} else if (v->type == MT_HANDLE || v->type == MT_CALLABLE) {
		xllr_release(v->v.ref.runtime, v->v.ref.val);
	}
}

/* Whether a plugin's result is of the kind its declared type promises. Plugins convert to
 * the declared type themselves; this one check in the core makes sure that whatever a
 * plugin does, a JS caller never receives a value of another kind than declared. */
int value_fits(uint64_t d, int dims, const cdt *v)
{
	uint64_t t = v->type;
	if (dims > 0) {
		if (t == MT_NULL) return 1;
		if (!(t & MT_ARRAY)) return 0;
		if (t & MT_PACKED) return dims == 1 && (d == MT_ANY || d == MT_HANDLE || MT_ELEMENT(t) == d);
		for (size_t i = 0; i < v->v.arr.len; i++)
			if (!value_fits(d, dims - 1, &v->v.arr.elems[i])) return 0;
		return 1;
	}
	switch (d) {
	case MT_ANY:
	case MT_HANDLE: return 1;
	case MT_NULL: return t == MT_NULL;
	case MT_CALLABLE: return t == MT_CALLABLE || t == MT_NULL;
	case MT_MAP: return t == MT_MAP || t == MT_NULL;
	case MT_STRING8:
	case MT_STRING16:
	case MT_STRING32: return t == MT_STRING8 || t == MT_STRING16 || t == MT_STRING32 || t == MT_NULL;
	case MT_CHAR8:
	case MT_CHAR16:
	case MT_CHAR32: return t == MT_CHAR8 || t == MT_CHAR16 || t == MT_CHAR32;
	default: return t == d; /* numbers and bool: exactly the declared type */
	}
}



void type_list_text(const metaffi_type_info *t, size_t n, char *out, size_t size)
{
	size_t o = 0;
	out[0] = 0;
	for (size_t i = 0; i < n && o < size; i++) {
		int dims = (t[i].type & MT_ARRAY) ? (t[i].dims > 0 ? t[i].dims : 1) : 0;
		o += snprintf(out + o, size - o, "%s%s", i ? ", " : "", metaffi_type_name(MT_ELEMENT(t[i].type)));
		for (int d = 0; d < dims && o < size; d++) o += snprintf(out + o, size - o, "[]");
	}
}

static size_t string_unit(uint64_t t)
{
	return t == MT_STRING16 ? 2 : t == MT_STRING32 ? 4 : 1;
}

int cdt_copy_into(arena *a, cdt *v)
{
	uint64_t t = v->type;
	if (t == MT_STRING8 || t == MT_STRING16 || t == MT_STRING32) {
		size_t bytes = v->v.str.len * string_unit(t);
		void *p = arena_alloc(a, bytes + 4);
		if (!p) goto oom;
		if (bytes) memcpy(p, v->v.str.ptr, bytes);
		v->v.str.ptr = p;
	} else if ((t & MT_ARRAY) && (t & MT_PACKED)) {
		size_t bytes = v->v.packed.len * metaffi_packed_width(MT_ELEMENT(t));
		void *p = arena_alloc(a, bytes + 1);
		if (!p) goto oom;
		if (bytes) memcpy(p, v->v.packed.data, bytes);
		v->v.packed.data = p;
	} else if (t & MT_ARRAY) {
		cdt *elems = arena_alloc(a, (v->v.arr.len ? v->v.arr.len : 1) * sizeof(cdt));
		if (!elems) goto oom;
		if (v->v.arr.len) memcpy(elems, v->v.arr.elems, v->v.arr.len * sizeof(cdt));
		v->v.arr.elems = elems;
		int rc = 0;
		for (size_t i = 0; i < v->v.arr.len; i++)
			if (cdt_copy_into(a, &elems[i])) rc = -1;
		return rc;
	} else if (t == MT_MAP) {
		cdt *kv = arena_alloc(a, (v->v.map.len ? 2 * v->v.map.len : 1) * sizeof(cdt));
		if (!kv) goto oom;
		if (v->v.map.len) memcpy(kv, v->v.map.kv, 2 * v->v.map.len * sizeof(cdt));
		v->v.map.kv = kv;
		int rc = 0;
		for (size_t i = 0; i < 2 * v->v.map.len; i++)
			if (cdt_copy_into(a, &kv[i])) rc = -1;
		return rc;
	}
	return 0;
oom:
	cdt_release_refs(v);
	v->type = MT_NULL;
	return -1;
}

/* The slow part of check_results (xllr.h): say which result does not fit, drop the references. */
const char *results_mismatch(const metaffi_type_info *declared, size_t n, cdt *rets, const char *name,
                             const char *runtime)
{
	const char *msg = "a result does not fit its declared type";
	for (size_t i = 0; i < n; i++) {
		if (result_fits(&declared[i], &rets[i])) continue;
		arena *a = thread_arena();
		if (a)
			msg = arena_printf(a, "%s: the %s runtime returned %s%s where %s is declared (return value %zu)", name,
			                   runtime, rets[i].type & MT_ARRAY ? "an array of " : "",
			                   metaffi_type_name(MT_ELEMENT(rets[i].type)),
			                   metaffi_type_name(MT_ELEMENT(declared[i].type)), i + 1);
		break;
	}
	for (size_t j = 0; j < n; j++) cdt_release_refs(&rets[j]);
	return msg;
}
