/* The python3 runtime plugin: Conversion errors and nesting; CDT -> Python. */
#include "python3_plugin.h"

/* ------------------------------------------------------------------------------------ */
/* Conversion errors                                                                     */

/*
 * Nesting. Every recursive conversion passes its depth (0 for an argument or result
 * itself); an array or map at depth METAFFI_MAX_DEPTH is one level too many. The indexes on
 * the way down are kept so the error can say where. The error's type is this
 * very string, so the levels above it know not to put their own index in front.
 */
static const char DEPTH_ERROR[] = "MetaFFIError";
size_t g_path[METAFFI_MAX_DEPTH + 1]; /* every conversion holds the GIL: one copy */

__attribute__((noinline)) int too_deep(int depth, metaffi_error *err)
{
	char msg[200];
	int n = snprintf(msg, sizeof msg, "is nested deeper than %d levels (at ", METAFFI_MAX_DEPTH);
	for (int i = 0; i < 4 && i < depth; i++) n += snprintf(msg + n, sizeof msg - (size_t)n, "[%zu]", g_path[i]);
	snprintf(msg + n, sizeof msg - (size_t)n, "%s); flatten it or pass a handle", depth > 4 ? "..." : "");
	set_error(err, "MetaFFIError", msg);
	err->type = DEPTH_ERROR;
	return -1;
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
	int deep = err->type == DEPTH_ERROR;
	snprintf(msg, sizeof msg, "%s%s%s", place, deep ? " " : err->message[0] == '[' ? "" : ": ", err->message);
	err->message = core->strdup(msg, strlen(msg));
	if (deep) err->type = "MetaFFIError";
}

/* The pending Python exception (a failed allocation, an undecodable string) as a
 * conversion error. */
__attribute__((noinline)) int python_failed(metaffi_error *err)
{
	error_from_python(err);
	err->stack = NULL;
	return -1;
}

/* Arena memory for a conversion; NULL with a MemoryError in `err` when there is none. */
void *conv_alloc(size_t size, metaffi_error *err)
{
	void *p = core->alloc(size);
	if (!p) set_error(err, "MemoryError", "out of memory for the converted value");
	return p;
}

/* A conversion error raised inside Python (results of a call Python made to another
 * runtime, arguments Python passed to it). */
void raise_conversion_error(const metaffi_error *err)
{
	PyObject *cls = strcmp(err->type, "TypeError") == 0 ? PyExc_TypeError
	              : strcmp(err->type, "OverflowError") == 0 ? PyExc_OverflowError
	              : strcmp(err->type, "MemoryError") == 0 ? PyExc_MemoryError
	              : strcmp(err->type, "UnicodeEncodeError") == 0 ? PyExc_ValueError
	              : g_metaffi_error ? g_metaffi_error : PyExc_RuntimeError;
	PyErr_SetString(cls, err->message);
}

/* The results of a call as Python returns them: None for none, the value for one, a tuple for
 * several. types: the declared types, or NULL to take each as it came (any). NULL with an
 * exception set when one cannot be converted. The references in rets stay the caller's. */
PyObject *results_to_py(const cdt *rets, size_t nr, const metaffi_type_info *types)
{
	metaffi_error err = {0};
	PyObject *items[INLINE_ARGS], **out = nr <= INLINE_ARGS ? items : conv_alloc(nr * sizeof(PyObject *), &err);
	if (!out) return PyErr_NoMemory();
	for (size_t i = 0; i < nr; i++) {
		const metaffi_type_info *t = types ? &types[i] : NULL;
		int dims = t && (t->type & MT_ARRAY) ? (t->dims > 0 ? t->dims : 1) : 0;
		if (cdt_to_py(&rets[i], t ? MT_ELEMENT(t->type) : MT_ANY, dims, 0, &out[i], &err)) {
			char place[48];
			if (nr == 1) snprintf(place, sizeof place, "return value");
			else snprintf(place, sizeof place, "return value %zu", i + 1);
			prefix_place(&err, place);
			raise_conversion_error(&err);
			for (size_t j = 0; j < i; j++) Py_DECREF(out[j]);
			return NULL;
		}
	}
	if (nr == 0) return Py_NewRef(Py_None);
	if (nr == 1) return out[0];
	PyObject *tuple = PyTuple_New((Py_ssize_t)nr);
	for (size_t i = 0; i < nr; i++) {
		if (tuple) PyTuple_SET_ITEM(tuple, (Py_ssize_t)i, out[i]);
		else Py_DECREF(out[i]);
	}
	return tuple;
}

/* "int8", "string8[][]" */
static const char *type_text(uint64_t elem, int dims, char *buf, size_t size)
{
	int n = snprintf(buf, size, "%s", metaffi_type_name(elem ? elem : MT_ANY));
	for (int d = 0; d < dims && (size_t)n + 3 < size; d++) n += snprintf(buf + n, size - (size_t)n, "[]");
	return buf;
}

