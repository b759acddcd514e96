/* The python3 runtime plugin: Python -> CDT. */
#include "python3_plugin.h"

/* ------------------------------------------------------------------------------------ */
/* Python -> CDT. Results are owned by the receiver: refs carry one reference.            */

int type_error(metaffi_error *err, const char *expected, PyObject *got)
{
	char msg[512];
	snprintf(msg, sizeof msg, "expected %s, Python gave %s", expected, Py_TYPE(got)->tp_name);
	set_error(err, "TypeError", msg);
	return -1;
}

/* A Python int or float out of the declared type's range: the value and the type. */
static __attribute__((noinline)) int range_error(metaffi_error *err, PyObject *o, uint64_t type)
{
	char msg[200], shown[64];
	PyObject *r = PyObject_Repr(o); /* fails for ints beyond sys.get_int_max_str_digits() */
	const char *u = r ? PyUnicode_AsUTF8(r) : NULL;
	if (u && strlen(u) < sizeof shown) snprintf(shown, sizeof shown, "%s", u);
	else if (u) snprintf(shown, sizeof shown, "%.24s...", u);
	else {
		PyErr_Clear();
		PyObject *bits = PyObject_CallMethod(o, "bit_length", NULL);
		snprintf(shown, sizeof shown, "an int of %ld bits", bits ? PyLong_AsLong(bits) : -1L);
		Py_XDECREF(bits);
	}
	PyErr_Clear();
	Py_XDECREF(r);
	snprintf(msg, sizeof msg, "Python gave %s, out of the range of %s", shown, metaffi_type_name(type));
	set_error(err, "OverflowError", msg);
	return -1;
}

/* A str as a CDT string. string8 and string32 carry Unicode only: a str with a lone
 * surrogate is an error for them (naming where it is); string16 and any carry it exactly
 * as UTF-16. */
static int py_string_to_cdt(PyObject *o, uint64_t declared, cdt *out, metaffi_error *err)
{
	Py_ssize_t n;
	const char *u = PyUnicode_AsUTF8AndSize(o, &n);
	if (!u) {
		PyErr_Clear();
		if (declared == MT_STRING8 || declared == MT_STRING32) {
			Py_ssize_t len = PyUnicode_GET_LENGTH(o), at = 0;
			Py_UCS4 ch = 0;
			while (at < len && ((ch = PyUnicode_READ_CHAR(o, at)) < 0xD800 || ch > 0xDFFF)) at++;
			/* the byte offset the surrogate would have in the UTF-8 text */
			size_t bytes = 0;
			for (Py_ssize_t i = 0; i < at; i++) {
				Py_UCS4 c = PyUnicode_READ_CHAR(o, i);
				bytes += c < 0x80 ? 1 : c < 0x800 ? 2 : c < 0x10000 ? 3 : 4;
			}
			char msg[300];
			snprintf(msg, sizeof msg, "the str has a lone surrogate U+%04X at index %zd (byte offset %zu "
			         "in UTF-8), which %s cannot carry; declare string16 to keep it, or fix the text",
			         (unsigned)ch, at, bytes, metaffi_type_name(declared));
			set_error(err, "UnicodeEncodeError", msg);
			return -1;
		}
		PyObject *b = PyUnicode_AsEncodedString(o, "utf-16-le", "surrogatepass");
		if (!b) return python_failed(err);
		size_t len = (size_t)PyBytes_GET_SIZE(b);
		void *p = conv_alloc(len + 1, err);
		if (p) memcpy(p, PyBytes_AS_STRING(b), len);
		Py_DECREF(b);
		if (!p) return -1;
		out->type = MT_STRING16;
		out->v.str.ptr = p;
		out->v.str.len = len / 2;
		return 0;
	}
	void *p = conv_alloc((size_t)n + 1, err);
	if (!p) return -1;
	memcpy(p, u, (size_t)n);
	out->type = MT_STRING8;
	out->v.str.ptr = p;
	out->v.str.len = (size_t)n;
	return 0;
}

