/**
 * The dev page's conversations: a user turn or a person's reply, streamed to the page as NDJSON
 * (every Switchboard event, then the result with the shared state), and threads read back.
 */
import type { BaseCheckpointSaver } from '@langchain/langgraph';
import { z } from 'zod';
import { SwitchboardError } from '../errors/switchboard-error.js';
import type { SwitchboardGraph } from '../graphs/compile.js';
import type { SwitchboardEvent } from '../nodes/events.js';
import { listWaitingThreads } from '../runtime/threads.js';
import { checkId, streamResume, streamTurn } from '../runtime/turn.js';
import type { TurnResult } from '../runtime/turn.js';
import type { SwitchboardState } from '../state/schema.js';
import { HttpError } from './http.js';
import type { NdjsonStream } from './http.js';
import { toPageResult, toPageState } from './page-data.js';
import { readWholeThread } from './whole-thread.js';

/** A thread id as runTurn and the CLI take it (a phone number, an e-mail address…): the page opens every thread they made. */
export const ThreadIdSchema = z.string().refine(isThreadId, { error: 'must be 1 to 1024 bytes in UTF-8, with no control characters and well-formed text' });

function isThreadId(id: string): boolean {
  try {
    checkId(id, 'thread id');
    return true;
  } catch {
    return false;
  }
}

export const ChatRequestSchema = z.strictObject({
  threadId: ThreadIdSchema,
  message: z.string().trim().min(1, { error: 'must not be empty' }),
  /** The page's id for this message: a resend (after a dropped connection) is never added twice. */
  messageId: ThreadIdSchema.optional(),
});
export const ReplyRequestSchema = z.strictObject({
  reply: z.string().trim().min(1, { error: 'must not be empty' }),
  handBackTo: z.string().min(1).optional(),
});

/** Parses a request body (or another part of the request, named by `what`), or throws a 400 that names the field. */
export function parseBody<TSchema extends z.ZodType>(schema: TSchema, body: unknown, what = 'body'): z.output<TSchema> {
  const parsed = schema.safeParse(body);
  if (!parsed.success)
    throw new HttpError(400, parsed.error.issues.map((issue) => `${issue.path.join('.') || what} ${issue.message}`).join('; '));
  return parsed.data;
}

/**
 * The thread id of a path (`/api/threads/<id>/…`), percent-decoded and checked: a malformed escape
 * such as `%E0` is the request's mistake (400), not a server failure.
 */
export function threadIdOfPath(raw: string): string {
  let decoded: string;
  try {
    decoded = decodeURIComponent(raw);
  } catch {
    throw new HttpError(400, `The thread id in the path is not valid percent-encoding: ${raw.slice(0, 100)}.`);
  }
  return parseBody(ThreadIdSchema, decoded, 'the thread id in the path');
}

/** A request about one thread: which collection it is in (a thread, or one waiting for a person), and what it asks. */
export interface ThreadRequest {
  collection: 'threads' | 'escalations';
  threadId: string;
  /** What follows the id in the path: `''` (the thread), `trace`, `turns/2`, `fork`, `reply`, `decision`. */
  action: string;
}

/**
 * The thread a request is about: `/api/threads/<id>/<action>` (or `/api/escalations/<id>/<action>`),
 * or the same with the id in the query, `/api/thread/<action>?id=<id>` (`/api/escalation/…`). The
 * page uses the query: a browser removes a path segment `.` or `..` (or `%2E%2E`) before sending
 * the request, so a thread the command line named `..` could not be reached by its path.
 */
export function threadRequestOf(url: URL): ThreadRequest | undefined {
  const inPath = /^\/api\/(threads|escalations)\/([^/]+)(?:\/(.*))?$/.exec(url.pathname);
  if (inPath) return { collection: inPath[1] as ThreadRequest['collection'], threadId: threadIdOfPath(inPath[2] ?? ''), action: inPath[3] ?? '' };
  const inQuery = /^\/api\/(thread|escalation)(?:\/(.*))?$/.exec(url.pathname);
  if (!inQuery) return undefined;
  const id = url.searchParams.get('id');
  if (id === null) throw new HttpError(400, `${url.pathname} needs the thread id in the query: ?id=<thread id>.`);
  return { collection: inQuery[1] === 'thread' ? 'threads' : 'escalations', threadId: parseBody(ThreadIdSchema, id, 'the thread id'), action: inQuery[2] ?? '' };
}