/* ------------------------------------------------------------------------------------ */
/* CDT -> Python                                                                         */

static PyObject *packed_to_py(const cdt *v)
{
	uint64_t e = MT_ELEMENT(v->type);
	size_t n = v->v.packed.len;
	if (e == MT_UINT8) return PyBytes_FromStringAndSize(v->v.packed.data, (Py_ssize_t)n);
	PyObject *list = PyList_New((Py_ssize_t)n);
	if (!list) return NULL;
	for (size_t i = 0; i < n; i++) {
		PyObject *item;
		switch (e) {
		case MT_FLOAT64: item = PyFloat_FromDouble(((double *)v->v.packed.data)[i]); break;
		case MT_FLOAT32: item = PyFloat_FromDouble(((float *)v->v.packed.data)[i]); break;
		case MT_INT8: item = PyLong_FromLong(((int8_t *)v->v.packed.data)[i]); break;
		case MT_INT16: item = PyLong_FromLong(((int16_t *)v->v.packed.data)[i]); break;
		case MT_INT32: item = PyLong_FromLong(((int32_t *)v->v.packed.data)[i]); break;
		case MT_INT64: item = PyLong_FromLongLong(((int64_t *)v->v.packed.data)[i]); break;
		case MT_UINT16: item = PyLong_FromUnsignedLong(((uint16_t *)v->v.packed.data)[i]); break;
		case MT_UINT32: item = PyLong_FromUnsignedLong(((uint32_t *)v->v.packed.data)[i]); break;
		case MT_BOOL: item = PyBool_FromLong(((uint8_t *)v->v.packed.data)[i]); break;
		default: item = PyLong_FromUnsignedLongLong(((uint64_t *)v->v.packed.data)[i]); break;
		}
		if (!item) {
			Py_DECREF(list);
			return NULL;
		}
		PyList_SET_ITEM(list, (Py_ssize_t)i, item);
	}
	return list;
}

static PyObject *string_to_py(const cdt *v)
{
	switch (v->type) {
	case MT_STRING8: return PyUnicode_DecodeUTF8(v->v.str.ptr, (Py_ssize_t)v->v.str.len, "surrogatepass");
	case MT_STRING16: {
		int order = -1; /* little endian: the machine's order */
		return PyUnicode_DecodeUTF16(v->v.str.ptr, (Py_ssize_t)v->v.str.len * 2, "surrogatepass", &order);
	}
	default:
		return PyUnicode_FromKindAndData(PyUnicode_4BYTE_KIND, v->v.str.ptr, (Py_ssize_t)v->v.str.len);
	}
}

/*
 * Whether a value may arrive where `want` with `dims` dimensions is declared. The core
 * converts JS values to the declared types already; this keeps the plugin from reading a
 * value as a type it is not, whoever produced it. MT_ANY (and 0, the element of the bare
 * array code) takes anything; array elements are checked one by one as they convert.
 */
static int cdt_fits(const cdt *v, uint64_t want, int dims)
{
	uint64_t t = v->type;
	if (dims > 0) {
		if (t == MT_NULL) return 1;
		if (!(t & MT_ARRAY)) return 0;
		if (!(t & MT_PACKED)) return 1;
		uint64_t e = MT_ELEMENT(t);
		if (want == MT_ANY || want == 0) return 1;
		return dims == 1 && (e == want || (e == MT_UINT64 && want == MT_SIZE) || (e == MT_SIZE && want == MT_UINT64));
	}
	if (want == MT_ANY || want == 0) return 1;
	if (t & MT_ARRAY) return 0;
	switch (want) {
	case MT_STRING8: case MT_STRING16: case MT_STRING32:
		return t == MT_STRING8 || t == MT_STRING16 || t == MT_STRING32 || t == MT_NULL;
	case MT_HANDLE: return t == MT_HANDLE || t == MT_CALLABLE || t == MT_NULL;
	case MT_CALLABLE: return t == MT_CALLABLE || t == MT_NULL;
	case MT_MAP: return t == MT_MAP || t == MT_NULL;
	case MT_UINT64: case MT_SIZE: return t == MT_UINT64 || t == MT_SIZE;
	default: return t == want;
	}
}

static __attribute__((noinline)) int cdt_mismatch(const cdt *v, uint64_t want, int dims, metaffi_error *err)
{
	char a[64], b[64], msg[200];
	int packed_dims = (v->type & MT_ARRAY) ? 1 : 0;
	snprintf(msg, sizeof msg, "declared %s, but a %s value arrived", type_text(want, dims, a, sizeof a),
	         type_text(MT_ELEMENT(v->type), packed_dims, b, sizeof b));
	set_error(err, "TypeError", msg);
	return -1;
}

