/**
 * Losing the thread's lock mid-turn, for real: worker processes (the built code) run turns against
 * PostgreSQL through a TCP proxy, each turn's refund holds mid-turn, and the test breaks the store
 * there — the lock's connection cut, the lock's idle session ended by the server, every connection
 * cut, a 60 s black hole, a database restart. A second worker then takes the thread the way a caller
 * would after the error: the same message, with the same messageId.
 *
 * Every failing turn must fail within the documented bound (the client-side query limit plus one
 * heartbeat) with a LockLostError that names the message; every refund is recorded at most once
 * (exactly once when the turn reports done) and the model is never told it failed; no acknowledged
 * message is lost or duplicated; each thread's checkpoints form one chain, and nothing the first
 * worker sent was accepted once the second one had the thread. One more scenario stalls a single
 * connection under a turn: a StoreError in the bound, and the next turn works once traffic flows.
 * The figures go to stderr, one line per scenario (as the soak reports).
 *
 * Each refund holds in one of four places: 'after' (recorded, then held until the turn's signal
 * aborts: the turn fails on its own and the takeover replays the refund), 'before' (held until the
 * signal aborts and the second worker has taken the thread, then recorded: the store refuses it),
 * 'stalled' (let go as its connection stalls: its record is in flight when the turn fails), or
 * 'in-flight' (recorded, then let go once the checkpointer's connections stall: the turn's next
 * checkpoint write is in flight when the lock goes, and lands after the takeover: refused).
 */
import { randomUUID } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import type { BaseMessage, ToolMessage } from '@langchain/core/messages';
import { loadTree } from '../../config/load.js';
import { compileTree } from '../../graphs/compile.js';
import { openCheckpointer, POSTGRES_POOL_DEFAULTS } from '../../store/checkpointer.js';
import { PostgresLedger } from '../../store/ledger.js';
import { createExampleTools } from '../../tools/examples.js';
import { wholeConversation, examplePath } from '../helpers.js';
import { FaultWorker } from './fault-workers.js';
import type { FaultEvent, Hold, ThrownError, TurnOutcome, WriteAttempt } from './fault-workers.js';
import { startTcpProxy } from './tcp-proxy.js';
import type { TcpProxy } from './tcp-proxy.js';
import { probe } from '../postgres-server.js';
import { restartTestPostgres, startTestPostgresAgain } from '../postgres-url.js';
import { PG_URL, uniqueThread, withPool } from './workers.js';

const SUPPORT = examplePath('support');
const FIRST = 'Hi, I have a question about my bill';
const REFUND = 'I want a refund for invoice INV-1001 please';
const LAST = 'Thanks, that is all';
const ROUNDS = 5;
/** The lock's heartbeat (its default). */
const HEARTBEAT_MS = 5_000;
/** The documented bound: a turn that lost its store fails within the client-side query limit plus one heartbeat. */
const BOUND_MS = POSTGRES_POOL_DEFAULTS.query_timeout + HEARTBEAT_MS;
/** The server ends the lock's idle session after this long (scenario 2). */
const IDLE_SESSION_MS = 3_000;
const BLACK_HOLE_MS = 60_000;

const pgPort = Number(new URL(PG_URL).port || 5432);
const pgHost = new URL(PG_URL).hostname;

/** One thread of one round: its refund message, where the refund holds, and what happened. */
interface Probe {
  thread: string;
  hold: 'before' | 'after' | 'stalled' | 'in-flight';
  refundId: string;
  /** The message ids whose turn reported `done`. */
  acknowledged: string[];
  faultAt: number;
  /** Fault → the turn's signal aborted (a held refund saw the hold lost). */
  noticedMs?: number;
  /** Fault → the failing turn ended (a turn whose refund is held 'before' waits for the test instead). */
  failedMs?: number;
  failure?: ThrownError | undefined;
  /** What the resends of the refund message returned (and the stall scenario's next message). */
  resends: TurnOutcome[];
  resendEndedAt?: number;
  /** Refunds held 'before': the first worker's late attempt to record, under its stale token. */
  late?: FaultEvent;
  /** The first worker's checkpointer writes on the thread that the store refused for a stale token. */
  fencedWrites?: number;
}

const DIRECT = { db: PG_URL, tree: SUPPORT, lock: { waitMs: 120_000 } };

function through(proxy: TcpProxy): string {
  const url = new URL(PG_URL);
  url.port = String(proxy.port);
  return url.toString();
}

