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
