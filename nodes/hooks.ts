/**
 * Code that runs when a handoff is accepted (`onHandoff`) or a conversation is escalated to a
 * person (`onEscalation`), given to `compileTree` as `hooks`. A hook sees the move (who, where, the
 * validated payload), the shared state and an idempotency key; it may return shared-state fields for
 * the receiving agent (its model sees them in its prompt) or refuse the move (the model is told, and
 * control stays). A hook runs once per accepted handoff: its outcome is recorded in a side-effect
 * ledger under its key before control moves, so a turn replayed after a crash reuses it.
 */
import type { LangGraphRunnableConfig } from '@langchain/langgraph';
import type { Logger } from 'pino';
import type { HandoffKind } from '../config/edges.js';
import { closestName, didYouMean } from '../config/suggest.js';
import { isBlank, wellFormed } from '../models/messages.js';
import { fieldsSchema } from '../state/schema.js';
import type { SwitchboardState } from '../state/schema.js';
import { MemoryLedger } from '../store/ledger.js';
import type { SideEffect, SideEffectLedger } from '../store/ledger.js';
import { fenceOf } from '../store/fences.js';
import type { Fence } from '../store/fences.js';
import { StoreError } from '../errors/store-error.js';
import { SwitchboardError } from '../errors/switchboard-error.js';
import { currentFields } from './context.js';
import type { TreeRuntime } from './context.js';
import { overCharacterLimit, threadIdOf } from './turn.js';

type FieldValue = string | number | boolean;

/** A move a hook sees: a handoff the model chose, or a fallback, a limit's redirect or a person's hand-back. */
export type HookMoveKind = HandoffKind | 'fallback' | 'limit' | 'resume';

/** What a hook is told about the move it may shape. */
export interface HandoffHookContext {
  /** The agent handing off. */
  from: string;
  /** The agent (or person) receiving the conversation. */
  to: string;
  /**
   * How the move came about: a handoff the model chose (`delegate`, `handback`, `sideways`,
   * `escalate`), or one it did not: an agent's `fallback` taking over, the tree's `escalation`
   * target after a `limit`, or a person handing the conversation back (`resume`).
   */
  kind: HookMoveKind;
  /** The handoff tool the model called; `''` for a move no model chose (fallback, limit, resume). */
  tool: string;
  /** The payload, validated against the target's `handoff.payload` (defaults applied). */
  payload: Readonly<Record<string, unknown>>;
  /** The shared-state fields as they are before the move (e.g. `customer_id`, set by backend code). */
  fields: Readonly<Record<string, FieldValue>>;
  threadId: string;
  /** The user turn (1-based). */
  turn: number;
  /** The tool-call id of the handoff (minted by Switchboard, the same on every replay); `''` for a move no model chose. */
  toolCallId: string;
  /** The same for every replay of this handoff: record your own side effects under it. */
  idempotencyKey: string;
  /** The turn's hold on the thread (pass it to `ledger.record(effect, fence)`); undefined outside `runTurn`. */
  fence?: Fence | undefined;
  /** Aborts when the hook's time is up or the turn stops: pass it to your HTTP calls. */
  signal: AbortSignal;
}

/**
 * What a hook returns: nothing (the move goes ahead), `{ fields }` (set in the shared state before
 * the receiving agent runs; they must be fields the tree declares, with their types), or
 * `{ refuse: 'why' }` (the move does not happen; the model that asked is told why).
 */
export type HandoffHookResult = void | undefined | { fields?: Record<string, FieldValue> | undefined } | { refuse: string };

export type HandoffHook = (context: HandoffHookContext) => HandoffHookResult | Promise<HandoffHookResult>;

/** One hook for every target, or hooks by target agent name (`'*'`: the others). */
export type HandoffHooks = HandoffHook | Record<string, HandoffHook>;