/** Starts a round on `a`: a first turn on each new thread, then the refund turn, held mid-turn. */
async function begin(a: FaultWorker, label: string, holds: Probe['hold'][]): Promise<Probe[]> {
  const probes: Probe[] = holds.map((kind) => ({ thread: uniqueThread(`lost-${label}`), hold: kind, refundId: randomUUID(), acknowledged: [], faultAt: 0, resends: [] }));
  await Promise.all(
    probes.map(async (probe) => {
      const first = randomUUID();
      const end = await a.run({ id: `${probe.thread}:1`, thread: probe.thread, message: FIRST, messageId: first });
      expect(end.result?.status).toBe('done');
      probe.acknowledged.push(first);
      const held: Hold = probe.hold === 'stalled' ? 'go' : probe.hold === 'in-flight' ? 'then-go' : probe.hold;
      a.turn({ id: `${probe.thread}:2`, thread: probe.thread, message: REFUND, messageId: probe.refundId, hold: held });
      await a.of(`${probe.thread}:2`, held === 'after' || held === 'then-go' ? 'refund-recorded' : 'refund-asked');
    }),
  );
  return probes;
}

interface FailOverOptions {
  /** Brings the store back (the network, the database) once the first worker has noticed. */
  restore?: () => Promise<void> | void;
  /**
   * When, against the second worker's resends: before them (default), while they run (they must
   * wait for the thread), or after them (what the first worker sent meanwhile lands after the takeover).
   */
  restoreWhen?: 'before-resend' | 'during-resend' | 'after-resend';
}

/**
 * After the fault: the first worker notices, the second takes each thread by resending the message,
 * the first worker's refunds held 'before' try to record under their stale token, a second resend
 * finds everything done, and the first worker's next message on the thread works.
 */
async function failOver(a: FaultWorker, b: FaultWorker, probes: Probe[], options: FailOverOptions = {}): Promise<void> {
  await Promise.all(
    probes.map(async (probe) => {
      if (probe.hold === 'before' || probe.hold === 'after') {
        const lost = await a.of(`${probe.thread}:2`, 'hold-lost', BOUND_MS * 3);
        expect(lost.aborted, `${probe.thread}: the turn's signal aborted`).toBe(true);
        probe.noticedMs = lost.at - probe.faultAt;
      }
      if (probe.hold !== 'before') {
        const end = await a.of(`${probe.thread}:2`, 'turn-end', BOUND_MS * 3);
        probe.failedMs = end.at - probe.faultAt;
        probe.failure = end.error;
      }
    }),
  );
  const resend = (probe: Probe, id: string) => b.run({ id: `${probe.thread}:${id}`, thread: probe.thread, message: REFUND, messageId: probe.refundId }, 180_000);
  const when = options.restoreWhen ?? 'before-resend';
  if (when === 'before-resend') await options.restore?.();
  const resending = Promise.all(probes.map((probe) => resend(probe, 'b1')));
  if (when === 'during-resend') await options.restore?.();
  const ends = await resending;
  if (when === 'after-resend') await options.restore?.();
  ends.forEach((end, index) => {
    const probe = probes[index]!;
    expect(end.error, `${probe.thread}: the takeover`).toBeUndefined();
    probe.resends.push(end.result!);
    probe.resendEndedAt = end.at;
    if (end.result?.status === 'done') probe.acknowledged.push(probe.refundId);
  });
  await Promise.all(
    probes
      .filter((probe) => probe.hold === 'before')
      .map(async (probe) => {
        const id = `${probe.thread}:2`;
        a.go(id);
        probe.late = await a.next((event) => event.id === id && (event.event === 'refund-refused' || event.event === 'refund-recorded'));
        probe.failure = (await a.of(id, 'turn-end')).error;
      }),
  );
  const again = await Promise.all(probes.map((probe) => resend(probe, 'b2')));
  again.forEach((end, index) => probes[index]!.resends.push(end.result!));
  await Promise.all(
    probes.map(async (probe) => {
      const last = randomUUID();
      const end = await a.run({ id: `${probe.thread}:3`, thread: probe.thread, message: LAST, messageId: last });
      expect(end.result, `${probe.thread}: the first worker's next turn`).toMatchObject({ status: 'done', replayed: false });
      probe.acknowledged.push(last);
    }),
  );
}

