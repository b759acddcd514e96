package metaffi.jvm;

import java.io.File;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.lang.ref.Cleaner;
import java.lang.reflect.Array;
import java.lang.reflect.Constructor;
import java.lang.reflect.Executable;
import java.lang.reflect.Field;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Member;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.lang.reflect.Proxy;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The Java side of the openjdk plugin (runtimes/openjdk/plugin): module loading, entity
 * resolution and overload choice, proxies for foreign functions, and the slow paths of
 * value conversion. The call path itself is native.
 */
public final class Bridge {
    private Bridge() {}

    // MetaFFI type codes (xllr/metaffi.h).
    static final long F64 = 1, F32 = 2, I8 = 4, I16 = 8, I32 = 16, I64 = 32, U8 = 64, U16 = 128,
            U32 = 256, U64 = 512, BOOL = 1024, STR8 = 4096, STR16 = 8192, STR32 = 16384,
            HANDLE = 32768, ARRAY = 65536, SIZE = 262144, CH8 = 524288, CH16 = 1048576,
            CH32 = 2097152, ANY = 4194304, NULL = 8388608, CALLABLE = 16777216, PACKED = 33554432,
            MAP = 1L << 40;

    // Kinds of Java types, shared with openjdk.c.
    static final int K_VOID = 0, K_Z = 1, K_B = 2, K_C = 3, K_S = 4, K_I = 5, K_J = 6, K_F = 7,
            K_D = 8, K_STRING = 9, K_BOX = 10 /* + primitive kind - 1 */, K_ARRAY = 18,
            K_FUNC = 19, K_OBJECT = 20, K_FOREIGN = 21, K_PRIM_ARRAY = 30 /* + primitive kind */;

    static final int F_INSTANCE = 1, F_GETTER = 2, F_SETTER = 4;

    static final Cleaner CLEANER = Cleaner.create();
    /** What a functional object's method returns when it returns nothing. */
    static final Object VOID = new Object();

    static volatile ModuleLoader loader;
    private static final List<String> loaded = new ArrayList<>();
    private static final Map<Class<?>, Method> samCache = new ConcurrentHashMap<>();

    static native Object callForeign(long runtime, long value, Object[] args);

    static native void releaseForeign(long runtime, long value);

    /** The number of Java objects currently referenced from other runtimes (handles and
     * callables held by JavaScript, Python, Go). For leak tests. */
    public static native long liveReferences();

    /**
     * Drops a foreign reference when the Java object holding it (a proxy of a JS function, a
     * ForeignObject) is collected. Each pending one pins memory outside the Java heap (the JS
     * function and its record), which the JVM does not see: a loop handing Java a fresh JS
     * closure per call fills no Java heap worth collecting, so without help no GC would come
     * for a long time while native memory grows. So the number of pending references is
     * counted, and every GC_EVERY new ones above the lowest count seen since the last
     * collection ask for one.
     */
    static final class Release implements Runnable {
        private final long runtime, value;

        Release(long runtime, long value) {
            this.runtime = runtime;
            this.value = value;
            long n = PENDING.incrementAndGet();
            long low = lowWater;
            if (n < low) lowWater = n;
            else if (n - low > GC_EVERY) {
                lowWater = n;
                System.gc();
            }
        }

        @Override
        public void run() {
            PENDING.decrementAndGet();
            releaseForeign(runtime, value);
        }
    }

    /** Foreign references held by Java objects not yet collected (for leak tests). */
    public static long pendingForeignReferences() {
        return PENDING.get();
    }

    static final java.util.concurrent.atomic.AtomicLong PENDING = new java.util.concurrent.atomic.AtomicLong();
    static final long GC_EVERY = Long.getLong("metaffi.foreignRefsPerGc", 5_000L);
    private static volatile long lowWater;

    // ---------------------------------------------------------------------------------
    // Runtime and modules

    static void init() {
        if (loader == null) loader = new ModuleLoader(ClassLoader.getSystemClassLoader());
        Thread.currentThread().setContextClassLoader(loader);
    }