/*
 * A CDT as a Python object for a declared type (MT_ANY: no declaration). Returns 0, or -1
 * with `err` filled. Refs in `v` are borrowed.
 */
int cdt_to_py(const cdt *v, uint64_t want, int dims, int depth, PyObject **out, metaffi_error *err)
{
	uint64_t t = v->type;
	PyObject *o = NULL;
	*out = NULL;
	if (!cdt_fits(v, want, dims)) return cdt_mismatch(v, want, dims, err);
	if (t & MT_ARRAY) {
		CHECK_DEPTH(depth, err);
		if (t & MT_PACKED) {
			o = packed_to_py(v);
		} else {
			uint64_t ew = dims > 0 ? want : MT_ANY;
			int ed = dims > 0 ? dims - 1 : 0;
			o = PyList_New((Py_ssize_t)v->v.arr.len);
			for (size_t i = 0; o && i < v->v.arr.len; i++) {
				PyObject *item;
				g_path[depth] = i;
				if (cdt_to_py(&v->v.arr.elems[i], ew, ed, depth + 1, &item, err)) {
					prefix_index(err, i);
					Py_DECREF(o);
					return -1;
				}
				PyList_SET_ITEM(o, (Py_ssize_t)i, item);
			}
		}
		if (!o) return python_failed(err);
		*out = o;
		return 0;
	}
	switch (t) {
	case MT_FLOAT64: o = PyFloat_FromDouble(v->v.f64); break;
	case MT_FLOAT32: o = PyFloat_FromDouble((double)v->v.f32); break;
	case MT_INT8: o = PyLong_FromLong(v->v.i8); break;
	case MT_INT16: o = PyLong_FromLong(v->v.i16); break;
	case MT_INT32: o = PyLong_FromLong(v->v.i32); break;
	case MT_INT64: o = PyLong_FromLongLong(v->v.i64); break;
	case MT_UINT8: o = PyLong_FromUnsignedLong(v->v.u8); break;
	case MT_UINT16: o = PyLong_FromUnsignedLong(v->v.u16); break;
	case MT_UINT32: o = PyLong_FromUnsignedLong(v->v.u32); break;
	case MT_UINT64:
	case MT_SIZE: o = PyLong_FromUnsignedLongLong(v->v.u64); break;
	case MT_BOOL: o = PyBool_FromLong(v->v.b); break;
	case MT_STRING8:
	case MT_STRING16:
	case MT_STRING32: o = string_to_py(v); break;
	case MT_CHAR8:
	case MT_CHAR16:
	case MT_CHAR32:
		if (v->v.ch > 0x10FFFF) {
			char msg[96];
			snprintf(msg, sizeof msg, "%s code point %u is beyond Unicode", metaffi_type_name(t), v->v.ch);
			set_error(err, "ValueError", msg);
			return -1;
		}
		o = PyUnicode_FromOrdinal((int)v->v.ch);
		break;
	case MT_NULL: o = Py_NewRef(Py_None); break;
	case MT_HANDLE:
		if (v->v.ref.runtime == RT_PYTHON3) o = Py_NewRef((PyObject *)v->v.ref.val);
		else o = foreign_ref_new(g_foreign_obj_type, v->v.ref.runtime, v->v.ref.val, 1);
		break;
	case MT_CALLABLE:
		if (v->v.ref.runtime == RT_PYTHON3) o = Py_NewRef((PyObject *)v->v.ref.val);
		else o = foreign_ref_new(g_foreign_fn_type, v->v.ref.runtime, v->v.ref.val, 1);
		break;
	case MT_MAP:
		CHECK_DEPTH(depth, err);
		o = PyDict_New();
		for (size_t i = 0; o && i < v->v.map.len; i++) {
			PyObject *k, *item;
			g_path[depth] = i;
			if (cdt_to_py(&v->v.map.kv[2 * i], MT_ANY, 0, depth + 1, &k, err)) {
				prefix_index(err, i);
				Py_DECREF(o);
				return -1;
			}
			if (cdt_to_py(&v->v.map.kv[2 * i + 1], MT_ANY, 0, depth + 1, &item, err)) {
				prefix_index(err, i);
				Py_DECREF(k);
				Py_DECREF(o);
				return -1;
			}
			int rc = PyDict_SetItem(o, k, item);
			Py_DECREF(k);
			Py_DECREF(item);
			if (rc) Py_CLEAR(o);
		}
		break;
	default: {
		char msg[96];
		snprintf(msg, sizeof msg, "unsupported type code %llu", (unsigned long long)t);
		set_error(err, "TypeError", msg);
		return -1;
	}
	}
	if (!o) return python_failed(err);
	*out = o;
	return 0;
}
