/*
 * The python3 limit: a minimal hand-written Node-API addon that calls the benchmark's Python
 * functions (bench/fixtures/python/bench_mod.py) directly through the CPython C API, taking
 * the GIL for each call and releasing it after, as metaffi does. Everything is resolved in
 * init(); a call converts its arguments, calls, converts the result. No checks beyond what a
 * correct call needs: this is the floor metaffi is measured against, not a product.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#define NAPI_VERSION 8
#include <node_api.h>

#include <stdlib.h>
#include <string.h>

static PyThreadState *g_ts;
static PyObject *g_noop, *g_echo_int64, *g_echo_string, *g_sum, *g_echo_floats;
static PyObject *g_counter, *g_add_name, *g_call_callback, *g_echo_any, *g_fail;
static PyObject *g_trampoline;

/* The JS function the current callCallback() call passes to Python. */
static napi_env g_cb_env;
static napi_value g_cb_fn;

#define GIL_TAKE() PyEval_RestoreThread(g_ts)
#define GIL_DROP() (g_ts = PyEval_SaveThread())

static napi_value undefined_value(napi_env env)
{
	napi_value u;
	napi_get_undefined(env, &u);
	return u;
}

/* With the GIL held and a Python exception pending: throw it in JS as "Type: message". */
static napi_value throw_python(napi_env env)
{
	PyObject *type, *value, *tb;
	PyErr_Fetch(&type, &value, &tb);
	PyErr_NormalizeException(&type, &value, &tb);
	PyObject *s = value ? PyObject_Str(value) : NULL;
	const char *msg = s ? PyUnicode_AsUTF8(s) : NULL;
	char buf[512];
	snprintf(buf, sizeof buf, "%s: %s", type ? ((PyTypeObject *)type)->tp_name : "Error", msg ? msg : "");
	Py_XDECREF(s);
	Py_XDECREF(type);
	Py_XDECREF(value);
	Py_XDECREF(tb);
	PyErr_Clear();
	napi_throw_error(env, NULL, buf);
	return NULL;
}

/* Python calls this with the JS function of the current callCallback(): the GIL is released
 * while JS runs, as metaffi does for callbacks. */
static PyObject *trampoline(PyObject *self, PyObject *arg)
{
	(void)self;
	long long x = PyLong_AsLongLong(arg);
	if (x == -1 && PyErr_Occurred()) return NULL;
	PyThreadState *ts = PyEval_SaveThread();
	napi_value jx, undef, r;
	int64_t out = 0;
	napi_create_int64(g_cb_env, x, &jx);
	napi_get_undefined(g_cb_env, &undef);
	napi_status st = napi_call_function(g_cb_env, undef, g_cb_fn, 1, &jx, &r);
	if (st == napi_ok) st = napi_get_value_int64(g_cb_env, r, &out);
	PyEval_RestoreThread(ts);
	if (st != napi_ok) {
		PyErr_SetString(PyExc_RuntimeError, "the JS callback failed");
		return NULL;
	}
	return PyLong_FromLongLong(out);
}

static PyMethodDef g_trampoline_def = {"js_callback", trampoline, METH_O, NULL};

static PyObject *attr(PyObject *mod, const char *name)
{
	PyObject *o = PyObject_GetAttrString(mod, name);
	return o;
}