export interface HooksOptions {
  /** Runs when a handoff into an agent (not a person) is accepted. */
  onHandoff?: HandoffHooks | undefined;
  /** Runs when a handoff into a person (`kind: human`) is accepted, before the thread pauses. */
  onEscalation?: HandoffHooks | undefined;
  /** How long a hook may take, in milliseconds (default 5,000). Past it the hook counts as failed. */
  timeoutMs?: number | undefined;
  /**
   * What a hook that throws, times out or returns undeclared fields does: `'refuse'` (default) refuses
   * the handoff and tells the model; `'fail-turn'` ends the turn with the error `HOOK_FAILED`.
   */
  onError?: 'refuse' | 'fail-turn' | undefined;
  /**
   * Where hook outcomes are recorded by idempotency key (default: the ledger of the store the
   * checkpointer came from (`openCheckpointer`), else this process's memory), so a turn finished by
   * another worker after a crash reuses the outcome too.
   */
  ledger?: SideEffectLedger | undefined;
}

export const DEFAULT_HOOK_TIMEOUT_MS = 5_000;

/** What became of a hook, as recorded in the ledger (kind `handoff-hook`). */
export type HookOutcome =
  | { action: 'accept'; fields: Record<string, FieldValue> }
  | { action: 'refuse'; reason: string }
  | { action: 'fail'; kind: 'threw' | 'timeout' | 'invalid-fields'; message: string };

interface ResolvedHooks {
  onHandoff: HandoffHooks | undefined;
  onEscalation: HandoffHooks | undefined;
  timeoutMs: number;
  onError: 'refuse' | 'fail-turn';
  ledger: SideEffectLedger;
}

const attached = new WeakMap<TreeRuntime, ResolvedHooks>();

/** The options `hooks` takes: a key not among them (a typo such as `onhandoff`) would be a hook that never runs. */
const HOOK_OPTIONS: readonly (keyof HooksOptions)[] = ['onHandoff', 'onEscalation', 'timeoutMs', 'onError', 'ledger'];

/** What `onError` may be. */
const ON_ERROR_VALUES: readonly NonNullable<HooksOptions['onError']>[] = ['refuse', 'fail-turn'];

/** Checks the hooks against the tree and attaches them to a compiled tree's runtime. */
export function attachHooks(runtime: TreeRuntime, options: HooksOptions | undefined): void {
  if (!options) return;
  checkOptionKeys(options);
  if (options.onError !== undefined && !ON_ERROR_VALUES.includes(options.onError)) {
    // Read as the default, 'fail' (meant as 'fail-turn') would refuse handoffs instead of ending the turn.
    throw new SwitchboardError('INVALID_HOOKS', `hooks.onError must be ${ON_ERROR_VALUES.map((value) => `'${value}'`).join(' or ')} (got ${shown(options.onError)}). ${didYouMean(String(options.onError), ON_ERROR_VALUES)}`.trimEnd());
  }
  for (const name of ['onHandoff', 'onEscalation'] as const) {
    const hooks = options[name];
    if (hooks === undefined || typeof hooks === 'function') continue;
    if (typeof hooks !== 'object' || hooks === null) throw new SwitchboardError('INVALID_HOOKS', `hooks.${name} must be a function or an object of functions by target agent.`);
    for (const [target, hook] of Object.entries(hooks)) {
      if (typeof hook !== 'function') throw new SwitchboardError('INVALID_HOOKS', `hooks.${name}.${target} must be a function.`);
      if (target === '*') continue;
      if (!Object.hasOwn(runtime.tree.agents, target)) {
        throw new SwitchboardError('INVALID_HOOKS', `hooks.${name} names "${target}", which is not an agent of the tree "${runtime.tree.name}". Agents: ${Object.keys(runtime.tree.agents).join(', ')} (or "*" for every target).`);
      }
      // A hook under the wrong name would never run: a veto that silently does not apply.
      const kind = runtime.tree.agents[target]?.kind ?? 'agent';
      if (kind === 'helper') throw new SwitchboardError('INVALID_HOOKS', `hooks.${name}.${target}: "${target}" is a helper (called as a tool, control never moves to it), so no hook runs for it.`);
      if (name === 'onHandoff' && kind === 'human') throw new SwitchboardError('INVALID_HOOKS', `hooks.onHandoff.${target}: "${target}" is a person; a move to a person runs onEscalation. Put this hook under hooks.onEscalation.${target}.`);
      if (name === 'onEscalation' && kind !== 'human') throw new SwitchboardError('INVALID_HOOKS', `hooks.onEscalation.${target}: "${target}" is an agent, not a person; a move to an agent runs onHandoff. Put this hook under hooks.onHandoff.${target}.`);
    }
  }
  const timeoutMs = options.timeoutMs ?? DEFAULT_HOOK_TIMEOUT_MS;
  if (!Number.isInteger(timeoutMs) || timeoutMs < 1 || timeoutMs > 2_147_483_647) {
    throw new SwitchboardError('INVALID_HOOKS', `hooks.timeoutMs must be a whole number of milliseconds from 1 to 2147483647 (got ${shown(options.timeoutMs)}).`);
  }
  attached.set(runtime, {
    onHandoff: options.onHandoff,
    onEscalation: options.onEscalation,
    timeoutMs,
    onError: options.onError ?? 'refuse',
    ledger: options.ledger ?? new MemoryLedger(),
  });
}

