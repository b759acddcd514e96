/* The openjdk runtime plugin: The native methods of Bridge; loading and unloading the runtime. */
#include "openjdk_plugin.h"

static char g_broken[1400]; /* why the JVM of this process cannot be used, once it happened */

/* ------------------------------------------------------------------------------------ */
/* Native methods of Bridge                                                              */

static void throw_foreign(JNIEnv *env, const metaffi_error *e)
{
	jstring t = jstring_from_utf8(env, e->type ? e->type : "");
	jstring m = jstring_from_utf8(env, e->message ? e->message : "");
	jstring s = e->stack ? jstring_from_utf8(env, e->stack) : NULL;
	jobject x = (*env)->NewObject(env, c_foreign_exc, m_foreign_exc_new, t, m, s, (jlong)e->host_error);
	if ((*env)->ExceptionCheck(env) || !x) {
		/* No Java stack left to run the constructor: fill the fields directly, so the error
		 * (and a JS exception's identity) still reaches the caller. */
		(*env)->ExceptionClear(env);
		x = (*env)->AllocObject(env, c_foreign_exc);
		if (x) {
			jobjectArray none = (*env)->NewObjectArray(env, 0, c_ste, NULL);
			(*env)->SetObjectField(env, x, f_foreign_type, t);
			(*env)->SetObjectField(env, x, f_foreign_message, m);
			(*env)->SetObjectField(env, x, f_foreign_stack, s);
			(*env)->SetLongField(env, x, f_host_error, (jlong)e->host_error);
			if (f_detail) (*env)->SetObjectField(env, x, f_detail, m);
			if (f_stack_trace && none) (*env)->SetObjectField(env, x, f_stack_trace, none);
			if (none) (*env)->DeleteLocalRef(env, none);
		}
		if ((*env)->ExceptionCheck(env)) (*env)->ExceptionClear(env);
	}
	if (x) (*env)->Throw(env, x);
	if (x) (*env)->DeleteLocalRef(env, x);
	(*env)->DeleteLocalRef(env, t);
	(*env)->DeleteLocalRef(env, m);
	if (s) (*env)->DeleteLocalRef(env, s);
}

/* Bridge.callForeign(runtime, value, args): Java calls a function of another runtime. */
static jobject JNICALL n_call_foreign(JNIEnv *env, jclass cls, jlong rt, jlong val, jobjectArray args)
{
	(void)cls;
	metaffi_mark mark = core->arena_mark();
	jsize n = args ? (*env)->GetArrayLength(env, args) : 0;
	cdt *params = core->alloc((size_t)(n ? n : 1) * sizeof(cdt));
	metaffi_error err = {0};
	jobject result = NULL;
	for (jsize i = 0; i < n; i++) {
		jobject a = (*env)->GetObjectArrayElement(env, args, i);
		int rc = jobject_to_cdt(env, a, NULL, MT_ANY, 0, 0, &params[i], &err);
		if (a) (*env)->DeleteLocalRef(env, a);
		if (rc) {
			for (jsize j = 0; j < i; j++) release_refs(&params[j]);
			char place[60];
			snprintf(place, sizeof place, "argument %d of the foreign function", (int)i + 1);
			prefix_place(&err, place);
			(*env)->ThrowNew(env, c_iae, err.message);
			core->arena_reset(mark);
			return NULL;
		}
	}
	cdt *rets = NULL;
	size_t nr = 0;
	int rc = core->call((uint32_t)rt, (void *)(intptr_t)val, params, (size_t)n, &rets, &nr, &err);
	for (jsize i = 0; i < n; i++) release_refs(&params[i]); /* the callee only borrowed them */
	if (rc) {
		throw_foreign(env, &err);
	} else if (nr > 0) {
		if (cdt_to_jobject(env, &rets[0], NULL, 1, 0, &result, &err)) {
			result = NULL;
			if (!(*env)->ExceptionCheck(env)) {
				prefix_place(&err, "the result of the foreign function");
				(*env)->ThrowNew(env, c_iae, err.message);
			}
		}
		for (size_t i = 0; i < nr; i++) release_refs(&rets[i]);
	}
	core->arena_reset(mark);
	return result;
}

