/**
 * The events of the turns this process is running, per thread, for the thread journal (the turn's
 * summary, and its step trace when tracing is on). An observer of every compiled tree that has a
 * journal; a thread's events are kept only while a turn run by the runtime records them, so a plain
 * `graph.invoke` costs one map lookup per event.
 */
import type { EventObserver, SwitchboardEvent } from './events.js';

export interface RecordedEvent {
  event: SwitchboardEvent;
  /** When it happened (epoch milliseconds). */
  at: number;
}

export class TurnRecorder {
  readonly #recording = new Map<string, RecordedEvent[]>();

  /** Give to the tree's observers. */
  readonly observer: EventObserver = (event, context) => {
    if (this.#recording.size === 0 || event.type === 'text-delta') return;
    this.#recording.get(context.threadId)?.push({ event, at: context.at });
  };

  /** Records the thread's events from now until {@link stop} (one turn at a time per thread: the thread lock sees to it). */
  start(threadId: string): RecordedEvent[] {
    const events: RecordedEvent[] = [];
    this.#recording.set(threadId, events);
    return events;
  }

  stop(threadId: string, events: RecordedEvent[]): void {
    if (this.#recording.get(threadId) === events) this.#recording.delete(threadId);
  }
}