/**
 * Refuses (`INVALID_HOOKS`) a key `hooks` does not take: a hook under `onhandoff` or `onEscalate`
 * would never run, a veto that silently does not apply, and `timeout` would leave the default.
 */
function checkOptionKeys(options: HooksOptions): void {
  const unknown = Object.keys(options).filter((key) => !(HOOK_OPTIONS as readonly string[]).includes(key));
  if (unknown.length === 0) return;
  const problems = unknown.map((key) => {
    const meant = closestName(key, HOOK_OPTIONS);
    return meant === undefined ? `"${key}"` : `"${key}" (did you mean "${meant}"?)`;
  });
  throw new SwitchboardError('INVALID_HOOKS', `hooks has ${unknown.length > 1 ? 'keys it does not take' : 'a key it does not take'}: ${problems.join(', ')}. The keys: ${HOOK_OPTIONS.join(', ')}.`);
}

/** A value an option was given, for an error message: `a string ("5000")`, `5000.5`, `an object`. */
function shown(value: unknown): string {
  if (typeof value === 'string') return `a string (${JSON.stringify(truncate(value, 40))})`;
  if (typeof value === 'number') return String(value);
  return describe(value);
}

/** The hook a move into `to` runs, if any. */
export function hookFor(runtime: TreeRuntime, to: string): HandoffHook | undefined {
  const hooks = attached.get(runtime);
  if (!hooks) return undefined;
  const toHuman = runtime.tree.agents[to]?.kind === 'human';
  const chosen = toHuman ? hooks.onEscalation : hooks.onHandoff;
  if (chosen === undefined || typeof chosen === 'function') return chosen;
  return Object.hasOwn(chosen, to) ? chosen[to] : Object.hasOwn(chosen, '*') ? chosen['*'] : undefined;
}

/** Whether a failed hook ends the turn (`onError: 'fail-turn'`) rather than refusing the handoff. */
export function hookFailureEndsTurn(runtime: TreeRuntime): boolean {
  return attached.get(runtime)?.onError === 'fail-turn';
}

export interface HookMove {
  from: string;
  to: string;
  kind: HookMoveKind;
  /** The handoff tool and its call; both `''` for a move no model chose. */
  tool: string;
  toolCallId: string;
  payload: Record<string, unknown>;
}

/**
 * The key a move's hook outcome is recorded under: the thread and the handoff's call id, or, for a
 * move no model chose, the thread, the turn and the move (each such move happens once a turn).
 */
function moveKey(threadId: string, move: HookMove, turn: number): string {
  return move.toolCallId !== '' ? `${threadId}:${move.toolCallId}` : `${threadId}:turn-${turn}:${move.kind}:${move.from}>${move.to}`;
}

/** The fields a hook is given: as the tree declares them now ({@link currentFields}). */
function fieldsFor(runtime: TreeRuntime, agent: string, fields: SwitchboardState['fields']): Record<string, string | number | boolean> {
  const declared = runtime.agents.get(agent) ?? runtime.agents.get(runtime.tree.root);
  return declared ? currentFields(declared, fields) : { ...fields };
}

