/**
 * Long-lived worker processes (test/workers/session-worker.mjs, on the built code) driven over
 * stdin/stdout: spawned once, then sent one command after another, so a test can run many rounds
 * of simultaneous messages without paying for a process start each time.
 */
import { spawn } from 'node:child_process';
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { createInterface } from 'node:readline';

export interface SessionJob {
  db: string;
  tree: string;
  model?: 'offline' | 'openai';
  baseURL?: string;
  lock?: { policy?: 'wait' | 'reject'; waitMs?: number; leaseMs?: number };
  retention?: number | 'all';
}

export interface TurnCommand {
  thread: string;
  message: string;
  messageId?: string;
  /** A Date.now() every worker of a round starts at. */
  startAt?: number;
  pauseBefore?: string;
  pauseAfter?: string;
  crashAfter?: string;
  /** Die once the store has taken this many writes of the turn (checkpoints and pending writes). */
  crashAfterWrite?: number;
}

/** A worker's answer to a turn: the result's fields, or the thrown error's. */
export interface TurnReply {
  status?: string;
  replayed?: boolean;
  messageId?: string;
  agent?: string;
  reply?: string | null;
  error?: { code: string; message: string } | null;
  thrown?: string;
  name?: string;
  text?: string;
  saved?: string | null;
  /** How long the turn took in the worker, from the barrier. */
  ms: number;
  /** How late the worker left the barrier, in ms. */
  skew: number;
  /** The writes (checkpoints and pending writes) the store took for this turn. */
  writes: number;
}

export interface WorkerEvent {
  event: 'pausing' | 'crashing';
  key: string;
}

export class SessionWorker {
  readonly pid: number;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stderr = '';
  readonly #child: ChildProcessWithoutNullStreams;
  readonly #ready: Promise<void>;
  #next = 0;
  readonly #waiting = new Map<number, (reply: Record<string, unknown>) => void>();
  readonly #events: WorkerEvent[] = [];
  #onEvent: (() => void) | undefined;

  private constructor(job: SessionJob) {
    this.#child = spawn(process.execPath, [new URL('../workers/session-worker.mjs', import.meta.url).pathname, JSON.stringify(job)], {
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    this.pid = this.#child.pid ?? 0;
    this.exited = new Promise((resolve) => this.#child.on('exit', (code, signal) => resolve({ code, signal })));
    this.#child.stderr.on('data', (chunk: Buffer) => (this.stderr += chunk.toString()));
    let ready!: () => void;
    this.#ready = new Promise<void>((resolve, reject) => {
      ready = resolve;
      this.#child.on('error', reject);
      void this.exited.then(({ code, signal }) =>
        reject(new Error(`The worker exited before it was ready (${code ?? signal}): ${this.stderr}`)),
      );
    });
    createInterface({ input: this.#child.stdout }).on('line', (line) => {
      const data = JSON.parse(line) as Record<string, unknown>;
      if (data.ready) ready();
      else if (typeof data.id === 'number') {
        this.#waiting.get(data.id)?.(data);
        this.#waiting.delete(data.id);
      } else if (data.event) {
        this.#events.push(data as unknown as WorkerEvent);
        this.#onEvent?.();
      }
    });
  }

  /** Spawns a worker and waits until it has opened its store and compiled its graph. */
  static async start(job: SessionJob): Promise<SessionWorker> {
    const worker = new SessionWorker(job);
    await worker.#ready;
    return worker;
  }

  /** Runs one turn in the worker (after the ones sent before). */
  turn(command: TurnCommand): Promise<TurnReply> {
    return this.#send({ op: 'turn', ...command }) as unknown as Promise<TurnReply>;
  }

  /** The next `pausing` or `crashing` line the worker prints. */
  async nextEvent(): Promise<WorkerEvent> {
    while (this.#events.length === 0) await new Promise<void>((resolve) => (this.#onEvent = resolve));
    return this.#events.shift()!;
  }

  signal(name: NodeJS.Signals): void {
    this.#child.kill(name);
  }

  /** Closes the worker's store and waits for it to exit (a worker that already died is left as it is). */
  async close(): Promise<void> {
    if (this.#child.exitCode === null && this.#child.signalCode === null) {
      await Promise.race([this.#send({ op: 'exit' }).catch(() => undefined), this.exited]);
    }
    await this.exited;
  }

  #send(command: Record<string, unknown>): Promise<Record<string, unknown>> {
    const id = this.#next++;
    return new Promise((resolve, reject) => {
      this.#waiting.set(id, resolve);
      void this.exited.then(({ code, signal }) =>
        reject(new Error(`The worker exited (${code ?? signal}) before answering: ${this.stderr}`)),
      );
      this.#child.stdin.write(`${JSON.stringify({ id, ...command })}\n`);
    });
  }
}

/** Starts `count` workers at once. */
export function startWorkers(count: number, job: SessionJob): Promise<SessionWorker[]> {
  return Promise.all(Array.from({ length: count }, () => SessionWorker.start(job)));
}