    /** A thread of another runtime starts calling Java: give it the modules' loader. */
    static void adoptThread() {
        Thread.currentThread().setContextClassLoader(loader);
    }

    static boolean isJdkName(String name) {
        String n = name.toLowerCase(java.util.Locale.ROOT);
        if (n.equals("jdk") || n.equals("java") || n.equals("jre") || n.equals("rt.jar") || n.startsWith("jrt:/")) return true;
        return ModuleLayer.boot().findModule(name).isPresent();
    }

    /** Add the jars and class folders of a module path (';'-separated). */
    static void addPaths(String joined) throws Exception {
        List<File> files = new ArrayList<>();
        for (String item : joined.split(";")) {
            String p = item.trim();
            if (p.isEmpty() || isJdkName(p)) continue;
            File f = new File(p);
            if (!f.exists()) {
                throw new IllegalArgumentException("no such jar or class folder: " + p
                        + " (module paths are .jar files and class folders joined with ';'; JDK classes need no module)");
            }
            files.add(f.getAbsoluteFile());
        }
        synchronized (loaded) {
            for (File f : files) {
                String key = f.getPath();
                if (loaded.contains(key)) continue;
                loader.add(f.toURI().toURL());
                loaded.add(key);
            }
        }
    }

    /** Classes whose static initializer failed: name -> what it threw. */
    private static final Map<String, String> failedInit = new ConcurrentHashMap<>();

    static Class<?> findClass(String name) {
        if (name.indexOf('\0') >= 0) throw new IllegalArgumentException("a class name cannot contain a NUL character");
        String n = name.trim().replace('/', '.');
        // Nested classes: Outer$Inner as Java names them, or Outer.Inner as they are written.
        String candidate = n;
        while (true) {
            Class<?> c = loadClass(candidate);
            if (c != null) return c;
            int dot = candidate.lastIndexOf('.');
            if (dot < 0) break;
            candidate = candidate.substring(0, dot) + '$' + candidate.substring(dot + 1);
        }
        String where;
        synchronized (loaded) {
            where = loaded.isEmpty() ? "only JDK classes are loaded" : "loaded: " + String.join(";", loaded);
        }
        throw new IllegalArgumentException("class '" + name + "' not found (" + where
                + "); write fully qualified names, nested classes as Outer$Inner or Outer.Inner");
    }

    /** The class of that exact name, initialized; null when there is none. */
    private static Class<?> loadClass(String n) {
        Class<?> c;
        try {
            c = Class.forName(n, false, loader);
        } catch (ClassNotFoundException | NoClassDefFoundError e) {
            return null;
        }
        try {
            return Class.forName(n, true, loader);
        } catch (ExceptionInInitializerError e) {
            Throwable cause = e.getCause() != null ? e.getCause() : e;
            failedInit.put(c.getName(), cause.getClass().getName()
                    + (cause.getMessage() != null ? ": " + cause.getMessage() : ""));
            throw e;
        } catch (ClassNotFoundException | NoClassDefFoundError e) {
            String why = failedInit.get(c.getName());
            NoClassDefFoundError x = new NoClassDefFoundError("class " + c.getName() + " failed to initialize"
                    + (why != null ? " earlier in this process (its static initializer threw " + why + ")" : "")
                    + "; a class whose static initializer failed cannot be used until the process restarts");
            x.initCause(e);
            throw x;
        }
    }

    // ---------------------------------------------------------------------------------
    // Kinds of types and objects

    static int primKind(Class<?> c) {
        if (c == boolean.class) return K_Z;
        if (c == byte.class) return K_B;
        if (c == char.class) return K_C;
        if (c == short.class) return K_S;
        if (c == int.class) return K_I;
        if (c == long.class) return K_J;
        if (c == float.class) return K_F;
        if (c == double.class) return K_D;
        return K_VOID;
    }

