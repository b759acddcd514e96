package metaffi.jvm;

import java.lang.reflect.InvocationHandler;
import java.lang.reflect.Method;

/**
 * Implements a functional interface with a function of another runtime (a JS function):
 * calling the interface's abstract method calls the function through the native core.
 */
final class CallbackHandler implements InvocationHandler {
    final long runtime;
    final long value;
    private final Class<?> iface;

    CallbackHandler(Class<?> iface, long runtime, long value) {
        this.iface = iface;
        this.runtime = runtime;
        this.value = value;
    }

    @Override
    public Object invoke(Object proxy, Method method, Object[] args) throws Throwable {
        if (method.getDeclaringClass() == Object.class) {
            switch (method.getName()) {
                case "equals":
                    return proxy == args[0];
                case "hashCode":
                    return System.identityHashCode(proxy);
                default:
                    return "JavaScript function implementing " + iface.getName();
            }
        }
        if (method.isDefault()) return InvocationHandler.invokeDefault(proxy, method, args);
        Object r = Bridge.callForeign(runtime, value, args == null ? new Object[0] : args);
        return Bridge.coerce(r, method.getReturnType());
    }
}
