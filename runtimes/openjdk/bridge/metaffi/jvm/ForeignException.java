package metaffi.jvm;

/**
 * An exception raised by a function of another runtime (a JS callback, a Python callable)
 * called from Java. If Java code does not catch it, it goes back to the caller in its
 * original form.
 */
public class ForeignException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** The foreign type of the error ("TypeError", "ValueError"). */
    public final String foreignType;
    /** The foreign stack trace, when the other runtime gave one. */
    public final String foreignStack;
    /** Non-zero when the error started as a JS exception: the host uses it to hand the
     * original exception back to the JS caller. */
    final long hostError;
    /** The foreign error's own message (read without a Java call when the stack is exhausted). */
    final String foreignMessage;

    ForeignException(String foreignType, String message, String foreignStack, long hostError) {
        super(foreignType == null || foreignType.isEmpty() ? message : foreignType + ": " + message);
        this.foreignType = foreignType;
        this.foreignMessage = message;
        this.foreignStack = foreignStack;
        this.hostError = hostError;
    }
}