static int py_ref_to_cdt(PyObject *o, uint64_t type, cdt *out, metaffi_error *err)
{
	if (Py_TYPE(o) == g_foreign_fn_type || Py_TYPE(o) == g_foreign_obj_type) {
		foreign_ref *r = (foreign_ref *)o;
		if (!r->val) {
			set_error(err, "MetaFFIError", "this foreign object was released (release() was called)");
			return -1;
		}
		core->retain(r->runtime, r->val);
		out->type = Py_TYPE(o) == g_foreign_fn_type ? MT_CALLABLE : type;
		out->v.ref.val = r->val;
		out->v.ref.runtime = r->runtime;
		return 0;
	}
	out->type = type;
	out->v.ref.val = Py_NewRef(o);
	out->v.ref.runtime = RT_PYTHON3;
	return 0;
}

static int is_function_like(PyObject *o)
{
	return PyFunction_Check(o) || PyCFunction_Check(o) || PyMethod_Check(o) ||
	       Py_TYPE(o) == g_foreign_fn_type;
}

/* A Python int as int64, or uint64 above int64's range. 1 when it fits neither. */
static int py_int_value(PyObject *o, cdt *out)
{
	int overflow = 0;
	long long s = PyLong_AsLongLongAndOverflow(o, &overflow);
	if (!overflow) {
		out->type = MT_INT64;
		out->v.i64 = s;
		return 0;
	}
	if (overflow > 0) {
		unsigned long long u = PyLong_AsUnsignedLongLong(o);
		if (!PyErr_Occurred()) {
			out->type = MT_UINT64;
			out->v.u64 = u;
			return 0;
		}
		PyErr_Clear();
	}
	return 1;
}

/* A list or tuple as an array of any. */
static int py_seq_to_cdt_any(PyObject *o, cdt *out, int depth, metaffi_error *err)
{
	CHECK_DEPTH(depth, err);
	Py_ssize_t n = PySequence_Fast_GET_SIZE(o);
	PyObject **items = PySequence_Fast_ITEMS(o);
	cdt *elems = conv_alloc((size_t)(n ? n : 1) * sizeof(cdt), err);
	if (!elems) return -1;
	for (Py_ssize_t i = 0; i < n; i++) {
		g_path[depth] = (size_t)i;
		if (py_to_cdt_any(items[i], &elems[i], depth + 1, err)) {
			prefix_index(err, (size_t)i);
			for (Py_ssize_t j = 0; j < i; j++) release_refs(&elems[j]);
			return -1;
		}
	}
	out->type = MT_ANY | MT_ARRAY;
	out->v.arr.elems = elems;
	out->v.arr.len = (size_t)n;
	return 0;
}

static int py_dict_to_cdt(PyObject *o, cdt *out, int depth, metaffi_error *err)
{
	CHECK_DEPTH(depth, err);
	Py_ssize_t n = PyDict_Size(o), pos = 0, i = 0;
	cdt *kv = conv_alloc((size_t)(n ? n : 1) * 2 * sizeof(cdt), err);
	if (!kv) return -1;
	PyObject *k, *item;
	while (i < n && PyDict_Next(o, &pos, &k, &item)) {
		kv[2 * i].type = kv[2 * i + 1].type = MT_NULL;
		g_path[depth] = (size_t)i;
		if (py_to_cdt_any(k, &kv[2 * i], depth + 1, err) || py_to_cdt_any(item, &kv[2 * i + 1], depth + 1, err)) {
			prefix_index(err, (size_t)i);
			for (Py_ssize_t j = 0; j < 2 * i + 1; j++) release_refs(&kv[j]);
			return -1;
		}
		i++;
	}
	out->type = MT_MAP;
	out->v.map.kv = kv;
	out->v.map.len = (size_t)i;
	return 0;
}