/* init(pythonExecutable, moduleFolder) */
static napi_value n_init(napi_env env, napi_callback_info info)
{
	size_t argc = 2;
	napi_value a[2];
	napi_get_cb_info(env, info, &argc, a, NULL, NULL);
	char program[4096], folder[4096];
	size_t len;
	if (argc < 2 || napi_get_value_string_utf8(env, a[0], program, sizeof program, &len) != napi_ok ||
	    napi_get_value_string_utf8(env, a[1], folder, sizeof folder, &len) != napi_ok) {
		napi_throw_type_error(env, NULL, "init(pythonExecutable, moduleFolder)");
		return NULL;
	}
	if (!Py_IsInitialized()) {
		PyConfig cfg;
		PyConfig_InitPythonConfig(&cfg);
		cfg.install_signal_handlers = 0;
		cfg.parse_argv = 0;
		PyStatus st = PyConfig_SetBytesString(&cfg, &cfg.program_name, program);
		if (!PyStatus_Exception(st)) st = Py_InitializeFromConfig(&cfg);
		PyConfig_Clear(&cfg);
		if (PyStatus_Exception(st)) {
			napi_throw_error(env, NULL, "Python failed to initialize");
			return NULL;
		}
	} else {
		PyGILState_Ensure();
	}
	PyObject *path = PySys_GetObject("path"); /* borrowed */
	PyObject *dir = PyUnicode_FromString(folder);
	PyList_Insert(path, 0, dir);
	Py_DECREF(dir);
	PyObject *mod = PyImport_ImportModule("bench_mod");
	if (!mod) {
		napi_value r = throw_python(env);
		g_ts = PyEval_SaveThread();
		return r;
	}
	g_noop = attr(mod, "noop");
	g_echo_int64 = attr(mod, "echo_int64");
	g_echo_string = attr(mod, "echo_string");
	g_sum = attr(mod, "sum_floats");
	g_echo_floats = attr(mod, "echo_floats");
	g_counter = attr(mod, "Counter");
	g_call_callback = attr(mod, "call_callback");
	g_echo_any = attr(mod, "echo_any");
	g_fail = attr(mod, "fail");
	g_add_name = PyUnicode_InternFromString("add");
	g_trampoline = PyCFunction_New(&g_trampoline_def, NULL);
	Py_DECREF(mod);
	int ok = g_noop && g_echo_int64 && g_echo_string && g_sum && g_echo_floats && g_counter &&
	         g_call_callback && g_echo_any && g_fail && g_add_name && g_trampoline;
	if (!ok) {
		napi_value r = throw_python(env);
		g_ts = PyEval_SaveThread();
		return r;
	}
	char version[64];
	snprintf(version, sizeof version, "%s", Py_GetVersion());
	char *sp = strchr(version, ' ');
	if (sp) *sp = 0;
	g_ts = PyEval_SaveThread();
	napi_value v;
	napi_create_string_utf8(env, version, NAPI_AUTO_LENGTH, &v);
	return v;
}

static napi_value n_noop(napi_env env, napi_callback_info info)
{
	(void)info;
	GIL_TAKE();
	PyObject *r = PyObject_Vectorcall(g_noop, NULL, 0, NULL);
	if (!r) {
		napi_value e = throw_python(env);
		GIL_DROP();
		return e;
	}
	Py_DECREF(r);
	GIL_DROP();
	return undefined_value(env);
}

static napi_value n_echo_int64(napi_env env, napi_callback_info info)
{
	size_t argc = 1;
	napi_value a;
	napi_get_cb_info(env, info, &argc, &a, NULL, NULL);
	int64_t x;
	if (napi_get_value_int64(env, a, &x) != napi_ok) {
		napi_throw_type_error(env, NULL, "expected a number");
		return NULL;
	}
	GIL_TAKE();
	PyObject *arg[2] = {NULL, PyLong_FromLongLong(x)};
	PyObject *r = PyObject_Vectorcall(g_echo_int64, arg + 1, 1 | PY_VECTORCALL_ARGUMENTS_OFFSET, NULL);
	Py_DECREF(arg[1]);
	if (!r) {
		napi_value e = throw_python(env);
		GIL_DROP();
		return e;
	}
	long long y = PyLong_AsLongLong(r);
	Py_DECREF(r);
	GIL_DROP();
	napi_value out;
	napi_create_int64(env, y, &out);
	return out;
}