    static int boxKind(Class<?> c) {
        if (c == Boolean.class) return K_BOX + K_Z - 1;
        if (c == Byte.class) return K_BOX + K_B - 1;
        if (c == Character.class) return K_BOX + K_C - 1;
        if (c == Short.class) return K_BOX + K_S - 1;
        if (c == Integer.class) return K_BOX + K_I - 1;
        if (c == Long.class) return K_BOX + K_J - 1;
        if (c == Float.class) return K_BOX + K_F - 1;
        if (c == Double.class) return K_BOX + K_D - 1;
        return -1;
    }

    static int kindOf(Class<?> c) {
        if (c.isPrimitive()) return primKind(c);
        if (c == String.class) return K_STRING;
        int b = boxKind(c);
        if (b >= 0) return b;
        if (c.isArray()) return K_ARRAY;
        if (samOf(c) != null) return K_FUNC;
        return K_OBJECT;
    }

    static int kindOfObject(Object o) {
        Class<?> c = o.getClass();
        if (c == String.class) return K_STRING;
        int b = boxKind(c);
        if (b >= 0) return b;
        if (c.isArray()) {
            Class<?> e = c.getComponentType();
            return e.isPrimitive() ? K_PRIM_ARRAY + primKind(e) : K_ARRAY;
        }
        if (o instanceof ForeignObject) return K_FOREIGN;
        if (Proxy.isProxyClass(c) && Proxy.getInvocationHandler(o) instanceof CallbackHandler) return K_FOREIGN;
        return K_OBJECT;
    }

    /** {runtime, value, callable} of a foreign value held by Java, else null. */
    static long[] foreignRef(Object o) {
        if (o instanceof ForeignObject) {
            ForeignObject f = (ForeignObject) o;
            return new long[] {f.runtime, f.value, f.callable ? 1 : 0};
        }
        if (o != null && Proxy.isProxyClass(o.getClass()) && Proxy.getInvocationHandler(o) instanceof CallbackHandler) {
            CallbackHandler h = (CallbackHandler) Proxy.getInvocationHandler(o);
            return new long[] {h.runtime, h.value, 1};
        }
        return null;
    }

    static String className(Object o) {
        return o.getClass().getName();
    }

    private static boolean isObjectMethod(Method m) {
        try {
            Object.class.getMethod(m.getName(), m.getParameterTypes());
            return true;
        } catch (NoSuchMethodException e) {
            return false;
        }
    }

    /** The single abstract method of a functional interface, or null. */
    static Method samOf(Class<?> c) {
        if (!c.isInterface()) return null;
        Method found = null;
        for (Method m : c.getMethods()) {
            if (!Modifier.isAbstract(m.getModifiers()) || isObjectMethod(m)) continue;
            if (found != null && !(found.getName().equals(m.getName())
                    && Arrays.equals(found.getParameterTypes(), m.getParameterTypes()))) {
                return null;
            }
            found = m;
        }
        return found;
    }

    // ---------------------------------------------------------------------------------
    // Entities: resolution and overloads

    static String typeName(long code, int dims) {
        long e = code & ~(ARRAY | PACKED);
        if (e == 0 && (code & ARRAY) != 0) e = ANY; // the bare array type: an array of any
        String n;
        if (e == F64) n = "float64";
        else if (e == F32) n = "float32";
        else if (e == I8) n = "int8";
        else if (e == I16) n = "int16";
        else if (e == I32) n = "int32";
        else if (e == I64) n = "int64";
        else if (e == U8) n = "uint8";
        else if (e == U16) n = "uint16";
        else if (e == U32) n = "uint32";
        else if (e == U64) n = "uint64";
        else if (e == BOOL) n = "bool";
        else if (e == STR8) n = "string8";
        else if (e == STR16) n = "string16";
        else if (e == STR32) n = "string32";
        else if (e == HANDLE) n = "handle";
        else if (e == SIZE) n = "size";
        else if (e == CH8) n = "char8";
        else if (e == CH16) n = "char16";
        else if (e == CH32) n = "char32";
        else if (e == ANY) n = "any";
        else if (e == NULL) n = "null";
        else if (e == CALLABLE) n = "callable";
        else if (e == MAP) n = "map";
        else n = "type " + e;
        int d = (code & ARRAY) != 0 ? Math.max(dims, 1) : 0;
        StringBuilder sb = new StringBuilder(n);
        for (int i = 0; i < d; i++) sb.append("[]");
        return sb.toString();
    }

