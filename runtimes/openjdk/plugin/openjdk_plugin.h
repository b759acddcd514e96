/*
 * The openjdk runtime plugin: a JVM in this process through JNI. libjvm is found at run
 * time (src/runtimes/openjdk/) and opened here; one JVM per process, created on first
 * use on the JS thread. Module loading, entity resolution and overload choice live in the
 * Java helper (runtimes/openjdk/bridge/metaffi/jvm/Bridge.java); the call path and the common conversions
 * are here.
 *
 * References: every Java object held by another runtime is a `jref` (one JNI global
 * reference with a count). Local references made during a call are freed by a local
 * frame around the call (or deleted one by one in loops), on every path.
 *
 * This header is internal to the plugin: what its files share. Built with
 * -fvisibility=hidden, so nothing here is exported; only metaffi_plugin_get is.
 */
#ifndef METAFFI_OPENJDK_PLUGIN_H
#define METAFFI_OPENJDK_PLUGIN_H

#include <jni.h>

#include <dlfcn.h>
#include <float.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "metaffi.h"

#define INLINE_ARGS 16

/* Kinds of Java types; the same numbers as in Bridge.java. */
enum {
	K_VOID = 0, K_Z = 1, K_B = 2, K_C = 3, K_S = 4, K_I = 5, K_J = 6, K_F = 7, K_D = 8,
	K_STRING = 9, K_BOX = 10, /* K_BOX + primitive kind - 1: Boolean .. Double */
	K_ARRAY = 18, K_FUNC = 19, K_OBJECT = 20, K_FOREIGN = 21,
	K_PRIM_ARRAY = 30 /* + primitive kind */
};

enum { F_INSTANCE = 1, F_GETTER = 2, F_SETTER = 4 };

extern const metaffi_core *core;
extern JavaVM *g_jvm;
extern int g_active;
extern atomic_long g_live_refs;
extern __thread JNIEnv *tls_env;
extern pthread_key_t g_detach_key;
extern jclass c_bridge, c_object, c_string, c_foreign_obj, c_foreign_exc, c_class, c_map, c_iae;
extern jclass c_box[8];
extern jclass c_soe, c_ste, c_bigint;
extern jmethodID m_bigint_new, m_bigint_bits, m_bigint_signum, m_bigint_long;
extern jfieldID f_host_error, f_foreign_type, f_foreign_message, f_foreign_stack, f_detail, f_stack_trace;
extern jmethodID m_box_of[8], m_unbox[8];
extern jmethodID m_init, m_adopt, m_add_paths, m_find_class, m_kind_of, m_kind_of_object, m_foreign_ref, m_class_name, m_resolve, m_param_types, m_return_type, m_is_static, m_proxy, m_invoke_functional, m_describe_exc, m_flush, m_foreign_obj_new, m_foreign_exc_new, m_component_type, m_is_array, m_map_new, m_map_put;
extern jobject g_void;
extern __thread size_t tls_path[METAFFI_MAX_DEPTH + 1];

typedef struct {
	jobject obj; /* global reference */
	atomic_long refs;
} jref;

typedef struct jplan {
	int kind;
	jclass cls;          /* K_ARRAY: the component class; K_FUNC, K_OBJECT: the class (NULL: Object) */
	struct jplan *elem;  /* K_ARRAY: the component's plan */
} jplan;

enum { N_NONE, N_INT, N_UINT, N_FLOAT, N_BOOL, N_CHAR };

void detach_thread(void *p);
JNIEnv *get_env(void);
void set_error(metaffi_error *err, const char *type, const char *msg);
const char *jstring_utf8(JNIEnv *env, jstring s);
const jchar *cdt_utf16(const cdt *v, jchar *small, size_t small_len, size_t *n);
jstring make_jstring(JNIEnv *env, const cdt *v);
jstring jstring_from_utf8(JNIEnv *env, const char *s);
void *alloc_value(size_t size, metaffi_error *err);
int is_string_type(uint64_t t);
const char *cdt_type_name(uint64_t t);
const char *kind_name(int k);
int conv_error(metaffi_error *err, const char *expected, const cdt *got);
int too_deep(int depth, metaffi_error *err);
void prefix_index(metaffi_error *err, size_t i);
void prefix_place(metaffi_error *err, const char *place);
const char *class_name(JNIEnv *env, jobject cls_or_obj, int is_class);
void error_from_java(JNIEnv *env, metaffi_error *err, int plain);
jref *jref_new(JNIEnv *env, jobject o);
void jref_release(jref *r);
void release_refs(const cdt *v);
int plan_build(JNIEnv *env, jclass c, jplan *p);
void plan_free(JNIEnv *env, jplan *p);
int cdt_number(const cdt *v, int64_t *i, double *d);
void packed_get(const cdt *v, size_t i, cdt *out);
size_t int_width(uint64_t t);
int cdt_to_prim(const cdt *v, int kind, jvalue *out, metaffi_error *err);
size_t prim_width(int k);
void get_prim_region(JNIEnv *env, int k, jarray a, jsize n, void *data);
int check_instance(JNIEnv *env, jobject o, const jplan *p, const cdt *v, metaffi_error *err);
int cdt_to_jobject(JNIEnv *env, const cdt *v, const jplan *p, int narrow, int depth, jobject *out, metaffi_error *err);
void prim_to_cdt(int k, jvalue v, cdt *out);
int jobject_to_cdt(JNIEnv *env, jobject o, const jplan *p, uint64_t declared, int dims, int depth, cdt *out, metaffi_error *err);
int fit_declared(cdt *v, uint64_t decl, int dims, metaffi_error *err);
int jvm_load_runtime(const metaffi_core *c, const char *config, metaffi_error *err);
int jvm_free_runtime(metaffi_error *err);
void jvm_at_exit(void);
void *jvm_load_module(const char *path, metaffi_error *err);
void jvm_free_module(void *module);

#endif