static void JNICALL n_release_foreign(JNIEnv *env, jclass cls, jlong rt, jlong val)
{
	(void)env;
	(void)cls;
	core->release((uint32_t)rt, (void *)(intptr_t)val);
}

static void JNICALL n_retain_foreign(JNIEnv *env, jclass cls, jlong rt, jlong val)
{
	(void)env;
	(void)cls;
	core->retain((uint32_t)rt, (void *)(intptr_t)val);
}

static jlong JNICALL n_live_references(JNIEnv *env, jclass cls)
{
	(void)env;
	(void)cls;
	return (jlong)atomic_load(&g_live_refs);
}

/* ------------------------------------------------------------------------------------ */
/* Runtime                                                                               */

static int cache_class(JNIEnv *env, const char *name, jclass *out)
{
	jclass c = (*env)->FindClass(env, name);
	if (!c) return -1;
	*out = (*env)->NewGlobalRef(env, c);
	(*env)->DeleteLocalRef(env, c);
	return 0;
}

static int cache_all(JNIEnv *env)
{
	static const char *boxes[8] = {"java/lang/Boolean", "java/lang/Byte", "java/lang/Character", "java/lang/Short",
	                               "java/lang/Integer", "java/lang/Long", "java/lang/Float", "java/lang/Double"};
	static const char *prims[8] = {"Z", "B", "C", "S", "I", "J", "F", "D"};
	static const char *unbox[8] = {"booleanValue", "byteValue", "charValue", "shortValue",
	                               "intValue", "longValue", "floatValue", "doubleValue"};
	if (cache_class(env, "metaffi/jvm/Bridge", &c_bridge) || cache_class(env, "java/lang/Object", &c_object) ||
	    cache_class(env, "java/lang/String", &c_string) || cache_class(env, "metaffi/jvm/ForeignObject", &c_foreign_obj) ||
	    cache_class(env, "metaffi/jvm/ForeignException", &c_foreign_exc) || cache_class(env, "java/lang/Class", &c_class) ||
	    cache_class(env, "java/util/LinkedHashMap", &c_map) ||
	    cache_class(env, "java/lang/IllegalArgumentException", &c_iae) ||
	    cache_class(env, "java/lang/StackOverflowError", &c_soe) ||
	    cache_class(env, "java/lang/StackTraceElement", &c_ste) ||
	    cache_class(env, "java/math/BigInteger", &c_bigint))
		return -1;
	m_bigint_new = (*env)->GetMethodID(env, c_bigint, "<init>", "(Ljava/lang/String;)V");
	m_bigint_bits = (*env)->GetMethodID(env, c_bigint, "bitLength", "()I");
	m_bigint_signum = (*env)->GetMethodID(env, c_bigint, "signum", "()I");
	m_bigint_long = (*env)->GetMethodID(env, c_bigint, "longValue", "()J");
	if (!m_bigint_new || !m_bigint_bits || !m_bigint_signum || !m_bigint_long) return -1;
	f_host_error = (*env)->GetFieldID(env, c_foreign_exc, "hostError", "J");
	f_foreign_type = (*env)->GetFieldID(env, c_foreign_exc, "foreignType", "Ljava/lang/String;");
	f_foreign_message = (*env)->GetFieldID(env, c_foreign_exc, "foreignMessage", "Ljava/lang/String;");
	f_foreign_stack = (*env)->GetFieldID(env, c_foreign_exc, "foreignStack", "Ljava/lang/String;");
	if (!f_host_error || !f_foreign_type || !f_foreign_message || !f_foreign_stack) return -1;
	jclass thr = (*env)->FindClass(env, "java/lang/Throwable");
	if (!thr) return -1;
	/* Throwable's own fields, for an exception made without its constructor (optional) */
	f_detail = (*env)->GetFieldID(env, thr, "detailMessage", "Ljava/lang/String;");
	if (!f_detail) (*env)->ExceptionClear(env);
	f_stack_trace = (*env)->GetFieldID(env, thr, "stackTrace", "[Ljava/lang/StackTraceElement;");
	if (!f_stack_trace) (*env)->ExceptionClear(env);
	(*env)->DeleteLocalRef(env, thr);
	for (int i = 0; i < 8; i++) {
		char sig[64];
		if (cache_class(env, boxes[i], &c_box[i])) return -1;
		snprintf(sig, sizeof sig, "(%s)L%s;", prims[i], boxes[i]);
		m_box_of[i] = (*env)->GetStaticMethodID(env, c_box[i], "valueOf", sig);
		snprintf(sig, sizeof sig, "()%s", prims[i]);
		m_unbox[i] = (*env)->GetMethodID(env, c_box[i], unbox[i], sig);
		if (!m_box_of[i] || !m_unbox[i]) return -1;
	}
	jclass b = c_bridge;
	struct { jmethodID *id; const char *name, *sig; } st[] = {
		{&m_init, "init", "()V"},
		{&m_adopt, "adoptThread", "()V"},
		{&m_add_paths, "addPaths", "(Ljava/lang/String;)V"},
		{&m_find_class, "findClass", "(Ljava/lang/String;)Ljava/lang/Class;"},
		{&m_kind_of, "kindOf", "(Ljava/lang/Class;)I"},
		{&m_kind_of_object, "kindOfObject", "(Ljava/lang/Object;)I"},
		{&m_foreign_ref, "foreignRef", "(Ljava/lang/Object;)[J"},
		{&m_resolve, "resolve", "(Ljava/lang/Class;Ljava/lang/String;Ljava/lang/String;I[J[I[Ljava/lang/String;[J[I)Ljava/lang/Object;"},
		{&m_param_types, "paramTypes", "(Ljava/lang/Object;I)[Ljava/lang/Class;"},
		{&m_return_type, "returnType", "(Ljava/lang/Object;I)Ljava/lang/Class;"},
		{&m_is_static, "isStatic", "(Ljava/lang/Object;)Z"},
		{&m_proxy, "proxy", "(Ljava/lang/Class;JJ)Ljava/lang/Object;"},
		{&m_invoke_functional, "invokeFunctional", "(Ljava/lang/Object;[Ljava/lang/Object;)Ljava/lang/Object;"},
		{&m_describe_exc, "describeException", "(Ljava/lang/Throwable;)[Ljava/lang/String;"},
		{&m_flush, "flush", "()V"},
	};
	for (size_t i = 0; i < sizeof st / sizeof st[0]; i++) {
		*st[i].id = (*env)->GetStaticMethodID(env, b, st[i].name, st[i].sig);
		if (!*st[i].id) return -1;
	}
	m_class_name = (*env)->GetMethodID(env, c_class, "getName", "()Ljava/lang/String;");
	m_component_type = (*env)->GetMethodID(env, c_class, "getComponentType", "()Ljava/lang/Class;");
	m_is_array = (*env)->GetMethodID(env, c_class, "isArray", "()Z");
	m_foreign_obj_new = (*env)->GetMethodID(env, c_foreign_obj, "<init>", "(JJZ)V");
	m_foreign_exc_new = (*env)->GetMethodID(env, c_foreign_exc, "<init>",
	                                        "(Ljava/lang/String;Ljava/lang/String;Ljava/lang/String;J)V");
	m_map_new = (*env)->GetMethodID(env, c_map, "<init>", "()V");
	m_map_put = (*env)->GetMethodID(env, c_map, "put", "(Ljava/lang/Object;Ljava/lang/Object;)Ljava/lang/Object;");
	jfieldID fv = (*env)->GetStaticFieldID(env, b, "VOID", "Ljava/lang/Object;");
	if (!m_class_name || !m_component_type || !m_is_array || !m_foreign_obj_new || !m_foreign_exc_new || !m_map_new ||
	    !m_map_put || !fv)
		return -1;
	jobject v = (*env)->GetStaticObjectField(env, b, fv);
	g_void = (*env)->NewGlobalRef(env, v);
	(*env)->DeleteLocalRef(env, v);
	JNINativeMethod natives[] = {
		{"callForeign", "(JJ[Ljava/lang/Object;)Ljava/lang/Object;", (void *)n_call_foreign},
		{"releaseForeign", "(JJ)V", (void *)n_release_foreign},
		{"retainForeign", "(JJ)V", (void *)n_retain_foreign},
		{"liveReferences", "()J", (void *)n_live_references},
	};
	if ((*env)->RegisterNatives(env, b, natives, sizeof natives / sizeof natives[0])) return -1;
	(*env)->CallStaticVoidMethod(env, b, m_init);
	return (*env)->ExceptionCheck(env) ? -1 : 0;
}