/**
 * Runs the hook of a move once: an outcome already recorded under the move's key is reused (the
 * hook does not run again); otherwise the hook runs, bounded by its time limit, and its outcome is
 * recorded before control moves. Returns undefined when no hook applies.
 */
export async function runHandoffHook(
  runtime: TreeRuntime,
  move: HookMove,
  state: Pick<SwitchboardState, 'fields'>,
  turn: number,
  config: LangGraphRunnableConfig,
  logger: Logger,
): Promise<HookOutcome | undefined> {
  const hook = hookFor(runtime, move.to);
  const hooks = attached.get(runtime);
  if (!hook || !hooks) return undefined;
  const threadId = threadIdOf(config);
  const idempotencyKey = moveKey(threadId, move, turn);
  const key = `${idempotencyKey}:hook`;
  const known = await recorded(hooks.ledger, key);
  if (known) return known.details.outcome as HookOutcome;
  config.signal?.throwIfAborted();
  const { outcome, thrown } = await invoke(runtime, hook, hooks.timeoutMs, {
    from: move.from,
    to: move.to,
    kind: move.kind,
    tool: move.tool,
    payload: structuredClone(move.payload),
    fields: fieldsFor(runtime, move.from, state.fields),
    threadId,
    turn,
    toolCallId: move.toolCallId,
    idempotencyKey,
    fence: fenceOf(config),
  }, config.signal);
  const hookName = runtime.tree.agents[move.to]?.kind === 'human' ? 'onEscalation' : 'onHandoff';
  if (outcome.action === 'fail') {
    // What failed, never the hook's message: it may quote what the user wrote (the ledger keeps it).
    const error = thrown === undefined ? {} : { error: errorFacts(thrown.error) };
    logger.warn({ event: 'hook-fail', hook: hookName, from: move.from, to: move.to, kind: outcome.kind, ...error, thread_id: threadId }, 'a handoff hook failed');
  }
  const { effect } = await hooks.ledger.record({ key, kind: 'handoff-hook', details: { hook: hookName, from: move.from, to: move.to, tool: move.tool, outcome } }, fenceOf(config));
  // A turn stopped while the hook ran stops only now: the hook's side effect is done and its
  // outcome recorded, so the message sent again reuses it instead of running the hook a second time.
  config.signal?.throwIfAborted();
  // Another run recorded first (a worker that took the thread over): its outcome stands.
  return effect.details.outcome as HookOutcome;
}

/** A refused or failed outcome in words: "refused by a hook: …" or "not made: the hook …". */
export function refusedText(outcome: Exclude<HookOutcome, { action: 'accept' }>): string {
  return outcome.action === 'refuse' ? `refused by a hook: ${outcome.reason}` : `not made: ${outcome.message}`;
}

/** How long a refusal's reason may be, in characters (grapheme clusters); a longer one is cut. */
export const MAX_REFUSAL_CHARACTERS = 500;

/**
 * A hook's refusal as the clause the model is told ("…is not allowed: <reason>. triage keeps…"):
 * trimmed, without its own final period (the sentence supplies one), and cut to
 * {@link MAX_REFUSAL_CHARACTERS}: the reason goes to the model, into events and into the ledger, and
 * a hook passing on an API's answer must not send megabytes. Malformed UTF-16 (half an emoji) is
 * shown as U+FFFD, as in a person's reply: providers refuse it with a 400, and every later model
 * call of the thread sends the reason. A blank reason (nothing a model could read) is the policy's.
 */
function refusalReason(refuse: string): string {
  const reason = wellFormed(truncate(refuse.trim().replace(/\.$/, '').trimEnd(), MAX_REFUSAL_CHARACTERS));
  return isBlank(reason) ? 'the handoff was refused by policy' : reason;
}

/** The first line of a thrown error's message, at most this many characters. */
const MAX_THROWN_CHARACTERS = 500;

/**
 * What a hook threw, in one line ("Error: CRM down", "string: …", "an object"), never throwing
 * itself: a hook may throw anything (an object without a prototype, one whose `toString` throws, an
 * error whose message is not text), and a description that threw would crash the turn instead of
 * failing the hook, leaving nothing recorded and the hook to run again on every message.
 */