/** The port PostgreSQL sees the connection holding `thread`'s lock come from. */
async function lockPort(thread: string): Promise<number> {
  const { rows } = await withPool((pool) =>
    pool.query<{ port: number }>(
      `SELECT a.client_port AS port FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
       WHERE l.locktype = 'advisory' AND l.granted AND ((l.classid::bigint << 32) | l.objid::bigint) = hashtextextended($1, 0)`,
      [`switchboard:thread:${thread}`],
    ),
  );
  expect(rows, `one session holds ${thread}'s lock`).toHaveLength(1);
  return rows[0]!.port;
}

interface Figures {
  turns: number;
  errors: Record<string, number>;
  withMessageId: number;
  /** The slowest reactions (undefined: none measured). */
  noticedMs: number | undefined;
  failedMs: number | undefined;
  asked: number;
  askedMax: number;
  recorded: number;
  recordedMax: number;
  doneWithoutOneRecord: number;
  /** issue_refund results in the threads that tell the model the refund failed (its record's fate unknown). */
  refundErrorsShown: number;
  acknowledged: number;
  present: number;
  lost: number;
  duplicated: number;
  forks: number;
  /**
   * Checkpoints written under an older fencing token than their parent, task writes under an older
   * token than their checkpoint, writes nobody sent, and threads the second worker never wrote.
   */
  outOfOrder: number;
  /** Writes sent after a newer token was in use (its holder had begun writing): accepted (must be none), refused. */
  staleAccepted: number;
  staleRefused: number;
  /** Checkpointer writes of the first worker the store refused for their stale token. */
  fenced: number;
  replayed: number;
  lateRefused: number;
  /**
   * Records stalled in flight ('stalled'), as their worker saw them: landed, refused (a stale
   * token), timed out, never answered; and how many the replay found recorded (they landed late).
   */
  inFlight: { landed: number; refused: number; timedOut: number; unanswered: number; foundByReplay: number };
}

