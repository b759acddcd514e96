import java.io.File;
import java.io.IOException;
import java.lang.reflect.Constructor;
import java.lang.reflect.Executable;
import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.lang.reflect.Parameter;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Enumeration;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.stream.Stream;

import javax.lang.model.element.Element;
import javax.lang.model.element.ElementKind;
import javax.lang.model.element.ExecutableElement;
import javax.lang.model.element.TypeElement;
import javax.lang.model.element.VariableElement;
import javax.lang.model.util.Elements;
import javax.lang.model.util.Types;
import javax.tools.DiagnosticCollector;
import javax.tools.JavaCompiler;
import javax.tools.JavaFileObject;
import javax.tools.StandardJavaFileManager;
import javax.tools.ToolProvider;

import com.sun.source.util.JavacTask;

/**
 * Prints the MetaFFI IDL (JSON) of Java classes, as the JVM sees them.
 *
 * Usage: java MetaFFIJavaIdl <File.java | file.jar | class folder> [more, joined by ';']
 *
 * .java sources are compiled with -parameters into a temporary folder (their Javadoc is read
 * from javac's trees on the way); jars and class folders are read as they are. Every public
 * class is read with reflection: public constructors, methods (static and instance,
 * overloads, inherited ones) and fields. Generic types are erased; Java types become MetaFFI
 * types (int -> int32, long -> int64, String -> string8, Object -> any, a functional
 * interface -> callable, any other class -> handle with the class name as the alias).
 * Errors: one line on stderr, exit status 1.
 */
public final class MetaFFIJavaIdl {
    private final Map<String, String> docs = new HashMap<>();
    private final StringBuilder out = new StringBuilder();

    public static void main(String[] args) {
        if (args.length != 1) {
            System.err.println("usage: MetaFFIJavaIdl <File.java | file.jar | class folder>[;more]");
            System.exit(2);
        }
        try {
            System.out.print(new MetaFFIJavaIdl().run(args[0]));
            System.out.flush();
        } catch (Throwable e) {
            String msg = e.getMessage() == null ? e.toString() : e.getMessage();
            System.err.println(e.getClass().getSimpleName() + ": " + msg.replace('\n', ' '));
            System.exit(1);
        }
    }

    private String run(String spec) throws Exception {
        List<Path> roots = new ArrayList<>();
        List<Path> javaFiles = new ArrayList<>();
        List<Path> given = new ArrayList<>();
        for (String part : spec.split(";")) {
            if (part.isBlank()) continue;
            Path p = Paths.get(part).toAbsolutePath().normalize();
            if (!Files.exists(p)) throw new IOException(p + " does not exist");
            given.add(p);
            if (p.toString().endsWith(".java")) javaFiles.add(p);
            else if (p.toString().endsWith(".class")) roots.add(classRoot(p));
            else roots.add(p);
        }
        List<String> classNames = new ArrayList<>();
        if (!javaFiles.isEmpty()) {
            Path tmp = Files.createTempDirectory("metaffi-java-idl");
            tmp.toFile().deleteOnExit();
            compile(javaFiles, roots, tmp);
            classNames.addAll(listClasses(tmp));
            roots.add(0, tmp);
        }
        for (Path p : given) {
            if (p.toString().endsWith(".java")) continue;
            if (p.toString().endsWith(".class")) {
                Path root = classRoot(p);
                classNames.add(className(root.relativize(p)));
            } else {
                classNames.addAll(listClasses(p));
            }
        }
        URL[] urls = new URL[roots.size()];
        for (int i = 0; i < urls.length; i++) urls[i] = roots.get(i).toUri().toURL();
        List<Class<?>> classes = new ArrayList<>();
        try (URLClassLoader loader = new URLClassLoader(urls, MetaFFIJavaIdl.class.getClassLoader())) {
            for (String name : classNames) {
                Class<?> c;
                try {
                    c = Class.forName(name, false, loader);
                } catch (ClassNotFoundException | LinkageError e) {
                    continue; // a class whose dependencies are not on the class path
                }
                if (!Modifier.isPublic(c.getModifiers()) || c.isAnonymousClass() || c.isLocalClass() || c.isSynthetic()
                        || c.isAnnotation()) continue;
                if (c.getEnclosingClass() != null && !Modifier.isStatic(c.getModifiers())) continue; // inner classes need an outer object
                classes.add(c);
            }
            classes.sort((a, b) -> a.getName().compareTo(b.getName()));
            Path first = given.get(0);
            String file = first.getFileName().toString();
            String stem = file.contains(".") ? file.substring(0, file.lastIndexOf('.')) : file;
            String ext = file.contains(".") ? file.substring(file.lastIndexOf('.')) : "";
            return write(stem, ext, file, first.toString(), classes);
        }
    }