/* The natural CDT of a Python object (for `any`). */
int py_to_cdt_any(PyObject *o, cdt *out, int depth, metaffi_error *err)
{
	if (o == Py_None) {
		out->type = MT_NULL;
		return 0;
	}
	if (PyBool_Check(o)) {
		out->type = MT_BOOL;
		out->v.b = o == Py_True;
		return 0;
	}
	if (PyLong_Check(o)) {
		if (py_int_value(o, out)) {
			set_error(err, "OverflowError", "a Python int does not fit in 64 bits");
			return -1;
		}
		return 0;
	}
	if (PyFloat_Check(o)) {
		out->type = MT_FLOAT64;
		out->v.f64 = PyFloat_AS_DOUBLE(o);
		return 0;
	}
	if (PyUnicode_Check(o)) return py_string_to_cdt(o, MT_ANY, out, err);
	if (PyBytes_Check(o) || PyByteArray_Check(o)) {
		size_t n = (size_t)(PyBytes_Check(o) ? PyBytes_GET_SIZE(o) : PyByteArray_GET_SIZE(o));
		void *p = conv_alloc(n + 1, err);
		if (!p) return -1;
		memcpy(p, PyBytes_Check(o) ? PyBytes_AS_STRING(o) : PyByteArray_AS_STRING(o), n);
		out->type = MT_UINT8 | MT_ARRAY | MT_PACKED;
		out->v.packed.data = p;
		out->v.packed.len = n;
		return 0;
	}
	if (PyList_Check(o) || PyTuple_Check(o)) return py_seq_to_cdt_any(o, out, depth, err);
	if (PyDict_Check(o)) return py_dict_to_cdt(o, out, depth, err);
	if (is_function_like(o)) return py_ref_to_cdt(o, MT_CALLABLE, out, err);
	return py_ref_to_cdt(o, MT_HANDLE, out, err);
}

/* Whether a buffer's struct-module format holds items of element type `elem` (the width is
 * checked apart). Only native or little-endian byte order: the bytes are copied as they are. */
static int format_matches(const char *format, uint64_t elem)
{
	if (!format) format = "B";
	if (*format == '@' || *format == '=' || *format == '<') format++;
	if (!format[0] || format[1]) return 0;
	switch (format[0]) {
	case 'd': return elem == MT_FLOAT64;
	case 'f': return elem == MT_FLOAT32;
	case 'b': case 'B': case 'c': return elem == MT_INT8 || elem == MT_UINT8; /* raw bytes */
	case 'h': case 'i': case 'l': case 'q': return elem == MT_INT16 || elem == MT_INT32 || elem == MT_INT64;
	case 'H': case 'I': case 'L': case 'Q': case 'N':
		return elem == MT_UINT16 || elem == MT_UINT32 || elem == MT_UINT64 || elem == MT_SIZE;
	case '?': return elem == MT_BOOL;
	default: return 0;
	}
}

/* A one-dimensional buffer (memoryview, array.array, a numpy array) whose items are exactly
 * the packed element type: copied in one go. 1 when converted, 0 when `o` is not such a buffer
 * (the caller then converts it item by item), -1 on error. */
static int py_buffer_to_packed(PyObject *o, uint64_t elem, cdt *out, metaffi_error *err)
{
	if (PyList_Check(o) || PyTuple_Check(o) || PyUnicode_Check(o) || !PyObject_CheckBuffer(o)) return 0;
	Py_buffer view;
	if (PyObject_GetBuffer(o, &view, PyBUF_FORMAT | PyBUF_C_CONTIGUOUS)) {
		PyErr_Clear();
		return 0;
	}
	size_t w = metaffi_packed_width(elem);
	int rc = 0;
	if (view.ndim <= 1 && (size_t)view.itemsize == w && format_matches(view.format, elem)) {
		void *p = conv_alloc((size_t)view.len + 1, err);
		if (!p) {
			rc = -1;
		} else {
			memcpy(p, view.buf, (size_t)view.len);
			out->type = elem | MT_ARRAY | MT_PACKED;
			out->v.packed.data = p;
			out->v.packed.len = (size_t)view.len / w;
			rc = 1;
		}
	}
	PyBuffer_Release(&view);
	return rc;
}