/** Reads every thread back (state, ledger, checkpoint chains) and counts. */
async function audit(probes: Probe[], first: FaultWorker, second: FaultWorker | undefined): Promise<Figures> {
  const [firstWrites, secondWrites] = await Promise.all([first.writes(), second ? second.writes() : Promise.resolve([] as WriteAttempt[])]);
  const threads = probes.map((probe) => probe.thread);
  const store = await openCheckpointer(PG_URL);
  const messagesOf = new Map<string, BaseMessage[]>();
  try {
    const tools = createExampleTools();
    const graph = compileTree(await loadTree(SUPPORT, { tools }), { tools, checkpointer: store.saver, model: 'offline' });
    for (const thread of threads) messagesOf.set(thread, await wholeConversation(graph, thread));
  } finally {
    await store.close();
  }
  const { refunds, checkpoints, taskWrites } = await withPool(async (pool) => ({
    refunds: (await new PostgresLedger(pool).list('refund')).filter((effect) => threads.some((thread) => effect.key.startsWith(`${thread}:`))),
    checkpoints: (
      await pool.query<{ thread_id: string; checkpoint_id: string; parent_checkpoint_id: string | null }>(
        "SELECT thread_id, checkpoint_id, parent_checkpoint_id FROM checkpoints WHERE thread_id = ANY($1) AND checkpoint_ns = ''",
        [threads],
      )
    ).rows,
    taskWrites: (await pool.query<{ thread_id: string; checkpoint_id: string; task_id: string }>("SELECT DISTINCT thread_id, checkpoint_id, task_id FROM checkpoint_writes WHERE thread_id = ANY($1) AND checkpoint_ns = ''", [threads])).rows,
  }));

  const figures: Figures = {
    turns: probes.length,
    errors: {},
    withMessageId: 0,
    noticedMs: undefined,
    failedMs: undefined,
    asked: 0,
    askedMax: 0,
    recorded: 0,
    recordedMax: 0,
    doneWithoutOneRecord: 0,
    refundErrorsShown: 0,
    acknowledged: 0,
    present: 0,
    lost: 0,
    duplicated: 0,
    forks: 0,
    outOfOrder: 0,
    staleAccepted: 0,
    staleRefused: 0,
    fenced: 0,
    replayed: 0,
    lateRefused: 0,
    inFlight: { landed: 0, refused: 0, timedOut: 0, unanswered: 0, foundByReplay: 0 },
  };
  // Who wrote what, by fencing token: a checkpoint's id is unique to the put that made it; a task's
  // writes may have been sent by both workers (the takeover reruns the task).
  const allWrites = [...firstWrites, ...secondWrites];
  const checkpointToken = new Map(allWrites.filter((write) => write.method === 'put').map((write) => [write.checkpointId, write.token ?? -1]));
  const taskTokens = new Map<string, number[]>();
  for (const write of allWrites.filter((candidate) => candidate.method === 'putWrites')) {
    const key = `${write.checkpointId}/${write.taskId ?? ''}`;
    taskTokens.set(key, [...(taskTokens.get(key) ?? []), write.token ?? -1]);
  }

  for (const probe of probes) {
    const { thread } = probe;
    const failure = probe.failure;
    const kind = failure ? `${failure.name}/${failure.code ?? ''}` : 'none';
    figures.errors[kind] = (figures.errors[kind] ?? 0) + 1;
    if (failure?.messageId === probe.refundId && failure.threadId === thread) figures.withMessageId += 1;
    if (probe.noticedMs !== undefined) figures.noticedMs = Math.max(figures.noticedMs ?? 0, probe.noticedMs);
    if (probe.failedMs !== undefined) figures.failedMs = Math.max(figures.failedMs ?? 0, probe.failedMs);
    if (probe.hold === 'stalled') {
      const answer = first.events.find((event) => event.id === `${thread}:2` && (event.event === 'refund-recorded' || event.event === 'refund-refused'));
      if (answer?.event === 'refund-recorded') figures.inFlight.landed += 1;
      else if (/fencing token \d+ is stale/.test(answer?.message ?? '')) figures.inFlight.refused += 1;
      else if (/Query read timeout/.test(answer?.message ?? '')) figures.inFlight.timedOut += 1;
      else figures.inFlight.unanswered += 1;
      const replays = [...first.events, ...(second?.events ?? [])].filter((event) => event.event === 'refund-recorded' && event.id?.startsWith(`${thread}:`) && event.id !== `${thread}:2`);
      if (replays.some((event) => event.replayed)) figures.inFlight.foundByReplay += 1;
    }
    figures.replayed += probe.resends.filter((resend) => resend.replayed).length;
    if (probe.late?.event === 'refund-refused' && /fencing token \d+ is stale/.test(probe.late.message ?? '')) figures.lateRefused += 1;

    // Refunds: one asked per thread (every replay asks under the same key), at most one recorded.
    const asked = new Set([...first.events, ...(second?.events ?? [])].filter((event) => event.event === 'refund-asked' && event.id?.startsWith(`${thread}:`)).map((event) => event.key));
    const recorded = refunds.filter((effect) => effect.key.startsWith(`${thread}:`));
    figures.asked += asked.size;
    figures.askedMax = Math.max(figures.askedMax, asked.size);
    figures.recorded += recorded.length;
    figures.recordedMax = Math.max(figures.recordedMax, recorded.length);
    const done = probe.resends.some((resend) => resend.status === 'done');
    if (done && (recorded.length !== 1 || !asked.has(recorded[0]?.key))) figures.doneWithoutOneRecord += 1;

    // What the model was told: never that the refund failed.
    const results = (messagesOf.get(thread) ?? []).filter((message): message is ToolMessage => message.type === 'tool' && (message as ToolMessage).name === 'issue_refund');
    figures.refundErrorsShown += results.filter((message) => message.status === 'error' || message.text.startsWith('Error')).length;

    // Messages: every acknowledged one present once; no user message twice.
    const humans = (messagesOf.get(thread) ?? []).filter((message) => message.type === 'human').map((message) => message.id);
    const acknowledged = new Set(probe.acknowledged);
    figures.acknowledged += acknowledged.size;
    for (const id of acknowledged) {
      const count = humans.filter((human) => human === id).length;
      if (count === 0) figures.lost += 1;
      else figures.present += 1;
    }
    for (const id of new Set(humans)) figures.duplicated += humans.filter((human) => human === id).length - 1;

    // Checkpoints (every one kept): one chain, one root, no parent with two children, none missing.
    const rows = checkpoints.filter((row) => row.thread_id === thread);
    const ids = new Set(rows.map((row) => row.checkpoint_id));
    const children = new Map<string | null, string[]>();
    for (const row of rows) children.set(row.parent_checkpoint_id, [...(children.get(row.parent_checkpoint_id) ?? []), row.checkpoint_id]);
    for (const [parent, list] of children) if (list.length > 1 || (parent !== null && !ids.has(parent))) figures.forks += 1;
    if ((children.get(null) ?? []).length !== 1) figures.forks += 1;
    const chain: string[] = [];
    for (let next = children.get(null)?.[0]; next !== undefined; next = children.get(next)?.[0]) chain.push(next);
    if (chain.length !== rows.length) figures.forks += 1;

    // Down the chain the tokens never go back: after a takeover, only the new holder's checkpoints.
    const tokens = chain.map((id) => checkpointToken.get(id));
    tokens.forEach((token, index) => {
      if (token === undefined || (index > 0 && token < (tokens[index - 1] ?? 0))) figures.outOfOrder += 1;
    });
    // (A turn's input may be written against a checkpoint id that is never stored: no order to keep there.)
    for (const row of taskWrites.filter((candidate) => candidate.thread_id === thread)) {
      const senders = taskTokens.get(`${row.checkpoint_id}/${row.task_id}`) ?? [];
      if (senders.length === 0 || !senders.some((token) => token >= (checkpointToken.get(row.checkpoint_id) ?? -1))) figures.outOfOrder += 1;
    }
    if (second && !secondWrites.some((write) => write.thread === thread && write.method === 'put' && write.ok)) figures.outOfOrder += 1;
    // A write sent once a newer token's holder had begun writing comes after that token was taken: refused.
    const mine = allWrites.filter((write) => write.thread === thread);
    const stale = mine.filter((write) => mine.some((newer) => (newer.token ?? -1) > (write.token ?? -1) && newer.startedAt < write.startedAt));
    figures.staleAccepted += stale.filter((write) => write.ok === true).length;
    figures.staleRefused += stale.filter((write) => write.error === 'LOCK_LOST').length;
    probe.fencedWrites = firstWrites.filter((write) => write.thread === thread && write.error === 'LOCK_LOST').length;
    figures.fenced += probe.fencedWrites;
  }
  return figures;
}