typedef jint (JNICALL *create_vm_fn)(JavaVM **, void **, void *);
typedef jint (JNICALL *created_vms_fn)(JavaVM **, jsize, jsize *);

/* config: lines of key=value: libjvm (path), classes (the helper classes folder), option
 * (one JVM option per line, any number). */
/*
 * The Go runtime (a Go guest loaded before or after the JVM) requires every signal handler
 * in the process to run with SA_ONSTACK: a fault on a goroutine's small stack is handled on
 * Go's signal stack, and a handler without the flag makes Go abort the process. HotSpot
 * installs its handlers without it. Adding the flag changes nothing where a thread has no
 * alternate signal stack (the handler runs on the thread's stack as before), so the JVM's
 * handlers are given it once the JVM has installed them.
 */
static void jvm_handlers_on_signal_stack(void)
{
	static const int sigs[] = { SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGTRAP, SIGUSR2, SIGQUIT };
	for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++) {
		struct sigaction sa;
		if (sigaction(sigs[i], NULL, &sa) != 0) continue;
		if (!(sa.sa_flags & SA_SIGINFO) && (sa.sa_handler == SIG_DFL || sa.sa_handler == SIG_IGN)) continue;
		if (sa.sa_flags & SA_ONSTACK) continue;
		sa.sa_flags |= SA_ONSTACK;
		sigaction(sigs[i], &sa, NULL);
	}
}

