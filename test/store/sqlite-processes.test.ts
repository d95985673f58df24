/**
 * Many processes, one SQLite file (the CLI's default store: two `switchboard run` at once, the dev
 * page beside the CLI). Real worker processes on the built code (`npm run build` first), spawned
 * once and driven round by round over stdin: every worker of a round waits for the same instant, so
 * its messages to one thread truly overlap. Figures go to stderr, as in the soak test.
 */
import { getEventListeners } from 'node:events';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AIMessage, BaseMessage, ToolMessage } from '@langchain/core/messages';
import { loadTree } from '../../config/load.js';
import { compileTree, runtimeOf } from '../../graphs/compile.js';
import type { SwitchboardGraph } from '../../graphs/compile.js';
import { runTurn } from '../../runtime/turn.js';
import { openCheckpointer } from '../../store/checkpointer.js';
import { SqliteLedger } from '../../store/ledger.js';
import { SqliteThreads } from '../../store/sqlite-thread-lock.js';
import { DEFAULT_LOCK_WAIT_MS } from '../../store/thread-lock.js';
import type { ThreadLockPolicy } from '../../store/thread-lock.js';
import { ThreadBusyError } from '../../errors/thread-busy-error.js';
import { startFakeOpenAI } from '../../testing/fake-openai-server.js';
import type { FakeOpenAIServer, FakeRequest, FakeResponse } from '../../testing/fake-openai-server.js';
import { createExampleTools } from '../../tools/examples.js';
import { wholeConversation, examplePath } from '../helpers.js';
import { SessionWorker, startWorkers } from './session-workers.js';
import type { SessionJob, TurnReply } from './session-workers.js';

const SUPPORT = examplePath('support');
const DESK = new URL('../../examples/desk.yaml', import.meta.url).pathname;
const ROUNDS = 50;
/** How far ahead of now a round's start is set: every worker has its command by then. */
const BARRIER_MS = 40;

const tempDb = () => join(mkdtempSync(join(tmpdir(), 'switchboard-sqlite-')), 'threads.sqlite');
const report = (line: string) => process.stderr.write(`sqlite-processes: ${line}\n`);

let server: FakeOpenAIServer;
beforeAll(async () => {
  server = await startFakeOpenAI();
});
afterAll(async () => {
  await server.close();
});

/** Closes the workers whatever the test did to them (a stopped one is continued first). */
async function closeAll(workers: SessionWorker[]): Promise<void> {
  for (const worker of workers) worker.signal('SIGCONT');
  await Promise.all(workers.map((worker) => worker.close()));
}

/** A graph on a fresh store: how a new process reads the thread. */
async function withGraph<T>(target: string, body: (graph: SwitchboardGraph) => Promise<T>, tree = SUPPORT): Promise<T> {
  const store = await openCheckpointer(target);
  try {
    const tools = createExampleTools({ ledger: store.ledger });
    return await body(
      compileTree(await loadTree(tree, { tools }), { tools, checkpointer: store.saver, threadLock: store.threadLock, model: 'offline' }),
    );
  } finally {
    await store.close();
  }
}

async function readThread(target: string, thread: string, tree = SUPPORT): Promise<BaseMessage[]> {
  return withGraph(target, async (graph) => await wholeConversation(graph, thread), tree);
}

interface Sent {
  messageId: string;
  message: string;
}

/** Each acknowledged message must be in the thread once, and a message that failed or was rejected not at all; the history linear. */
function audit(messages: BaseMessage[], sent: Sent[], acknowledged: Set<string>) {
  const ids = messages.filter((message) => message.type === 'human').map((message) => message.id);
  let lost = 0;
  let duplicated = 0;
  let unacknowledged = 0;
  for (const { messageId } of sent) {
    const count = ids.filter((id) => id === messageId).length;
    if (acknowledged.has(messageId)) {
      if (count === 0) lost += 1;
      if (count > 1) duplicated += count - 1;
    } else if (count > 0) unacknowledged += 1;
  }
  // Linear: every user message is followed by its own answer before the next user message.
  const linear =
    messages.length === 2 * ids.length &&
    messages.every((message, index) =>
      index % 2 === 0
        ? message.type === 'human'
        : message.type === 'ai' && message.text.includes(`You said: “${messages[index - 1]?.text}”`),
    );
  return { lost, duplicated, unacknowledged, linear };
}