function describeFigures(label: string, figures: Figures, extra = ''): string {
  const seconds = (ms: number | undefined) => (ms === undefined ? '-' : (ms / 1000).toFixed(1));
  const { landed, refused, timedOut, unanswered, foundByReplay } = figures.inFlight;
  const stalled = landed + refused + timedOut + unanswered;
  return (
    `lock-loss [${label}]: ${figures.turns} turns cut mid-refund; errors ${JSON.stringify(figures.errors)}, with their messageId ${figures.withMessageId}/${figures.turns}; ` +
    `loss noticed within ${seconds(figures.noticedMs)} s, failing turns failed within ${seconds(figures.failedMs)} s (bound ${seconds(BOUND_MS)} s); ` +
    `refunds asked ${figures.asked}, recorded ${figures.recorded} (per thread at most ${figures.askedMax} asked, ${figures.recordedMax} recorded; done turns without exactly one: ${figures.doneWithoutOneRecord}; refund failures shown to the model ${figures.refundErrorsShown}); ` +
    `late refunds under the stale token refused ${figures.lateRefused}; ` +
    (stalled ? `stalled refund records: landed ${landed}, refused ${refused}, timed out ${timedOut}, unanswered ${unanswered}, found recorded by the replay ${foundByReplay}; ` : '') +
    `messages acknowledged ${figures.acknowledged}, present ${figures.present}, lost ${figures.lost}, duplicated ${figures.duplicated}; ` +
    `forks ${figures.forks}, writes out of fencing order ${figures.outOfOrder}, writes sent after a newer token was in use accepted ${figures.staleAccepted} (refused ${figures.staleRefused}); first worker's checkpoint writes refused for a stale token ${figures.fenced}; resends replayed ${figures.replayed}${extra}\n`
  );
}

/** What every thread must look like afterwards, whatever broke. */
function expectIntact(figures: Figures): void {
  expect({
    lost: figures.lost,
    duplicated: figures.duplicated,
    forks: figures.forks,
    outOfOrder: figures.outOfOrder,
    staleAccepted: figures.staleAccepted,
    askedMax: figures.askedMax,
    recordedMax: figures.recordedMax,
    doneWithoutOneRecord: figures.doneWithoutOneRecord,
    refundErrorsShown: figures.refundErrorsShown,
  }).toEqual({ lost: 0, duplicated: 0, forks: 0, outOfOrder: 0, staleAccepted: 0, askedMax: 1, recordedMax: 1, doneWithoutOneRecord: 0, refundErrorsShown: 0 });
  expect(figures.present).toBe(figures.acknowledged);
}

