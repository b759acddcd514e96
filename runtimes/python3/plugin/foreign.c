/* The python3 runtime plugin: Values of other runtimes inside Python: the ForeignCallable and ForeignObject types. */
#include "python3_plugin.h"

/* ------------------------------------------------------------------------------------ */
/* Values of other runtimes inside Python: ForeignCallable and ForeignObject.              */

#if PY_VERSION_HEX >= 0x03090000
static PyObject *foreign_fn_vectorcall(PyObject *self, PyObject *const *args, size_t nargsf,
                                       PyObject *kwnames);
#endif

PyObject *foreign_ref_new(PyTypeObject *type, uint32_t runtime, void *val, int retain)
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
void release_refs(const cdt *v)
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
	if (g_active && r->val) core->release(r->runtime, r->val);
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
	if (!r->val) {
		PyErr_SetString(g_metaffi_error, "this foreign function was released");
		return NULL;
	}
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
	if (rc) raise_foreign(&err);
	else result = results_to_py(rets, nr, NULL);
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

/* release(): drop the foreign reference now rather than when Python collects the object;
 * using it afterwards is an error. Releasing twice does nothing. */
static PyObject *foreign_ref_release(PyObject *self, PyObject *unused)
{
	foreign_ref *r = (foreign_ref *)self;
	void *val = r->val;
	r->val = NULL;
	if (val && g_active) core->release(r->runtime, val);
	return Py_NewRef(Py_None);
}

static PyObject *foreign_ref_released(PyObject *self, void *unused)
{
	return PyBool_FromLong(((foreign_ref *)self)->val == NULL);
}

static PyObject *foreign_ref_runtime(PyObject *self, void *unused)
{
	uint32_t rt = ((foreign_ref *)self)->runtime;
	return PyUnicode_FromString(rt == RT_HOST ? "host" : rt == RT_OPENJDK ? "openjdk" : rt == RT_GO ? "go" : "python3");
}

static PyMethodDef foreign_ref_methods[] = {
	{"release", foreign_ref_release, METH_NOARGS, "Drop the foreign reference now; later use is an error."},
	{NULL, NULL, 0, NULL},
};

static PyGetSetDef foreign_ref_getset[] = {
	{"released", foreign_ref_released, NULL, "Whether release() was called.", NULL},
	{"runtime", foreign_ref_runtime, NULL, "The runtime that owns the object: 'openjdk', 'go', ...", NULL},
	{NULL, NULL, NULL, NULL, NULL},
};

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
	{Py_tp_methods, foreign_ref_methods},
	{Py_tp_getset, foreign_ref_getset},
	{Py_tp_dealloc, foreign_ref_dealloc},
	{Py_tp_repr, foreign_ref_repr},
	{Py_tp_call, foreign_fn_call},
	{Py_tp_doc, "A function of another runtime (JavaScript, Java or Go) called from Python."},
	{0, NULL},
};

static PyType_Slot foreign_obj_slots[] = {
	{Py_tp_methods, foreign_ref_methods},
	{Py_tp_getset, foreign_ref_getset},
	{Py_tp_dealloc, foreign_ref_dealloc},
	{Py_tp_repr, foreign_ref_repr},
	{Py_tp_doc, "An object of another runtime (JavaScript, Java or Go), opaque in Python."},
	{0, NULL},
};

PyType_Spec foreign_fn_spec = {"metaffi.ForeignCallable", sizeof(foreign_ref), 0,
                                      FOREIGN_FN_FLAGS, foreign_fn_slots};
PyType_Spec foreign_obj_spec = {"metaffi.ForeignObject", sizeof(foreign_ref), 0,
                                       Py_TPFLAGS_DEFAULT, foreign_obj_slots};