    private static Path classRoot(Path classFile) throws IOException {
        // Walk up as many folders as the class's package has parts: read it from the class file.
        String name = readClassName(classFile);
        Path root = classFile.getParent();
        for (int i = 0; i < name.chars().filter(ch -> ch == '/').count(); i++) root = root.getParent();
        return root;
    }

    private static String readClassName(Path classFile) throws IOException {
        // The this_class entry of the constant pool names the class.
        byte[] b = Files.readAllBytes(classFile);
        java.nio.ByteBuffer buf = java.nio.ByteBuffer.wrap(b);
        if (buf.getInt() != 0xCAFEBABE) throw new IOException(classFile + " is not a class file");
        buf.getShort();
        buf.getShort();
        int count = buf.getShort() & 0xffff;
        String[] utf8 = new String[count];
        int[] classRefs = new int[count];
        for (int i = 1; i < count; i++) {
            int tag = buf.get();
            switch (tag) {
                case 1: {
                    int len = buf.getShort() & 0xffff;
                    byte[] s = new byte[len];
                    buf.get(s);
                    utf8[i] = new String(s, StandardCharsets.UTF_8);
                    break;
                }
                case 7: classRefs[i] = buf.getShort() & 0xffff; break;
                case 8: case 16: case 19: case 20: buf.getShort(); break;
                case 15: buf.get(); buf.getShort(); break;
                case 3: case 4: case 9: case 10: case 11: case 12: case 17: case 18: buf.getInt(); break;
                case 5: case 6: buf.getLong(); i++; break;
                default: throw new IOException(classFile + ": unknown constant pool tag " + tag);
            }
        }
        buf.getShort();
        int thisClass = buf.getShort() & 0xffff;
        return utf8[classRefs[thisClass]];
    }

    private void compile(List<Path> sources, List<Path> classPath, Path outDir) throws IOException {
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        if (javac == null) throw new IOException("no Java compiler: run this with a JDK, not a JRE");
        DiagnosticCollector<JavaFileObject> diagnostics = new DiagnosticCollector<>();
        try (StandardJavaFileManager fm = javac.getStandardFileManager(diagnostics, Locale.ROOT, StandardCharsets.UTF_8)) {
            List<String> options = new ArrayList<>(List.of("-parameters", "-g", "-d", outDir.toString(), "-proc:none"));
            if (!classPath.isEmpty()) {
                StringBuilder cp = new StringBuilder();
                for (Path p : classPath) cp.append(cp.length() > 0 ? File.pathSeparator : "").append(p);
                options.add("-classpath");
                options.add(cp.toString());
            }
            // The source roots (from each file's package), so classes the sources use from
            // sibling files compile along with them.
            StringBuilder sourcePath = new StringBuilder();
            for (Path src : sources) {
                java.util.regex.Matcher m = java.util.regex.Pattern.compile("^\\s*package\\s+([\\w.]+)\\s*;", java.util.regex.Pattern.MULTILINE)
                        .matcher(Files.readString(src));
                Path root = src.getParent();
                if (m.find()) for (int i = 0; i < m.group(1).split("\\.").length && root.getParent() != null; i++) root = root.getParent();
                sourcePath.append(sourcePath.length() > 0 ? File.pathSeparator : "").append(root);
            }
            options.add("-sourcepath");
            options.add(sourcePath.toString());
            Iterable<? extends JavaFileObject> units = fm.getJavaFileObjectsFromPaths(sources);
            JavacTask task = (JavacTask) javac.getTask(null, fm, diagnostics, options, null, units);
            Iterable<? extends Element> analyzed = task.analyze();
            boolean ok = diagnostics.getDiagnostics().stream().noneMatch(d -> d.getKind() == javax.tools.Diagnostic.Kind.ERROR);
            if (ok) {
                collectDocs(analyzed, task.getElements(), task.getTypes());
                task.generate();
                ok = diagnostics.getDiagnostics().stream().noneMatch(d -> d.getKind() == javax.tools.Diagnostic.Kind.ERROR);
            }
            if (!ok) {
                StringBuilder msg = new StringBuilder("javac failed:");
                diagnostics.getDiagnostics().stream().filter(d -> d.getKind() == javax.tools.Diagnostic.Kind.ERROR)
                        .forEach(d -> msg.append(' ').append(d.getSource() == null ? "" : Paths.get(d.getSource().toUri()).getFileName() + ":"
                                + d.getLineNumber() + ": ").append(d.getMessage(Locale.ROOT)).append(';'));
                throw new IOException(msg.toString());
            }
        }
    }

