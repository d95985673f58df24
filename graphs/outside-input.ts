/**
 * What code outside Switchboard may send a compiled tree through LangGraph's own API
 * (`graph.invoke`, `graph.stream`, LangGraph's server and Studio): the user's messages and the
 * tree's fields, or a person's answer as `new Command({ resume })`. The owner, the turn, usage, the
 * handoff trail and the tree's name are the tree's own: a client that could write them could choose
 * the agent that answers, step past an approval gate or a `when:` condition, or leave the thread
 * unreadable; a `Command` with `goto` would do the same (and one naming no node ends the run
 * silently). Such input is refused with `INVALID_INPUT` before anything is saved.
 *
 * Switchboard's own runs (`runTurn`, `resumeThread`, recovery) write the turn and the tree's name
 * as they start a turn: they mark their input {@link trusted}.
 */
import { CompiledStateGraph, isCommand } from '@langchain/langgraph';
import type { BaseMessage } from '@langchain/core/messages';
import type { Command } from '@langchain/langgraph';
import { InputError } from '../errors/input-error.js';
import { SHAPE_KEY } from '../store/graph-shape.js';

/** The state channels input from outside may write. */
const OPEN_CHANNELS: ReadonlySet<string> = new Set(['messages', 'fields']);

const TRUSTED = new WeakSet<object>();

/** Marks input Switchboard itself built (a turn it starts), which may write any channel. */
export function trusted<T extends object>(input: T): T {
  TRUSTED.add(input);
  return input;
}

/** Throws `INVALID_INPUT` for input code outside Switchboard may not send (see the module's comment). */
export function checkOutsideInput(input: unknown): void {
  if (input === null || input === undefined || TRUSTED.has(input)) return;
  if (isCommand(input)) return checkCommand(input);
  if (typeof input !== 'object' || Array.isArray(input)) {
    throw new InputError('The input must be an object such as { messages: [{ role: "user", content: "…" }] }, or a Command({ resume }) answering a person\'s wait.');
  }
  checkUpdate(Object.entries(input), 'The input');
}

function checkCommand(command: Command): void {
  const goto = ([] as unknown[]).concat(command.goto ?? []);
  if (goto.length > 0) {
    throw new InputError("A Command's goto cannot be sent to a tree: each message goes to the agent that owns the conversation. Send the message alone ({ messages: [...] }).");
  }
  if (command.graph !== undefined) throw new InputError("A Command for another graph (graph: PARENT) cannot be sent to a tree's graph.");
  const update: unknown = command.update;
  if (update === undefined || update === null) return;
  const entries = Array.isArray(update) && update.every((entry) => Array.isArray(entry) && entry.length === 2 && typeof entry[0] === 'string') ? (update as [string, unknown][]) : typeof update === 'object' && !Array.isArray(update) ? Object.entries(update) : undefined;
  if (!entries) throw new InputError("A Command's update must be an object such as { messages: [...] }.");
  checkUpdate(entries, "A Command's update");
}

function checkUpdate(entries: readonly [string, unknown][], what: string): void {
  const closed = entries.map(([key]) => key).filter((key) => !OPEN_CHANNELS.has(key));
  if (closed.length > 0) {
    throw new InputError(
      `${what} writes ${closed.map((key) => `"${key}"`).join(', ')}: only "messages" (the user's) and "fields" can be sent. The tree keeps the owner, the turn, usage and the handoff trail itself.`,
    );
  }
  for (const [key, value] of entries) if (key === 'messages') checkUserMessages(value, what);
}

/** Only the user speaks through input: an assistant's or a tool's message, a system prompt or a removal would rewrite the conversation. */
function checkUserMessages(value: unknown, what: string): void {
  for (const message of Array.isArray(value) ? value : [value]) {
    if (!isUserMessage(message)) {
      throw new InputError(`${what} holds a message that is not the user's (${describe(message)}): only user messages can be sent; agents, tools and people answer through the tree.`);
    }
  }
}

function isUserMessage(message: unknown): boolean {
  if (typeof message === 'string') return true;
  if (Array.isArray(message)) return message.length === 2 && (message[0] === 'user' || message[0] === 'human');
  if (message === null || typeof message !== 'object') return false;
  const { role, type, lc, id } = message as { role?: unknown; type?: unknown; lc?: unknown; id?: unknown };
  // A LangChain message serialised as JSON: { lc: 1, type: 'constructor', id: [..., 'HumanMessage'], kwargs }.
  if (lc === 1 && type === 'constructor') return Array.isArray(id) && (id.at(-1) === 'HumanMessage' || id.at(-1) === 'HumanMessageChunk');
  // A message object is what its type says (a ChatMessage with role "user" stays a "generic" message, which no turn takes as the user's).
  if (typeof (message as { _getType?: unknown })._getType === 'function') return type === 'human';
  // A plain object with a role, or a message's JSON with its type.
  const kind = role ?? type;
  return kind === 'user' || kind === 'human';
}

