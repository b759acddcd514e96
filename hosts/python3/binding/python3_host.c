/*
 * The Python host binding: CPython as the host, calling runtimes through XLLR. Built into the
 * python3 plugin's shared object, so it converts with the plugin's own functions
 * (py_to_cdt_typed, cdt_to_py): Python values have one conversion in the whole project, and
 * Python objects and functions lent to other runtimes are the plugin's (RT_PYTHON3) values.
 *
 * The metaffi package (hosts/python3/metaffi) opens this object with ctypes.PyDLL and calls
 * metaffi_python3_host_module(), which returns the module `metaffi._native`. The plugin runs
 * in host mode (config "host=1"): it attaches to the running interpreter.
 */
#include "python3_plugin.h"
#include "xllr.h"

static PyObject *g_error_class; /* metaffi.MetaFFIError: raised for XLLR's own errors */

static PyObject *raise_error(const char *fmt, ...)
{
	char msg[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	PyErr_SetString(g_error_class ? g_error_class : PyExc_RuntimeError, msg);
	return NULL;
}

static int runtime_arg(PyObject *o, uint32_t *rt)
{
	unsigned long v = PyLong_AsUnsignedLong(o);
	if (PyErr_Occurred()) return -1;
	if (v == RT_HOST || v >= RT_COUNT) {
		PyErr_SetString(PyExc_ValueError, "unknown runtime id");
		return -1;
	}
	*rt = (uint32_t)v;
	return 0;
}

/* ---- Modules ---------------------------------------------------------------------- */

typedef struct {
	PyObject_HEAD
	uint32_t rt;
	uint32_t generation;
	void *pmod;
} host_module;

static int stale(uint32_t rt, uint32_t generation)
{
	return !xllr_runtimes[rt].loaded || xllr_runtimes[rt].generation != generation;
}

static void host_module_dealloc(PyObject *self)
{
	host_module *m = (host_module *)self;
	if (m->pmod && !stale(m->rt, m->generation)) xllr_runtimes[m->rt].plugin->free_module(m->pmod);
	PyTypeObject *tp = Py_TYPE(self);
	PyObject_Free(self);
	Py_DECREF(tp);
}

static PyType_Slot host_module_slots[] = {
	{Py_tp_dealloc, host_module_dealloc},
	{Py_tp_doc, "A module loaded into a runtime (the native part of metaffi.MetaFFIModule)."},
	{0, NULL},
};
static PyType_Spec host_module_spec = {"metaffi._native.Module", sizeof(host_module), 0, Py_TPFLAGS_DEFAULT,
                                       host_module_slots};
static PyTypeObject *g_module_type;

/* ---- Entities --------------------------------------------------------------------- */

typedef struct {
	PyObject_HEAD
	vectorcallfunc vectorcall;
	uint32_t rt;
	uint32_t generation;
	const metaffi_plugin *plugin;
	void *pent;
	size_t np, nr;
	metaffi_type_info *types; /* params, then rets */
	char *name;
	char *signature; /* "(int64, string8)" for messages */
} host_entity;

static int dims_of(const metaffi_type_info *t)
{
	return (t->type & MT_ARRAY) ? (t->dims > 0 ? t->dims : 1) : 0;
}

static PyObject *entity_results(host_entity *e, cdt *rets)
{
	const metaffi_type_info *declared = e->types + e->np;
	const char *mismatch = check_results(declared, e->nr, rets, e->name, e->plugin->name);
	if (mismatch) return raise_error("%s", mismatch);
	PyObject *result = results_to_py(rets, e->nr, declared);
	for (size_t i = 0; i < e->nr; i++) release_refs(&rets[i]); /* converted: drop the owned refs */
	return result;
}

static PyObject *entity_vectorcall(PyObject *self, PyObject *const *args, size_t nargsf, PyObject *kwnames)
{
	host_entity *e = (host_entity *)self;
	size_t n = PyVectorcall_NARGS(nargsf);
	if (kwnames && PyTuple_GET_SIZE(kwnames) > 0) {
		PyErr_Format(PyExc_TypeError, "%s takes positional arguments only", e->name);
		return NULL;
	}
	if (n != e->np) {
		PyErr_Format(PyExc_TypeError, "%s expects %zu argument%s %s, got %zu", e->name, e->np,
		             e->np == 1 ? "" : "s", e->signature, n);
		return NULL;
	}
	if (!e->pent || stale(e->rt, e->generation))
		return raise_error("%s: the %s runtime was released; load the runtime, module and entity again", e->name,
		                   e->plugin->name);
	arena *ar = thread_arena();
	if (!ar) return PyErr_NoMemory();
	metaffi_mark mark = arena_mark_of(ar);
	cdt inline_cdts[INLINE_ARGS];
	size_t total = e->np + e->nr;
	cdt *cd = total <= INLINE_ARGS ? inline_cdts : arena_alloc(ar, total * sizeof(cdt));
	if (!cd) return PyErr_NoMemory();
	metaffi_error err = {0};
	for (size_t i = 0; i < e->np; i++) {
		const metaffi_type_info *t = &e->types[i];
		if (py_to_cdt_typed(args[i], MT_ELEMENT(t->type), dims_of(t), 0, &cd[i], &err)) {
			char place[48];
			snprintf(place, sizeof place, "%s: argument %zu", e->name, i + 1);
			prefix_place(&err, place);
			raise_conversion_error(&err);
			for (size_t j = 0; j < i; j++) release_refs(&cd[j]);
			arena_reset_to(ar, mark);
			return NULL;
		}
	}
	cdt *rets = cd + e->np;
	memset(rets, 0, e->nr * sizeof(cdt));
	int rc;
	if (e->rt == RT_PYTHON3) {
		rc = e->plugin->xcall(e->pent, cd, e->np, rets, e->nr, &err);
	} else {
		/* The GIL is free while the other runtime runs: Python threads go on, and a callback
		 * into Python from any thread takes it. */
		Py_BEGIN_ALLOW_THREADS
		rc = e->plugin->xcall(e->pent, cd, e->np, rets, e->nr, &err);
		Py_END_ALLOW_THREADS
	}
	for (size_t i = 0; i < e->np; i++) release_refs(&cd[i]); /* the callee only borrowed them */
	PyObject *result = NULL;
	if (rc) {
		if (!PyErr_Occurred()) raise_foreign(&err);
	} else {
		result = entity_results(e, rets);
	}
	arena_reset_to(ar, mark);
	return result;
}

static PyObject *entity_call(PyObject *self, PyObject *args, PyObject *kwargs)
{
	if (kwargs && PyDict_Size(kwargs) > 0) {
		PyErr_Format(PyExc_TypeError, "%s takes positional arguments only", ((host_entity *)self)->name);
		return NULL;
	}
	return entity_vectorcall(self, &PyTuple_GET_ITEM(args, 0), (size_t)PyTuple_GET_SIZE(args), NULL);
}

static void host_entity_dealloc(PyObject *self)
{
	host_entity *e = (host_entity *)self;
	if (e->pent && !stale(e->rt, e->generation)) e->plugin->free_entity(e->pent);
	free(e->types);
	free(e->name);
	free(e->signature);
	PyTypeObject *tp = Py_TYPE(self);
	PyObject_Free(self);
	Py_DECREF(tp);
}

static PyObject *host_entity_repr(PyObject *self)
{
	host_entity *e = (host_entity *)self;
	return PyUnicode_FromFormat("<%s entity %s%s>", e->plugin->name, e->name, e->signature);
}

static PyMemberDef host_entity_members[] = {
	{"__vectorcalloffset__", T_PYSSIZET, offsetof(host_entity, vectorcall), READONLY, NULL},
	{NULL, 0, 0, 0, NULL},
};

static PyType_Slot host_entity_slots[] = {
	{Py_tp_members, host_entity_members},
	{Py_tp_dealloc, host_entity_dealloc},
	{Py_tp_repr, host_entity_repr},
	{Py_tp_call, entity_call},
	{Py_tp_doc, "An entity of a foreign module, called like a Python function."},
	{0, NULL},
};
static PyType_Spec host_entity_spec = {"metaffi._native.Entity", sizeof(host_entity), 0,
                                       Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_VECTORCALL, host_entity_slots};
static PyTypeObject *g_entity_type;

/* ---- Module functions ------------------------------------------------------------- */

static PyObject *n_load_library(PyObject *self, PyObject *args)
{
	const char *path;
	if (!PyArg_ParseTuple(args, "s", &path)) return NULL;
	arena *ar = thread_arena();
	metaffi_mark mark = arena_mark_of(ar);
	metaffi_error err = {0};
	int rc = xllr_load_library(path, &err);
	if (rc) raise_error("%s", err.message);
	arena_reset_to(ar, mark);
	return rc ? NULL : Py_NewRef(Py_None);
}

static PyObject *n_start_runtime(PyObject *self, PyObject *args)
{
	PyObject *rto;
	const char *plugin, *config;
	uint32_t rt;
	if (!PyArg_ParseTuple(args, "Oss", &rto, &plugin, &config) || runtime_arg(rto, &rt)) return NULL;
	arena *ar = thread_arena();
	metaffi_mark mark = arena_mark_of(ar);
	metaffi_error err = {0};
	int opened = xllr_runtimes[rt].plugin != NULL, rc;
	Py_BEGIN_ALLOW_THREADS
	rc = xllr_start_runtime(rt, plugin, config, &err);
	Py_END_ALLOW_THREADS
	if (rc) {
		if (!opened && !xllr_runtimes[rt].plugin) raise_error("%s", err.message);
		else raise_error("cannot start the %s runtime: %s%s%s", xllr_runtime_name(rt), err.type ? err.type : "",
		                 err.type ? ": " : "", err.message ? err.message : "");
	}
	arena_reset_to(ar, mark);
	return rc ? NULL : Py_NewRef(Py_None);
}

static PyObject *n_stop_runtime(PyObject *self, PyObject *rto)
{
	uint32_t rt;
	if (runtime_arg(rto, &rt)) return NULL;
	arena *ar = thread_arena();
	metaffi_mark mark = arena_mark_of(ar);
	metaffi_error err = {0};
	int rc;
	Py_BEGIN_ALLOW_THREADS
	rc = xllr_stop_runtime(rt, &err);
	Py_END_ALLOW_THREADS
	if (rc) raise_error("releasing the %s runtime failed: %s", xllr_runtime_name(rt), err.message ? err.message : "");
	arena_reset_to(ar, mark);
	return rc ? NULL : Py_NewRef(Py_None);
}

static PyObject *n_is_loaded(PyObject *self, PyObject *rto)
{
	uint32_t rt;
	if (runtime_arg(rto, &rt)) return NULL;
	return PyBool_FromLong(xllr_runtimes[rt].loaded);
}

static PyObject *n_load_module(PyObject *self, PyObject *args)
{
	PyObject *rto;
	const char *path;
	uint32_t rt;
	if (!PyArg_ParseTuple(args, "Os", &rto, &path) || runtime_arg(rto, &rt)) return NULL;
	const xllr_runtime *x = &xllr_runtimes[rt];
	if (!x->loaded)
		return raise_error("the %s runtime is not loaded (or was released); call load_runtime_plugin() first",
		                   xllr_runtime_name(rt));
	arena *ar = thread_arena();
	metaffi_mark mark = arena_mark_of(ar);
	metaffi_error err = {0};
	void *pmod;
	Py_BEGIN_ALLOW_THREADS
	pmod = x->plugin->load_module(path, &err);
	Py_END_ALLOW_THREADS
	host_module *m = NULL;
	if (!pmod) {
		raise_error("cannot load %s module '%s': %s%s%s", x->plugin->name, path, err.type ? err.type : "",
		            err.type ? ": " : "", err.message ? err.message : "");
	} else {
		m = PyObject_New(host_module, g_module_type);
		if (m) {
			m->rt = rt;
			m->generation = x->generation;
			m->pmod = pmod;
		} else {
			x->plugin->free_module(pmod);
		}
	}
	arena_reset_to(ar, mark);
	return (PyObject *)m;
}

/* Copies a list of (type, dims) pairs into t[0..n). */
static int read_types(PyObject *list, metaffi_type_info *t, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned long long type;
		int dims;
		if (!PyArg_ParseTuple(PyList_GET_ITEM(list, (Py_ssize_t)i), "Ki", &type, &dims)) return -1;
		t[i].type = type;
		t[i].dims = dims;
		t[i].alias = NULL;
	}
	return 0;
}