static napi_value n_echo_string(napi_env env, napi_callback_info info)
{
	size_t argc = 1;
	napi_value a;
	napi_get_cb_info(env, info, &argc, &a, NULL, NULL);
	char stackbuf[256];
	char *buf = stackbuf;
	size_t len;
	if (napi_get_value_string_utf8(env, a, buf, sizeof stackbuf, &len) != napi_ok) {
		napi_throw_type_error(env, NULL, "expected a string");
		return NULL;
	}
	if (len >= sizeof stackbuf - 1) { /* may be cut: measure and read it whole */
		napi_get_value_string_utf8(env, a, NULL, 0, &len);
		buf = malloc(len + 1);
		napi_get_value_string_utf8(env, a, buf, len + 1, &len);
	}
	GIL_TAKE();
	PyObject *arg[2] = {NULL, PyUnicode_DecodeUTF8(buf, (Py_ssize_t)len, "surrogatepass")};
	if (buf != stackbuf) free(buf);
	PyObject *r = arg[1] ? PyObject_Vectorcall(g_echo_string, arg + 1, 1 | PY_VECTORCALL_ARGUMENTS_OFFSET, NULL) : NULL;
	Py_XDECREF(arg[1]);
	Py_ssize_t n;
	const char *u = r ? PyUnicode_AsUTF8AndSize(r, &n) : NULL;
	if (!u) {
		Py_XDECREF(r);
		napi_value e = throw_python(env);
		GIL_DROP();
		return e;
	}
	napi_value out;
	napi_create_string_utf8(env, u, (size_t)n, &out);
	Py_DECREF(r);
	GIL_DROP();
	return out;
}

/* A Python list of floats from a JS array (element by element) or a Float64Array. */
static PyObject *floats_from_js(napi_env env, napi_value v)
{
	bool is_typed = false;
	napi_is_typedarray(env, v, &is_typed);
	if (is_typed) {
		napi_typedarray_type tt;
		size_t n;
		void *data;
		napi_get_typedarray_info(env, v, &tt, &n, &data, NULL, NULL);
		const double *d = data;
		PyObject *list = PyList_New((Py_ssize_t)n);
		for (size_t i = 0; list && i < n; i++) PyList_SET_ITEM(list, (Py_ssize_t)i, PyFloat_FromDouble(d[i]));
		return list;
	}
	uint32_t n = 0;
	napi_get_array_length(env, v, &n);
	PyObject *list = PyList_New(n);
	for (uint32_t i = 0; list && i < n; i++) {
		napi_value e;
		double d = 0;
		napi_get_element(env, v, i, &e);
		napi_get_value_double(env, e, &d);
		PyList_SET_ITEM(list, (Py_ssize_t)i, PyFloat_FromDouble(d));
	}
	return list;
}

static PyObject *call1(PyObject *fn, PyObject *arg)
{
	PyObject *args[2] = {NULL, arg};
	return PyObject_Vectorcall(fn, args + 1, 1 | PY_VECTORCALL_ARGUMENTS_OFFSET, NULL);
}

static napi_value n_sum(napi_env env, napi_callback_info info)
{
	size_t argc = 1;
	napi_value a;
	napi_get_cb_info(env, info, &argc, &a, NULL, NULL);
	GIL_TAKE();
	PyObject *list = floats_from_js(env, a);
	PyObject *r = list ? call1(g_sum, list) : NULL;
	Py_XDECREF(list);
	if (!r) {
		napi_value e = throw_python(env);
		GIL_DROP();
		return e;
	}
	double d = PyFloat_AsDouble(r);
	Py_DECREF(r);
	GIL_DROP();
	napi_value out;
	napi_create_double(env, d, &out);
	return out;
}

