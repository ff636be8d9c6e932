/**
 * The one error type Kiln throws for bad input. Its message always says where (file, node, op)
 * and what was expected, so a user can fix the model or the call without reading our code.
 */
export interface KilnErrorContext {
  file?: string;
  node?: string;
  op?: string;
  expected?: string;
}

export class KilnError extends Error {
  readonly context: KilnErrorContext;

  constructor(message: string, context: KilnErrorContext = {}, options?: { cause?: unknown }) {
    super(formatMessage(message, context), options);
    this.name = 'KilnError';
    this.context = context;
  }

  /** Re-throw with more context (e.g. the file name once the caller knows it), keeping the cause. */
  withContext(extra: KilnErrorContext): KilnError {
    const merged = { ...extra, ...this.context };
    const err = new KilnError(this.rawMessage, merged, { cause: this.cause });
    err.stack = this.stack;
    return err;
  }

  private get rawMessage(): string {
    return this.message.replace(/^(\[[^\]]*\] )/, '').replace(/ \(expected: .*\)$/, '');
  }
}

function formatMessage(message: string, ctx: KilnErrorContext): string {
  const where: string[] = [];
  if (ctx.file) where.push(`file ${ctx.file}`);
  if (ctx.node !== undefined) where.push(`node '${ctx.node}'`);
  if (ctx.op) where.push(`op ${ctx.op}`);
  const prefix = where.length ? `[${where.join(', ')}] ` : '';
  const suffix = ctx.expected ? ` (expected: ${ctx.expected})` : '';
  return prefix + message + suffix;
}

/** Wrap anything thrown by `fn` that is not already a KilnError. */
export function asKilnError(err: unknown, message: string, context: KilnErrorContext = {}): KilnError {
  if (err instanceof KilnError) return err.withContext(context);
  const detail = err instanceof Error ? err.message : String(err);
  return new KilnError(`${message}: ${detail}`, context, { cause: err });
}