/** What every lock-loss scenario promises: intact threads, and each failing turn failed in time, saying so. */
function expectSafe(probes: Probe[], figures: Figures, boundMs: number): void {
  expectIntact(figures);
  for (const probe of probes) {
    expect(probe.failure, probe.thread).toMatchObject({ name: 'LockLostError', code: 'LOCK_LOST', messageId: probe.refundId, threadId: probe.thread });
    if (probe.hold === 'before' || probe.hold === 'after') expect(probe.noticedMs, `${probe.thread}: loss noticed`).toBeLessThanOrEqual(boundMs);
    if (probe.hold !== 'before') expect(probe.failedMs, `${probe.thread}: failing turn failed`).toBeLessThanOrEqual(boundMs);
    // Refused by the store itself, for its stale fencing token.
    else expect(probe.late, `${probe.thread}: the late refund`).toMatchObject({ event: 'refund-refused', name: 'LockLostError', code: 'LOCK_LOST', message: expect.stringMatching(/fencing token \d+ is stale/) });
    // The takeover finishes the turn; the resend after it runs nothing again.
    expect(probe.resends.map((resend) => [resend.status, resend.messageId])).toEqual([
      ['done', probe.refundId],
      ['done', probe.refundId],
    ]);
    expect(probe.resends[1]?.replayed).toBe(true);
  }
  expect(figures.lateRefused).toBe(probes.filter((probe) => probe.hold === 'before').length);
}