    private static final Class<?>[] WIDER_I8 = {short.class, int.class, long.class, float.class, double.class};
    private static final Class<?>[] WIDER_I16 = {int.class, long.class, float.class, double.class};
    private static final Class<?>[] WIDER_I32 = {long.class, float.class, double.class};
    private static final Class<?>[] WIDER_I64 = {float.class, double.class};
    private static final Class<?>[] WIDER_F32 = {double.class};

    private static final Class<?>[] INTEGRAL = {byte.class, short.class, int.class, long.class,
        Byte.class, Short.class, Integer.class, Long.class};
    private static final Class<?>[] FLOATING = {float.class, double.class, Float.class, Double.class};

    private static int numeric(Class<?> j, Class<?> prim, Class<?> box, Class<?>[] wider) {
        if (j == prim) return 10;
        if (j == box) return 8;
        if (j == Object.class || j == Number.class || j == Comparable.class || j == java.io.Serializable.class) return 2;
        for (Class<?> w : wider) if (j == w) return 1;
        // Narrowing (an int64 declared for an int parameter): accepted when nothing fits
        // better; each value is range-checked when the call converts it.
        boolean integral = prim != float.class && prim != double.class;
        for (Class<?> n : integral ? INTEGRAL : FLOATING) if (j == n) return 0;
        return -1;
    }

    /** How well a Java parameter type fits a declared MetaFFI type: -1 not at all. */
    static int score(Class<?> j, long code, int dims, String alias) {
        if (alias != null && !alias.isEmpty()
                && (alias.equals(j.getName()) || alias.equals(j.getTypeName()) || alias.equals(j.getSimpleName()))) {
            return 100;
        }
        long e = code & ~(ARRAY | PACKED);
        if (e == 0 && (code & ARRAY) != 0) e = ANY; // the bare array type: an array of any
        int d = (code & ARRAY) != 0 ? Math.max(dims, 1) : 0;
        if (d > 0) {
            if (e == ANY && d == 1 && !j.isPrimitive()) return j == Object.class ? 3 : j.isArray() ? 4 : 1;
            if (!j.isArray()) return j == Object.class || j == Cloneable.class || j == java.io.Serializable.class ? 1 : -1;
            Class<?> c = j;
            for (int i = 0; i < d; i++) {
                if (!c.isArray()) return c == Object.class ? 1 : -1;
                c = c.getComponentType();
            }
            int s = score(c, e, 0, null);
            return s < 0 ? -1 : s;
        }
        if (e == I8) return numeric(j, byte.class, Byte.class, WIDER_I8);
        if (e == I16) return numeric(j, short.class, Short.class, WIDER_I16);
        if (e == I32) return numeric(j, int.class, Integer.class, WIDER_I32);
        if (e == I64) return numeric(j, long.class, Long.class, WIDER_I64);
        if (e == U8) return j == short.class ? 6 : numeric(j, byte.class, Byte.class, WIDER_I16);
        if (e == U16) return j == char.class ? 6 : numeric(j, short.class, Short.class, WIDER_I32);
        if (e == U32) return numeric(j, int.class, Integer.class, WIDER_I64);
        if (e == U64 || e == SIZE) return numeric(j, long.class, Long.class, WIDER_I64);
        if (e == F32) return numeric(j, float.class, Float.class, WIDER_F32);
        if (e == F64) return numeric(j, double.class, Double.class, new Class<?>[0]);
        if (e == BOOL) return j == boolean.class ? 10 : j == Boolean.class ? 8 : j == Object.class ? 2 : -1;
        if (e == CH8 || e == CH16 || e == CH32) {
            return j == char.class ? 10 : j == Character.class ? 8 : j == Object.class ? 2 : -1;
        }
        if (e == STR8 || e == STR16 || e == STR32) {
            if (j == String.class) return 10;
            if (j == CharSequence.class) return 6;
            return j == Object.class || j == Comparable.class || j == java.io.Serializable.class ? 2 : -1;
        }
        if (j.isPrimitive()) return e == ANY ? 1 : -1;
        if (e == HANDLE || e == NULL) return j == Object.class ? 4 : 3;
        if (e == CALLABLE) return samOf(j) != null ? 8 : j == Object.class ? 2 : -1;
        if (e == MAP) return Map.class.isAssignableFrom(j) || j.isAssignableFrom(LinkedHashMap.class) ? 8 : -1;
        if (e == ANY) return j == Object.class ? 5 : 3;
        return -1;
    }

