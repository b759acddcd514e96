import { inspect } from 'node:util';

/** util.inspect.custom, by its registered name: the declarations then need no Node.js types,
 * so projects without @types/node type-check against this package. */
const inspectCustom: unique symbol = Symbol.for('nodejs.util.inspect.custom') as never;

export interface MetaFFIErrorDetails {
  /** 'python3', 'openjdk', 'go', or '' for errors of the MetaFFI layer itself. */
  runtime?: string;
  /** The foreign exception type, e.g. 'ZeroDivisionError' or 'java.lang.IllegalStateException'. */
  foreignType?: string;
  /** The foreign exception's own message. */
  foreignMessage?: string;
  /** The foreign traceback or stack trace, as the foreign runtime prints it. */
  foreignStack?: string;
  /** The original JS exception when the error started in a JS callback. */
  cause?: unknown;
}

/**
 * An error from a foreign runtime (exception, Go error or panic) or from MetaFFI itself
 * (bad module path, unknown entity, released runtime). The message starts with the foreign
 * type, e.g. "ZeroDivisionError: division by zero".
 */
export class MetaFFIError extends Error {
  readonly runtime: string;
  readonly foreignType: string | undefined;
  readonly foreignMessage: string | undefined;
  readonly foreignStack: string | undefined;

  constructor(message: string, details: MetaFFIErrorDetails = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = 'MetaFFIError';
    this.runtime = details.runtime ?? '';
    this.foreignType = details.foreignType;
    this.foreignMessage = details.foreignMessage;
    this.foreignStack = details.foreignStack;
  }

  /** How Node prints the error (uncaught, console.log): the JS stack, then the foreign one.
   * Kept out of `stack` itself so that creating the error stays cheap. */
  [inspectCustom](): string {
    const foreign = this.foreignStack ? `\n--- ${this.runtime || 'foreign'} stack ---\n${this.foreignStack.trimEnd()}` : '';
    const cause = this.cause !== undefined ? `\n[cause]: ${inspect(this.cause)}` : '';
    return `${this.stack ?? `${this.name}: ${this.message}`}${foreign}${cause}`;
  }
}