/* load_entity(module, name, [(key, value or None)], [(type, dims)], [(type, dims)]) */
static PyObject *n_load_entity(PyObject *self, PyObject *args)
{
	PyObject *mo, *items, *params, *rets;
	const char *name, *signature;
	if (!PyArg_ParseTuple(args, "O!ssO!O!O!", g_module_type, &mo, &name, &signature, &PyList_Type, &items,
	                      &PyList_Type, &params, &PyList_Type, &rets))
		return NULL;
	host_module *m = (host_module *)mo;
	if (stale(m->rt, m->generation))
		return raise_error("the %s runtime of this module was released; load the runtime and module again",
		                   xllr_runtime_name(m->rt));
	size_t nitems = (size_t)PyList_GET_SIZE(items);
	size_t np = (size_t)PyList_GET_SIZE(params), nr = (size_t)PyList_GET_SIZE(rets);
	metaffi_path_item *path = calloc(nitems ? nitems : 1, sizeof(metaffi_path_item));
	metaffi_type_info *types = calloc(np + nr ? np + nr : 1, sizeof(metaffi_type_info));
	host_entity *e = NULL;
	if (!path || !types) {
		PyErr_NoMemory();
		goto out;
	}
	for (size_t i = 0; i < nitems; i++) {
		if (!PyArg_ParseTuple(PyList_GET_ITEM(items, (Py_ssize_t)i), "sz", &path[i].key, &path[i].value)) goto out;
	}
	if (read_types(params, types, np) || read_types(rets, types + np, nr)) goto out;
	const xllr_runtime *x = &xllr_runtimes[m->rt];
	arena *ar = thread_arena();
	metaffi_mark mark = arena_mark_of(ar);
	metaffi_error err = {0};
	void *pent;
	Py_BEGIN_ALLOW_THREADS
	pent = x->plugin->load_entity(m->pmod, path, nitems, types, np, types + np, nr, &err);
	Py_END_ALLOW_THREADS
	if (!pent) {
		raise_error("cannot load entity '%s': %s%s%s", name, err.type ? err.type : "", err.type ? ": " : "",
		            err.message ? err.message : "");
		arena_reset_to(ar, mark);
		goto out;
	}
	arena_reset_to(ar, mark);
	e = PyObject_New(host_entity, g_entity_type);
	if (!e) {
		x->plugin->free_entity(pent);
		goto out;
	}
	e->vectorcall = entity_vectorcall;
	e->rt = m->rt;
	e->generation = x->generation;
	e->plugin = x->plugin;
	e->pent = pent;
	e->np = np;
	e->nr = nr;
	e->types = types;
	e->name = strdup(name);
	e->signature = strdup(signature);
	types = NULL;
	if (!e->name || !e->signature) {
		Py_CLEAR(e);
		PyErr_NoMemory();
	}
out:
	free(path);
	free(types);
	return (PyObject *)e;
}