static int py_array_to_cdt(PyObject *o, uint64_t elem, int dims, int depth, cdt *out, metaffi_error *err)
{
	if (o == Py_None) {
		out->type = MT_NULL;
		return 0;
	}
	CHECK_DEPTH(depth, err);
	if (dims == 1 && elem == MT_UINT8 && (PyBytes_Check(o) || PyByteArray_Check(o)))
		return py_to_cdt_any(o, out, depth, err);
	if (dims == 1 && metaffi_packed_width(elem) != 0) {
		int r = py_buffer_to_packed(o, elem, out, err);
		if (r) return r < 0 ? -1 : 0;
	}
	/* A str or a dict iterates, but is not an array: its characters or keys would be. An
	 * iterator or generator may never end: only sequences and sets, which have a length. */
	if (PyUnicode_Check(o) || PyDict_Check(o) || !(PySequence_Check(o) || PyAnySet_Check(o)))
		return type_error(err, "a sequence (list or tuple)", o);
	PyObject *seq = PySequence_Fast(o, "");
	if (!seq) {
		PyErr_Clear();
		return type_error(err, "a sequence (list or tuple)", o);
	}
	Py_ssize_t n = PySequence_Fast_GET_SIZE(seq);
	PyObject **items = PySequence_Fast_ITEMS(seq);
	int rc = 0;
	if (dims == 1 && metaffi_packed_width(elem) != 0) {
		size_t w = metaffi_packed_width(elem);
		char *data = conv_alloc((size_t)(n ? n : 1) * w, err);
		if (!data) {
			Py_DECREF(seq);
			return -1;
		}
		for (Py_ssize_t i = 0; i < n; i++) {
			/* exact floats (the usual list of float64) go straight into the buffer */
			if (elem == MT_FLOAT64 && PyFloat_CheckExact(items[i])) {
				double d = PyFloat_AS_DOUBLE(items[i]);
				memcpy(data + (size_t)i * 8, &d, 8);
				continue;
			}
			cdt one;
			if (py_to_cdt_typed(items[i], elem, 0, depth + 1, &one, err)) {
				prefix_index(err, (size_t)i);
				rc = -1;
				break;
			}
			memcpy(data + (size_t)i * w, &one.v, w);
		}
		out->type = elem | MT_ARRAY | MT_PACKED;
		out->v.packed.data = data;
		out->v.packed.len = (size_t)n;
	} else {
		cdt *elems = conv_alloc((size_t)(n ? n : 1) * sizeof(cdt), err);
		if (!elems) {
			Py_DECREF(seq);
			return -1;
		}
		for (Py_ssize_t i = 0; i < n; i++) {
			g_path[depth] = (size_t)i;
			if (py_to_cdt_typed(items[i], elem, dims - 1, depth + 1, &elems[i], err)) {
				prefix_index(err, (size_t)i);
				for (Py_ssize_t j = 0; j < i; j++) release_refs(&elems[j]);
				rc = -1;
				break;
			}
		}
		out->type = rc ? MT_NULL : elem | MT_ARRAY;
		out->v.arr.elems = elems;
		out->v.arr.len = (size_t)n;
	}
	Py_DECREF(seq);
	return rc;
}

/* A Python value as the declared type: the kind must match and numbers must fit. */
/* A number of another type (numpy's int64 and float32 scalars, ...) as an int or a float:
 * ints through __index__ (never a float's truncation), floats through __float__. */
static int py_number_as(PyObject *o, int want_float, uint64_t type, int depth, cdt *out, metaffi_error *err)
{
	PyNumberMethods *nb = Py_TYPE(o)->tp_as_number;
	PyObject *v = NULL;
	if (!PyBool_Check(o) && !PyFloat_Check(o) && PyIndex_Check(o)) v = PyNumber_Index(o);
	else if (want_float && nb && nb->nb_float && !PyUnicode_Check(o) && !PyBytes_Check(o)) v = PyNumber_Float(o);
	if (!v) {
		PyErr_Clear();
		return type_error(err, want_float ? "a float" : "an int", o);
	}
	int rc = py_to_cdt_typed(v, type, 0, depth, out, err);
	Py_DECREF(v);
	return rc;
}

