/**
 * Deadline-based polling for integration tests and benches: never a fixed sleep, always a condition with a
 * deadline and a description that ends up in the failure message.
 */

/** Resolves after `ms` (used only as the poll interval of waitFor and for bounded observation windows). */
export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => {
    globalThis.setTimeout(resolve, ms);
  });
}

export interface WaitOptions {
  readonly timeoutMs?: number;
  readonly what?: string;
  readonly intervalMs?: number;
}

/**
 * Polls `cond` until it returns a value other than undefined/false/null and returns that value; throws
 * `Timed out after N ms waiting for <what>` (with the last error thrown by `cond`, if any) at the deadline.
 */
export async function waitFor<T>(cond: () => T | undefined | null | false | Promise<T | undefined | null | false>, opts: WaitOptions = {}): Promise<T> {
  const timeoutMs = opts.timeoutMs ?? 10_000;
  const intervalMs = opts.intervalMs ?? 25;
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const v = await cond();
      if (v !== undefined && v !== null && v !== false) return v;
    } catch (e: unknown) {
      lastError = e;
    }
    if (Date.now() >= deadline) {
      const detail = lastError instanceof Error ? lastError.message : JSON.stringify(lastError);
      const suffix = lastError === undefined ? '' : ` (last error: ${detail})`;
      throw new Error(`Timed out after ${timeoutMs} ms waiting for ${opts.what ?? 'condition'}${suffix}`);
    }
    await delay(intervalMs);
  }
}