function thrownText(error: unknown, depth = 0): string {
  try {
    if (error instanceof Error) {
      const name = typeof error.name === 'string' && error.name !== '' ? error.name : 'Error';
      const message = typeof error.message === 'string' ? firstLine(error.message) : `(a message that is ${describe(error.message)})`;
      return `${name}: ${message}${causeText(error, depth)}`;
    }
    if (typeof error === 'string') return `string: ${firstLine(error)}`;
    if (typeof error === 'object' || typeof error === 'function') return describe(error);
    return `${typeof error}: ${String(error)}`;
  } catch {
    return 'a value that cannot be described';
  }
}

/** Causes followed from a thrown error (an error's cause may have its own). */
const MAX_CAUSES = 2;

/**
 * ` (cause: SocketError: other side closed)` when `error` has a cause, else '': undici's
 * `fetch failed` says only that, and its cause what happened (a socket closed mid-answer, a redirect loop).
 */
function causeText(error: Error, depth: number): string {
  try {
    return error.cause === undefined || depth >= MAX_CAUSES ? '' : ` (cause: ${thrownText(error.cause, depth + 1)})`;
  } catch {
    return '';
  }
}

/** The first line, cut, with malformed UTF-16 shown as U+FFFD: the ledger stores it (PostgreSQL's jsonb refuses lone surrogates). */
function firstLine(text: string): string {
  return wellFormed(truncate(text.split('\n', 1)[0] ?? '', MAX_THROWN_CHARACTERS));
}

/** An identifier-shaped error code (`ECONNRESET`, `UND_ERR_SOCKET`, `ERR_BAD_RESPONSE`); anything else may be prose. */
const ERROR_CODE = /^[A-Za-z][\w.-]{0,63}$/;

/** The longest error name logged, in characters. */
const MAX_ERROR_NAME_CHARACTERS = 100;

interface ErrorFacts {
  name: string;
  code?: string;
  status?: number;
  cause?: ErrorFacts;
}

/**
 * What a hook threw, for the log: its kind (`TypeError`, `HTTPError`, `a string`), its code and
 * HTTP status when it carries them, and the same of its cause (undici's `fetch failed` is a
 * TypeError whose cause says a socket closed): enough to tell a service's 500 from a bug in the
 * hook. Never the message: it may quote what the user wrote, and logs hold nothing a user wrote
 * (the ledger's record of the outcome keeps it). Never throws, as {@link thrownText}.
 */
function errorFacts(error: unknown, depth = 0): ErrorFacts {
  try {
    if (!(error instanceof Error)) return { name: describe(error) };
    const name = typeof error.name === 'string' ? truncate(wellFormed(error.name.replace(/[\p{Cc}\p{Cf}]/gu, '')), MAX_ERROR_NAME_CHARACTERS) : '';
    const { code } = error as { code?: unknown };
    const status = httpStatusOf(error);
    return {
      name: name !== '' ? name : 'Error',
      ...(typeof code === 'string' && ERROR_CODE.test(code) ? { code } : {}),
      ...(status !== undefined ? { status } : {}),
      ...(error.cause !== undefined && depth < MAX_CAUSES ? { cause: errorFacts(error.cause, depth + 1) } : {}),
    };
  } catch {
    return { name: 'a value that cannot be described' };
  }
}

/** The HTTP status an error of an HTTP client carries (`status`, `statusCode`, or its `response`'s). */
function httpStatusOf(error: Error): number | undefined {
  const { status, statusCode, response } = error as { status?: unknown; statusCode?: unknown; response?: { status?: unknown; statusCode?: unknown } | null };
  const candidates = [status, statusCode, typeof response === 'object' && response !== null ? response.status : undefined, typeof response === 'object' && response !== null ? response.statusCode : undefined];
  return candidates.find((value): value is number => Number.isInteger(value) && (value as number) >= 100 && (value as number) <= 599);
}

const graphemes = new Intl.Segmenter(undefined, { granularity: 'grapheme' });

