/*
 * The python3 runtime plugin: CPython embedded through its C API. Built against the
 * headers of the Python found at install time (or at run time, for another version) and
 * loaded after that Python's libpython, which the core opens with RTLD_GLOBAL.
 *
 * Module loading, entity-path resolution and traceback formatting live in the Python
 * helper (runtimes/python3/helpers/metaffi_python_helper.py); the call path is here.
 *
 * This header is internal to the plugin: what its files share. Built with
 * -fvisibility=hidden, so nothing here is exported; only metaffi_plugin_get is.
 */
#ifndef METAFFI_PYTHON3_PLUGIN_H
#define METAFFI_PYTHON3_PLUGIN_H

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

extern const metaffi_core *core;
extern PyThreadState *g_js_tstate;
extern __thread int tls_is_js_thread __attribute__((tls_model("initial-exec")));
extern int g_active;
extern PyObject *g_helper;
extern PyObject *g_load_module, *g_resolve, *g_format_exception;
extern PyObject *g_getline;
extern PyObject *g_notes_name;
extern PyObject *g_js_error;
extern PyObject *g_foreign_error;
extern PyObject *g_metaffi_error;
extern PyTypeObject *g_foreign_fn_type, *g_foreign_obj_type;
extern PyType_Spec foreign_fn_spec;
extern PyType_Spec foreign_obj_spec;
extern size_t g_path[METAFFI_MAX_DEPTH + 1];

typedef struct {
	int js;
	PyGILState_STATE state;
} gil_t;

typedef struct {
	PyObject_HEAD
	vectorcallfunc vectorcall;
	uint32_t runtime;
	void *val;
} foreign_ref;

void set_error(metaffi_error *err, const char *type, const char *msg);
void error_from_python(metaffi_error *err);
void raise_foreign(const metaffi_error *err);
PyObject *foreign_ref_new(PyTypeObject *type, uint32_t runtime, void *val, int retain);
void release_refs(const cdt *v);
void prefix_index(metaffi_error *err, size_t i);
int too_deep(int depth, metaffi_error *err);

/* An array or map at depth METAFFI_MAX_DEPTH is one level too many (see to_python.c). */
#define CHECK_DEPTH(depth, err) \
	do { if ((depth) >= METAFFI_MAX_DEPTH) return too_deep((depth), (err)); } while (0)

void prefix_place(metaffi_error *err, const char *place);
int python_failed(metaffi_error *err);
void *conv_alloc(size_t size, metaffi_error *err);
void raise_conversion_error(const metaffi_error *err);
int cdt_to_py(const cdt *v, uint64_t want, int dims, int depth, PyObject **out, metaffi_error *err);
PyObject *results_to_py(const cdt *rets, size_t nr, const metaffi_type_info *types);
int type_error(metaffi_error *err, const char *expected, PyObject *got);
int py_to_cdt_any(PyObject *o, cdt *out, int depth, metaffi_error *err);
int py_to_cdt_typed(PyObject *o, uint64_t type, int dims, int depth, cdt *out, metaffi_error *err);
int py_load_runtime(const metaffi_core *c, const char *config, metaffi_error *err);
int py_free_runtime(metaffi_error *err);
void py_at_exit(void);
void *py_load_module(const char *path, metaffi_error *err);
void py_free_module(void *module);

extern __thread int tls_tstate_kept __attribute__((tls_model("initial-exec")));
PyGILState_STATE gil_ensure_first(void);

static inline gil_t gil_enter(void)
{
	gil_t g;
	if (tls_is_js_thread && g_js_tstate) {
		PyEval_RestoreThread(g_js_tstate);
		g.js = 1;
	} else {
		g.state = tls_tstate_kept ? PyGILState_Ensure() : gil_ensure_first();
		g.js = 0;
	}
	return g;
}

static inline void gil_leave(gil_t g)
{
	if (g.js) PyEval_SaveThread();
	else PyGILState_Release(g.state);
}

#endif
