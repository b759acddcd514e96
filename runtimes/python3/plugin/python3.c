/*
 * The python3 runtime plugin: CPython embedded through its C API. Built against the
 * headers of the Python found at install time (or at run time, for another version) and
 * loaded after that Python's libpython, which the core opens with RTLD_GLOBAL.
 *
 * Module loading, entity-path resolution and traceback formatting live in the Python
 * helper (python/metaffi_python_helper.py); the call path is here.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <structmember.h>

#include <pthread.h>
#include <string.h>

#include "metaffi.h"

/* Older Pythons (3.8, 3.9) spell two things differently. */
#if PY_VERSION_HEX < 0x030A0000
static inline PyObject *Py_NewRef(PyObject *o)
{
	Py_INCREF(o);
	return o;
}
#endif
#if PY_VERSION_HEX < 0x03090000
#define PyObject_Vectorcall _PyObject_Vectorcall
#endif

#define INLINE_ARGS 16

static const metaffi_core *core;
static PyThreadState *g_js_tstate; /* the JS thread's thread state */
/* Set on the JS thread only (where g_js_tstate belongs): a thread-local flag instead of
 * pthread_self/pthread_equal on every call; initial-exec, so reading it is one load. */
static __thread int tls_is_js_thread __attribute__((tls_model("initial-exec")));
static int g_active;
static PyObject *g_helper;         /* the helper module */
static PyObject *g_load_module, *g_resolve, *g_format_exception;
static PyObject *g_getline;        /* linecache.getline */
static PyObject *g_notes_name;     /* "__notes__" */
static PyObject *g_js_error;       /* helper.JSError: a JS exception raised inside Python */
static PyObject *g_foreign_error;  /* helper.ForeignError: an error from another runtime */
static PyObject *g_metaffi_error;  /* helper.MetaFFIError: a value that cannot cross */
static PyTypeObject *g_foreign_fn_type, *g_foreign_obj_type;

/* ------------------------------------------------------------------------------------ */
/* The GIL: held only while Python code runs.                                            */

typedef struct {
	int js;
	PyGILState_STATE state;
} gil_t;

static gil_t gil_enter(void)
{
	gil_t g;
	if (tls_is_js_thread && g_js_tstate) {
		PyEval_RestoreThread(g_js_tstate);
		g.js = 1;
	} else {
		g.state = PyGILState_Ensure();
		g.js = 0;
	}
	return g;
}

static void gil_leave(gil_t g)
{
	if (g.js) PyEval_SaveThread();
	else PyGILState_Release(g.state);
}

/* ------------------------------------------------------------------------------------ */
/* Errors                                                                                */

static void set_error(metaffi_error *err, const char *type, const char *msg)
{
	err->type = type;
	err->message = core->strdup(msg, strlen(msg));
	err->stack = NULL;
	err->host_error = 0;
}

static const char *py_str_arena(PyObject *o)
{
	if (!o) return "";
	PyObject *s = PyObject_Str(o);
	if (!s) {
		PyErr_Clear();
		return "";
	}
	Py_ssize_t n;
	const char *u = PyUnicode_AsUTF8AndSize(s, &n);
	const char *r = u ? core->strdup(u, (size_t)n) : "";
	if (!u) PyErr_Clear();
	Py_DECREF(s);
	return r;
}

/* A growing text buffer for format_stack. */
typedef struct {
	char *p;
	size_t len, cap;
	int failed;
} text_buf;

static void text_add(text_buf *b, const char *s, size_t n)
{
	if (b->failed) return;
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 1024;
		while (b->len + n + 1 > cap) cap *= 2;
		char *q = realloc(b->p, cap);
		if (!q) {
			b->failed = 1;
			return;
		}
		b->p = q;
		b->cap = cap;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = 0;
}

static void text_add_str(text_buf *b, const char *s) { text_add(b, s, strlen(s)); }

/* Add str(o); -1 with a Python exception when that fails. */
static int text_add_obj(text_buf *b, PyObject *o)
{
	PyObject *s = PyObject_Str(o);
	if (!s) return -1;
	Py_ssize_t n;
	const char *u = PyUnicode_AsUTF8AndSize(s, &n);
	if (u) text_add(b, u, (size_t)n);
	Py_DECREF(s);
	return u ? 0 : -1;
}

/* One traceback entry as the helper's format_exception writes it: the File line, then the
 * stripped source line when there is one. */
static int format_frame(text_buf *b, PyObject *tb)
{
	PyObject *frame = PyObject_GetAttrString(tb, "tb_frame");
	PyObject *lineno = PyObject_GetAttrString(tb, "tb_lineno");
	PyObject *code = frame ? PyObject_GetAttrString(frame, "f_code") : NULL;
	PyObject *file = code ? PyObject_GetAttrString(code, "co_filename") : NULL;
	PyObject *name = code ? PyObject_GetAttrString(code, "co_name") : NULL;
	PyObject *line = file && lineno ? PyObject_CallFunctionObjArgs(g_getline, file, lineno, NULL) : NULL;
	PyObject *stripped = line ? PyObject_CallMethod(line, "strip", NULL) : NULL;
	int rc = -1;
	if (stripped && PyUnicode_Check(stripped)) {
		text_add_str(b, "  File \"");
		rc = text_add_obj(b, file);
		text_add_str(b, "\", line ");
		if (!rc) rc = text_add_obj(b, lineno);
		text_add_str(b, ", in ");
		if (!rc) rc = text_add_obj(b, name);
		text_add_str(b, "\n");
		if (!rc && PyUnicode_GET_LENGTH(stripped) > 0) {
			text_add_str(b, "    ");
			rc = text_add_obj(b, stripped);
			text_add_str(b, "\n");
		}
	}
	Py_XDECREF(frame);
	Py_XDECREF(lineno);
	Py_XDECREF(code);
	Py_XDECREF(file);
	Py_XDECREF(name);
	Py_XDECREF(line);
	Py_XDECREF(stripped);
	return rc;
}

