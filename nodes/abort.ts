/**
 * One AbortController per call that also aborts when the run does: a call can then be stopped on
 * its own (a timeout) or with the run. Cheaper than `AbortSignal.any`, which costs more than the
 * rest of a model call's bookkeeping.
 */
export function linkedAbort(outer: AbortSignal | undefined): { controller: AbortController; dispose: () => void } {
  const controller = new AbortController();
  const abort = () => controller.abort(outer?.reason);
  if (outer?.aborted) abort();
  else outer?.addEventListener('abort', abort, { once: true });
  return { controller, dispose: () => outer?.removeEventListener('abort', abort) };
}

/**
 * `promise`, or a rejection with `signal`'s reason as soon as it aborts: for a wait with nothing
 * under way (a pause between retries), which a stopped run need not see to its end.
 */
export function unlessAborted<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return promise;
  if (signal.aborted) return Promise.reject(signal.reason as Error);
  let onAbort!: () => void;
  const stopped = new Promise<never>((_resolve, reject) => {
    onAbort = () => reject(signal.reason as Error);
    signal.addEventListener('abort', onAbort, { once: true });
  });
  return Promise.race([promise, stopped]).finally(() => signal.removeEventListener('abort', onAbort));
}