/* set_error_class(cls): the exception XLLR's own errors raise (metaffi.MetaFFIError). */
static PyObject *n_set_error_class(PyObject *self, PyObject *cls)
{
	Py_XSETREF(g_error_class, Py_NewRef(cls));
	return Py_NewRef(Py_None);
}

static PyObject *n_foreign_types(PyObject *self, PyObject *unused)
{
	if (!g_foreign_fn_type || !g_foreign_obj_type) return raise_error("the python3 plugin is not started");
	return Py_BuildValue("(OO)", (PyObject *)g_foreign_obj_type, (PyObject *)g_foreign_fn_type);
}

static PyMethodDef native_methods[] = {
	{"load_library", n_load_library, METH_VARARGS, "dlopen a library with RTLD_GLOBAL."},
	{"start_runtime", n_start_runtime, METH_VARARGS, "start_runtime(id, plugin, config)"},
	{"stop_runtime", n_stop_runtime, METH_O, "stop_runtime(id)"},
	{"is_loaded", n_is_loaded, METH_O, "is_loaded(id) -> bool"},
	{"load_module", n_load_module, METH_VARARGS, "load_module(id, path) -> Module"},
	{"load_entity", n_load_entity, METH_VARARGS,
	 "load_entity(module, name, signature, items, params, rets) -> Entity"},
	{"set_error_class", n_set_error_class, METH_O, "set_error_class(cls)"},
	{"foreign_types", n_foreign_types, METH_NOARGS, "(ForeignObject, ForeignCallable)"},
	{NULL, NULL, 0, NULL},
};

static struct PyModuleDef native_def = {
	PyModuleDef_HEAD_INIT, "metaffi._native", "The Python host binding (native part of the metaffi package).", -1,
	native_methods, NULL, NULL, NULL, NULL,
};

/* Called through ctypes.PyDLL (the GIL held): the module, or NULL with an exception set. */
__attribute__((visibility("default"))) PyObject *metaffi_python3_host_module(void)
{
	if (!g_module_type) g_module_type = (PyTypeObject *)PyType_FromSpec(&host_module_spec);
	if (!g_entity_type) g_entity_type = (PyTypeObject *)PyType_FromSpec(&host_entity_spec);
	if (!g_module_type || !g_entity_type) return NULL;
	return PyModule_Create(&native_def);
}
