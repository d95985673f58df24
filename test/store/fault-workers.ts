/**
 * Driving test/workers/fault-worker.mjs (the built code) over stdin/stdout: turns whose refund holds
 * mid-turn until the test has broken the store, and every event the worker reports, timestamped.
 */
import { spawn } from 'node:child_process';
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { createInterface } from 'node:readline';

export interface FaultJob {
  db: string;
  tree: string;
  lock?: { heartbeatMs?: number; waitMs?: number };
  /** The worker's lock pool size: how many of its turns run at once. */
  lockConnections?: number;
  /** Settings of the worker's lock pool alone (`openCheckpointer`'s `lockPool`). */
  lockPool?: Record<string, unknown>;
}

/** Where a turn's issue_refund holds (see fault-worker.mjs). */
export type Hold = 'before' | 'after' | 'go' | 'then-go';

export interface TurnOutcome {
  status: string;
  replayed: boolean;
  messageId: string | undefined;
  agent: string;
  error: { code: string; message: string } | null;
}

export interface ThrownError {
  name: string;
  code: string | null;
  messageId: string | null;
  threadId: string | null;
  saved: string | null;
  message: string;
}

export interface FaultEvent {
  event: 'ready' | 'turn-start' | 'refund-asked' | 'hold-lost' | 'refund-recorded' | 'refund-refused' | 'write-start' | 'turn-end' | 'report';
  /** The turn the event belongs to. */
  id?: string;
  /** When the worker reported it (ms since the epoch: the test and its workers share one clock). */
  at: number;
  key?: string;
  /** write-start: the thread written, and how. */
  thread?: string;
  method?: WriteAttempt['method'];
  aborted?: boolean;
  replayed?: boolean;
  code?: string | null;
  name?: string;
  message?: string;
  startedAt?: number;
  result?: TurnOutcome;
  error?: ThrownError;
  writes?: WriteAttempt[];
}

/** A write the worker sent to its checkpointer: a checkpoint (`put`) or a task's writes (`putWrites`). */
export interface WriteAttempt {
  method: 'put' | 'putWrites';
  thread: string;
  token: number | null;
  checkpointId: string;
  parentId?: string | null;
  taskId?: string;
  startedAt: number;
  endedAt?: number;
  ok?: boolean;
  error?: string;
}

export class FaultWorker {
  readonly events: FaultEvent[] = [];
  stderr = '';
  readonly exited: Promise<number | null>;
  #listeners = new Set<() => void>();

  private constructor(
    readonly name: string,
    private readonly child: ChildProcessWithoutNullStreams,
  ) {
    this.exited = new Promise((resolve) => child.on('exit', (code) => resolve(code)));
    child.stderr.on('data', (chunk: Buffer) => (this.stderr += chunk.toString()));
    createInterface({ input: child.stdout }).on('line', (line) => {
      this.events.push(JSON.parse(line) as FaultEvent);
      for (const listener of this.#listeners) listener();
    });
    void this.exited.then(() => {
      for (const listener of this.#listeners) listener();
    });
  }

  /** Spawns a worker and waits until it has opened its store and compiled its graph. */
  static async start(name: string, job: FaultJob): Promise<FaultWorker> {
    const child = spawn(process.execPath, [new URL('../workers/fault-worker.mjs', import.meta.url).pathname, JSON.stringify(job)], { stdio: ['pipe', 'pipe', 'pipe'] });
    const worker = new FaultWorker(name, child);
    await worker.next((event) => event.event === 'ready', 60_000);
    return worker;
  }

  /** Starts a turn (it runs alongside the others). */
  turn(command: { id: string; thread: string; message: string; messageId: string; hold?: Hold }): void {
    this.#send({ op: 'turn', ...command });
  }

  /** Lets a held refund go on. */
  go(id: string): void {
    this.#send({ op: 'go', id });
  }

  /** The first event, reported so far or later, that `match` accepts. */
  next(match: (event: FaultEvent) => boolean, timeoutMs = 90_000): Promise<FaultEvent> {
    return new Promise((resolve, reject) => {
      const check = () => {
        const found = this.events.find(match);
        if (found) {
          done();
          resolve(found);
        } else if (this.child.exitCode !== null || this.child.signalCode !== null) {
          done();
          reject(new Error(`worker ${this.name} exited: ${this.stderr}`));
        }
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`worker ${this.name}: no such event within ${timeoutMs} ms; events: ${JSON.stringify(this.events.slice(-8))}`));
      }, timeoutMs);
      const done = () => {
        clearTimeout(timer);
        this.#listeners.delete(check);
      };
      this.#listeners.add(check);
      check();
    });
  }

  /** The event `kind` of turn `id`. */
  of(id: string, kind: FaultEvent['event'], timeoutMs?: number): Promise<FaultEvent> {
    return this.next((event) => event.id === id && event.event === kind, timeoutMs);
  }

  /** Runs a turn to its end. */
  async run(command: { id: string; thread: string; message: string; messageId: string; hold?: Hold }, timeoutMs?: number): Promise<FaultEvent> {
    this.turn(command);
    return this.of(command.id, 'turn-end', timeoutMs);
  }

  /** Every checkpointer write the worker attempted so far. */
  async writes(): Promise<WriteAttempt[]> {
    const start = this.events.length;
    this.#send({ op: 'report' });
    const report = await this.next((event) => event.event === 'report' && this.events.indexOf(event) >= start);
    return report.writes ?? [];
  }

  /** Closes the worker's store and waits for it to exit; returns what it printed on stderr. */
  async close(): Promise<string> {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      this.#send({ op: 'exit' });
      const timer = setTimeout(() => this.child.kill('SIGKILL'), 30_000);
      await this.exited;
      clearTimeout(timer);
    }
    return this.stderr;
  }

  #send(command: Record<string, unknown>): void {
    this.child.stdin.write(`${JSON.stringify(command)}\n`);
  }
}
