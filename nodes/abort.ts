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