/**
 * UTF-16 code units a character may take when a text is cut (a family emoji takes 11, a flag 4): the
 * cut segments at most this many a character (16,000 units for 500 characters, a few milliseconds).
 */
const UNITS_PER_CHARACTER = 32;

/**
 * `text` cut to at most `limit` characters, the last an ellipsis, between grapheme clusters (an
 * emoji or an accented letter is never split). Only the start of the text is segmented (V8's
 * segmenter is slow on long strings; see nodes/turn.ts): every cluster of that start but its last
 * is whole, and a text longer than the start has too many code units a character to fit anyway.
 */
function truncate(text: string, limit: number): string {
  if (text.length <= limit) return text;
  const start = text.slice(0, (limit + 1) * UNITS_PER_CHARACTER);
  let count = 0;
  let last = 0;
  for (const { index } of graphemes.segment(start)) {
    // A character past the limit: cut before the last one that fits, for the ellipsis.
    if (count === limit) return `${text.slice(0, last)}…`;
    last = index;
    count += 1;
  }
  return start.length === text.length ? text : `${text.slice(0, last)}…`;
}

/** What kind of value a hook gave ("an array", "a Map", "an object"), never the value itself. */
function describe(value: unknown): string {
  if (Array.isArray(value)) return 'an array';
  if (value === null) return 'null';
  if (value === undefined) return 'undefined';
  // "a string", "a number", "a function": never the value itself.
  if (typeof value !== 'object') return withArticle(typeof value);
  const name = (value.constructor as { name?: unknown } | undefined)?.name;
  return withArticle(typeof name === 'string' && name !== '' && name !== 'Object' ? name : 'object');
}

function withArticle(kind: string): string {
  return `${/^[aeiou]/i.test(kind) ? 'an' : 'a'} ${kind}`;
}

async function recorded(ledger: SideEffectLedger, key: string): Promise<SideEffect | undefined> {
  if (ledger.get) return ledger.get(key);
  return (await ledger.list('handoff-hook')).find((effect) => effect.key === key);
}

async function invoke(
  runtime: TreeRuntime,
  hook: HandoffHook,
  timeoutMs: number,
  context: Omit<HandoffHookContext, 'signal'>,
  turnSignal: AbortSignal | undefined,
): Promise<{ outcome: HookOutcome; thrown?: { error: unknown } }> {
  const controller = new AbortController();
  const stopWithTurn = () => controller.abort(turnSignal?.reason);
  turnSignal?.addEventListener('abort', stopWithTurn, { once: true });
  const timeUp = () => controller.abort(new Error(`the hook took longer than ${timeoutMs} ms`));
  const timeout: HookOutcome = { action: 'fail', kind: 'timeout', message: `the hook did not finish within ${timeoutMs} ms` };
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => {
      timeUp();
      resolve('timeout');
    }, timeoutMs);
  });
  const started = performance.now();
  try {
    const result = await Promise.race([Promise.resolve().then(() => hook({ ...context, signal: controller.signal })), timedOut]);
    if (result === 'timeout') return { outcome: timeout };
    // A hook that blocked the event loop (a busy loop, a synchronous call) returns before the timer
    // can fire: past its limit, it failed all the same, as a slow asynchronous hook does.
    if (performance.now() - started > timeoutMs) {
      timeUp();
      return { outcome: timeout };
    }
    // The hook returned: its outcome is recorded even when the turn stopped meanwhile (the caller
    // stops the turn once it is), so the hook does not run again when the message is sent again.
    return { outcome: outcomeOf(runtime, result) };
  } catch (error) {
    // A hook that throws once the turn was stopped may be obeying its signal, and a store that
    // failed under it leaves nothing decided: the turn stops unrecorded and the handoff replays
    // under its key, as a tool call does.
    if (turnSignal?.aborted) throw turnSignal.reason;
    if (error instanceof StoreError) throw error;
    return { outcome: { action: 'fail', kind: 'threw', message: `the hook threw ${thrownText(error)}` }, thrown: { error } };
  } finally {
    clearTimeout(timer);
    turnSignal?.removeEventListener('abort', stopWithTurn);
  }
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && [Object.prototype, null].includes(Object.getPrototypeOf(value) as object | null);
}

