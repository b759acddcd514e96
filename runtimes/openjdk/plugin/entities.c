/* The openjdk runtime plugin: Entities: loading, calling, retaining and releasing; the plugin table. */
#include "openjdk_plugin.h"

/* ------------------------------------------------------------------------------------ */
/* Entities                                                                              */

enum { W_CALL, W_NEW, W_GET, W_SET };

typedef struct {
	int what;
	int is_static;
	int instance;
	int need_frame;  /* free the call's local references with a local frame */
	jclass cls;
	jmethodID mid;
	jfieldID fid;
	size_t njp;      /* Java parameters (without the object) */
	size_t nr;       /* declared return values */
	jplan rp;
	jplan ip;        /* instance_required: the class, for objects given as values (a JS string) */
	uint64_t rdecl;  /* declared return element type */
	int rdims;       /* declared return array dimensions */
	jplan *pp;
	int *narrow;     /* per Java parameter: declared `any` (untyped JS numbers) */
} jentity;

static void entity_free_plans(JNIEnv *env, jentity *e)
{
	for (size_t i = 0; i < e->njp; i++) plan_free(env, &e->pp[i]);
	plan_free(env, &e->rp);
	plan_free(env, &e->ip);
	if (e->cls) (*env)->DeleteGlobalRef(env, e->cls);
	free(e->pp);
	free(e->narrow);
	free(e);
}

