/**
 * LangGraph's `interrupt()`, with nothing of the value in the error it throws to pause the thread.
 * LangGraph's `GraphInterrupt` carries the value in its message (and so in its stack), and tracers
 * post a run's error text as it is: LangSmith's `LANGSMITH_HIDE_INPUTS`/`_OUTPUTS` cover inputs and
 * outputs, not errors, and a request for a person holds what the user wrote. The value still reaches
 * the checkpoint (LangGraph reads the error's `interrupts`, not its message).
 */
import { interrupt, isGraphInterrupt } from '@langchain/langgraph';

export const PAUSE_MESSAGE = 'The thread waits for a person (interrupt).';

export function pauseFor(value: unknown): unknown {
  try {
    return interrupt(value);
  } catch (error) {
    if (isGraphInterrupt(error)) {
      const frames = error.stack?.indexOf('\n    at ') ?? -1;
      error.message = PAUSE_MESSAGE;
      error.stack = `${error.name}: ${PAUSE_MESSAGE}${frames === -1 ? '' : error.stack!.slice(frames)}`;
    }
    throw error;
  }
}

/** What a read of a resumed answer says: the answer, why it is invalid, or to ask again without a word. */
export type PauseAnswer<T> = { value: T } | { invalid: string } | 'ask-again';

/**
 * Pauses until the answer the thread is resumed with reads as valid. A malformed answer (sent as
 * LangGraph's own `Command({ resume })`, which nothing checked first) is saved as the step's answer
 * before the node reads it, and would fail every later run of the thread: the thread pauses again
 * instead, and the next answer is read. `onInvalid` is told why once, when the refused answer is the
 * latest (a later run replays it on its way to the next); `onPause` each time the thread pauses.
 */
export function pauseUntil<T>(request: unknown, read: (raw: unknown) => PauseAnswer<T>, events: { onPause?: () => void; onInvalid: (why: string) => void }): T {
  let invalid: string | undefined;
  for (;;) {
    let raw: unknown;
    try {
      raw = pauseFor(request);
    } catch (error) {
      if (isGraphInterrupt(error)) {
        if (invalid !== undefined) events.onInvalid(invalid);
        events.onPause?.();
      }
      throw error;
    }
    const answer = read(raw);
    if (answer === 'ask-again') continue;
    if ('invalid' in answer) invalid = answer.invalid;
    else return answer.value;
  }
}
