package metaffi.jvm;

import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The methods a class offers to foreign callers, the one definition that both the plugin's
 * entity resolution (Bridge) and the IDL extractor (MetaFFIJavaIdl) use: public methods,
 * inherited ones included (Object's too, for interfaces), without compiler bridges and
 * synthetic methods except access bridges, and one method per signature: the most specific
 * declaration.
 */
public final class PublicMethods {
    private PublicMethods() {}

    private static final ClassValue<List<Method>> CACHE = new ClassValue<List<Method>>() {
        @Override
        protected List<Method> computeValue(Class<?> cls) {
            return Collections.unmodifiableList(compute(cls));
        }
    };

    /** The methods of cls, in the order reflection lists them. */
    public static List<Method> of(Class<?> cls) {
        return CACHE.get(cls);
    }

    private static List<Method> compute(Class<?> cls) {
        List<Method> all = new ArrayList<>(Arrays.asList(cls.getMethods()));
        if (cls.isInterface()) all.addAll(Arrays.asList(Object.class.getMethods()));
        Map<String, Method> bySignature = new LinkedHashMap<>();
        for (Method m : all) {
            if ((m.isBridge() || m.isSynthetic()) && !isAccessBridge(m)) continue;
            StringBuilder sig = new StringBuilder(m.getName()).append('(');
            for (Class<?> p : m.getParameterTypes()) sig.append(p.getName()).append(',');
            Method prev = bySignature.get(sig.toString());
            if (prev == null || prev.getDeclaringClass().isAssignableFrom(m.getDeclaringClass())) {
                bySignature.put(sig.toString(), m);
            }
        }
        return new ArrayList<>(bySignature.values());
    }

    /**
     * A public method inherited from a package-private class is reached through a bridge the
     * compiler puts in the public subclass (StringBuilder.length comes from the package-private
     * AbstractStringBuilder): that bridge has the signature of the method it stands for, unlike
     * the bridges of generic methods.
     */
    static boolean isAccessBridge(Method m) {
        for (Class<?> k = m.getDeclaringClass().getSuperclass(); k != null; k = k.getSuperclass()) {
            try {
                Method t = k.getDeclaredMethod(m.getName(), m.getParameterTypes());
                return t.getReturnType() == m.getReturnType() && !Modifier.isPublic(k.getModifiers());
            } catch (NoSuchMethodException e) {
                // look further up
            }
        }
        return false;
    }
}