function describe(message: unknown): string {
  if (message === null || typeof message !== 'object') return typeof message;
  const { role, type } = message as { role?: unknown; type?: unknown };
  const kind = role ?? type;
  return typeof kind === 'string' ? `a "${kind.slice(0, 40)}" message` : 'an object without a role';
}

/**
 * The compiled graph class whose runs check their input ({@link checkOutsideInput}) before LangGraph
 * reads it. Set as the prototype of the graph compileTree returns, so the graphs `withConfig` makes
 * from it (a new instance of the same class) check theirs too.
 */
export class GuardedGraph extends CompiledStateGraph<never, never, never> {
  override async _validateInput(input: unknown): Promise<never> {
    checkOutsideInput(input);
    return super._validateInput(input as never) as Promise<never>;
  }

  override async bulkUpdateState(startConfig: Parameters<CompiledStateGraph<never, never, never>['bulkUpdateState']>[0], supersteps: Parameters<CompiledStateGraph<never, never, never>['bulkUpdateState']>[1]) {
    return super.bulkUpdateState(withoutCallersShape(startConfig), supersteps);
  }
}

/**
 * The config without a graph shape of the caller's (see store/graph-shape.ts): a config LangGraph
 * handed out (a `checkpoints` or `debug` stream event carries the merged one) and passed to a graph
 * of a newer YAML would make the saver forget that graph's new nodes. The graph's own shape applies.
 */
function withoutCallersShape<T extends { configurable?: Record<string, unknown> } | undefined>(config: T): T {
  if (!config?.configurable || !(SHAPE_KEY in config.configurable)) return config;
  const { [SHAPE_KEY]: _theirs, ...configurable } = config.configurable;
  return { ...config, configurable };
}

type StreamIterator = (this: GuardedGraph, input: unknown, options?: { configurable?: Record<string, unknown> }) => AsyncGenerator<unknown>;
const streamIterator = (CompiledStateGraph.prototype as unknown as { _streamIterator: StreamIterator })._streamIterator;

// Every run (invoke, stream, streamEvents) goes through LangGraph's _streamIterator, the one place
// that has both the input and the thread: there a user message's id is checked against the thread.
Object.defineProperty(GuardedGraph.prototype, '_streamIterator', {
  configurable: true,
  writable: true,
  value: async function* (this: GuardedGraph, input: unknown, options?: { configurable?: Record<string, unknown> }) {
    await checkMessageIds(this, input, options?.configurable?.thread_id);
    yield* streamIterator.call(this, input, withoutCallersShape(options));
  },
});

/**
 * LangGraph's messages reducer replaces the message of the same id: a user message from outside
 * carrying the id of a message the thread has (an agent's, a tool's, another user message) would
 * rewrite the conversation (and leave a tool call unanswered). Refused; the same message sent again
 * (a resend with its own id) is not.
 */
async function checkMessageIds(graph: GuardedGraph, input: unknown, threadId: unknown): Promise<void> {
  if (input === null || input === undefined || TRUSTED.has(input) || typeof threadId !== 'string' || !graph.checkpointer) return;
  const update: unknown = isCommand(input) ? input.update : input;
  const messages: unknown = update !== null && typeof update === 'object' && !Array.isArray(update) ? (update as { messages?: unknown }).messages : undefined;
  const sent = (Array.isArray(messages) ? messages : [messages]).flatMap((message) => {
    const id = idOf(message);
    return id === undefined ? [] : [{ id, content: contentOf(message) }];
  });
  if (sent.length === 0) return;
  const state = await graph.getState({ configurable: { thread_id: threadId } });
  const held = new Map(((state.values as { messages?: BaseMessage[] }).messages ?? []).map((message) => [message.id, message]));
  for (const { id, content } of sent) {
    const same = held.get(id);
    if (!same || (same.type === 'human' && JSON.stringify(same.content) === JSON.stringify(content))) continue;
    throw new InputError(
      `A message of the input has the id "${id.slice(0, 80)}", which ${same.type === 'human' ? 'another user message' : `a message of type "${same.type}"`} of the thread already has: a message cannot replace another. Send it with a new id, or none.`,
    );
  }
}

function idOf(message: unknown): string | undefined {
  if (message === null || typeof message !== 'object' || Array.isArray(message)) return undefined;
  const { id, kwargs } = message as { id?: unknown; kwargs?: { id?: unknown } };
  const found = typeof id === 'string' ? id : kwargs?.id;
  return typeof found === 'string' && found !== '' ? found : undefined;
}

function contentOf(message: unknown): unknown {
  const { content, kwargs } = message as { content?: unknown; kwargs?: { content?: unknown } };
  return content ?? kwargs?.content;
}
