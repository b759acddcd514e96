package metaffi.jvm;

/**
 * An object or function of another runtime (JavaScript, Python, Go) held by Java. Opaque:
 * Java can store it and pass it back. The foreign reference is dropped when this object is
 * collected.
 */
public final class ForeignObject {
    final long runtime;
    final long value;
    final boolean callable;

    ForeignObject(long runtime, long value, boolean callable) {
        this.runtime = runtime;
        this.value = value;
        this.callable = callable;
        Bridge.CLEANER.register(this, new Bridge.Release(runtime, value));
    }

    @Override
    public String toString() {
        String rt = runtime == 0 ? "JavaScript" : runtime == 1 ? "Python" : runtime == 3 ? "Go" : "foreign";
        return rt + (callable ? " function" : " object");
    }
}