/** Runs turns one at a time per thread: a message sent while one runs is refused, not queued. */
export class ThreadRunner {
  private readonly running = new Set<string>();

  /** Streams a user turn to `stream`; false when it was refused (another turn runs on the thread). */
  chat(graph: SwitchboardGraph, threadId: string, message: string, stream: NdjsonStream, messageId?: string): Promise<boolean> {
    return this.run(threadId, stream, () => streamTurn(graph, { threadId, message, messageId }));
  }

  /** Streams a person's reply to a waiting thread to `stream`; false when it was refused (another turn runs on the thread). */
  reply(graph: SwitchboardGraph, threadId: string, reply: z.output<typeof ReplyRequestSchema>, stream: NdjsonStream): Promise<boolean> {
    const answer = reply.handBackTo === undefined ? { reply: reply.reply } : { reply: reply.reply, handBackTo: reply.handBackTo };
    return this.run(threadId, stream, () => streamResume(graph, threadId, { ...answer, operator: 'dev page' }));
  }

  private async run(threadId: string, stream: NdjsonStream, start: () => AsyncGenerator<SwitchboardEvent, TurnResult>): Promise<boolean> {
    if (this.running.has(threadId)) {
      stream.write({ type: 'error', error: { code: 'THREAD_BUSY', message: `A turn is already running on thread ${threadId}.` } });
      stream.end();
      return false;
    }
    this.running.add(threadId);
    try {
      const events = start();
      let next = await events.next();
      while (!next.done) {
        stream.write({ type: 'event', event: next.value });
        next = await events.next();
      }
      stream.write({ type: 'result', result: toPageResult(next.value) });
    } catch (error) {
      // Mistakes (nothing pending, a bad hand-back target) and failed turns are shown in the page.
      const code = error instanceof SwitchboardError ? error.code : 'INTERNAL';
      stream.write({ type: 'error', error: { code, message: (error as Error).message } });
    } finally {
      this.running.delete(threadId);
      stream.end();
    }
    return true;
  }
}

/**
 * Refuses (404) a thread the store does not hold, from its checkpoint only (no transcript is read):
 * a decision or a reply to a thread that is not there is the request's mistake, as for forks.
 */
export async function requireThread(graph: SwitchboardGraph, threadId: string): Promise<void> {
  const snapshot = await graph.getState({ configurable: { thread_id: threadId } });
  if ((snapshot.values as Partial<SwitchboardState>).messages === undefined) throw new HttpError(404, `UNKNOWN_THREAD: There is no thread ${threadId} in this store.`);
}

/** A thread's whole transcript, path and shared state, or `exists: false` for a thread never run. */
export async function readThread(graph: SwitchboardGraph, threadId: string) {
  const snapshot = await graph.getState({ configurable: { thread_id: threadId } });
  const state = snapshot.values as Partial<SwitchboardState>;
  if (!state.messages) return { threadId, exists: false as const };
  const whole = await readWholeThread(graph, threadId, state as SwitchboardState);
  return { threadId, exists: true as const, ...whole, state: toPageState(threadId, state as SwitchboardState) };
}

/** Every thread that waits for a person, with what the person needs to answer. */
export async function listEscalations(graph: SwitchboardGraph, saver: BaseCheckpointSaver) {
  const waiting = await listWaitingThreads(graph, saver);
  return waiting.map(({ threadId, agent, from, reason, payload, turn, message, transcript, handBackTargets, ...request }) => ({
    // An approval (approval: required) is decided, not answered: the page shows approve and deny.
    type: request.type,
    to: request.type === 'approval' ? request.to : agent,
    threadId,
    agent,
    from,
    reason: reason ?? null,
    payload,
    turn,
    message,
    transcript,
    handBackTargets,
    // The request a decision names: one decided elsewhere in the meantime is refused, not applied to the next.
    ...(request.type === 'approval' ? { toolCallId: request.toolCallId } : {}),
  }));
}