const RESULT_SHAPE = 'return nothing, { fields } or { refuse: "why" }';

function outcomeOf(runtime: TreeRuntime, result: HandoffHookResult): HookOutcome {
  if (result === undefined || result === null) return { action: 'accept', fields: {} };
  // Anything else than the documented shapes (a typo such as { refused }, an API answer passed
  // through, an array) fails: read as "accept", a veto would silently let the move through.
  if (!isPlainObject(result)) return { action: 'fail', kind: 'invalid-fields', message: `the hook returned ${describe(result)}; ${RESULT_SHAPE}` };
  const keys = Object.keys(result);
  const unknown = keys.filter((key) => key !== 'fields' && key !== 'refuse');
  if (unknown.length > 0 || keys.length > 1) {
    const what = unknown.length > 0 ? `the key${unknown.length > 1 ? 's' : ''} ${unknown.map((key) => `"${key}"`).join(', ')}` : 'both fields and refuse';
    return { action: 'fail', kind: 'invalid-fields', message: `the hook returned ${what}; ${RESULT_SHAPE}` };
  }
  if ('refuse' in result) {
    if (typeof result.refuse !== 'string') return { action: 'fail', kind: 'invalid-fields', message: `the hook's refuse is ${describe(result.refuse)}, not a reason in words; ${RESULT_SHAPE}` };
    return { action: 'refuse', reason: refusalReason(result.refuse) };
  }
  const fields = wellFormedFields(result.fields ?? {});
  const parsed = fieldsSchema(runtime.tree).safeParse(fields);
  const declared = Object.keys(runtime.tree.state ?? {});
  const invalid = (problems: string[]): HookOutcome => ({ action: 'fail', kind: 'invalid-fields', message: `the hook returned invalid fields (${problems.join('; ')}); the tree's fields: ${declared.join(', ') || '(none)'}` });
  if (!parsed.success) {
    return invalid(parsed.error.issues.map((issue) =>
      issue.code === 'unrecognized_keys' ? `${issue.keys.map((key) => `"${key}"`).join(', ')} not declared under state:` : `${issue.path.join('.')}: ${issue.message}`,
    ));
  }
  // Only the keys the hook returned (a declared default must not overwrite what the state holds).
  const data = parsed.data as Record<string, FieldValue>;
  const accepted = Object.fromEntries(Object.keys(fields).filter((key) => data[key] !== undefined).map((key) => [key, data[key] as FieldValue]));
  const tooLong = overLongFields(accepted, runtime.limits.messageChars);
  return tooLong.length > 0 ? invalid(tooLong) : { action: 'accept', fields: accepted };
}

/**
 * The fields a hook returned, each string with malformed UTF-16 (a lone surrogate, half an emoji)
 * shown as U+FFFD, as a person's reply is: every later model call of the thread shows the model the
 * fields, and providers refuse malformed text with a 400. Anything but a plain object is left to
 * the schema to refuse. Control characters stay, as in a user's message.
 */
function wellFormedFields(fields: Record<string, FieldValue>): Record<string, FieldValue> {
  if (!isPlainObject(fields)) return fields;
  return Object.fromEntries(Object.entries(fields).map(([key, value]) => [key, typeof value === 'string' ? wellFormed(value) : value]));
}

/**
 * What is wrong with string fields longer than the tree's `limits.messageChars` (a field a hook
 * returned without a `maxLength`): every later model call sends the fields, and the ledger stores
 * them, so a hook passing on an API's answer must not put megabytes there. Refused, not cut: a field
 * is data (an id, a plan), and a cut one would be wrong without anyone seeing it; a declared
 * `maxLength` is refused the same way.
 */
function overLongFields(fields: Record<string, FieldValue>, limit: number): string[] {
  return Object.entries(fields).flatMap(([key, value]) => {
    const over = typeof value === 'string' ? overCharacterLimit(value, limit) : undefined;
    return over === undefined ? [] : [`${key}: ${over}; a field a hook sets may have at most ${limit} characters (the tree's limits.messageChars)`];
  });
}
