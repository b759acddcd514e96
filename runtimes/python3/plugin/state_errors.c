/* The python3 runtime plugin: Plugin state, the GIL and errors (Python exceptions -> metaffi_error). */
#include "python3_plugin.h"

const metaffi_core *core;
PyThreadState *g_js_tstate; /* the JS thread's thread state */
/* Set on the JS thread only (where g_js_tstate belongs): a thread-local flag instead of
 * pthread_self/pthread_equal on every call; initial-exec, so reading it is one load. */
__thread int tls_is_js_thread __attribute__((tls_model("initial-exec")));

/* Other threads (async pool threads, Java threads, goroutines' threads) keep the Python thread
 * state that PyGILState_Ensure makes for them, instead of having it made and destroyed on every
 * call: one more Ensure, released when the thread ends. */
__thread int tls_tstate_kept __attribute__((tls_model("initial-exec")));
static pthread_key_t g_kept_key;
static pthread_once_t g_kept_once = PTHREAD_ONCE_INIT;

/* At the thread's end (the value is its kept thread state): delete it. Through the pointer kept
 * here, not PyGILState_*: Python's own record of the thread's state may be gone by now. */
static void release_kept_state(void *kept)
{
	PyThreadState *ts = kept;
#if PY_VERSION_HEX >= 0x030D0000
	int finalizing = Py_IsFinalizing();
#else
	int finalizing = _Py_IsFinalizing();
#endif
	if (!Py_IsInitialized() || finalizing) return; /* the interpreter is going: leave it */
	PyEval_RestoreThread(ts);
	PyThreadState_Clear(ts);
#if PY_VERSION_HEX >= 0x03090000
	PyThreadState_DeleteCurrent(); /* and the GIL is released */
#else
	PyEval_ReleaseThread(ts);
	PyThreadState_Delete(ts);
#endif
}

static void kept_key_init(void) { pthread_key_create(&g_kept_key, release_kept_state); }

/* The first PyGILState_Ensure of a thread. A thread that had no Python thread state keeps the
 * one made now; threads Python made itself (its main thread, threading.Thread) keep theirs as
 * Python manages them. */
PyGILState_STATE gil_ensure_first(void)
{
	int fresh = PyGILState_GetThisThreadState() == NULL;
	PyGILState_STATE s = PyGILState_Ensure();
	if (fresh) {
		pthread_once(&g_kept_once, kept_key_init);
		(void)PyGILState_Ensure(); /* the GIL is held: only the count goes up, the state stays */
		pthread_setspecific(g_kept_key, PyThreadState_Get());
	}
	tls_tstate_kept = 1;
	return s;
}
int g_active;
PyObject *g_helper;         /* the helper module */
PyObject *g_load_module, *g_resolve, *g_format_exception;
PyObject *g_getline;        /* linecache.getline */
PyObject *g_notes_name;     /* "__notes__" */
PyObject *g_js_error;       /* helper.JSError: a JS exception raised inside Python */
PyObject *g_foreign_error;  /* helper.ForeignError: an error from another runtime */
PyObject *g_metaffi_error;  /* helper.MetaFFIError: a value that cannot cross */
PyTypeObject *g_foreign_fn_type, *g_foreign_obj_type;

/* ------------------------------------------------------------------------------------ */
/* The GIL: held only while Python code runs.                                            */

/* ------------------------------------------------------------------------------------ */
/* Errors                                                                                */

void set_error(metaffi_error *err, const char *type, const char *msg)
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
void error_from_python(metaffi_error *err)
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
void raise_foreign(const metaffi_error *err)
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