    static String signature(Executable x) {
        StringBuilder sb = new StringBuilder();
        sb.append(x instanceof Constructor ? x.getDeclaringClass().getName() : x.getName()).append('(');
        Class<?>[] p = x.getParameterTypes();
        for (int i = 0; i < p.length; i++) sb.append(i > 0 ? ", " : "").append(p[i].getTypeName());
        sb.append(')');
        if (Modifier.isStatic(x.getModifiers())) sb.insert(0, "static ");
        return sb.toString();
    }

    private static String declared(long[] t, int[] d, int from) {
        StringBuilder sb = new StringBuilder("(");
        for (int i = from; i < t.length; i++) sb.append(i > from ? ", " : "").append(typeName(t[i], d[i]));
        return sb.append(')').toString();
    }

    private static String candidates(List<? extends Executable> list) {
        StringBuilder sb = new StringBuilder();
        for (Executable x : list) sb.append("\n  ").append(signature(x));
        return sb.toString();
    }

    private static List<Method> methodsNamed(Class<?> cls, String name) {
        List<Method> out = new ArrayList<>();
        for (Method m : PublicMethods.of(cls)) if (m.getName().equals(name)) out.add(m);
        return out;
    }

    /**
     * The member an entity path names, with the overload that fits the declared types.
     * flags: F_INSTANCE, F_GETTER, F_SETTER.
     */
    static Object resolve(Class<?> cls, String callable, String field, int flags, long[] pt, int[] pd,
                          String[] pa, long[] rt, int[] rd) {
        boolean instance = (flags & F_INSTANCE) != 0;
        String owner = cls.getName();
        if ((callable != null && callable.indexOf('\0') >= 0) || (field != null && field.indexOf('\0') >= 0)) {
            throw new IllegalArgumentException("a member name cannot contain a NUL character");
        }
        if (field != null) return resolveField(cls, field, flags, pt, rt);
        if ((flags & (F_GETTER | F_SETTER)) != 0) {
            throw new IllegalArgumentException("getter and setter apply to field=...; callable=" + callable + " is a method");
        }
        int skip = instance ? 1 : 0;
        if (instance) {
            long t0 = pt.length == 0 ? 0 : pt[0] & ~PACKED;
            boolean ok = t0 == HANDLE || t0 == ANY || t0 == CALLABLE
                    || (pt.length > 0 && (t0 & ARRAY) == 0 && score(cls, pt[0], pd[0], null) >= 8);
            if (!ok) {
                throw new IllegalArgumentException("instance_required: the first parameter type must be "
                        + "metaffi_handle_type (the object)" + (boxKind(cls) >= 0 || cls == String.class
                        ? " or the value type of " + cls.getName() : "") + ", declared " + declared(pt, pd, 0));
            }
        }
        int n = pt.length - skip;
        List<? extends Executable> all;
        String what;
        if (callable.equals("<init>")) {
            if (instance) throw new IllegalArgumentException("a constructor (<init>) takes no instance_required");
            all = Arrays.asList(cls.getConstructors());
            what = "constructor of " + owner;
        } else {
            List<Method> named = methodsNamed(cls, callable);
            if (named.isEmpty()) {
                throw new IllegalArgumentException("class " + owner + " has no public method '" + callable + "'");
            }
            List<Method> right = new ArrayList<>();
            for (Method m : named) if (Modifier.isStatic(m.getModifiers()) != instance) right.add(m);
            if (right.isEmpty()) {
                throw new IllegalArgumentException(owner + "." + callable + " is " + (instance
                        ? "static: remove instance_required" : "an instance method: add instance_required and pass the object first")
                        + "; candidates:" + candidates(named));
            }
            all = right;
            what = "method " + owner + "." + callable;
        }
        Executable best = null;
        int bestScore = -1;
        List<Executable> ties = new ArrayList<>();
        for (Executable x : all) {
            Class<?>[] p = x.getParameterTypes();
            if (p.length != n) continue;
            int total = 0;
            for (int i = 0; i < n && total >= 0; i++) {
                int s = score(p[i], pt[i + skip], pd[i + skip], pa[i + skip]);
                total = s < 0 ? -1 : total + s;
            }
            if (total < 0) continue;
            if (total > bestScore) {
                best = x;
                bestScore = total;
                ties.clear();
                ties.add(x);
            } else if (total == bestScore) {
                ties.add(x);
            }
        }
        if (best == null) {
            throw new IllegalArgumentException("no " + what + " takes the declared parameter types "
                    + declared(pt, pd, skip) + "; candidates:" + candidates(all));
        }
        if (ties.size() > 1) {
            throw new IllegalArgumentException("the declared parameter types " + declared(pt, pd, skip)
                    + " fit several overloads of " + what + "; declare more precise types or set the Java type "
                    + "name as the type alias (new MetaFFITypeInfo(type, 'java.lang.String')):" + candidates(ties));
        }
        if (best instanceof Method && ((Method) best).getReturnType() == void.class && rt.length > 0) {
            throw new IllegalArgumentException(signature(best) + " returns void, but " + rt.length
                    + " return type(s) were declared");
        }
        if (rt.length > 1) {
            throw new IllegalArgumentException("a Java method returns one value; " + rt.length + " return types were declared");
        }
        return best;
    }