/*
 * The traceback text of helper.format_exception, built here without running Python code
 * for the common case (it was half the cost of an error): frames, then "module.Type: message"
 * as traceback.format_exception_only writes it. SyntaxErrors (which print the offending
 * line), exceptions with __notes__ and anything unusual go to the helper. Returns an arena
 * string or NULL; never leaves a Python exception set.
 */
static int has_notes(PyObject *type, PyObject *value)
{
	/* add_note stores __notes__ in the instance's dict; a class could define it too. Looked
	 * up without raising AttributeError, which is most of what hasattr costs. */
	PyObject *dict = PyObject_TypeCheck(value, (PyTypeObject *)PyExc_BaseException)
	                     ? ((PyBaseExceptionObject *)value)->dict : NULL;
	if (dict && PyDict_GetItemWithError(dict, g_notes_name)) return 1;
	if (PyErr_Occurred()) return 1; /* let the helper deal with it */
	return _PyType_Lookup((PyTypeObject *)type, g_notes_name) != NULL;
}

/* mod, qual: the type's __module__ and __qualname__ when the caller has them (borrowed), or
 * NULL to look them up here. */
static const char *format_stack(PyObject *type, PyObject *value, PyObject *tb, PyObject *mod,
                                PyObject *qual)
{
	text_buf b = {NULL, 0, 0, 0};
	int simple = g_getline && g_notes_name && value && PyType_Check(type) &&
	             !PyErr_GivenExceptionMatches(type, PyExc_SyntaxError) && !has_notes(type, value);
	if (simple) {
		if (tb) text_add_str(&b, "Traceback (most recent call last):\n");
		PyObject *t = tb ? Py_NewRef(tb) : NULL;
		while (simple && t && t != Py_None) {
			if (format_frame(&b, t)) simple = 0;
			PyObject *next = simple ? PyObject_GetAttrString(t, "tb_next") : NULL;
			if (simple && !next) simple = 0;
			Py_DECREF(t);
			t = next;
		}
		Py_XDECREF(t);
	}
	if (simple) {
		mod = mod ? Py_NewRef(mod) : PyObject_GetAttrString(type, "__module__");
		qual = qual ? Py_NewRef(qual) : PyObject_GetAttrString(type, "__qualname__");
		PyObject *str = PyObject_Str(value);
		const char *m = mod && PyUnicode_Check(mod) ? PyUnicode_AsUTF8(mod) : NULL;
		if (qual && PyUnicode_Check(qual) && str && m) {
			if (strcmp(m, "builtins") != 0 && strcmp(m, "__main__") != 0) {
				text_add_str(&b, m);
				text_add_str(&b, ".");
			}
			text_add_obj(&b, qual);
			if (PyUnicode_GET_LENGTH(str) > 0) {
				text_add_str(&b, ": ");
				text_add_obj(&b, str);
			}
			text_add_str(&b, "\n");
		} else {
			simple = 0;
		}
		Py_XDECREF(mod);
		Py_XDECREF(qual);
		Py_XDECREF(str);
	}
	PyErr_Clear();
	const char *out = NULL;
	if (simple && !b.failed) {
		out = core->strdup(b.p, b.len);
	} else if (g_format_exception) {
		PyObject *s = PyObject_CallFunctionObjArgs(g_format_exception, type, value ? value : Py_None,
		                                           tb ? tb : Py_None, NULL);
		if (s && PyUnicode_Check(s)) {
			Py_ssize_t n;
			const char *u = PyUnicode_AsUTF8AndSize(s, &n);
			if (u) out = core->strdup(u, (size_t)n);
		}
		Py_XDECREF(s);
		PyErr_Clear();
	}
	free(b.p);
	return out;
}

/* The pending Python exception as a metaffi_error (type, message, traceback). */
static void error_from_python(metaffi_error *err)
{
	PyObject *type, *value, *tb;
	PyErr_Fetch(&type, &value, &tb);
	if (!type) {
		set_error(err, "SystemError", "the call failed without an exception");
		return;
	}
	PyErr_NormalizeException(&type, &value, &tb);
	if (tb && value) PyException_SetTraceback(value, tb);
	err->host_error = 0;
	err->stack = NULL;
	int js = value && g_js_error && PyObject_IsInstance(value, g_js_error) == 1;
	int foreign = !js && value && g_foreign_error && PyObject_IsInstance(value, g_foreign_error) == 1;
	PyErr_Clear();
	if (js || foreign) {
		/* An error of JS or of another runtime going back out: its own type and message,
		 * not "ForeignError: Type: message" */
		PyObject *id = js ? PyObject_GetAttrString(value, "host_error") : NULL;
		PyObject *jt = PyObject_GetAttrString(value, js ? "js_type" : "foreign_type");
		PyObject *jm = PyObject_GetAttrString(value, js ? "js_message" : "foreign_message");
		if (id) err->host_error = PyLong_AsUnsignedLongLong(id);
		err->type = py_str_arena(jt);
		err->message = py_str_arena(jm);
		Py_XDECREF(id);
		Py_XDECREF(jt);
		Py_XDECREF(jm);
		PyErr_Clear();
		err->stack = format_stack(type, value, tb, NULL, NULL);
	} else {
		PyObject *mod = PyObject_GetAttrString(type, "__module__");
		PyObject *qual = PyObject_GetAttrString(type, "__qualname__");
		PyErr_Clear();
		const char *m = mod && PyUnicode_Check(mod) ? PyUnicode_AsUTF8(mod) : NULL;
		const char *q = qual && PyUnicode_Check(qual) ? PyUnicode_AsUTF8(qual) : "Exception";
		char name[512];
		if (type == g_metaffi_error) snprintf(name, sizeof name, "MetaFFIError");
		else if (m && strcmp(m, "builtins") != 0) snprintf(name, sizeof name, "%s.%s", m, q);
		else snprintf(name, sizeof name, "%s", q);
		err->type = core->strdup(name, strlen(name));
		err->message = py_str_arena(value);
		err->stack = format_stack(type, value, tb, mod, qual);
		Py_XDECREF(mod);
		Py_XDECREF(qual);
	}
	Py_XDECREF(type);
	Py_XDECREF(value);
	Py_XDECREF(tb);
}

