package metaffi.jvm;

import java.net.URL;
import java.net.URLClassLoader;

/**
 * The class loader the openjdk plugin owns: every loadModule adds its jars and class
 * folders here. Its parent is the application class loader, so JDK classes stay visible.
 */
final class ModuleLoader extends URLClassLoader {
    static {
        ClassLoader.registerAsParallelCapable();
    }

    ModuleLoader(ClassLoader parent) {
        super(new URL[0], parent);
    }

    void add(URL url) {
        addURL(url);
    }
}