/**
 * The thread's checkpoints in the file: how many, how many start a history (no parent), how many
 * parents have more than one child (a fork), and how long the chain from the newest back is.
 */
function checkpointShape(path: string, thread: string) {
  const db = new Database(path, { readonly: true });
  try {
    const rows = db
      .prepare("SELECT checkpoint_id AS id, parent_checkpoint_id AS parent FROM checkpoints WHERE thread_id = ? AND checkpoint_ns = ''")
      .all(thread) as { id: string; parent: string | null }[];
    const children = new Map<string | null, number>();
    for (const row of rows) children.set(row.parent, (children.get(row.parent) ?? 0) + 1);
    const forks = [...children.entries()].filter(([parent, count]) => parent !== null && count > 1).length;
    const byId = new Map(rows.map((row) => [row.id, row]));
    let chain = 0;
    for (let at = [...byId.keys()].sort().at(-1); at !== undefined && byId.has(at); at = byId.get(at)?.parent ?? undefined) chain += 1;
    return { checkpoints: rows.length, roots: children.get(null) ?? 0, forks, chain };
  } finally {
    db.close();
  }
}

function leaseOf(path: string, thread: string): { fence: number; holder: string | null; expires_at: number } | undefined {
  const db = new Database(path, { readonly: true });
  try {
    return db.prepare('SELECT fence, holder, expires_at FROM switchboard_thread_leases WHERE thread_id = ?').get(thread) as
      { fence: number; holder: string | null; expires_at: number } | undefined;
  } finally {
    db.close();
  }
}

/** Rounds of simultaneous messages: in each, every worker sends one message to `thread` at the same instant. */
async function runRounds(workers: SessionWorker[], thread: string, rounds: number) {
  const sent: Sent[] = [];
  const replies: (TurnReply & Sent)[] = [];
  for (let round = 0; round < rounds; round += 1) {
    const startAt = Date.now() + BARRIER_MS;
    const answers = await Promise.all(
      workers.map(async (worker, index) => {
        const entry = { messageId: `${thread}-r${round}-w${index}`, message: `hello ${round} from worker ${index}` };
        sent.push(entry);
        return { ...(await worker.turn({ thread, ...entry, startAt })), ...entry };
      }),
    );
    replies.push(...answers);
  }
  return { sent, replies };
}

function tally<TReply extends TurnReply>(replies: TReply[]) {
  const done = replies.filter((reply) => reply.status === 'done');
  const busy = replies.filter((reply) => reply.thrown === 'THREAD_BUSY');
  const other = replies
    .filter((reply) => reply.status !== 'done' && reply.thrown !== 'THREAD_BUSY')
    .map((reply) => reply.thrown ?? reply.error?.code ?? reply.status);
  const skews = replies.map((reply) => reply.skew).sort((a, b) => a - b);
  return {
    done,
    busy,
    other,
    medianSkew: skews[Math.floor(skews.length / 2)] ?? 0,
    maxSkew: skews.at(-1) ?? 0,
    slowest: Math.max(...replies.map((reply) => reply.ms)),
  };
}