static void *jvm_load_entity(void *module, const metaffi_path_item *path, size_t npath,
                             const metaffi_type_info *params, size_t np,
                             const metaffi_type_info *rets, size_t nr, metaffi_error *err)
{
	(void)module;
	JNIEnv *env = get_env();
	if (!g_active) {
		set_error(err, "MetaFFIError", "the openjdk runtime was released");
		return NULL;
	}
	const char *cname = metaffi_path_value(path, npath, "class");
	const char *callable = metaffi_path_value(path, npath, "callable");
	const char *field = metaffi_path_value(path, npath, "field");
	int flags = (metaffi_path_value(path, npath, "instance_required") ? F_INSTANCE : 0) |
	            (metaffi_path_value(path, npath, "getter") ? F_GETTER : 0) |
	            (metaffi_path_value(path, npath, "setter") ? F_SETTER : 0);
	if (!cname) {
		set_error(err, "MetaFFIError", "openjdk entity paths need class=<fully qualified class name>");
		return NULL;
	}
	if ((*env)->PushLocalFrame(env, 64 + 2 * (jint)(np + nr))) {
		error_from_java(env, err, 0);
		return NULL;
	}
	jentity *e = NULL;
	jstring js = jstring_from_utf8(env, cname);
	jclass cls = (*env)->CallStaticObjectMethod(env, c_bridge, m_find_class, js);
	if ((*env)->ExceptionCheck(env)) {
		error_from_java(env, err, 1);
		goto out;
	}
	jlongArray pt = (*env)->NewLongArray(env, (jsize)np);
	jintArray pd = (*env)->NewIntArray(env, (jsize)np);
	jobjectArray pa = (*env)->NewObjectArray(env, (jsize)np, c_string, NULL);
	jlongArray rt = (*env)->NewLongArray(env, (jsize)nr);
	jintArray rd = (*env)->NewIntArray(env, (jsize)nr);
	for (size_t i = 0; i < np; i++) {
		jlong t = (jlong)params[i].type;
		jint d = params[i].dims;
		(*env)->SetLongArrayRegion(env, pt, (jsize)i, 1, &t);
		(*env)->SetIntArrayRegion(env, pd, (jsize)i, 1, &d);
		if (params[i].alias && params[i].alias[0]) {
			jstring a = jstring_from_utf8(env, params[i].alias);
			(*env)->SetObjectArrayElement(env, pa, (jsize)i, a);
			(*env)->DeleteLocalRef(env, a);
		}
	}
	for (size_t i = 0; i < nr; i++) {
		jlong t = (jlong)rets[i].type;
		jint d = rets[i].dims;
		(*env)->SetLongArrayRegion(env, rt, (jsize)i, 1, &t);
		(*env)->SetIntArrayRegion(env, rd, (jsize)i, 1, &d);
	}
	jstring jcall = callable ? jstring_from_utf8(env, callable) : NULL;
	jstring jfield = field ? jstring_from_utf8(env, field) : NULL;
	jobject member = (*env)->CallStaticObjectMethod(env, c_bridge, m_resolve, cls, jcall, jfield, (jint)flags,
	                                                pt, pd, pa, rt, rd);
	if ((*env)->ExceptionCheck(env)) {
		error_from_java(env, err, 1);
		goto out;
	}
	jobjectArray ptypes = (*env)->CallStaticObjectMethod(env, c_bridge, m_param_types, member, (jint)flags);
	jclass rtype = (*env)->ExceptionCheck(env) ? NULL :
	               (*env)->CallStaticObjectMethod(env, c_bridge, m_return_type, member, (jint)flags);
	jboolean is_static = (*env)->ExceptionCheck(env) ? 0 :
	                     (*env)->CallStaticBooleanMethod(env, c_bridge, m_is_static, member);
	if ((*env)->ExceptionCheck(env)) {
		error_from_java(env, err, 0);
		goto out;
	}
	e = calloc(1, sizeof *e);
	e->instance = (flags & F_INSTANCE) != 0;
	e->is_static = is_static;
	e->what = field ? ((flags & F_GETTER) ? W_GET : W_SET) : strcmp(callable, "<init>") == 0 ? W_NEW : W_CALL;
	e->njp = (size_t)(*env)->GetArrayLength(env, ptypes);
	e->nr = nr;
	e->pp = calloc(e->njp ? e->njp : 1, sizeof(jplan));
	e->narrow = calloc(e->njp ? e->njp : 1, sizeof(int));
	e->cls = (*env)->NewGlobalRef(env, cls);
	if (field) e->fid = (*env)->FromReflectedField(env, member);
	else e->mid = (*env)->FromReflectedMethod(env, member);
	int bad = 0;
	for (size_t i = 0; i < e->njp && !bad; i++) {
		jclass c = (*env)->GetObjectArrayElement(env, ptypes, (jsize)i);
		bad = plan_build(env, c, &e->pp[i]);
		(*env)->DeleteLocalRef(env, c);
		size_t di = i + (size_t)e->instance;
		e->narrow[i] = di < np && (MT_ELEMENT(params[di].type) == MT_ANY || params[di].type == MT_ARRAY);
	}
	if (!bad) bad = plan_build(env, rtype, &e->rp);
	if (!bad && e->instance) {
		bad = plan_build(env, cls, &e->ip);
	}
	if (bad) {
		error_from_java(env, err, 0);
		entity_free_plans(env, e);
		e = NULL;
		goto out;
	}
	e->rdecl = nr ? MT_ELEMENT(rets[0].type) : 0;
	e->rdims = nr && (rets[0].type & MT_ARRAY) ? (rets[0].dims > 0 ? rets[0].dims : 1) : 0;
	if (nr && e->rdecl == 0 && e->rdims) e->rdecl = MT_ANY; /* the bare array type: an array of any */
	/* Calls delete the local references they make one by one (cheaper than a local frame);
	 * past 64 parameters a frame frees them. */
	e->need_frame = e->njp > 64;
out:
	(*env)->PopLocalFrame(env, NULL);
	return e;
}

static void jvm_free_entity(void *p)
{
	JNIEnv *env = get_env();
	entity_free_plans(env, p);
}

static int arg_error(metaffi_error *err, size_t i)
{
	char place[40];
	snprintf(place, sizeof place, "argument %zu", i + 1);
	prefix_place(err, place);
	return -1;
}