/* Raise a metaffi_error that came from another runtime (or from JS) inside Python. */
static void raise_foreign(const metaffi_error *err)
{
	PyObject *cls = err->host_error ? g_js_error : g_foreign_error;
	PyObject *exc = PyObject_CallFunction(cls, "ssszK", err->type ? err->type : "Error",
	                                      err->message ? err->message : "",
	                                      err->type ? err->type : "", err->stack,
	                                      (unsigned long long)err->host_error);
	if (exc) {
		PyErr_SetObject(cls, exc);
		Py_DECREF(exc);
	}
}

/* ------------------------------------------------------------------------------------ */
/* Values of other runtimes inside Python: ForeignCallable and ForeignObject.              */

typedef struct {
	PyObject_HEAD
	vectorcallfunc vectorcall;
	uint32_t runtime;
	void *val;
} foreign_ref;

static int cdt_to_py(const cdt *v, uint64_t want, int dims, int depth, PyObject **out, metaffi_error *err);
static int py_to_cdt_any(PyObject *o, cdt *out, int depth, metaffi_error *err);
static void raise_conversion_error(const metaffi_error *err);
static void prefix_place(metaffi_error *err, const char *place);

#if PY_VERSION_HEX >= 0x03090000
static PyObject *foreign_fn_vectorcall(PyObject *self, PyObject *const *args, size_t nargsf,
                                       PyObject *kwnames);
#endif

static PyObject *foreign_ref_new(PyTypeObject *type, uint32_t runtime, void *val, int retain)
{
	foreign_ref *r = PyObject_New(foreign_ref, type);
	if (!r) return NULL;
	r->runtime = runtime;
	r->val = val;
	r->vectorcall = NULL;
#if PY_VERSION_HEX >= 0x03090000
	if (type == g_foreign_fn_type) r->vectorcall = foreign_fn_vectorcall;
#endif
	if (retain) core->retain(runtime, val);
	return (PyObject *)r;
}

static void release_one(const cdt *v)
{
	if (v->type == MT_HANDLE || v->type == MT_CALLABLE) {
		if (v->v.ref.runtime == RT_PYTHON3) Py_DECREF((PyObject *)v->v.ref.val);
		else core->release(v->v.ref.runtime, v->v.ref.val);
	}
}

static int is_container(const cdt *v)
{
	return ((v->type & MT_ARRAY) && !(v->type & MT_PACKED)) || v->type == MT_MAP;
}

/* Drop the references a CDT value holds (values this plugin made for a call, or results it
 * received and has converted). Called with the GIL held, so Python references are dropped
 * directly rather than through the core. Nested arrays and maps are walked with a stack of
 * their own: a value from another runtime may nest deeper than the C stack allows. */
static void release_refs(const cdt *v)
{
	if (!is_container(v)) {
		release_one(v);
		return;
	}
	typedef struct { const cdt *p; size_t n; } span;
	span inline_spans[32], *spans = inline_spans;
	size_t top = 0, cap = 32;
	spans[top++] = (span){v, 1};
	while (top) {
		span *s = &spans[top - 1];
		if (!s->n) {
			top--;
			continue;
		}
		const cdt *c = s->p++;
		s->n--;
		if (!is_container(c)) {
			release_one(c);
			continue;
		}
		if (top == cap) {
			span *bigger = malloc(2 * cap * sizeof(span));
			if (!bigger) continue; /* out of memory: the references under c stay held */
			memcpy(bigger, spans, top * sizeof(span));
			if (spans != inline_spans) free(spans);
			spans = bigger;
			cap *= 2;
		}
		if (c->type == MT_MAP) spans[top++] = (span){c->v.map.kv, 2 * c->v.map.len};
		else spans[top++] = (span){c->v.arr.elems, c->v.arr.len};
	}
	if (spans != inline_spans) free(spans);
}

static void foreign_ref_dealloc(PyObject *self)
{
	foreign_ref *r = (foreign_ref *)self;
	if (g_active) core->release(r->runtime, r->val);
	PyTypeObject *tp = Py_TYPE(self);
	PyObject_Free(self);
	Py_DECREF(tp);
}

static const char *runtime_label(uint32_t rt)
{
	switch (rt) {
	case RT_HOST: return "JavaScript";
	case RT_OPENJDK: return "Java";
	case RT_GO: return "Go";
	default: return "foreign";
	}
}

static PyObject *foreign_ref_repr(PyObject *self)
{
	foreign_ref *r = (foreign_ref *)self;
	return PyUnicode_FromFormat("<%s %s at %p>", runtime_label(r->runtime),
	                            Py_TYPE(self) == g_foreign_fn_type ? "function" : "object", r->val);
}