    private void collectDocs(Iterable<? extends Element> elements, Elements util, Types types) {
        for (Element e : elements) {
            if (!(e instanceof TypeElement)) continue;
            collectType((TypeElement) e, util, types);
        }
    }

    private void collectType(TypeElement t, Elements util, Types types) {
        String cls = util.getBinaryName(t).toString();
        putDoc(cls, util.getDocComment(t));
        for (Element m : t.getEnclosedElements()) {
            if (m instanceof TypeElement) {
                collectType((TypeElement) m, util, types);
            } else if (m instanceof ExecutableElement) {
                ExecutableElement x = (ExecutableElement) m;
                StringBuilder key = new StringBuilder(cls).append('#')
                        .append(m.getKind() == ElementKind.CONSTRUCTOR ? "<init>" : m.getSimpleName()).append('(');
                for (int i = 0; i < x.getParameters().size(); i++) {
                    if (i > 0) key.append(',');
                    key.append(types.erasure(x.getParameters().get(i).asType()).toString().replaceAll("<.*>", ""));
                }
                putDoc(key.append(')').toString(), util.getDocComment(m));
            } else if (m instanceof VariableElement) {
                putDoc(cls + "#" + m.getSimpleName(), util.getDocComment(m));
            }
        }
    }

    private void putDoc(String key, String doc) {
        if (doc == null || doc.isBlank()) return;
        StringBuilder text = new StringBuilder();
        doc.strip().lines().forEach(l -> text.append(text.length() > 0 ? "\n" : "").append(l.strip()));
        docs.put(key, text.toString());
    }

    private static List<String> listClasses(Path root) throws IOException {
        List<String> names = new ArrayList<>();
        if (Files.isDirectory(root)) {
            try (Stream<Path> walk = Files.walk(root)) {
                walk.filter(p -> p.toString().endsWith(".class")).forEach(p -> {
                    String n = className(root.relativize(p));
                    if (n != null) names.add(n);
                });
            }
        } else {
            try (JarFile jar = new JarFile(root.toFile())) {
                Enumeration<JarEntry> entries = jar.entries();
                while (entries.hasMoreElements()) {
                    JarEntry e = entries.nextElement();
                    if (!e.getName().endsWith(".class") || e.getName().startsWith("META-INF/")) continue;
                    String n = className(Paths.get(e.getName()));
                    if (n != null) names.add(n);
                }
            }
        }
        Collections.sort(names);
        return names;
    }

    private static String className(Path relative) {
        String s = relative.toString().replace(File.separatorChar, '/');
        s = s.substring(0, s.length() - ".class".length());
        if (s.endsWith("module-info") || s.endsWith("package-info")) return null;
        return s.replace('/', '.');
    }

    // ---------------------------------------------------------------- types

    /** {type, alias} with dims in [2]. */
    private static final class JType {
        String type;
        String alias;
        int dims;

        JType(String type, String alias, int dims) {
            this.type = type;
            this.alias = alias;
            this.dims = dims;
        }
    }

    private static JType map(Class<?> c) {
        if (c.isArray()) {
            JType inner = map(c.getComponentType());
            String type = inner.type.equals("callable") ? "handle" : inner.type;
            // the alias names the whole Java type (java.lang.String[]), which picks the overload
            return new JType(type, c.getTypeName(), inner.dims + 1);
        }
        String n = c.getName();
        switch (n) {
            case "int": return new JType("int32", "int", 0);
            case "long": return new JType("int64", "long", 0);
            case "short": return new JType("int16", "short", 0);
            case "byte": return new JType("int8", "byte", 0);
            case "float": return new JType("float32", "float", 0);
            case "double": return new JType("float64", "double", 0);
            case "boolean": return new JType("bool", "boolean", 0);
            case "char": return new JType("char16", "char", 0);
            case "java.lang.Integer": return new JType("int32", n, 0);
            case "java.lang.Long": return new JType("int64", n, 0);
            case "java.lang.Short": return new JType("int16", n, 0);
            case "java.lang.Byte": return new JType("int8", n, 0);
            case "java.lang.Float": return new JType("float32", n, 0);
            case "java.lang.Double": return new JType("float64", n, 0);
            case "java.lang.Boolean": return new JType("bool", n, 0);
            case "java.lang.Character": return new JType("char16", n, 0);
            case "java.lang.String": return new JType("string8", n, 0);
            case "java.lang.Object": return new JType("any", n, 0);
            default: break;
        }
        if (isFunctional(c)) return new JType("callable", n, 0);
        return new JType("handle", n, 0);
    }