/* echoFloats(arrayOrFloat64Array): the result has the kind of the argument. */
static napi_value n_echo_floats(napi_env env, napi_callback_info info)
{
	size_t argc = 1;
	napi_value a;
	napi_get_cb_info(env, info, &argc, &a, NULL, NULL);
	bool typed = false;
	napi_is_typedarray(env, a, &typed);
	GIL_TAKE();
	PyObject *list = floats_from_js(env, a);
	PyObject *r = list ? call1(g_echo_floats, list) : NULL;
	Py_XDECREF(list);
	if (!r || !PyList_Check(r)) {
		Py_XDECREF(r);
		napi_value e = throw_python(env);
		GIL_DROP();
		return e;
	}
	Py_ssize_t n = PyList_GET_SIZE(r);
	napi_value out;
	if (typed) {
		void *data;
		napi_value ab;
		napi_create_arraybuffer(env, (size_t)n * sizeof(double), &data, &ab);
		double *d = data;
		for (Py_ssize_t i = 0; i < n; i++) d[i] = PyFloat_AsDouble(PyList_GET_ITEM(r, i));
		napi_create_typedarray(env, napi_float64_array, (size_t)n, ab, 0, &out);
	} else {
		napi_create_array_with_length(env, (size_t)n, &out);
		for (Py_ssize_t i = 0; i < n; i++) {
			napi_value e;
			napi_create_double(env, PyFloat_AsDouble(PyList_GET_ITEM(r, i)), &e);
			napi_set_element(env, out, (uint32_t)i, e);
		}
	}
	Py_DECREF(r);
	GIL_DROP();
	return out;
}

/* Objects: an external holding a box with the Python reference (released explicitly or when
 * the external is collected). */
typedef struct {
	PyObject *obj;
} pybox;

static void box_finalize(napi_env env, void *data, void *hint)
{
	(void)env;
	(void)hint;
	pybox *b = data;
	if (b->obj) {
		GIL_TAKE();
		Py_DECREF(b->obj);
		GIL_DROP();
	}
	free(b);
}

static napi_value n_counter_new(napi_env env, napi_callback_info info)
{
	(void)info;
	GIL_TAKE();
	PyObject *o = PyObject_Vectorcall(g_counter, NULL, 0, NULL);
	if (!o) {
		napi_value e = throw_python(env);
		GIL_DROP();
		return e;
	}
	GIL_DROP();
	pybox *b = malloc(sizeof *b);
	b->obj = o;
	napi_value out;
	napi_create_external(env, b, box_finalize, NULL, &out);
	return out;
}

static napi_value n_counter_add(napi_env env, napi_callback_info info)
{
	size_t argc = 2;
	napi_value a[2];
	napi_get_cb_info(env, info, &argc, a, NULL, NULL);
	pybox *b;
	int64_t k;
	if (napi_get_value_external(env, a[0], (void **)&b) != napi_ok || !b->obj ||
	    napi_get_value_int64(env, a[1], &k) != napi_ok) {
		napi_throw_type_error(env, NULL, "counterAdd(counter, number)");
		return NULL;
	}
	GIL_TAKE();
	PyObject *args[2] = {b->obj, PyLong_FromLongLong(k)};
	PyObject *r = PyObject_VectorcallMethod(g_add_name, args, 2 | PY_VECTORCALL_ARGUMENTS_OFFSET, NULL);
	Py_DECREF(args[1]);
	if (!r) {
		napi_value e = throw_python(env);
		GIL_DROP();
		return e;
	}
	long long y = PyLong_AsLongLong(r);
	Py_DECREF(r);
	GIL_DROP();
	napi_value out;
	napi_create_int64(env, y, &out);
	return out;
}

static napi_value n_release(napi_env env, napi_callback_info info)
{
	size_t argc = 1;
	napi_value a;
	napi_get_cb_info(env, info, &argc, &a, NULL, NULL);
	pybox *b;
	if (napi_get_value_external(env, a, (void **)&b) == napi_ok && b->obj) {
		GIL_TAKE();
		Py_CLEAR(b->obj);
		GIL_DROP();
	}
	return undefined_value(env);
}

/* callCallback(fn, x): Python's call_callback(f, x) calls f(x), f being fn. */
static napi_value n_call_callback(napi_env env, napi_callback_info info)
{
	size_t argc = 2;
	napi_value a[2];
	napi_get_cb_info(env, info, &argc, a, NULL, NULL);
	int64_t x;
	napi_get_value_int64(env, a[1], &x);
	napi_env prev_env = g_cb_env;
	napi_value prev_fn = g_cb_fn;
	g_cb_env = env;
	g_cb_fn = a[0];
	GIL_TAKE();
	PyObject *args[3] = {NULL, g_trampoline, PyLong_FromLongLong(x)};
	PyObject *r = PyObject_Vectorcall(g_call_callback, args + 1, 2 | PY_VECTORCALL_ARGUMENTS_OFFSET, NULL);
	Py_DECREF(args[2]);
	g_cb_env = prev_env;
	g_cb_fn = prev_fn;
	if (!r) {
		napi_value e = throw_python(env);
		GIL_DROP();
		return e;
	}
	long long y = PyLong_AsLongLong(r);
	Py_DECREF(r);
	GIL_DROP();
	napi_value out;
	napi_create_int64(env, y, &out);
	return out;
}