/* Python calls a callable of another runtime with n positional arguments. */
static PyObject *foreign_fn_invoke(foreign_ref *r, PyObject *const *args, Py_ssize_t n)
{
	metaffi_mark mark = core->arena_mark();
	cdt *params = core->alloc((size_t)(n ? n : 1) * sizeof(cdt));
	metaffi_error err = {0};
	if (!params) {
		core->arena_reset(mark);
		return PyErr_NoMemory();
	}
	for (Py_ssize_t i = 0; i < n; i++) {
		params[i].type = MT_NULL;
		if (py_to_cdt_any(args[i], &params[i], 0, &err)) {
			char place[48];
			snprintf(place, sizeof place, "argument %zd", i + 1);
			prefix_place(&err, place);
			raise_conversion_error(&err);
			for (Py_ssize_t j = 0; j < i; j++) release_refs(&params[j]);
			core->arena_reset(mark);
			return NULL;
		}
	}
	cdt *rets = NULL;
	size_t nr = 0;
	PyThreadState *ts = PyEval_SaveThread();
	int rc = core->call(r->runtime, r->val, params, (size_t)n, &rets, &nr, &err);
	PyEval_RestoreThread(ts);
	for (Py_ssize_t i = 0; i < n; i++) release_refs(&params[i]); /* the callee only borrowed them */
	PyObject *result = NULL;
	if (rc) {
		raise_foreign(&err);
	} else if (nr == 0) {
		result = Py_NewRef(Py_None);
	} else if (nr == 1) {
		if (cdt_to_py(&rets[0], MT_ANY, 0, 0, &result, &err)) {
			prefix_place(&err, "return value");
			raise_conversion_error(&err);
		}
	} else {
		result = PyTuple_New((Py_ssize_t)nr);
		for (size_t i = 0; result && i < nr; i++) {
			PyObject *item;
			if (cdt_to_py(&rets[i], MT_ANY, 0, 0, &item, &err)) {
				char place[48];
				snprintf(place, sizeof place, "return value %zu", i + 1);
				prefix_place(&err, place);
				raise_conversion_error(&err);
				Py_CLEAR(result);
				break;
			}
			PyTuple_SET_ITEM(result, (Py_ssize_t)i, item);
		}
	}
	for (size_t i = 0; i < nr; i++) release_refs(&rets[i]); /* converted: drop the owned refs */
	core->arena_reset(mark);
	return result;
}

static PyObject *foreign_fn_call(PyObject *self, PyObject *args, PyObject *kwargs)
{
	foreign_ref *r = (foreign_ref *)self;
	if (kwargs && PyDict_Size(kwargs) > 0) {
		PyErr_Format(PyExc_TypeError, "%s functions take positional arguments only",
		             runtime_label(r->runtime));
		return NULL;
	}
	return foreign_fn_invoke(r, &PyTuple_GET_ITEM(args, 0), PyTuple_GET_SIZE(args));
}

#if PY_VERSION_HEX >= 0x03090000
/* The same through vectorcall: no argument tuple per call. */
static PyObject *foreign_fn_vectorcall(PyObject *self, PyObject *const *args, size_t nargsf,
                                       PyObject *kwnames)
{
	foreign_ref *r = (foreign_ref *)self;
	if (kwnames && PyTuple_GET_SIZE(kwnames) > 0) {
		PyErr_Format(PyExc_TypeError, "%s functions take positional arguments only",
		             runtime_label(r->runtime));
		return NULL;
	}
	return foreign_fn_invoke(r, args, PyVectorcall_NARGS(nargsf));
}

static PyMemberDef foreign_fn_members[] = {
	{"__vectorcalloffset__", T_PYSSIZET, offsetof(foreign_ref, vectorcall), READONLY, NULL},
	{NULL, 0, 0, 0, NULL},
};
#define FOREIGN_FN_FLAGS (Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_VECTORCALL)
#else
#define FOREIGN_FN_FLAGS Py_TPFLAGS_DEFAULT
#endif

static PyType_Slot foreign_fn_slots[] = {
#if PY_VERSION_HEX >= 0x03090000
	{Py_tp_members, foreign_fn_members},
#endif
	{Py_tp_dealloc, foreign_ref_dealloc},
	{Py_tp_repr, foreign_ref_repr},
	{Py_tp_call, foreign_fn_call},
	{Py_tp_doc, "A function of another runtime (JavaScript, Java or Go) called from Python."},
	{0, NULL},
};

static PyType_Slot foreign_obj_slots[] = {
	{Py_tp_dealloc, foreign_ref_dealloc},
	{Py_tp_repr, foreign_ref_repr},
	{Py_tp_doc, "An object of another runtime (JavaScript, Java or Go), opaque in Python."},
	{0, NULL},
};

static PyType_Spec foreign_fn_spec = {"metaffi.ForeignCallable", sizeof(foreign_ref), 0,
                                      FOREIGN_FN_FLAGS, foreign_fn_slots};
static PyType_Spec foreign_obj_spec = {"metaffi.ForeignObject", sizeof(foreign_ref), 0,
                                       Py_TPFLAGS_DEFAULT, foreign_obj_slots};

/* ------------------------------------------------------------------------------------ */
/* Conversion errors                                                                     */

/*
 * Nesting. Every recursive conversion passes its depth (0 for an argument or result
 * itself); an array or map at depth METAFFI_MAX_DEPTH is one level too many. The indexes on
 * the way down are kept so the error can say where. The error's type is this
 * very string, so the levels above it know not to put their own index in front.
 */
static const char DEPTH_ERROR[] = "MetaFFIError";
static size_t g_path[METAFFI_MAX_DEPTH + 1]; /* every conversion holds the GIL: one copy */

static __attribute__((noinline)) int too_deep(int depth, metaffi_error *err)
{
	char msg[200];
	int n = snprintf(msg, sizeof msg, "is nested deeper than %d levels (at ", METAFFI_MAX_DEPTH);
	for (int i = 0; i < 4 && i < depth; i++) n += snprintf(msg + n, sizeof msg - (size_t)n, "[%zu]", g_path[i]);
	snprintf(msg + n, sizeof msg - (size_t)n, "%s); flatten it or pass a handle", depth > 4 ? "..." : "");
	set_error(err, "MetaFFIError", msg);
	err->type = DEPTH_ERROR;
	return -1;
}

#define CHECK_DEPTH(depth, err) \
	do { if ((depth) >= METAFFI_MAX_DEPTH) return too_deep((depth), (err)); } while (0)

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
	int deep = err->type == DEPTH_ERROR;
	snprintf(msg, sizeof msg, "%s%s%s", place, deep ? " " : err->message[0] == '[' ? "" : ": ", err->message);
	err->message = core->strdup(msg, strlen(msg));
	if (deep) err->type = "MetaFFIError";
}