int jvm_load_runtime(const metaffi_core *c, const char *config, metaffi_error *err)
{
	core = c;
	if (g_broken[0]) { /* the JVM exists but its helper failed: a JVM cannot be made twice */
		set_error(err, "MetaFFIError", g_broken);
		return -1;
	}
	if (g_jvm) {
		g_active = 1;
		return 0;
	}
	char libjvm[4096] = "", classes[4096] = "";
	JavaVMOption opts[128];
	int nopts = 0;
	char *copy = strdup(config);
	for (char *line = strtok(copy, "\n"); line; line = strtok(NULL, "\n")) {
		if (strncmp(line, "libjvm=", 7) == 0) snprintf(libjvm, sizeof libjvm, "%s", line + 7);
		else if (strncmp(line, "classes=", 8) == 0) snprintf(classes, sizeof classes, "%s", line + 8);
		else if (strncmp(line, "option=", 7) == 0 && nopts < 120) opts[nopts++].optionString = line + 7;
	}
	int rc = -1;
	char msg[4600];
	void *dl = dlopen(libjvm, RTLD_NOW | RTLD_GLOBAL);
	if (!dl) {
		snprintf(msg, sizeof msg, "cannot load libjvm %s: %s", libjvm, dlerror());
		set_error(err, "MetaFFIError", msg);
		goto out;
	}
	create_vm_fn create = (create_vm_fn)dlsym(dl, "JNI_CreateJavaVM");
	created_vms_fn created = (created_vms_fn)dlsym(dl, "JNI_GetCreatedJavaVMs");
	if (!create || !created) {
		snprintf(msg, sizeof msg, "%s is not a JVM library (JNI_CreateJavaVM missing)", libjvm);
		set_error(err, "MetaFFIError", msg);
		goto out;
	}
	pthread_key_create(&g_detach_key, detach_thread);
	JavaVM *vm = NULL;
	JNIEnv *env = NULL;
	jsize count = 0;
	if (created(&vm, 1, &count) == JNI_OK && count > 0) {
		/* Someone else in this process made a JVM: use it. */
		if ((*vm)->AttachCurrentThread(vm, (void **)&env, NULL) != JNI_OK) {
			set_error(err, "MetaFFIError", "a JVM already runs in this process and this thread cannot attach to it");
			goto out;
		}
	} else {
		char cp[4200];
		snprintf(cp, sizeof cp, "-Djava.class.path=%s", classes);
		memmove(opts + 1, opts, (size_t)nopts * sizeof opts[0]);
		opts[0].optionString = cp;
		nopts++;
		for (int i = 0; i < nopts; i++) opts[i].extraInfo = NULL;
		JavaVMInitArgs args;
		args.version = JNI_VERSION_1_8;
		args.nOptions = nopts;
		args.options = opts;
		args.ignoreUnrecognized = JNI_FALSE;
		jint r = create(&vm, (void **)&env, &args);
		if (r != JNI_OK) {
			char list[2048] = "";
			for (int i = 1; i < nopts; i++) {
				size_t used = strlen(list);
				snprintf(list + used, sizeof list - used, " %s", opts[i].optionString);
			}
			snprintf(msg, sizeof msg, "JNI_CreateJavaVM failed (%d%s) with the options%s; the JVM tells why on "
			         "stderr; check the JVM options (METAFFI_JVM_OPTIONS)",
			         (int)r, r == JNI_EINVAL ? ": invalid arguments" : r == JNI_ENOMEM ? ": not enough memory" :
			         r == JNI_EVERSION ? ": JNI version not supported" : "", list);
			set_error(err, "MetaFFIError", msg);
			/* HotSpot cannot retry JNI_CreateJavaVM in the same process (it crashes) */
			snprintf(g_broken, sizeof g_broken, "the JVM failed to start earlier in this process (%.1200s); "
			         "a JVM cannot be started twice: fix the options and restart the process", msg);
			goto out;
		}
	}
	g_jvm = vm;
	tls_env = env;
	jvm_handlers_on_signal_stack();
	if (cache_all(env)) {
		if ((*env)->ExceptionCheck(env)) error_from_java(env, err, 0);
		else set_error(err, "MetaFFIError", "the metaffi Java helper classes are missing or outdated");
		char m2[1200];
		snprintf(m2, sizeof m2, "the JVM started, but its metaffi helper (%s) failed: %s%s%s", classes,
		         err->type ? err->type : "", err->type ? ": " : "", err->message);
		set_error(err, "MetaFFIError", m2);
		snprintf(g_broken, sizeof g_broken, "%s (a JVM cannot be started twice in one process: restart it)", m2);
		goto out;
	}
	g_active = 1;
	rc = 0;
out:
	free(copy);
	return rc;
}

int jvm_free_runtime(metaffi_error *err)
{
	(void)err;
	g_active = 0; /* a JVM cannot be unloaded; a later load reuses it */
	return 0;
}

void jvm_at_exit(void)
{
	if (!g_active) return;
	JNIEnv *env = get_env();
	if (!env) return;
	(*env)->CallStaticVoidMethod(env, c_bridge, m_flush);
	(*env)->ExceptionClear(env);
}

void *jvm_load_module(const char *path, metaffi_error *err)
{
	JNIEnv *env = get_env();
	if (!g_active) {
		set_error(err, "MetaFFIError", "the openjdk runtime was released");
		return NULL;
	}
	jstring p = jstring_from_utf8(env, path);
	(*env)->CallStaticVoidMethod(env, c_bridge, m_add_paths, p);
	(*env)->DeleteLocalRef(env, p);
	if ((*env)->ExceptionCheck(env)) {
		error_from_java(env, err, 1);
		return NULL;
	}
	return strdup(path);
}

void jvm_free_module(void *module)
{
	free(module); /* the class path keeps what was added: classes may be in use */
}
