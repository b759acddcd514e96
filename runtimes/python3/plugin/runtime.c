/* The python3 runtime plugin: Loading and unloading the runtime. */
#include "python3_plugin.h"

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

/* config: lines of key=value: program (the python executable), helper (helper file), and
 * host=1 when CPython is the host (the metaffi package): the interpreter is already running,
 * and every thread, the host's main thread included, takes the GIL with PyGILState_Ensure. */
int py_load_runtime(const metaffi_core *c, const char *config, metaffi_error *err)
{
	core = c;
	char program[4096], helper[4096], host[8];
	if (!config_value(config, "helper", helper, sizeof helper)) {
		set_error(err, "MetaFFIError", "the python3 plugin needs the helper path in its configuration");
		return -1;
	}
	int python_is_host = config_value(config, "host", host, sizeof host) && strcmp(host, "1") == 0;
	if (python_is_host) {
		if (!Py_IsInitialized()) {
			set_error(err, "MetaFFIError", "host=1, but no Python interpreter runs in this process");
			return -1;
		}
	} else if (!Py_IsInitialized()) {
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
int py_free_runtime(metaffi_error *err)
{
	(void)err;
	g_active = 0;
	return 0;
}

void py_at_exit(void)
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

void *py_load_module(const char *path, metaffi_error *err)
{
	gil_t g = gil_enter();
	PyObject *m = path ? PyObject_CallFunction(g_load_module, "s", path) : NULL;
	if (!path) PyErr_SetString(PyExc_TypeError, "no module path");
	if (!m) error_from_python(err);
	gil_leave(g);
	return m;
}

void py_free_module(void *module)
{
	gil_t g = gil_enter();
	Py_DECREF((PyObject *)module);
	gil_leave(g);
}