    private static Object resolveField(Class<?> cls, String name, int flags, long[] pt, long[] rt) {
        boolean instance = (flags & F_INSTANCE) != 0;
        if ((flags & (F_GETTER | F_SETTER)) == 0) {
            throw new IllegalArgumentException("field=" + name + " needs the tag getter or setter");
        }
        Field f = null;
        try {
            f = cls.getField(name);
        } catch (NoSuchFieldException e) {
            for (Class<?> c = cls; c != null && f == null; c = c.getSuperclass()) {
                try {
                    f = c.getDeclaredField(name);
                } catch (NoSuchFieldException ignored) {
                    // look in the superclass
                }
            }
        }
        if (f == null) throw new IllegalArgumentException("class " + cls.getName() + " has no field '" + name + "'");
        boolean isStatic = Modifier.isStatic(f.getModifiers());
        if (isStatic == instance) {
            throw new IllegalArgumentException("field " + cls.getName() + "." + name + " is "
                    + (isStatic ? "static: remove instance_required" : "an instance field: add instance_required and pass the object first"));
        }
        int want = (instance ? 1 : 0) + ((flags & F_SETTER) != 0 ? 1 : 0);
        if (pt.length != want) {
            throw new IllegalArgumentException("field " + name + ((flags & F_SETTER) != 0 ? " setter" : " getter")
                    + " takes " + want + " parameter(s) (" + (instance ? "the object" : "") + (instance && want == 2 ? ", " : "")
                    + (want > (instance ? 1 : 0) ? "the value" : "") + "), " + pt.length + " declared");
        }
        if ((flags & F_GETTER) != 0 && rt.length != 1) {
            throw new IllegalArgumentException("field " + name + " getter returns one value, " + rt.length + " declared");
        }
        if ((flags & F_SETTER) != 0 && rt.length != 0) {
            throw new IllegalArgumentException("field " + name + " setter returns nothing, " + rt.length + " declared");
        }
        if ((flags & F_SETTER) != 0 && Modifier.isFinal(f.getModifiers())) {
            throw new IllegalArgumentException("field " + cls.getName() + "." + name + " is final and cannot be set");
        }
        return f;
    }