static int jvm_xcall(void *p, cdt *params, size_t np, cdt *rets, size_t nr, metaffi_error *err)
{
	(void)np;
	(void)nr;
	jentity *e = p;
	JNIEnv *env = get_env();
	if (!g_active) {
		set_error(err, "MetaFFIError", "the openjdk runtime was released");
		return -1;
	}
	if (e->need_frame && (*env)->PushLocalFrame(env, (jint)(8 + 2 * e->njp))) {
		error_from_java(env, err, 0);
		return -1;
	}
	int rc = -1;
	jobject obj = NULL, ret_local = NULL;
	int obj_local = 0;
	uint64_t made = 0; /* which args[i].l are local references made for this call */
	cdt *jp = params;
	jvalue inline_args[INLINE_ARGS];
	jvalue *args = e->njp <= INLINE_ARGS ? inline_args : core->alloc(e->njp * sizeof(jvalue));
	if (e->instance) {
		int is_value = e->ip.kind == K_STRING || (e->ip.kind >= K_BOX && e->ip.kind < K_BOX + 8);
		if ((params[0].type == MT_HANDLE || params[0].type == MT_CALLABLE) && params[0].v.ref.runtime == RT_OPENJDK) {
			obj = ((jref *)params[0].v.ref.val)->obj;
			if (!(*env)->IsInstanceOf(env, obj, e->cls)) {
				char msg[600];
				snprintf(msg, sizeof msg, "argument 1: expected a %s object, got a %s", class_name(env, e->cls, 1),
				         class_name(env, obj, 0));
				set_error(err, "TypeError", msg);
				goto done;
			}
		} else if (is_value && params[0].type != MT_NULL && params[0].type != MT_HANDLE && params[0].type != MT_CALLABLE) {
			if (cdt_to_jobject(env, &params[0], &e->ip, 0, 0, &obj, err)) {
				arg_error(err, 0);
				goto done;
			}
			obj_local = 1;
		} else {
			char msg[300];
			snprintf(msg, sizeof msg, "argument 1: instance_required: expected the Java object (a handle of the "
			         "openjdk runtime), got %s", params[0].type == MT_HANDLE ? "a handle of another runtime" :
			         cdt_type_name(params[0].type));
			set_error(err, "TypeError", msg);
			goto done;
		}
		jp = params + 1;
	}

	for (size_t i = 0; i < e->njp; i++) {
		const jplan *pl = &e->pp[i];
		if (pl->kind <= K_D) {
			if (cdt_to_prim(&jp[i], pl->kind, &args[i], err)) {
				arg_error(err, i + (size_t)e->instance);
				goto done;
			}
		} else if ((jp[i].type == MT_HANDLE || jp[i].type == MT_CALLABLE) && jp[i].v.ref.runtime == RT_OPENJDK) {
			args[i].l = ((jref *)jp[i].v.ref.val)->obj; /* borrowed: no local reference needed */
			if (check_instance(env, args[i].l, pl, &jp[i], err)) {
				arg_error(err, i + (size_t)e->instance);
				goto done;
			}
		} else if (cdt_to_jobject(env, &jp[i], pl, e->narrow[i], 0, &args[i].l, err)) {
			arg_error(err, i + (size_t)e->instance);
			goto done;
		} else if (args[i].l && i < 64) {
			made |= 1ULL << i;
		}
	}
	jvalue r;
	r.j = 0;
	int k = e->rp.kind;
	switch (e->what) {
	case W_NEW:
		r.l = (*env)->NewObjectA(env, e->cls, e->mid, args);
		k = K_OBJECT;
		break;
	case W_CALL:
		if (e->is_static) {
			switch (k) {
			case K_VOID: (*env)->CallStaticVoidMethodA(env, e->cls, e->mid, args); break;
			case K_Z: r.z = (*env)->CallStaticBooleanMethodA(env, e->cls, e->mid, args); break;
			case K_B: r.b = (*env)->CallStaticByteMethodA(env, e->cls, e->mid, args); break;
			case K_C: r.c = (*env)->CallStaticCharMethodA(env, e->cls, e->mid, args); break;
			case K_S: r.s = (*env)->CallStaticShortMethodA(env, e->cls, e->mid, args); break;
			case K_I: r.i = (*env)->CallStaticIntMethodA(env, e->cls, e->mid, args); break;
			case K_J: r.j = (*env)->CallStaticLongMethodA(env, e->cls, e->mid, args); break;
			case K_F: r.f = (*env)->CallStaticFloatMethodA(env, e->cls, e->mid, args); break;
			case K_D: r.d = (*env)->CallStaticDoubleMethodA(env, e->cls, e->mid, args); break;
			default: r.l = (*env)->CallStaticObjectMethodA(env, e->cls, e->mid, args); break;
			}
		} else {
			switch (k) {
			case K_VOID: (*env)->CallVoidMethodA(env, obj, e->mid, args); break;
			case K_Z: r.z = (*env)->CallBooleanMethodA(env, obj, e->mid, args); break;
			case K_B: r.b = (*env)->CallByteMethodA(env, obj, e->mid, args); break;
			case K_C: r.c = (*env)->CallCharMethodA(env, obj, e->mid, args); break;
			case K_S: r.s = (*env)->CallShortMethodA(env, obj, e->mid, args); break;
			case K_I: r.i = (*env)->CallIntMethodA(env, obj, e->mid, args); break;
			case K_J: r.j = (*env)->CallLongMethodA(env, obj, e->mid, args); break;
			case K_F: r.f = (*env)->CallFloatMethodA(env, obj, e->mid, args); break;
			case K_D: r.d = (*env)->CallDoubleMethodA(env, obj, e->mid, args); break;
			default: r.l = (*env)->CallObjectMethodA(env, obj, e->mid, args); break;
			}
		}
		break;
	case W_GET:
		if (e->is_static) {
			switch (k) {
			case K_Z: r.z = (*env)->GetStaticBooleanField(env, e->cls, e->fid); break;
			case K_B: r.b = (*env)->GetStaticByteField(env, e->cls, e->fid); break;
			case K_C: r.c = (*env)->GetStaticCharField(env, e->cls, e->fid); break;
			case K_S: r.s = (*env)->GetStaticShortField(env, e->cls, e->fid); break;
			case K_I: r.i = (*env)->GetStaticIntField(env, e->cls, e->fid); break;
			case K_J: r.j = (*env)->GetStaticLongField(env, e->cls, e->fid); break;
			case K_F: r.f = (*env)->GetStaticFloatField(env, e->cls, e->fid); break;
			case K_D: r.d = (*env)->GetStaticDoubleField(env, e->cls, e->fid); break;
			default: r.l = (*env)->GetStaticObjectField(env, e->cls, e->fid); break;
			}
		} else {
			switch (k) {
			case K_Z: r.z = (*env)->GetBooleanField(env, obj, e->fid); break;
			case K_B: r.b = (*env)->GetByteField(env, obj, e->fid); break;
			case K_C: r.c = (*env)->GetCharField(env, obj, e->fid); break;
			case K_S: r.s = (*env)->GetShortField(env, obj, e->fid); break;
			case K_I: r.i = (*env)->GetIntField(env, obj, e->fid); break;
			case K_J: r.j = (*env)->GetLongField(env, obj, e->fid); break;
			case K_F: r.f = (*env)->GetFloatField(env, obj, e->fid); break;
			case K_D: r.d = (*env)->GetDoubleField(env, obj, e->fid); break;
			default: r.l = (*env)->GetObjectField(env, obj, e->fid); break;
			}
		}
		break;
	default: { /* W_SET */
		int fk = e->pp[0].kind;
		jvalue v = args[0];
		if (e->is_static) {
			switch (fk) {
			case K_Z: (*env)->SetStaticBooleanField(env, e->cls, e->fid, v.z); break;
			case K_B: (*env)->SetStaticByteField(env, e->cls, e->fid, v.b); break;
			case K_C: (*env)->SetStaticCharField(env, e->cls, e->fid, v.c); break;
			case K_S: (*env)->SetStaticShortField(env, e->cls, e->fid, v.s); break;
			case K_I: (*env)->SetStaticIntField(env, e->cls, e->fid, v.i); break;
			case K_J: (*env)->SetStaticLongField(env, e->cls, e->fid, v.j); break;
			case K_F: (*env)->SetStaticFloatField(env, e->cls, e->fid, v.f); break;
			case K_D: (*env)->SetStaticDoubleField(env, e->cls, e->fid, v.d); break;
			default: (*env)->SetStaticObjectField(env, e->cls, e->fid, v.l); break;
			}
		} else {
			switch (fk) {
			case K_Z: (*env)->SetBooleanField(env, obj, e->fid, v.z); break;
			case K_B: (*env)->SetByteField(env, obj, e->fid, v.b); break;
			case K_C: (*env)->SetCharField(env, obj, e->fid, v.c); break;
			case K_S: (*env)->SetShortField(env, obj, e->fid, v.s); break;
			case K_I: (*env)->SetIntField(env, obj, e->fid, v.i); break;
			case K_J: (*env)->SetLongField(env, obj, e->fid, v.j); break;
			case K_F: (*env)->SetFloatField(env, obj, e->fid, v.f); break;
			case K_D: (*env)->SetDoubleField(env, obj, e->fid, v.d); break;
			default: (*env)->SetObjectField(env, obj, e->fid, v.l); break;
			}
		}
		k = K_VOID;
		break;
	}
	}
	if (k > K_D) ret_local = r.l;
	if ((*env)->ExceptionCheck(env)) {
		error_from_java(env, err, 0);
		goto done;
	}
	rc = 0;
	if (e->nr > 0) {
		if (k == K_VOID) rets[0].type = MT_NULL;
		else if (k <= K_D) prim_to_cdt(k, r, &rets[0]);
		else rc = jobject_to_cdt(env, r.l, e->what == W_NEW ? NULL : &e->rp, e->rdecl, e->rdims, 0, &rets[0], err);
		if (!rc && k != K_VOID && e->what != W_NEW && fit_declared(&rets[0], e->rdecl, e->rdims, err)) {
			release_refs(&rets[0]);
			rc = -1;
		}
		if (rc) prefix_place(err, "return value");
	}
done:
	if (e->need_frame) {
		(*env)->PopLocalFrame(env, NULL);
		return rc;
	}
	if (ret_local) (*env)->DeleteLocalRef(env, ret_local);
	for (size_t i = 0; made && i < 64; i++) {
		if (made & (1ULL << i)) (*env)->DeleteLocalRef(env, args[i].l);
		made &= ~(1ULL << i);
	}
	if (obj_local) (*env)->DeleteLocalRef(env, obj);
	return rc;
}