    private static boolean isFunctional(Class<?> c) {
        if (!c.isInterface()) return false;
        if (c.isAnnotationPresent(FunctionalInterface.class)) return true;
        int abstracts = 0;
        for (Method m : c.getMethods()) {
            if (!Modifier.isAbstract(m.getModifiers()) || isObjectMethod(m)) continue;
            abstracts++;
        }
        return abstracts == 1;
    }

    private static boolean isObjectMethod(Method m) {
        try {
            Object.class.getMethod(m.getName(), m.getParameterTypes());
            return true;
        } catch (NoSuchMethodException e) {
            return false;
        }
    }

    // ---------------------------------------------------------------- JSON

    private String write(String stem, String ext, String file, String full, List<Class<?>> classes) {
        out.append("{\n");
        kv("idl_source", stem).append(",\n");
        kv("idl_extension", ext).append(",\n");
        kv("idl_filename_with_extension", file).append(",\n");
        kv("idl_full_path", full).append(",\n");
        kv("metaffi_guest_lib", "").append(",\n");
        kv("target_language", "openjdk").append(",\n");
        out.append("\"modules\": [{");
        kv("name", stem).append(", \"comment\": \"\", \"tags\": {}, \"functions\": [], \"globals\": [], \"external_resources\": [],\n");
        out.append("\"classes\": [");
        for (int i = 0; i < classes.size(); i++) {
            if (i > 0) out.append(",");
            writeClass(classes.get(i));
        }
        out.append("]}]}\n");
        return out.toString();
    }

    private void writeClass(Class<?> c) {
        String name = c.getName();
        out.append("\n{");
        kv("name", name).append(", ");
        kv("comment", docs.getOrDefault(name, "")).append(", \"tags\": {");
        kv("simple_name", c.getSimpleName());
        if (c.isInterface()) out.append(", \"interface\": \"true\"");
        out.append("}, \"entity_path\": {");
        kv("class", name).append("}, \"release\": null,\n\"constructors\": [");
        boolean first = true;
        if (!c.isInterface() && !Modifier.isAbstract(c.getModifiers())) {
            int overload = 0;
            for (Constructor<?> k : sortedConstructors(c)) {
                if (!Modifier.isPublic(k.getModifiers()) || k.isSynthetic()) continue;
                if (!first) out.append(",");
                first = false;
                Map<String, String> path = new LinkedHashMap<>();
                path.put("class", name);
                path.put("callable", "<init>");
                writeFunction(name, k, "<init>", path, false, overload++, new JType("handle", name, 0));
            }
        }
        out.append("],\n\"methods\": [");
        first = true;
        Map<String, Integer> overloads = new HashMap<>();
        for (Method m : sortedMethods(c)) {
            if (!first) out.append(",");
            first = false;
            boolean instance = !Modifier.isStatic(m.getModifiers());
            Map<String, String> path = new LinkedHashMap<>();
            path.put("class", name);
            path.put("callable", m.getName());
            if (instance) path.put("instance_required", "true");
            int overload = overloads.merge(m.getName() + (instance ? "" : "/static"), 1, Integer::sum) - 1;
            JType ret = m.getReturnType() == void.class ? null : map(m.getReturnType());
            writeFunction(name, m, m.getName(), path, instance, overload, ret);
        }
        out.append("],\n\"fields\": [");
        first = true;
        for (Field f : c.getFields()) {
            if (f.isSynthetic()) continue;
            if (!first) out.append(",");
            first = false;
            writeField(c, f);
        }
        out.append("]}");
    }

    private static List<Constructor<?>> sortedConstructors(Class<?> c) {
        List<Constructor<?>> list = new ArrayList<>(List.of(c.getConstructors()));
        list.sort((a, b) -> a.getParameterCount() != b.getParameterCount() ? a.getParameterCount() - b.getParameterCount()
                : a.toString().compareTo(b.toString()));
        return list;
    }