    static Class<?>[] paramTypes(Object member, int flags) {
        if (member instanceof Executable) return ((Executable) member).getParameterTypes();
        Field f = (Field) member;
        return (flags & F_SETTER) != 0 ? new Class<?>[] {f.getType()} : new Class<?>[0];
    }

    static Class<?> returnType(Object member, int flags) {
        if (member instanceof Method) return ((Method) member).getReturnType();
        if (member instanceof Constructor) return ((Constructor<?>) member).getDeclaringClass();
        return (flags & F_GETTER) != 0 ? ((Field) member).getType() : void.class;
    }

    static boolean isStatic(Object member) {
        return Modifier.isStatic(((Member) member).getModifiers());
    }

    // ---------------------------------------------------------------------------------
    // Functions across runtimes

    static Object proxy(Class<?> iface, long runtime, long value) {
        CallbackHandler h = new CallbackHandler(iface, runtime, value);
        Object p = Proxy.newProxyInstance(iface.getClassLoader() != null ? iface.getClassLoader() : loader,
                new Class<?>[] {iface}, h);
        CLEANER.register(p, new Release(runtime, value));
        return p;
    }

    private static Method samOfObject(Class<?> c) {
        Method m = samCache.get(c);
        if (m != null) return m;
        for (Class<?> k = c; k != null && m == null; k = k.getSuperclass()) {
            for (Class<?> i : k.getInterfaces()) {
                m = samOf(i);
                if (m != null) break;
            }
        }
        if (m == null) {
            throw new IllegalArgumentException(c.getName() + " implements no functional interface, so it cannot be called");
        }
        try {
            m.setAccessible(true);
        } catch (RuntimeException ignored) {
            // public interfaces need no access
        }
        samCache.put(c, m);
        return m;
    }

    /** Call a Java functional object (a lambda, a Comparator...) with natural values. */
    static Object invokeFunctional(Object fn, Object[] args) throws Throwable {
        Method m = samOfObject(fn.getClass());
        Class<?>[] p = m.getParameterTypes();
        if (p.length != args.length) {
            throw new IllegalArgumentException(m.getDeclaringClass().getName() + "." + m.getName() + " takes "
                    + p.length + " argument(s), got " + args.length);
        }
        Object[] a = new Object[args.length];
        for (int i = 0; i < a.length; i++) a[i] = coerce(args[i], p[i]);
        try {
            Object r = m.invoke(fn, a);
            return m.getReturnType() == void.class ? VOID : r;
        } catch (InvocationTargetException e) {
            throw e.getCause();
        }
    }

    private static Class<?> boxOf(Class<?> t) {
        if (t == int.class) return Integer.class;
        if (t == long.class) return Long.class;
        if (t == double.class) return Double.class;
        if (t == float.class) return Float.class;
        if (t == short.class) return Short.class;
        if (t == byte.class) return Byte.class;
        if (t == char.class) return Character.class;
        if (t == boolean.class) return Boolean.class;
        return t;
    }