int py_to_cdt_typed(PyObject *o, uint64_t type, int dims, int depth, cdt *out, metaffi_error *err)
{
	if (dims > 0) return py_array_to_cdt(o, type, dims, depth, out, err);
	switch (type) {
	case MT_FLOAT64:
	case MT_FLOAT32: {
		if (!PyFloat_Check(o) && !PyLong_Check(o)) return py_number_as(o, 1, type, depth, out, err);
		double d = PyFloat_AsDouble(o);
		if (d == -1.0 && PyErr_Occurred()) {
			PyErr_Clear();
			return range_error(err, o, type); /* an int beyond float64 */
		}
		out->type = type;
		if (type == MT_FLOAT64) {
			out->v.f64 = d;
		} else {
			/* rounding to the nearest float32 is normal; a finite value beyond its range
			 * is not (infinities and NaN pass as themselves) */
			float f = (float)d;
			if (isinf(f) && !isinf(d)) return range_error(err, o, type);
			out->v.f32 = f;
		}
		return 0;
	}
	case MT_INT8: case MT_INT16: case MT_INT32: case MT_INT64:
	case MT_UINT8: case MT_UINT16: case MT_UINT32: case MT_UINT64: case MT_SIZE: {
		if (!PyLong_Check(o)) return py_number_as(o, 0, type, depth, out, err);
		cdt any;
		if (py_int_value(o, &any)) return range_error(err, o, type);
		int ok;
		if (any.type == MT_UINT64) {
			ok = type == MT_UINT64 || type == MT_SIZE;
			out->v.u64 = any.v.u64;
		} else {
			int64_t s = any.v.i64;
			switch (type) {
			case MT_INT8: ok = s >= INT8_MIN && s <= INT8_MAX; out->v.i8 = (int8_t)s; break;
			case MT_INT16: ok = s >= INT16_MIN && s <= INT16_MAX; out->v.i16 = (int16_t)s; break;
			case MT_INT32: ok = s >= INT32_MIN && s <= INT32_MAX; out->v.i32 = (int32_t)s; break;
			case MT_INT64: ok = 1; out->v.i64 = s; break;
			case MT_UINT8: ok = s >= 0 && s <= UINT8_MAX; out->v.u8 = (uint8_t)s; break;
			case MT_UINT16: ok = s >= 0 && s <= UINT16_MAX; out->v.u16 = (uint16_t)s; break;
			case MT_UINT32: ok = s >= 0 && s <= (int64_t)UINT32_MAX; out->v.u32 = (uint32_t)s; break;
			default: ok = s >= 0; out->v.u64 = (uint64_t)s; break;
			}
		}
		if (!ok) return range_error(err, o, type);
		out->type = type;
		return 0;
	}
	case MT_BOOL:
		/* a bool, or the ints 0 and 1; any other value is a mistake, not true */
		if (PyBool_Check(o)) {
			out->v.b = o == Py_True;
		} else if (PyLong_Check(o)) {
			int overflow = 0;
			long long s = PyLong_AsLongLongAndOverflow(o, &overflow);
			if (overflow || (s != 0 && s != 1)) return range_error(err, o, type);
			out->v.b = (uint8_t)s;
		} else {
			return type_error(err, "a bool", o);
		}
		out->type = MT_BOOL;
		return 0;
	case MT_STRING8:
	case MT_STRING16:
	case MT_STRING32:
		if (o == Py_None) {
			out->type = MT_NULL;
			return 0;
		}
		if (!PyUnicode_Check(o)) return type_error(err, "a str", o);
		return py_string_to_cdt(o, type, out, err);
	case MT_CHAR8:
	case MT_CHAR16:
	case MT_CHAR32: {
		if (!PyUnicode_Check(o) || PyUnicode_GetLength(o) != 1) return type_error(err, "a str of length 1", o);
		Py_UCS4 ch = PyUnicode_ReadChar(o, 0);
		if ((type == MT_CHAR8 && ch > 0x7F) || (type == MT_CHAR16 && ch > 0xFFFF) ||
		    (type != MT_CHAR16 && ch >= 0xD800 && ch <= 0xDFFF)) {
			char msg[160];
			snprintf(msg, sizeof msg, "Python gave the character U+%04X, which %s cannot carry%s",
			         (unsigned)ch, metaffi_type_name(type),
			         type == MT_CHAR8 ? " (ASCII only)" : type == MT_CHAR16 ? " (one UTF-16 unit)" : " (a lone surrogate)");
			set_error(err, "ValueError", msg);
			return -1;
		}
		out->type = type;
		out->v.ch = ch;
		return 0;
	}
	case MT_HANDLE:
		if (o == Py_None) {
			out->type = MT_NULL;
			return 0;
		}
		return py_ref_to_cdt(o, MT_HANDLE, out, err);
	case MT_CALLABLE:
		if (o == Py_None) {
			out->type = MT_NULL;
			return 0;
		}
		if (!PyCallable_Check(o)) return type_error(err, "a callable", o);
		return py_ref_to_cdt(o, MT_CALLABLE, out, err);
	case MT_MAP:
		if (o == Py_None) {
			out->type = MT_NULL;
			return 0;
		}
		if (!PyDict_Check(o)) return type_error(err, "a dict", o);
		return py_dict_to_cdt(o, out, depth, err);
	case MT_NULL:
		if (o != Py_None) return type_error(err, "None (the declared type is null)", o);
		out->type = MT_NULL;
		return 0;
	default:
		return py_to_cdt_any(o, out, depth, err);
	}
}