static int jvm_call_callable(void *callable, const cdt *params, size_t np, cdt **rets, size_t *nr,
                             metaffi_error *err)
{
	*rets = NULL;
	*nr = 0;
	JNIEnv *env = get_env();
	if (!env) {
		set_error(err, "MetaFFIError", "this thread cannot attach to the JVM");
		return -1;
	}
	if (!g_active) {
		set_error(err, "MetaFFIError", "the openjdk runtime was released");
		return -1;
	}
	if ((*env)->PushLocalFrame(env, 16)) {
		error_from_java(env, err, 0);
		return -1;
	}
	int rc = -1;
	jobjectArray args = (*env)->NewObjectArray(env, (jsize)np, c_object, NULL);
	if (!args) {
		error_from_java(env, err, 0);
		goto done;
	}
	for (size_t i = 0; i < np; i++) {
		jobject a = NULL;
		if (cdt_to_jobject(env, &params[i], NULL, 1, 0, &a, err)) {
			arg_error(err, i);
			goto done;
		}
		(*env)->SetObjectArrayElement(env, args, (jsize)i, a);
		if (a) (*env)->DeleteLocalRef(env, a);
	}
	jobject r = (*env)->CallStaticObjectMethod(env, c_bridge, m_invoke_functional, ((jref *)callable)->obj, args);
	if ((*env)->ExceptionCheck(env)) {
		error_from_java(env, err, 0);
		goto done;
	}
	if ((*env)->IsSameObject(env, r, g_void)) {
		rc = 0;
		goto done;
	}
	cdt *out = core->alloc(sizeof(cdt));
	if (jobject_to_cdt(env, r, NULL, MT_ANY, 0, 0, out, err) == 0) {
		*rets = out;
		*nr = 1;
		rc = 0;
	}
done:
	(*env)->PopLocalFrame(env, NULL);
	return rc;
}

static void jvm_retain(void *val)
{
	atomic_fetch_add(&((jref *)val)->refs, 1);
}

static void jvm_release(void *val)
{
	jref_release(val);
}

static const char *jvm_describe(void *val)
{
	JNIEnv *env = get_env();
	return class_name(env, ((jref *)val)->obj, 0);
}

static const metaffi_plugin g_plugin = {
	METAFFI_ABI_VERSION,
	RT_OPENJDK,
	"openjdk",
	MT_STRING16,
	jvm_load_runtime,
	jvm_free_runtime,
	jvm_load_module,
	jvm_free_module,
	jvm_load_entity,
	jvm_free_entity,
	jvm_xcall,
	jvm_call_callable,
	jvm_retain,
	jvm_release,
	jvm_describe,
	jvm_at_exit,
};

__attribute__((visibility("default"))) const metaffi_plugin *metaffi_plugin_get(void)
{
	return &g_plugin;
}