    /** Make a natural value (Integer, Long, Double, String, Object[]...) fit a Java type. */
    static Object coerce(Object v, Class<?> t) {
        if (t == void.class) return null;
        if (v == null) {
            if (t.isPrimitive()) throw new IllegalArgumentException("null given where Java expects " + t.getName());
            return null;
        }
        Class<?> b = boxOf(t);
        if (b.isInstance(v)) return v;
        if (v instanceof Number && (b == Integer.class || b == Long.class || b == Double.class || b == Float.class
                || b == Short.class || b == Byte.class || b == Number.class)) {
            Number n = (Number) v;
            if (b == Number.class) return n;
            if (b == Double.class) return n.doubleValue();
            if (b == Float.class) {
                float f = n.floatValue();
                if (Float.isInfinite(f) && !Double.isInfinite(n.doubleValue())) {
                    throw new IllegalArgumentException("the value " + n + " is out of the range of a Java float");
                }
                return f;
            }
            // integral targets: integral values in range only, never a silent truncation
            boolean integral = v instanceof Integer || v instanceof Long || v instanceof Short || v instanceof Byte;
            long l = n.longValue();
            long lo = b == Integer.class ? Integer.MIN_VALUE : b == Short.class ? Short.MIN_VALUE
                    : b == Byte.class ? Byte.MIN_VALUE : Long.MIN_VALUE;
            long hi = b == Integer.class ? Integer.MAX_VALUE : b == Short.class ? Short.MAX_VALUE
                    : b == Byte.class ? Byte.MAX_VALUE : Long.MAX_VALUE;
            if (!integral || l < lo || l > hi) {
                throw new IllegalArgumentException("the value " + n + " does not fit a Java " + t.getTypeName());
            }
            if (b == Integer.class) return (int) l;
            if (b == Long.class) return l;
            if (b == Short.class) return (short) l;
            return (byte) l;
        }
        if (b == Character.class && v instanceof String && ((String) v).length() == 1) return ((String) v).charAt(0);
        if (t.isArray() && v.getClass().isArray()) {
            int n = Array.getLength(v);
            Class<?> c = t.getComponentType();
            Object out = Array.newInstance(c, n);
            for (int i = 0; i < n; i++) Array.set(out, i, coerce(Array.get(v, i), c));
            return out;
        }
        if (v instanceof ForeignObject && ((ForeignObject) v).callable && samOf(t) != null) {
            ForeignObject f = (ForeignObject) v;
            retainForeign(f);
            return proxy(t, f.runtime, f.value);
        }
        throw new ClassCastException("a " + v.getClass().getName() + " value cannot be used where Java expects " + t.getTypeName());
    }

    static native void retainForeign(long runtime, long value);

    private static void retainForeign(ForeignObject f) {
        retainForeign(f.runtime, f.value);
    }

    // ---------------------------------------------------------------------------------
    // Errors and output

    /** {class name, message, stack trace, host error id} of a Java exception. */
    static String[] describeException(Throwable t) {
        StringWriter sw = new StringWriter();
        try (PrintWriter pw = new PrintWriter(sw)) {
            t.printStackTrace(pw);
        }
        long host = 0;
        String type = t.getClass().getName();
        String msg = t.getMessage();
        if (t instanceof StackOverflowError && (msg == null || msg.isEmpty())) msg = STACK_OVERFLOW;
        if (t instanceof ExceptionInInitializerError && t.getCause() != null) {
            Throwable c = t.getCause();
            String owner = "a static initializer";
            for (StackTraceElement e : c.getStackTrace()) {
                if (e.getMethodName().equals("<clinit>")) {
                    owner = "the static initializer of " + e.getClassName();
                    break;
                }
            }
            msg = owner + " threw " + c.getClass().getName()
                    + (c.getMessage() != null ? ": " + c.getMessage() : "");
        }
        if (t instanceof ForeignException) {
            ForeignException f = (ForeignException) t;
            host = f.hostError;
            if (host != 0) {
                type = f.foreignType;
                String m = f.getMessage();
                String prefix = f.foreignType == null || f.foreignType.isEmpty() ? "" : f.foreignType + ": ";
                msg = m != null && m.startsWith(prefix) ? m.substring(prefix.length()) : m;
            }
        }
        return new String[] {type, msg == null ? "" : msg, sw.toString(), Long.toString(host)};
    }

    static final String STACK_OVERFLOW = "the Java stack overflowed (calls nested too deeply, "
            + "for example functions of JavaScript and Java calling each other)";

    static void flush() {
        System.out.flush();
        System.err.flush();
    }
}