/** Until the server answers again (at most a minute). */
async function untilReady(): Promise<void> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const unreachable = await probe(PG_URL);
    if (unreachable === undefined) return;
    if (Date.now() > deadline) throw new Error(`PostgreSQL did not come back within 60 s: ${unreachable}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** The server under the tests, restarted: the embedded one with pg_ctl, this machine's Debian cluster with pg_ctlcluster. */
async function restartPostgres(): Promise<void> {
  await restartTestPostgres();
  await untilReady();
}

/** The database is up when this file is done, whatever happened in it. */
async function ensurePostgresUp(): Promise<void> {
  if ((await probe(PG_URL)) === undefined) return;
  await startTestPostgresAgain();
  await untilReady();
}

async function shutDown(workers: (FaultWorker | undefined)[], proxy?: TcpProxy): Promise<void> {
  proxy?.flow();
  proxy?.up();
  const stderr = await Promise.all(workers.map((worker) => worker?.close() ?? Promise.resolve('')));
  await proxy?.close();
  expect(stderr.filter(Boolean)).toEqual([]);
}

afterAll(ensurePostgresUp, 60_000);

describe('lock loss mid-turn: worker processes, PostgreSQL behind a TCP proxy, a refund held mid-turn', () => {
  it("the lock's connection cut: the turn stops at once, a second worker takes the thread, the refund happens once", async () => {
    const proxy = await startTcpProxy(pgPort, pgHost);
    let workers: FaultWorker[] = [];
    try {
      workers = await Promise.all([FaultWorker.start('A', { db: through(proxy), tree: SUPPORT, lock: { waitMs: 60_000 } }), FaultWorker.start('B', DIRECT)]);
      const [a, b] = workers as [FaultWorker, FaultWorker];
      const probes: Probe[] = [];
      for (let round = 0; round < ROUNDS; round += 1) {
        const round_ = await begin(a, 'cut', ['before', 'after', 'in-flight']);
        const ports = await Promise.all(round_.map((probe) => lockPort(probe.thread)));
        const locks = (connection: { upstreamPort: number | undefined }) => ports.includes(connection.upstreamPort ?? -1);
        // The checkpointer's connections stall, and the 'in-flight' turn goes on to its next write.
        proxy.blackHole((connection) => !locks(connection));
        const inFlight = round_.find((probe) => probe.hold === 'in-flight')!;
        const goAt = Date.now();
        a.go(`${inFlight.thread}:2`);
        await a.next((event) => event.event === 'write-start' && event.thread === inFlight.thread && event.at >= goAt);
        const at = Date.now();
        expect(proxy.cut(locks)).toBe(round_.length);
        for (const probe of round_) probe.faultAt = at;
        // The stalled connections flow again once the second worker has taken the threads.
        await failOver(a, b, round_, { restore: () => proxy.flow(), restoreWhen: 'after-resend' });
        probes.push(...round_);
      }
      const figures = await audit(probes, a, b);
      process.stderr.write(describeFigures("the lock's connection cut", figures));
      expectSafe(probes, figures, BOUND_MS);
      // The write in flight when the lock went landed after the takeover, and was refused.
      for (const probe of probes.filter((candidate) => candidate.hold === 'in-flight')) expect(probe.fencedWrites, probe.thread).toBeGreaterThan(0);
    } finally {
      await shutDown(workers, proxy);
    }
  }, 150_000);

  it("idle_session_timeout ends the lock's idle session (heartbeat 60 s, longer than the 3 s timeout): the turn stops, the takeover is clean", async () => {
    const proxy = await startTcpProxy(pgPort, pgHost);
    let workers: FaultWorker[] = [];
    try {
      // On the lock pool alone: the checkpointer's connections keep the server's defaults.
      const a = FaultWorker.start('A', { db: through(proxy), tree: SUPPORT, lock: { waitMs: 60_000, heartbeatMs: 60_000 }, lockPool: { options: `-c idle_session_timeout=${IDLE_SESSION_MS}` } });
      workers = await Promise.all([a, FaultWorker.start('B', DIRECT)]);
      const [first, second] = workers as [FaultWorker, FaultWorker];
      const probes: Probe[] = [];
      for (let round = 0; round < ROUNDS; round += 1) {
        const round_ = await begin(first, 'idle', ['before', 'after']);
        // The server ends the session IDLE_SESSION_MS after it went idle, which is after the turn began:
        // timing from turn start + IDLE_SESSION_MS overstates the reaction, never understates it.
        for (const probe of round_) probe.faultAt = (await first.of(`${probe.thread}:2`, 'turn-start')).at + IDLE_SESSION_MS;
        await failOver(first, second, round_);
        probes.push(...round_);
      }
      const figures = await audit(probes, first, second);
      process.stderr.write(describeFigures(`idle_session_timeout ${IDLE_SESSION_MS / 1000} s on the lock's session, heartbeat 60 s`, figures));
      expectSafe(probes, figures, BOUND_MS);
    } finally {
      await shutDown(workers, proxy);
    }
  }, 150_000);

  it('every connection cut, then restored: the turn stops, the takeover is clean, the late refund is refused', async () => {
    const proxy = await startTcpProxy(pgPort, pgHost);
    let workers: FaultWorker[] = [];
    try {
      workers = await Promise.all([FaultWorker.start('A', { db: through(proxy), tree: SUPPORT, lock: { waitMs: 60_000 } }), FaultWorker.start('B', DIRECT)]);
      const [a, b] = workers as [FaultWorker, FaultWorker];
      const probes: Probe[] = [];
      for (let round = 0; round < ROUNDS; round += 1) {
        const round_ = await begin(a, 'all', ['before', 'after']);
        const at = Date.now();
        proxy.down();
        for (const probe of round_) probe.faultAt = at;
        await failOver(a, b, round_, { restore: () => proxy.up() });
        probes.push(...round_);
      }
      const figures = await audit(probes, a, b);
      process.stderr.write(describeFigures('every connection cut, then restored', figures));
      expectSafe(probes, figures, BOUND_MS);
    } finally {
      await shutDown(workers, proxy);
    }
  }, 150_000);

  it('a 60 s black hole: the heartbeat notices, the second worker gets the thread only once the stalled session is gone', async () => {
    const proxy = await startTcpProxy(pgPort, pgHost);
    let workers: FaultWorker[] = [];
    try {
      // The rounds run at once, on different threads, under one black hole (a lock connection each).
      const holds = Array.from({ length: ROUNDS }, () => ['before', 'after', 'stalled'] as const).flat();
      workers = await Promise.all([FaultWorker.start('A', { db: through(proxy), tree: SUPPORT, lock: { waitMs: 60_000 }, lockConnections: holds.length }), FaultWorker.start('B', DIRECT)]);
      const [a, b] = workers as [FaultWorker, FaultWorker];
      const probes = await begin(a, 'hole', holds);
      const at = Date.now();
      proxy.blackHole();
      for (const probe of probes) {
        probe.faultAt = at;
        if (probe.hold === 'stalled') a.go(`${probe.thread}:2`);
      }
      let flowedAt = 0;
      await failOver(a, b, probes, {
        restoreWhen: 'during-resend',
        restore: async () => {
          await new Promise((resolve) => setTimeout(resolve, Math.max(0, at + BLACK_HOLE_MS - Date.now())));
          flowedAt = Date.now();
          proxy.flow();
        },
      });
      // While the stalled session lived, it held the lock: the second worker waited for it.
      const tookBeforeFlow = probes.filter((probe) => (probe.resendEndedAt ?? 0) < flowedAt).length;
      const figures = await audit(probes, a, b);
      process.stderr.write(describeFigures(`a ${BLACK_HOLE_MS / 1000} s black hole, ${ROUNDS} rounds at once`, figures, `; takeovers done before the traffic flowed again ${tookBeforeFlow}`));
      expectSafe(probes, figures, BOUND_MS);
      expect(tookBeforeFlow).toBe(0);
    } finally {
      await shutDown(workers, proxy);
    }
  }, 240_000);

  it('a database restart: the turn stops, the takeover after the restart is clean, the late refund is refused', async () => {
    const proxy = await startTcpProxy(pgPort, pgHost);
    let workers: FaultWorker[] = [];
    try {
      workers = await Promise.all([FaultWorker.start('A', { db: through(proxy), tree: SUPPORT, lock: { waitMs: 60_000 } }), FaultWorker.start('B', DIRECT)]);
      const [a, b] = workers as [FaultWorker, FaultWorker];
      const probes: Probe[] = [];
      for (let round = 0; round < ROUNDS; round += 1) {
        const round_ = await begin(a, 'restart', ['before', 'after']);
        const at = Date.now();
        const restarting = restartPostgres();
        restarting.catch(() => undefined);
        for (const probe of round_) probe.faultAt = at;
        await failOver(a, b, round_, { restore: () => restarting });
        probes.push(...round_);
      }
      const figures = await audit(probes, a, b);
      process.stderr.write(describeFigures('a database restart', figures));
      expectSafe(probes, figures, BOUND_MS);
    } finally {
      await ensurePostgresUp();
      await shutDown(workers, proxy);
    }
  }, 180_000);

  it('a stalled connection (black hole) during a turn fails the turn within the bound with StoreError; the next turn works once traffic flows', async () => {
    const proxy = await startTcpProxy(pgPort, pgHost);
    let worker: FaultWorker | undefined;
    try {
      worker = await FaultWorker.start('A', { db: through(proxy), tree: SUPPORT, lock: { waitMs: 60_000 } });
      const a = worker;
      // The refunds hold until the traffic stops, then go on: their record, and the turn, stall.
      const probes = await begin(a, 'stall', Array.from({ length: ROUNDS }, () => 'stalled' as const));
      const ports = await Promise.all(probes.map((probe) => lockPort(probe.thread)));
      // Each refund's record goes out on a checkpointer connection, which stalls from that byte on.
      for (const probe of probes) {
        const stalling = proxy.blackHoleNext((connection) => !ports.includes(connection.upstreamPort ?? -1));
        a.go(`${probe.thread}:2`);
        await stalling;
        probe.faultAt = Date.now();
      }
      const ends = await Promise.all(probes.map((probe) => a.of(`${probe.thread}:2`, 'turn-end', BOUND_MS * 3)));
      probes.forEach((probe, index) => {
        probe.failedMs = ends[index]!.at - probe.faultAt;
        probe.failure = ends[index]!.error;
      });
      proxy.flow();
      // The same worker, once traffic flows: the failed message again (finished once), then a new one.
      for (const probe of probes) {
        const again = await a.run({ id: `${probe.thread}:again`, thread: probe.thread, message: REFUND, messageId: probe.refundId });
        probe.resends.push(again.result!);
        if (again.result?.status === 'done') probe.acknowledged.push(probe.refundId);
        const next = randomUUID();
        const after = await a.run({ id: `${probe.thread}:next`, thread: probe.thread, message: LAST, messageId: next });
        probe.resends.push(after.result!);
        if (after.result?.status === 'done') probe.acknowledged.push(next);
      }
      const figures = await audit(probes, a, undefined);
      process.stderr.write(describeFigures('a stalled connection during a turn, then traffic flows', figures));
      expectIntact(figures);
      for (const probe of probes) {
        expect(probe.failure?.name, probe.thread).toMatch(/^(StoreError|LockLostError)$/);
        expect(probe.failure).toMatchObject({ code: expect.stringMatching(/^(STORE_UNAVAILABLE|LOCK_LOST)$/), messageId: probe.refundId, threadId: probe.thread });
        expect(probe.failedMs).toBeLessThanOrEqual(BOUND_MS);
        expect(probe.resends.map((resend) => resend.status)).toEqual(['done', 'done']);
      }
    } finally {
      await shutDown([worker], proxy);
    }
  }, 150_000);
});