/* echoAny(x) for numbers and strings: the natural Python value and back. */
static napi_value n_echo_any(napi_env env, napi_callback_info info)
{
	size_t argc = 1;
	napi_value a;
	napi_get_cb_info(env, info, &argc, &a, NULL, NULL);
	napi_valuetype t;
	napi_typeof(env, a, &t);
	char buf[256];
	size_t len = 0;
	double d = 0;
	if (t == napi_number) napi_get_value_double(env, a, &d);
	else if (t == napi_string) napi_get_value_string_utf8(env, a, buf, sizeof buf, &len);
	else {
		napi_throw_type_error(env, NULL, "echoAny takes a number or a string");
		return NULL;
	}
	GIL_TAKE();
	PyObject *arg;
	if (t == napi_string) arg = PyUnicode_DecodeUTF8(buf, (Py_ssize_t)len, "surrogatepass");
	else if (d == (double)(long long)d) arg = PyLong_FromLongLong((long long)d);
	else arg = PyFloat_FromDouble(d);
	PyObject *r = call1(g_echo_any, arg);
	Py_DECREF(arg);
	napi_value out = NULL;
	if (r && PyLong_Check(r)) {
		napi_create_int64(env, PyLong_AsLongLong(r), &out);
	} else if (r && PyFloat_Check(r)) {
		napi_create_double(env, PyFloat_AS_DOUBLE(r), &out);
	} else if (r && PyUnicode_Check(r)) {
		Py_ssize_t n;
		const char *u = PyUnicode_AsUTF8AndSize(r, &n);
		napi_create_string_utf8(env, u, (size_t)n, &out);
	} else if (r) {
		out = undefined_value(env);
	} else {
		out = throw_python(env);
	}
	Py_XDECREF(r);
	GIL_DROP();
	return out;
}

static napi_value n_fail(napi_env env, napi_callback_info info)
{
	(void)info;
	GIL_TAKE();
	PyObject *r = PyObject_Vectorcall(g_fail, NULL, 0, NULL);
	napi_value out = r ? undefined_value(env) : throw_python(env);
	Py_XDECREF(r);
	GIL_DROP();
	return out;
}

NAPI_MODULE_INIT()
{
	napi_property_descriptor props[] = {
		{"init", NULL, n_init, NULL, NULL, NULL, napi_default, NULL},
		{"noop", NULL, n_noop, NULL, NULL, NULL, napi_default, NULL},
		{"echoInt64", NULL, n_echo_int64, NULL, NULL, NULL, napi_default, NULL},
		{"echoString", NULL, n_echo_string, NULL, NULL, NULL, napi_default, NULL},
		{"sumFloats", NULL, n_sum, NULL, NULL, NULL, napi_default, NULL},
		{"echoFloats", NULL, n_echo_floats, NULL, NULL, NULL, napi_default, NULL},
		{"counterNew", NULL, n_counter_new, NULL, NULL, NULL, napi_default, NULL},
		{"counterAdd", NULL, n_counter_add, NULL, NULL, NULL, napi_default, NULL},
		{"release", NULL, n_release, NULL, NULL, NULL, napi_default, NULL},
		{"callCallback", NULL, n_call_callback, NULL, NULL, NULL, napi_default, NULL},
		{"echoAny", NULL, n_echo_any, NULL, NULL, NULL, napi_default, NULL},
		{"fail", NULL, n_fail, NULL, NULL, NULL, napi_default, NULL},
	};
	napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
	return exports;
}