describe('SQLite: many processes, one file', () => {
  it.each([
    { workers: 2, retention: 1 as const },
    // Every checkpoint kept: a fork would show as a parent with two children.
    { workers: 4, retention: 'all' as const },
  ])(
    'loses and duplicates no acknowledged message in $workers processes sending at once for 50 rounds (retention $retention)',
    async ({ workers: count, retention }) => {
      const path = tempDb();
      const thread = `rounds-${count}`;
      const job: SessionJob = { db: path, tree: SUPPORT, lock: { policy: 'wait', waitMs: 60_000 }, retention };
      const workers = await startWorkers(count, job);
      const started = Date.now();
      let outcome: Awaited<ReturnType<typeof runRounds>>;
      try {
        outcome = await runRounds(workers, thread, ROUNDS);
      } finally {
        await closeAll(workers);
      }
      const seconds = (Date.now() - started) / 1000;
      expect(workers.map((worker) => worker.stderr)).toEqual(workers.map(() => ''));
      const { done, busy, other, medianSkew, maxSkew, slowest } = tally(outcome.replies);
      const acknowledged = new Set(done.map((reply) => reply.messageId));
      const messages = await readThread(path, thread);
      const { lost, duplicated, unacknowledged, linear } = audit(messages, outcome.sent, acknowledged);
      const shape = checkpointShape(path, thread);
      report(
        `${count} processes × ${ROUNDS} rounds (retention ${retention}) in ${seconds.toFixed(1)} s: ${outcome.sent.length} sent, ${done.length} acknowledged, ${busy.length} THREAD_BUSY, other failures ${JSON.stringify(other)}; ` +
          `lost ${lost}, duplicated ${duplicated}, unacknowledged but present ${unacknowledged}; linear ${linear}; checkpoints ${JSON.stringify(shape)}; barrier skew median ${medianSkew} ms, max ${maxSkew} ms; slowest turn ${slowest} ms`,
      );

      expect({ done: done.length, busy: busy.length, other }).toEqual({ done: count * ROUNDS, busy: 0, other: [] });
      expect({ lost, duplicated, unacknowledged, linear }).toEqual({ lost: 0, duplicated: 0, unacknowledged: 0, linear: true });
      expect(messages).toHaveLength(2 * count * ROUNDS);
      if (retention === 'all') {
        // The whole history is kept: one root, no parent with two children, every checkpoint on one chain.
        expect(shape).toMatchObject({ roots: 1, forks: 0, chain: shape.checkpoints });
        expect(shape.checkpoints).toBeGreaterThanOrEqual(2 * count * ROUNDS);
      } else {
        expect(shape).toEqual({ checkpoints: 1, roots: 0, forks: 0, chain: 1 });
      }
      // Every hold was given back.
      expect(leaseOf(path, thread)).toMatchObject({ holder: null, expires_at: 0 });
    },
    120_000,
  );

  it('a worker killed (SIGKILL) holding the lease after a refund ran: another process takes the thread at once, finishes the turn on a resend with the same messageId, and the refund happens once', async () => {
    const path = tempDb();
    const thread = 'killed';
    const job: SessionJob = { db: path, tree: SUPPORT, model: 'openai', baseURL: server.url };
    const [doomed, survivor] = (await startWorkers(2, job)) as [SessionWorker, SessionWorker];
    try {
      server.enqueue(
        { toolCalls: [{ name: 'transfer_to_billing', arguments: { reason: 'refund' } }] },
        { toolCalls: [{ name: 'issue_refund', arguments: { invoice_id: 'INV-KILL', amount: 42 } }] },
        { content: 'Your $42 refund is on its way.' },
      );
      const message = { thread, message: 'Refund my $42 please', messageId: 'kill-1' };
      const killed = doomed.turn({ ...message, crashAfter: 'issue_refund' });
      const { key } = await doomed.nextEvent();
      expect(await doomed.exited).toEqual({ code: null, signal: 'SIGKILL' });
      await expect(killed).rejects.toThrow(/exited/);
      expect(key).toMatch(/^killed:/);

      // The dead worker's lease still has most of its 15 s to run...
      const lease = leaseOf(path, thread);
      expect(lease?.holder).toContain(`:${doomed.pid}:`);
      expect(lease!.expires_at - Date.now()).toBeGreaterThan(10_000);
      // ...yet its holder is gone from this host, so the survivor takes the thread at once.
      const resent = await survivor.turn(message);
      expect(resent).toMatchObject({
        status: 'done',
        replayed: true,
        messageId: 'kill-1',
        agent: 'billing',
        reply: 'Your $42 refund is on its way.',
      });
      // Taken while the dead holder's lease still ran: the survivor did not wait for it to expire.
      expect(Date.now()).toBeLessThan(lease!.expires_at);
      expect(server.pending()).toBe(0);

      // Sent once more: its result again, nothing run, nothing added.
      const requests = server.requests.length;
      expect(await survivor.turn(message)).toMatchObject({ status: 'done', replayed: true, reply: 'Your $42 refund is on its way.' });
      expect(server.requests.length).toBe(requests);

      const refunds = await withSqliteLedger(path, (ledger) => ledger.list('refund'));
      expect(refunds.map((effect) => effect.key)).toEqual([key]);
      const messages = await readThread(path, thread);
      expect(messages.filter((entry) => entry.type === 'human').map((entry) => entry.id)).toEqual(['kill-1']);
      const refundResults = messages.filter((entry) => entry.type === 'tool' && (entry as ToolMessage).name === 'issue_refund');
      expect(refundResults).toHaveLength(1);
      expect(refundResults[0]?.text).toContain('(already recorded; not repeated)');
      expect(messages.at(-1)?.text).toBe('Your $42 refund is on its way.');
      report(
        `SIGKILL: the survivor finished the dead worker's turn in ${resent.ms} ms (its lease had ${Math.round((lease!.expires_at - Date.now()) / 1000)} s left); refunds recorded: ${refunds.length}`,
      );
    } finally {
      await closeAll([doomed, survivor]);
    }
  });

  it.each(['the same message again', 'another message'])(
    'a worker killed (SIGKILL) after each write of a refund turn in turn: %s from the process that ran the turn before answers each message once, in order, and refunds once',
    async (next) => {
      server.fallback(refundScript);
      const path = tempDb();
      const job: SessionJob = { db: path, tree: SUPPORT, model: 'openai', baseURL: server.url };
      const sameAgain = next === 'the same message again';
      // The survivor runs the turn before each crash, so the thread's newest checkpoint is often the
      // one it knows: only the fencing token tells it that another worker held the thread since.
      const [survivor, probe] = (await startWorkers(2, job)) as [SessionWorker, SessionWorker];
      const refund = { message: 'Refund my $42 please', messageId: 'refund' };
      const failures: string[] = [];
      let writes: number | undefined;
      let starting: Promise<SessionWorker> | undefined;
      try {
        // A turn the whole way: how many writes the store takes for it (each a point to crash after).
        await probe.turn({ thread: 'probe', message: 'hello', messageId: 'hello' });
        writes = (await probe.turn({ thread: 'probe', ...refund })).writes;
        expect(writes).toBeGreaterThan(4);
        starting = SessionWorker.start(job);
        for (let point = 1; point <= writes; point += 1) {
          const thread = `crash-${point}`;
          const doomed = await starting;
          // The next victim starts while this one runs (a process start costs more than a turn).
          if (point < writes) starting = SessionWorker.start(job);
          expect(await survivor.turn({ thread, message: 'hello', messageId: 'hello' })).toMatchObject({ status: 'done' });
          const killed = doomed.turn({ thread, ...refund, crashAfterWrite: point });
          expect((await doomed.nextEvent()).event).toBe('crashing');
          await expect(killed).rejects.toThrow(/exited/);
          const answer = await survivor.turn(sameAgain ? { thread, ...refund } : { thread, message: 'thanks', messageId: 'thanks' });
          const messages = await readThread(path, thread);
          const refunds = (await withSqliteLedger(path, (ledger) => ledger.list('refund'))).filter((effect) =>
            effect.key.startsWith(`${thread}:`),
          );
          const problems = [
            ...(answer.status === 'done' && answer.replayed === sameAgain && answer.messageId === (sameAgain ? refund.messageId : 'thanks')
              ? []
              : [`answer ${JSON.stringify(answer)}`]),
            ...turnProblems(messages, ['hello', refund.messageId, ...(sameAgain ? [] : ['thanks'])]),
            ...(refunds.length === 1 ? [] : [`${refunds.length} refunds recorded`]),
          ];
          if (problems.length > 0) failures.push(`after write ${point}: ${problems.join('; ')}`);
        }
      } finally {
        server.fallback(undefined);
        await closeAll([
          survivor,
          probe,
          ...(await Promise.allSettled(starting ? [starting] : [])).flatMap((start) => (start.status === 'fulfilled' ? [start.value] : [])),
        ]);
      }
      report(`killed after each of the ${writes ?? '?'} writes of a refund turn, then ${next}: ${failures.length} crash points went wrong`);
      expect(failures).toEqual([]);
    },
    120_000,
  );

  it('a worker killed (SIGKILL) after each write of a message to a waiting person, then another message: both messages are kept, each once, in order', async () => {
    const path = tempDb();
    const job: SessionJob = { db: path, tree: DESK, model: 'offline' };
    const [survivor, probe] = (await startWorkers(2, job)) as [SessionWorker, SessionWorker];
    const waitFor = async (worker: SessionWorker, thread: string) => {
      expect(await worker.turn({ thread, message: 'My invoice is wrong', messageId: 'm1' })).toMatchObject({ status: 'done' });
      expect(await worker.turn({ thread, message: 'I want a person', messageId: 'm2' })).toMatchObject({ status: 'waiting' });
    };
    const failures: string[] = [];
    let writes: number | undefined;
    try {
      await waitFor(probe, 'probe');
      writes = (await probe.turn({ thread: 'probe', message: 'hello? anyone there?', messageId: 'm3' })).writes;
      expect(writes).toBeGreaterThan(1);
      for (let point = 1; point <= writes; point += 1) {
        const thread = `person-crash-${point}`;
        const doomed = await SessionWorker.start(job);
        await waitFor(survivor, thread);
        const killed = doomed.turn({ thread, message: 'hello? anyone there?', messageId: 'm3', crashAfterWrite: point });
        expect((await doomed.nextEvent()).event).toBe('crashing');
        await expect(killed).rejects.toThrow(/exited/);
        const answer = await survivor.turn({ thread, message: 'still waiting', messageId: 'm4' });
        const ids = (await readThread(path, thread, DESK)).flatMap((message) => (message.type === 'human' ? [message.id] : []));
        const problems = [
          ...(answer.status === 'waiting' && answer.messageId === 'm4' ? [] : [`answer ${JSON.stringify(answer)}`]),
          ...(JSON.stringify(ids) === JSON.stringify(['m1', 'm2', 'm3', 'm4']) ? [] : [`user messages ${JSON.stringify(ids)}`]),
        ];
        if (problems.length > 0) failures.push(`after write ${point}: ${problems.join('; ')}`);
      }
    } finally {
      await closeAll([survivor, probe]);
    }
    report(`killed after each of the ${writes ?? '?'} writes of a message to a waiting person, then another message: ${failures.length} crash points went wrong`);
    expect(failures).toEqual([]);
  }, 120_000);

  it.each([
    { pause: 'pauseBefore' as const, refused: 'the refund' },
    { pause: 'pauseAfter' as const, refused: 'the checkpoint' },
  ])(
    'a stale writer is refused: a process paused past its lease cannot write $refused, fails with LOCK_LOST, and the thread has no fork',
    async ({ pause }) => {
      const path = tempDb();
      const thread = `stale-${pause}`;
      const job: SessionJob = { db: path, tree: SUPPORT, model: 'openai', baseURL: server.url, lock: { leaseMs: 300 }, retention: 'all' };
      const [paused, taker] = (await startWorkers(2, job)) as [SessionWorker, SessionWorker];
      try {
        server.enqueue(
          { toolCalls: [{ name: 'transfer_to_billing', arguments: { reason: 'refund' } }] },
          { toolCalls: [{ name: 'issue_refund', arguments: { invoice_id: 'INV-STALE', amount: 42 } }] },
        );
        const stale = paused.turn({ thread, message: 'Refund my $42 please', messageId: 'stale-1', [pause]: 'issue_refund' });
        const { key } = await paused.nextEvent();
        // The paused worker's lease runs out; the taker finishes its unfinished turn, then answers its own message.
        server.enqueue({ content: 'Your $42 refund is on its way.' }, { content: 'Anything else?' });
        const other = await taker.turn({ thread, message: 'are you there?', messageId: 'stale-2' });
        expect(other).toMatchObject({ status: 'done', reply: 'Anything else?' });
        const fence = leaseOf(path, thread)?.fence;
        paused.signal('SIGCONT');
        const refused = await stale;
        expect(refused).toMatchObject({ thrown: 'LOCK_LOST', name: 'LockLostError', saved: 'message' });
        expect(refused.text).toMatch(/^The turn on stale-\w+ lost the thread's lock/);
        // Nothing the stale worker tried took the thread back.
        expect(leaseOf(path, thread)?.fence).toBe(fence);

        const refunds = await withSqliteLedger(path, (ledger) => ledger.list('refund'));
        expect(refunds.map((effect) => effect.key)).toEqual([key]);
        const messages = await readThread(path, thread);
        expect(messages.filter((entry) => entry.type === 'human').map((entry) => entry.id)).toEqual(['stale-1', 'stale-2']);
        const refundResults = messages.filter((entry) => entry.type === 'tool' && (entry as ToolMessage).name === 'issue_refund');
        expect(refundResults).toHaveLength(1);
        // Paused before the tool, the stale worker recorded nothing (the taker did); paused after it, the taker's replay found its record.
        expect(refundResults[0]?.text.includes('(already recorded; not repeated)')).toBe(pause === 'pauseAfter');
        expect(messages.slice(-3).map((entry) => entry.text)).toEqual([
          'Your $42 refund is on its way.',
          'are you there?',
          'Anything else?',
        ]);
        const shape = checkpointShape(path, thread);
        expect(shape).toMatchObject({ roots: 1, forks: 0, chain: shape.checkpoints });

        // Resent by the worker that failed: the earlier answer, nothing added, no model called.
        const requests = server.requests.length;
        expect(await paused.turn({ thread, message: 'Refund my $42 please', messageId: 'stale-1' })).toMatchObject({
          status: 'done',
          replayed: true,
          reply: 'Your $42 refund is on its way.',
        });
        expect(server.requests.length).toBe(requests);
        expect(await readThread(path, thread)).toHaveLength(messages.length);
        expect(checkpointShape(path, thread)).toEqual(shape);
        report(
          `stale writer (${pause} issue_refund): ${refused.thrown} after ${refused.ms} ms; refunds recorded ${refunds.length}; checkpoints ${JSON.stringify(shape)}`,
        );
      } finally {
        await closeAll([paused, taker]);
      }
    },
  );

  it('a write or a side effect under a token taken since is refused in the same transaction', async () => {
    const path = tempDb();
    const [first, second] = [new SqliteThreads(new Database(path)), new SqliteThreads(new Database(path))];
    try {
      const old = await first.tryTake('fenced', 300);
      expect(old).toBe(1);
      // Held and unexpired: nobody else takes it (its holder is this very process, alive).
      expect(await second.tryTake('fenced', 15_000)).toBeUndefined();
      await new Promise((resolve) => setTimeout(resolve, 350));
      expect(await second.tryTake('fenced', 15_000)).toBe(2);

      const stale = { threadId: 'fenced', token: old!, domain: first };
      await expect(first.guard(stale, async () => 'written')).rejects.toMatchObject({ name: 'LockLostError', code: 'LOCK_LOST' });
      const ledger = new SqliteLedger(first);
      await expect(ledger.record({ key: 'fenced:call-1', kind: 'refund', details: { amount: 1 } }, stale)).rejects.toMatchObject({
        code: 'LOCK_LOST',
      });
      expect(await ledger.list()).toEqual([]);
      expect(await first.renew('fenced', old!, 15_000)).toBe(false);
      // Releasing under the old token leaves the new holder's lease alone.
      await first.release('fenced', old!);
      expect(await first.tryTake('fenced', 15_000)).toBeUndefined();
      expect(
        await new SqliteLedger(second).record(
          { key: 'fenced:call-1', kind: 'refund', details: { amount: 1 } },
          { threadId: 'fenced', token: 2, domain: second },
        ),
      ).toMatchObject({ created: true });
    } finally {
      first.db.close();
      second.db.close();
    }
  });

  it('under the reject policy, a message sent while another process holds the thread fails at once with THREAD_BUSY and leaves no trace; resent with its messageId it is added once', async () => {
    const path = tempDb();
    const thread = 'reject';
    const workers = await startWorkers(2, { db: path, tree: SUPPORT, lock: { policy: 'reject' } });
    try {
      const { sent, replies } = await runRounds(workers, thread, 20);
      const { done, busy, other } = tally(replies);
      expect(other).toEqual([]);
      expect(done.length + busy.length).toBe(sent.length);
      expect(busy.length).toBeGreaterThan(0);
      for (const reply of busy)
        expect(reply).toMatchObject({
          name: 'ThreadBusyError',
          text: `Thread ${thread} is handling another message; try again when it is done.`,
        });
      const slowestRejection = Math.max(...busy.map((reply) => reply.ms));
      expect(slowestRejection).toBeLessThan(1_000);

      const acknowledged = new Set(done.map((reply) => reply.messageId));
      const before = audit(await readThread(path, thread), sent, acknowledged);
      expect(before).toEqual({ lost: 0, duplicated: 0, unacknowledged: 0, linear: true });

      // Each rejected message, resent with its id (one at a time), is added once; an accepted one resent adds nothing.
      for (const reply of busy) {
        expect(await workers[0]!.turn({ thread, message: reply.message, messageId: reply.messageId })).toMatchObject({
          status: 'done',
          replayed: false,
        });
        acknowledged.add(reply.messageId);
      }
      const accepted = done[0]!;
      expect(await workers[1]!.turn({ thread, message: accepted.message, messageId: accepted.messageId })).toMatchObject({
        status: 'done',
        replayed: true,
      });
      const messages = await readThread(path, thread);
      expect(audit(messages, sent, acknowledged)).toEqual({ lost: 0, duplicated: 0, unacknowledged: 0, linear: true });
      expect(messages).toHaveLength(2 * sent.length);
      report(
        `reject policy, 2 processes × 20 rounds: ${done.length} accepted, ${busy.length} THREAD_BUSY (slowest rejection ${slowestRejection} ms); after resending the rejected ones: ${messages.length / 2} messages, each once`,
      );
    } finally {
      await closeAll(workers);
    }
  });
});

describe('one process: memory and SQLite alike', () => {
  it('loses and duplicates no message in 50 rounds of 4 concurrent turns on one thread (memory)', async () => {
    const store = await openCheckpointer('memory');
    try {
      const tools = createExampleTools({ ledger: store.ledger });
      const graph = compileTree(await loadTree(SUPPORT, { tools }), { tools, checkpointer: store.saver, model: 'offline' });
      const thread = 'memory-rounds';
      const sent: Sent[] = [];
      const outcomes: string[] = [];
      for (let round = 0; round < ROUNDS; round += 1) {
        const batch = Array.from({ length: 4 }, (_, index) => ({
          messageId: `m-r${round}-c${index}`,
          message: `hello ${round} from caller ${index}`,
        }));
        sent.push(...batch);
        const results = await Promise.allSettled(batch.map((entry) => runTurn(graph, { threadId: thread, ...entry })));
        outcomes.push(
          ...results.map((result) =>
            result.status === 'fulfilled' ? result.value.status : String((result.reason as { code?: string }).code),
          ),
        );
      }
      const done = outcomes.filter((status) => status === 'done').length;
      const messages = await wholeConversation(graph, thread);
      const result = audit(messages, sent, new Set(sent.map((entry) => entry.messageId)));
      report(
        `memory, 4 concurrent callers × ${ROUNDS} rounds: ${done} of ${sent.length} done; lost ${result.lost}, duplicated ${result.duplicated}; linear ${result.linear}`,
      );
      expect(done).toBe(sent.length);
      expect(result).toEqual({ lost: 0, duplicated: 0, unacknowledged: 0, linear: true });
      // The memory lock's signal lives as long as the process: no turn leaves an abort listener on it.
      const listeners = await runtimeOf(graph).threadLock.withLock(
        thread,
        async (lease) => getEventListeners(lease.signal, 'abort').length,
      );
      expect(listeners).toBe(0);
    } finally {
      await store.close();
    }
  });

  /** Two messages sent at once to one thread in one process, under `policy`: what happened to each, and what the thread holds. */
  async function twoAtOnce(target: string, policy: ThreadLockPolicy) {
    const store = await openCheckpointer(target, { lock: { policy } });
    try {
      const tools = createExampleTools({ ledger: store.ledger });
      const graph = compileTree(await loadTree(SUPPORT, { tools }), { tools, checkpointer: store.saver, model: 'offline' });
      const started = Date.now();
      const settled = await Promise.allSettled(
        ['first', 'second'].map(async (name) => {
          try {
            return (await runTurn(graph, { threadId: 'two', message: `hello from the ${name}`, messageId: name })).status;
          } catch (error) {
            expect(error).toBeInstanceOf(ThreadBusyError);
            // Refused without waiting for the first turn's lock (a waiting policy waits up to 30 s).
            expect(Date.now() - started).toBeLessThan(DEFAULT_LOCK_WAIT_MS / 2);
            return (error as ThreadBusyError).code;
          }
        }),
      );
      const messages = await wholeConversation(graph, 'two');
      return {
        outcomes: settled.map((result) => (result.status === 'fulfilled' ? result.value : result.reason)),
        humans: messages.filter((message) => message.type === 'human').map((message) => message.id),
      };
    } finally {
      await store.close();
    }
  }

  it.each(['wait', 'reject'] as const)('the %s policy behaves the same on memory and on SQLite', async (policy) => {
    const memory = await twoAtOnce('memory', policy);
    const sqlite = await twoAtOnce(tempDb(), policy);
    expect(memory).toEqual(
      policy === 'wait'
        ? { outcomes: ['done', 'done'], humans: ['first', 'second'] }
        : { outcomes: ['done', 'THREAD_BUSY'], humans: ['first'] },
    );
    expect(sqlite).toEqual(memory);
  });
});

/**
 * The fake model for refund turns, from the request alone (so it answers whatever order a crash and
 * its recovery ask in): triage hands a refund to billing; billing issues it, then answers; anything
 * else is answered at once. Every answer quotes the user's message.
 */
function refundScript(request: FakeRequest): FakeResponse {
  const lastUser = request.messages.map((message) => message.role).lastIndexOf('user');
  const text = String(request.messages[lastUser]?.content);
  const called = (name: string) =>
    request.messages.slice(lastUser + 1).some((message) => message.tool_calls?.some((call) => call.function.name === name));
  const answer = { content: `You said: “${text}”.` };
  if (!text.includes('Refund')) return answer;
  if (request.tools.includes('issue_refund'))
    return called('issue_refund') ? answer : { toolCalls: [{ name: 'issue_refund', arguments: { invoice_id: 'INV-42', amount: 42 } }] };
  return called('transfer_to_billing') ? answer : { toolCalls: [{ name: 'transfer_to_billing', arguments: { reason: 'refund' } }] };
}

/**
 * What is wrong with a thread that should hold `messageIds` in order, each once, each answered once
 * (one reply quoting it, the last message before the next user message), every tool call answered once.
 */
function turnProblems(messages: BaseMessage[], messageIds: string[]): string[] {
  const problems: string[] = [];
  const humans = messages.flatMap((message, index) => (message.type === 'human' ? [index] : []));
  const ids = humans.map((index) => messages[index]?.id);
  if (JSON.stringify(ids) !== JSON.stringify(messageIds)) problems.push(`user messages ${JSON.stringify(ids)}`);
  humans.forEach((start, turn) => {
    const span = messages.slice(start + 1, humans[turn + 1] ?? messages.length);
    const replies = span.filter((message) => message.type === 'ai' && !(message as AIMessage).tool_calls?.length);
    if (replies.length !== 1 || span.at(-1) !== replies[0] || !replies[0]?.text.includes(`You said: “${messages[start]?.text}”`)) {
      problems.push(`${ids[turn]} answered ${replies.length} times`);
    }
  });
  const calls = messages.flatMap((message) =>
    message.type === 'ai' ? ((message as AIMessage).tool_calls ?? []).map((call) => call.id) : [],
  );
  const results = messages.filter((message) => message.type === 'tool').map((message) => (message as ToolMessage).tool_call_id);
  if (JSON.stringify([...calls].sort()) !== JSON.stringify([...results].sort()))
    problems.push(`tool calls ${JSON.stringify(calls)}, results ${JSON.stringify(results)}`);
  return problems;
}

async function withSqliteLedger<T>(path: string, body: (ledger: SqliteLedger) => Promise<T>): Promise<T> {
  const db = new Database(path);
  try {
    return await body(new SqliteLedger(db));
  } finally {
    db.close();
  }
}