    /** The methods foreign callers can call (metaffi.jvm.PublicMethods, the plugin's own
     * definition), without Object's, sorted by name and parameter count. */
    private static List<Method> sortedMethods(Class<?> c) {
        List<Method> list = new ArrayList<>();
        for (Method m : metaffi.jvm.PublicMethods.of(c)) if (m.getDeclaringClass() != Object.class) list.add(m);
        list.sort((a, b) -> {
            int byName = a.getName().compareTo(b.getName());
            if (byName != 0) return byName;
            if (a.getParameterCount() != b.getParameterCount()) return a.getParameterCount() - b.getParameterCount();
            return a.toString().compareTo(b.toString());
        });
        return list;
    }

    private void writeFunction(String cls, Executable x, String name, Map<String, String> path, boolean instance,
                               int overload, JType ret) {
        out.append("\n {");
        kv("name", name).append(", ");
        StringBuilder key = new StringBuilder(x.getDeclaringClass().getName()).append('#').append(name).append('(');
        Class<?>[] types = x.getParameterTypes();
        for (int i = 0; i < types.length; i++) key.append(i > 0 ? "," : "").append(types[i].getTypeName().replace('$', '.'));
        key.append(')');
        String doc = docs.getOrDefault(key.toString(), "");
        kv("comment", doc).append(", \"tags\": {}, \"entity_path\": {");
        boolean first = true;
        for (Map.Entry<String, String> e : path.entrySet()) {
            if (!first) out.append(", ");
            first = false;
            kv(e.getKey(), e.getValue());
        }
        out.append("}, \"overload_index\": ").append(overload);
        if (instance) out.append(", \"instance_required\": true");
        out.append(", \"parameters\": [");
        first = true;
        if (instance) {
            arg("this_instance", new JType("handle", cls, 0), "");
            first = false;
        }
        Parameter[] params = x.getParameters();
        for (int i = 0; i < params.length; i++) {
            if (!first) out.append(", ");
            first = false;
            JType t = map(params[i].getType());
            arg(params[i].getName(), t, "");
        }
        out.append("], \"return_values\": [");
        if (ret != null) arg("ret", ret, "");
        out.append("]}");
    }

    private void writeField(Class<?> c, Field f) {
        boolean instance = !Modifier.isStatic(f.getModifiers());
        boolean writable = !Modifier.isFinal(f.getModifiers());
        JType t = map(f.getType());
        String cls = c.getName();
        out.append("\n {");
        argBody(f.getName(), t, docs.getOrDefault(f.getDeclaringClass().getName() + "#" + f.getName(), ""));
        out.append(", \"getter\": ");
        accessor(cls, f.getName(), t, instance, true);
        out.append(", \"setter\": ");
        if (writable) accessor(cls, f.getName(), t, instance, false);
        else out.append("null");
        out.append("}");
    }

    private void accessor(String cls, String field, JType t, boolean instance, boolean getter) {
        out.append("{");
        kv("name", (getter ? "get_" : "set_") + field).append(", \"comment\": \"\", \"tags\": {}, \"entity_path\": {");
        kv("class", cls).append(", ");
        kv("field", field).append(", ");
        kv(getter ? "getter" : "setter", "true");
        if (instance) out.append(", ").append("\"instance_required\": \"true\"");
        out.append("}, \"overload_index\": 0");
        if (instance) out.append(", \"instance_required\": true");
        out.append(", \"parameters\": [");
        boolean first = true;
        if (instance) {
            arg("this_instance", new JType("handle", cls, 0), "");
            first = false;
        }
        if (!getter) {
            if (!first) out.append(", ");
            arg(field, t, "");
        }
        out.append("], \"return_values\": [");
        if (getter) arg(field, t, "");
        out.append("]}");
    }

    private void arg(String name, JType t, String comment) {
        out.append("{");
        argBody(name, t, comment);
        out.append("}");
    }

    private void argBody(String name, JType t, String comment) {
        kv("name", name).append(", ");
        kv("type", t.type).append(", ");
        kv("type_alias", t.alias).append(", ");
        kv("comment", comment).append(", \"tags\": {}, \"dimensions\": ").append(t.dims).append(", \"is_optional\": false");
    }

    private StringBuilder kv(String k, String v) {
        str(k);
        out.append(": ");
        str(v);
        return out;
    }

    private void str(String s) {
        out.append('"');
        for (int i = 0; i < s.length(); i++) {
            char ch = s.charAt(i);
            switch (ch) {
                case '"': out.append("\\\""); break;
                case '\\': out.append("\\\\"); break;
                case '\n': out.append("\\n"); break;
                case '\r': out.append("\\r"); break;
                case '\t': out.append("\\t"); break;
                default:
                    if (ch < 0x20) out.append(String.format("\\u%04x", (int) ch));
                    else out.append(ch);
            }
        }
        out.append('"');
    }
}
