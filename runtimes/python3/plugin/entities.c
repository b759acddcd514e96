/* The python3 runtime plugin: Entities: loading, calling, retaining and releasing; the plugin table. */
#include "python3_plugin.h"

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
	/* params/rets are NULL when there are none: memcpy must not see them */
	if (np) memcpy(e->params, params, np * sizeof(metaffi_type_info));
	if (nr) memcpy(e->rets, rets, nr * sizeof(metaffi_type_info));
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