/* The pending Python exception (a failed allocation, an undecodable string) as a
 * conversion error. */
static __attribute__((noinline)) int python_failed(metaffi_error *err)
{
	error_from_python(err);
	err->stack = NULL;
	return -1;
}

/* Arena memory for a conversion; NULL with a MemoryError in `err` when there is none. */
static void *conv_alloc(size_t size, metaffi_error *err)
{
	void *p = core->alloc(size);
	if (!p) set_error(err, "MemoryError", "out of memory for the converted value");
	return p;
}

/* A conversion error raised inside Python (results of a call Python made to another
 * runtime, arguments Python passed to it). */
static void raise_conversion_error(const metaffi_error *err)
{
	PyObject *cls = strcmp(err->type, "TypeError") == 0 ? PyExc_TypeError
	              : strcmp(err->type, "OverflowError") == 0 ? PyExc_OverflowError
	              : strcmp(err->type, "MemoryError") == 0 ? PyExc_MemoryError
	              : strcmp(err->type, "UnicodeEncodeError") == 0 ? PyExc_ValueError
	              : g_metaffi_error ? g_metaffi_error : PyExc_RuntimeError;
	PyErr_SetString(cls, err->message);
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
static int cdt_to_py(const cdt *v, uint64_t want, int dims, int depth, PyObject **out, metaffi_error *err)
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

/* ------------------------------------------------------------------------------------ */
/* Python -> CDT. Results are owned by the receiver: refs carry one reference.            */

static int type_error(metaffi_error *err, const char *expected, PyObject *got)
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

static int py_ref_to_cdt(PyObject *o, uint64_t type, cdt *out)
{
	if (Py_TYPE(o) == g_foreign_fn_type || Py_TYPE(o) == g_foreign_obj_type) {
		foreign_ref *r = (foreign_ref *)o;
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

static int py_to_cdt_any(PyObject *o, cdt *out, int depth, metaffi_error *err);

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
static int py_to_cdt_any(PyObject *o, cdt *out, int depth, metaffi_error *err)
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
	if (is_function_like(o)) return py_ref_to_cdt(o, MT_CALLABLE, out);
	return py_ref_to_cdt(o, MT_HANDLE, out);
}

static size_t packed_width(uint64_t e)
{
	switch (e) {
	case MT_INT8: case MT_UINT8: case MT_BOOL: return 1;
	case MT_INT16: case MT_UINT16: return 2;
	case MT_INT32: case MT_UINT32: case MT_FLOAT32: return 4;
	default: return 8;
	}
}

static int py_to_cdt_typed(PyObject *o, uint64_t type, int dims, int depth, cdt *out, metaffi_error *err);

static int is_packable(uint64_t t)
{
	switch (t) {
	case MT_FLOAT64: case MT_FLOAT32: case MT_INT8: case MT_INT16: case MT_INT32:
	case MT_INT64: case MT_UINT8: case MT_UINT16: case MT_UINT32: case MT_UINT64:
	case MT_SIZE: case MT_BOOL:
		return 1;
	default:
		return 0;
	}
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
	if (dims == 1 && is_packable(elem)) {
		size_t w = packed_width(elem);
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
static int py_to_cdt_typed(PyObject *o, uint64_t type, int dims, int depth, cdt *out, metaffi_error *err)
{
	if (dims > 0) return py_array_to_cdt(o, type, dims, depth, out, err);
	switch (type) {
	case MT_FLOAT64:
	case MT_FLOAT32: {
		if (!PyFloat_Check(o) && !PyLong_Check(o)) return type_error(err, "a float", o);
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
		if (!PyLong_Check(o)) return type_error(err, "an int", o);
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
		return py_ref_to_cdt(o, MT_HANDLE, out);
	case MT_CALLABLE:
		if (o == Py_None) {
			out->type = MT_NULL;
			return 0;
		}
		if (!PyCallable_Check(o)) return type_error(err, "a callable", o);
		return py_ref_to_cdt(o, MT_CALLABLE, out);
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

/* ------------------------------------------------------------------------------------ */
/* Runtime                                                                               */

static const char *config_value(const char *config, const char *key, char *buf, size_t size)
{
	size_t klen = strlen(key);
	const char *p = config;
	while (p && *p) {
		const char *eol = strchr(p, '\n');
		size_t len = eol ? (size_t)(eol - p) : strlen(p);
		if (len > klen && strncmp(p, key, klen) == 0 && p[klen] == '=') {
			size_t n = len - klen - 1;
			if (n >= size) n = size - 1;
			memcpy(buf, p + klen + 1, n);
			buf[n] = 0;
			return buf;
		}
		p = eol ? eol + 1 : NULL;
	}
	return NULL;
}

static int load_helper(const char *helper_path, metaffi_error *err)
{
	if (g_helper) return 0;
	PyObject *util = PyImport_ImportModule("importlib.util");
	PyObject *spec = util ? PyObject_CallMethod(util, "spec_from_file_location", "ss", "_metaffi", helper_path) : NULL;
	PyObject *mod = spec ? PyObject_CallMethod(util, "module_from_spec", "O", spec) : NULL;
	PyObject *loader = spec ? PyObject_GetAttrString(spec, "loader") : NULL;
	PyObject *modules = PyImport_GetModuleDict();
	int ok = mod && loader && PyDict_SetItemString(modules, "_metaffi", mod) == 0;
	PyObject *r = ok ? PyObject_CallMethod(loader, "exec_module", "O", mod) : NULL;
	Py_XDECREF(util);
	Py_XDECREF(spec);
	Py_XDECREF(loader);
	if (!r) {
		error_from_python(err);
		Py_XDECREF(mod);
		return -1;
	}
	Py_DECREF(r);
	g_helper = mod;
	g_load_module = PyObject_GetAttrString(mod, "load_module");
	g_resolve = PyObject_GetAttrString(mod, "resolve");
	g_format_exception = PyObject_GetAttrString(mod, "format_exception");
	PyObject *linecache = PyObject_GetAttrString(mod, "linecache");
	g_getline = linecache ? PyObject_GetAttrString(linecache, "getline") : NULL;
	Py_XDECREF(linecache);
	g_notes_name = PyUnicode_InternFromString("__notes__");
	g_js_error = PyObject_GetAttrString(mod, "JSError");
	g_foreign_error = PyObject_GetAttrString(mod, "ForeignError");
	g_metaffi_error = PyObject_GetAttrString(mod, "MetaFFIError");
	if (!g_load_module || !g_resolve || !g_format_exception || !g_getline || !g_notes_name || !g_js_error ||
	    !g_foreign_error || !g_metaffi_error) {
		error_from_python(err);
		return -1;
	}
	g_foreign_fn_type = (PyTypeObject *)PyType_FromSpec(&foreign_fn_spec);
	g_foreign_obj_type = (PyTypeObject *)PyType_FromSpec(&foreign_obj_spec);
	if (!g_foreign_fn_type || !g_foreign_obj_type) {
		error_from_python(err);
		return -1;
	}
	PyObject_SetAttrString(mod, "ForeignCallable", (PyObject *)g_foreign_fn_type);
	PyObject_SetAttrString(mod, "ForeignObject", (PyObject *)g_foreign_obj_type);
	return 0;
}

/* config: lines of key=value: program (the python executable), helper (helper file). */
static int py_load_runtime(const metaffi_core *c, const char *config, metaffi_error *err)
{
	core = c;
	char program[4096], helper[4096];
	if (!config_value(config, "helper", helper, sizeof helper)) {
		set_error(err, "MetaFFIError", "the python3 plugin needs the helper path in its configuration");
		return -1;
	}
	if (!Py_IsInitialized()) {
		PyConfig cfg;
		PyConfig_InitPythonConfig(&cfg);
		cfg.install_signal_handlers = 0; /* SIGINT and friends stay with Node.js */
		cfg.parse_argv = 0;
		PyStatus st = PyStatus_Ok();
		if (config_value(config, "program", program, sizeof program))
			st = PyConfig_SetBytesString(&cfg, &cfg.program_name, program);
		if (!PyStatus_Exception(st)) st = Py_InitializeFromConfig(&cfg);
		PyConfig_Clear(&cfg);
		if (PyStatus_Exception(st)) {
			char msg[1024];
			snprintf(msg, sizeof msg, "Python failed to initialize: %s%s%s",
			         st.func ? st.func : "", st.func ? ": " : "", st.err_msg ? st.err_msg : "unknown error");
			set_error(err, "MetaFFIError", msg);
			return -1;
		}
		tls_is_js_thread = 1;
		g_js_tstate = PyEval_SaveThread();
	} else if (!g_js_tstate) {
		/* Initialized by someone else in this process: adopt a thread state for this thread. */
		PyGILState_STATE s = PyGILState_Ensure();
		(void)s;
		tls_is_js_thread = 1;
		g_js_tstate = PyEval_SaveThread();
	}
	gil_t g = gil_enter();
	int rc = load_helper(helper, err);
	gil_leave(g);
	if (rc == 0) g_active = 1;
	return rc;
}

/* CPython cannot be unloaded safely (threads, extension modules): releasing the plugin
 * drops everything the core holds; the interpreter stays for a later load. */
static int py_free_runtime(metaffi_error *err)
{
	(void)err;
	g_active = 0;
	return 0;
}

static void py_at_exit(void)
{
	if (!g_active) return;
	gil_t g = gil_enter();
	PyObject *r = PyRun_String("import sys\nfor s in (sys.stdout, sys.stderr):\n"
	                           "    try:\n        s.flush()\n    except Exception:\n        pass\n",
	                           Py_file_input, PyModule_GetDict(g_helper), PyModule_GetDict(g_helper));
	Py_XDECREF(r);
	PyErr_Clear();
	gil_leave(g);
}

static void *py_load_module(const char *path, metaffi_error *err)
{
	gil_t g = gil_enter();
	PyObject *m = path ? PyObject_CallFunction(g_load_module, "s", path) : NULL;
	if (!path) PyErr_SetString(PyExc_TypeError, "no module path");
	if (!m) error_from_python(err);
	gil_leave(g);
	return m;
}

static void py_free_module(void *module)
{
	gil_t g = gil_enter();
	Py_DECREF((PyObject *)module);
	gil_leave(g);
}

/* ------------------------------------------------------------------------------------ */
/* Entities                                                                              */

enum { K_CALL, K_GET, K_SET };

typedef struct {
	int kind;
	PyObject *target;  /* the callable (call) or the object holding the attribute */
	PyObject *name;    /* attribute or method name */
	PyObject *owner;   /* class defining the method: other classes dispatch by name */
	int instance, varargs, named_args;
	size_t np, nr;
	metaffi_type_info *params, *rets;
} py_entity;

static void *py_load_entity(void *module, const metaffi_path_item *path, size_t npath,
                            const metaffi_type_info *params, size_t np,
                            const metaffi_type_info *rets, size_t nr, metaffi_error *err)
{
	gil_t g = gil_enter();
	py_entity *e = NULL;
	/* Items arrive as C strings: whatever the caller checked, a key or value that is not
	 * UTF-8 text is refused here rather than read as something else. */
	PyObject *items = PyDict_New();
	for (size_t i = 0; items && i < npath; i++) {
		PyObject *k = path[i].key ? PyUnicode_FromString(path[i].key) : NULL;
		PyObject *v = !k ? NULL : path[i].value ? PyUnicode_FromString(path[i].value) : Py_NewRef(Py_None);
		if (!k || !v || PyDict_SetItem(items, k, v)) {
			if (!PyErr_Occurred()) PyErr_SetString(PyExc_TypeError, "an entity path item without a key");
			Py_CLEAR(items);
		}
		Py_XDECREF(k);
		Py_XDECREF(v);
	}
	PyObject *r = items ? PyObject_CallFunction(g_resolve, "OOnn", (PyObject *)module, items,
	                                            (Py_ssize_t)np, (Py_ssize_t)nr) : NULL;
	Py_XDECREF(items);
	if (!r) {
		error_from_python(err);
		goto out;
	}
	/* (kind, target, name, owner) */
	e = calloc(1, sizeof(py_entity) + (np + nr) * sizeof(metaffi_type_info));
	const char *kind = PyUnicode_AsUTF8(PyTuple_GetItem(r, 0));
	e->kind = strcmp(kind, "call") == 0 ? K_CALL : strcmp(kind, "get") == 0 ? K_GET : K_SET;
	e->target = Py_NewRef(PyTuple_GetItem(r, 1));
	PyObject *name = PyTuple_GetItem(r, 2), *owner = PyTuple_GetItem(r, 3);
	e->name = name == Py_None ? NULL : Py_NewRef(name);
	e->owner = owner == Py_None ? NULL : Py_NewRef(owner);
	Py_DECREF(r);
	e->instance = metaffi_path_value(path, npath, "instance_required") != NULL;
	e->varargs = metaffi_path_value(path, npath, "varargs") != NULL;
	e->named_args = metaffi_path_value(path, npath, "named_args") != NULL;
	e->np = np;
	e->nr = nr;
	e->params = (metaffi_type_info *)(e + 1);
	e->rets = e->params + np;
	memcpy(e->params, params, np * sizeof(metaffi_type_info));
	memcpy(e->rets, rets, nr * sizeof(metaffi_type_info));
	for (size_t i = 0; i < np + nr; i++) e->params[i].alias = NULL; /* not kept */
out:
	gil_leave(g);
	return e;
}

static void py_free_entity(void *p)
{
	py_entity *e = p;
	gil_t g = gil_enter();
	Py_XDECREF(e->target);
	Py_XDECREF(e->name);
	Py_XDECREF(e->owner);
	gil_leave(g);
	free(e);
}

static int store_results(py_entity *e, PyObject *result, cdt *rets, metaffi_error *err)
{
	if (e->nr == 0) return 0;
	if (e->nr == 1) {
		const metaffi_type_info *t = &e->rets[0];
		int dims = (t->type & MT_ARRAY) ? (t->dims > 0 ? t->dims : 1) : 0;
		if (py_to_cdt_typed(result, MT_ELEMENT(t->type), dims, 0, &rets[0], err)) {
			prefix_place(err, "return value");
			return -1;
		}
		return 0;
	}
	PyObject *seq = PySequence_Check(result) && !PyUnicode_Check(result) ? PySequence_Fast(result, "") : NULL;
	if (!seq || PySequence_Fast_GET_SIZE(seq) != (Py_ssize_t)e->nr) {
		PyErr_Clear();
		Py_XDECREF(seq);
		char msg[200];
		snprintf(msg, sizeof msg, "expected %zu return values (a tuple), Python returned %s", e->nr,
		         Py_TYPE(result)->tp_name);
		set_error(err, "TypeError", msg);
		return -1;
	}
	for (size_t i = 0; i < e->nr; i++) {
		const metaffi_type_info *t = &e->rets[i];
		int dims = (t->type & MT_ARRAY) ? (t->dims > 0 ? t->dims : 1) : 0;
		if (py_to_cdt_typed(PySequence_Fast_GET_ITEM(seq, i), MT_ELEMENT(t->type), dims, 0, &rets[i], err)) {
			char place[48];
			snprintf(place, sizeof place, "return value %zu", i + 1);
			prefix_place(err, place);
			for (size_t j = 0; j < i; j++) release_refs(&rets[j]);
			Py_DECREF(seq);
			return -1;
		}
	}
	Py_DECREF(seq);
	return 0;
}

/* A call that needs a tuple and maybe keywords: varargs, named_args, many arguments. */
static PyObject *call_general(PyObject *callable, PyObject **args, size_t n, int varargs,
                              int named_args, metaffi_error *err)
{
	PyObject *kwargs = NULL, *extra = NULL;
	if (named_args && n > 0) {
		PyObject *last = args[--n];
		if (last != Py_None && !PyDict_Check(last)) {
			type_error(err, "named arguments as an object (dict)", last);
			return NULL;
		}
		if (last != Py_None && PyDict_Size(last) > 0) kwargs = last;
	}
	if (varargs && n > 0) {
		extra = args[--n];
		if (extra == Py_None) extra = NULL;
	}
	Py_ssize_t nextra = extra ? PySequence_Size(extra) : 0;
	if (nextra < 0) {
		PyErr_Clear();
		type_error(err, "the variable arguments as an array", extra);
		return NULL;
	}
	PyObject *tuple = PyTuple_New((Py_ssize_t)n + nextra);
	if (!tuple) return NULL;
	for (size_t i = 0; i < n; i++) PyTuple_SET_ITEM(tuple, (Py_ssize_t)i, Py_NewRef(args[i]));
	for (Py_ssize_t i = 0; i < nextra; i++) PyTuple_SET_ITEM(tuple, (Py_ssize_t)n + i, PySequence_GetItem(extra, i));
	PyObject *r = PyObject_Call(callable, tuple, kwargs);
	Py_DECREF(tuple);
	return r;
}

static int py_xcall(void *p, cdt *params, size_t np, cdt *rets, size_t nr, metaffi_error *err)
{
	(void)nr;
	py_entity *e = p;
	PyObject *inline_stack[INLINE_ARGS + 1];
	PyObject **stack = np < INLINE_ARGS ? inline_stack : conv_alloc((np + 1) * sizeof(PyObject *), err);
	if (!stack) return -1;
	PyObject **args = stack + 1;
	size_t converted = 0;
	int rc = -1;
	gil_t g = gil_enter();
	if (!g_active) {
		set_error(err, "MetaFFIError", "the python3 runtime was released");
		goto out;
	}
	for (; converted < np; converted++) {
		const metaffi_type_info *t = &e->params[converted];
		int dims = (t->type & MT_ARRAY) ? (t->dims > 0 ? t->dims : 1) : 0;
		if (cdt_to_py(&params[converted], MT_ELEMENT(t->type), dims, 0, &args[converted], err)) {
			char place[48];
			snprintf(place, sizeof place, "argument %zu", converted + 1);
			prefix_place(err, place);
			goto out;
		}
	}
	PyObject *result = NULL;
	if (e->kind == K_CALL) {
		PyObject *callable = e->target;
		PyObject *bound = NULL;
		PyObject **call_args = args;
		size_t n = np;
		if (e->instance) {
			if (np == 0) {
				set_error(err, "TypeError", "instance_required: the first argument must be the object");
				goto out;
			}
			/* A subclass may override the method: dispatch by name unless the object's class
			 * is the one the method was loaded from. */
			if (e->owner && e->name && (PyObject *)Py_TYPE(args[0]) != e->owner) {
				bound = PyObject_GetAttr(args[0], e->name);
				if (!bound) {
					error_from_python(err);
					goto out;
				}
				callable = bound;
				call_args = args + 1;
				n = np - 1;
			}
		}
		if (e->varargs || e->named_args)
			result = call_general(callable, call_args, n, e->varargs, e->named_args, err);
		else
			result = PyObject_Vectorcall(callable, call_args, n | (call_args == args ? PY_VECTORCALL_ARGUMENTS_OFFSET : 0), NULL);
		Py_XDECREF(bound);
		if (!result) {
			if (PyErr_Occurred()) error_from_python(err);
			goto out;
		}
	} else if (e->kind == K_GET) {
		PyObject *obj = e->instance ? (np ? args[0] : NULL) : e->target;
		if (!obj) {
			set_error(err, "TypeError", "instance_required: the first argument must be the object");
			goto out;
		}
		result = PyObject_GetAttr(obj, e->name);
		if (!result) {
			error_from_python(err);
			goto out;
		}
	} else {
		PyObject *obj = e->instance ? args[0] : e->target;
		PyObject *value = e->instance ? args[1] : args[0];
		if (PyObject_SetAttr(obj, e->name, value)) {
			error_from_python(err);
			goto out;
		}
		result = Py_NewRef(Py_None);
	}
	rc = store_results(e, result, rets, err);
	Py_DECREF(result);
out:
	for (size_t i = 0; i < converted; i++) Py_DECREF(args[i]);
	gil_leave(g);
	return rc;
}

static int py_call_callable(void *callable, const cdt *params, size_t np, cdt **rets, size_t *nr,
                            metaffi_error *err)
{
	PyObject *inline_stack[INLINE_ARGS + 1];
	PyObject **stack = np < INLINE_ARGS ? inline_stack : conv_alloc((np + 1) * sizeof(PyObject *), err);
	if (!stack) return -1;
	PyObject **args = stack + 1;
	size_t converted = 0;
	int rc = -1;
	*rets = NULL;
	*nr = 0;
	gil_t g = gil_enter();
	if (!g_active) {
		set_error(err, "MetaFFIError", "the python3 runtime was released");
		goto out;
	}
	for (; converted < np; converted++) {
		if (cdt_to_py(&params[converted], MT_ANY, 0, 0, &args[converted], err)) {
			char place[48];
			snprintf(place, sizeof place, "argument %zu", converted + 1);
			prefix_place(err, place);
			goto out;
		}
	}
	PyObject *result = PyObject_Vectorcall(callable, args, np | PY_VECTORCALL_ARGUMENTS_OFFSET, NULL);
	if (!result) {
		error_from_python(err);
		goto out;
	}
	cdt *out = conv_alloc(sizeof(cdt), err);
	if (out && py_to_cdt_any(result, out, 0, err) == 0) {
		*rets = out;
		*nr = 1;
		rc = 0;
	} else {
		prefix_place(err, "return value");
	}
	Py_DECREF(result);
out:
	for (size_t i = 0; i < converted; i++) Py_DECREF(args[i]);
	gil_leave(g);
	return rc;
}

static void py_retain(void *val)
{
	if (!g_active) return;
	gil_t g = gil_enter();
	Py_INCREF((PyObject *)val);
	gil_leave(g);
}

static void py_release(void *val)
{
	if (!g_active) return;
	gil_t g = gil_enter();
	Py_DECREF((PyObject *)val);
	gil_leave(g);
}

static const char *py_describe(void *val)
{
	gil_t g = gil_enter();
	PyObject *t = (PyObject *)Py_TYPE((PyObject *)val);
	PyObject *mod = PyObject_GetAttrString(t, "__module__");
	PyObject *qual = PyObject_GetAttrString(t, "__qualname__");
	PyErr_Clear();
	char buf[512];
	const char *m = mod && PyUnicode_Check(mod) ? PyUnicode_AsUTF8(mod) : "";
	const char *q = qual && PyUnicode_Check(qual) ? PyUnicode_AsUTF8(qual) : "object";
	snprintf(buf, sizeof buf, "%s%s%s", m && *m && strcmp(m, "builtins") ? m : "",
	         m && *m && strcmp(m, "builtins") ? "." : "", q);
	Py_XDECREF(mod);
	Py_XDECREF(qual);
	gil_leave(g);
	return core->strdup(buf, strlen(buf));
}

static const metaffi_plugin g_plugin = {
	METAFFI_ABI_VERSION,
	RT_PYTHON3,
	"python3",
	MT_STRING8,
	py_load_runtime,
	py_free_runtime,
	py_load_module,
	py_free_module,
	py_load_entity,
	py_free_entity,
	py_xcall,
	py_call_callable,
	py_retain,
	py_release,
	py_describe,
	py_at_exit,
};

__attribute__((visibility("default"))) const metaffi_plugin *metaffi_plugin_get(void)
{
	return &g_plugin;
}
