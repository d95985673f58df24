/**
 * LangGraph's checkpoint serialiser (`JsonPlusSerializer`), faster, in the same format: what it
 * writes is byte for byte what `JsonPlusSerializer` writes, and what it reads is whatever that
 * one wrote (checkpoints from before, or from a saver built without it, read the same).
 *
 * Where the time goes in the original: every value of a checkpoint passes through a JavaScript
 * replacer called from `JSON.stringify` (and a first walk looking for cycles), and reading awaits
 * every value of the tree one by one. Here a checkpoint is first copied where it must change (an
 * `undefined`, an object's `toJSON()`: a message), then handed to `JSON.stringify` with no replacer;
 * reading walks the parsed tree once, synchronously, and awaits only LangChain objects (messages),
 * which it loads as the original does. Anything else the original encodes in its own way (a `Set`,
 * a `Map`, a `Uint8Array`, an `Error`, a `Send`, a class instance, a cycle, a `BigInt`, a `toJSON`
 * that throws or returns an object with its own) sends the whole value to the original.
 *
 * Where it differs, on purpose: a message whose tool arguments hold an object with an `lc` key is
 * read back (the original fails on it: its reviver loads the escaped object as a LangChain one);
 * an own `__proto__` key stays a key (the original's reviver sets the prototype instead); a cycle
 * that passes through an object's `toJSON()` is not looked for (the original writes "[Circular]").
 */
import { JsonPlusSerializer } from '@langchain/langgraph-checkpoint';
import type { BaseCheckpointSaver } from '@langchain/langgraph-checkpoint';
import { load } from '@langchain/core/load';
import { AIMessage, AIMessageChunk, HumanMessage, SystemMessage, ToolMessage } from '@langchain/core/messages';

const UNDEFINED = Object.freeze({ lc: 2, type: 'undefined' });
/** Deeper than this, the value goes to the original (which replaces a cycle with "[Circular]"). */
const MAX_DEPTH = 256;

/** Thrown inside {@link prepare} when the original must encode the value. */
class Unsupported extends Error {}
const UNSUPPORTED = new Unsupported();

function isPlainObject(value: object): boolean {
  const prototype = Object.getPrototypeOf(value) as object | null;
  return prototype === Object.prototype || prototype === null;
}

/**
 * The value `JSON.stringify(value, jsonPlusReplacer)` would encode, as a tree `JSON.stringify`
 * encodes identically with no replacer. Returns `value` itself where nothing below it changes.
 */
function prepare(value: unknown, key: string, depth: number): unknown {
  if (value === undefined) return UNDEFINED;
  if (value === null || typeof value !== 'object') {
    if (typeof value === 'bigint') throw UNSUPPORTED;
    return value;
  }
  if (depth > MAX_DEPTH) throw UNSUPPORTED;
  const toJSON = (value as { toJSON?: unknown }).toJSON;
  if (typeof toJSON === 'function') {
    const json = MESSAGE_CLASSES.has(value.constructor) ? messageJSON(value as Message) : (toJSON as (key: string) => unknown).call(value, key);
    // JSON calls `toJSON` once: a result with its own is the original's to encode.
    if (json !== null && typeof json === 'object' && typeof (json as { toJSON?: unknown }).toJSON === 'function') throw UNSUPPORTED;
    return prepare(json, key, depth + 1);
  }
  // LangGraph's `Send` (and anything shaped like it) is rewritten by the original's replacer.
  if ((value as { lg_name?: unknown }).lg_name === 'Send') throw UNSUPPORTED;
  if (Array.isArray(value)) {
    let copy: unknown[] | undefined;
    for (let index = 0; index < value.length; index += 1) {
      const item: unknown = value[index];
      // In an array, JSON turns a function or a symbol into null, as it does with no replacer.
      if (typeof item === 'function' && typeof (item as { toJSON?: unknown }).toJSON === 'function') throw UNSUPPORTED;
      const prepared = typeof item === 'function' || typeof item === 'symbol' ? item : prepare(item, String(index), depth + 1);
      if (prepared !== item) (copy ??= value.slice())[index] = prepared;
    }
    return copy ?? value;
  }
  if (!isPlainObject(value)) throw UNSUPPORTED;
  let copy: Record<string, unknown> | undefined;
  const record = value as Record<string, unknown>;
  for (const name of Object.keys(record)) {
    const item = record[name];
    if (typeof item === 'function' && typeof (item as { toJSON?: unknown }).toJSON === 'function') throw UNSUPPORTED;
    if (typeof item === 'function' || typeof item === 'symbol') continue;
    const prepared = prepare(item, name, depth + 1);
    if (prepared !== item) (copy ??= { ...record })[name] = prepared;
  }
  return copy ?? value;
}

/**
 * The messages whose `toJSON()` {@link messageJSON} reproduces. Any other LangChain object (and a
 * message of another copy of `@langchain/core`) is serialised by its own `toJSON()`.
 */
const MESSAGE_CLASSES = new Set<unknown>([AIMessage, AIMessageChunk, HumanMessage, SystemMessage, ToolMessage]);

type Message = AIMessage & { lc_kwargs: Record<string, unknown> } & Record<string, unknown>;

/** What `Serializable.toJSON()` reads off a message's class, once per class. */
interface MessageClass {
  /** The JSON name of each constructor argument (`lc_aliases`, else snake_case). */
  names: Map<string, string>;
  aliases: Record<string, string>;
  /** A class with secrets or extra attributes is left to its own `toJSON()`. */
  plain: boolean;
}

const CLASSES = new Map<unknown, MessageClass>();

function classOf(message: Message): MessageClass {
  let found = CLASSES.get(message.constructor);
  if (found) return found;
  const aliases: Record<string, string> = {};
  let plain = true;
  for (let current = Object.getPrototypeOf(message) as object | null; current; current = Object.getPrototypeOf(current) as object | null) {
    Object.assign(aliases, Reflect.get(current, 'lc_aliases', message));
    const secrets = Reflect.get(current, 'lc_secrets', message) as object | undefined;
    const attributes = Reflect.get(current, 'lc_attributes', message) as object | undefined;
    if ((secrets && Object.keys(secrets).length > 0) || (attributes && Object.keys(attributes).length > 0)) plain = false;
  }
  found = { names: new Map(), aliases, plain };
  CLASSES.set(message.constructor, found);
  return found;
}

/** `@langchain/core`'s `snakeCase` (load/map_keys). */
function snakeCase(key: string): string {
  return key
    .replace(/([A-Z]+)([A-Z][a-z0-9]+)/g, '$1_$2')
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .replace(/[-_\s]+/g, '_')
    .toLowerCase();
}

function jsonName(type: MessageClass, key: string): string {
  let name = type.names.get(key);
  if (name === undefined) {
    name = type.aliases[key] || snakeCase(key);
    type.names.set(key, name);
  }
  return name;
}

/**
 * `Serializable.toJSON()` of a message, without what makes it slow (its class's aliases, secrets
 * and attributes looked up again for every message, every key snake-cased again): the same record.
 */
function messageJSON(message: Message): unknown {
  const type = classOf(message);
  const args = message.lc_kwargs as unknown;
  if (!type.plain || !message.lc_serializable || typeof args !== 'object' || args === null || Array.isArray(args) || 'lc_serializable' in args) return message.toJSON();
  const kwargs: Record<string, unknown> = {};
  for (const key of Object.keys(args)) kwargs[jsonName(type, key)] = escape(key in message ? message[key] : (args as Record<string, unknown>)[key], 0);
  return { lc: 1, type: 'constructor', id: message.lc_id, kwargs };
}

/**
 * `@langchain/core`'s `escapeIfNeeded` (load/validation), which `toJSON()` applies to each argument:
 * a plain object with an `lc` key is wrapped so that it cannot be read back as a LangChain object,
 * and objects are copied as their own enumerable fields.
 */
function escape(value: unknown, depth: number): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (depth > MAX_DEPTH) throw UNSUPPORTED;
  if (Array.isArray(value)) return value.map((item: unknown) => escape(item, depth + 1));
  if ('lc_serializable' in value && typeof (value as { toJSON?: unknown }).toJSON === 'function') return value;
  const keys = Object.keys(value);
  if ('lc' in value || (keys.length === 1 && keys[0] === '__lc_escaped__')) return { __lc_escaped__: value };
  const copy: Record<string, unknown> = {};
  for (const key of keys) copy[key] = escape((value as Record<string, unknown>)[key], depth + 1);
  return copy;
}

function isLangChainObject(record: Record<string, unknown>): boolean {
  return record.lc === 1 && record.type === 'constructor' && Array.isArray(record.id);
}

/** A LangChain object met in a parsed value, to be loaded once the walk is over; `set` puts it in its parent. */
interface PendingLoad {
  record: Record<string, unknown>;
  set: (loaded: unknown) => void;
}

const ESCAPED_KEY = '__lc_escaped__';

/**
 * What `JsonPlusSerializer`'s reviver makes of a parsed value (in place): `undefined` records become
 * `undefined`, and each LangChain object is listed in `pending`, to be loaded by `load` as the
 * original does. A LangChain object inside another, or another `lc: 2` record, sends the whole
 * value to the original (nothing is loaded yet then). Unlike the original, the user data a message
 * carries escaped (`{"__lc_escaped__": …}`: an object with an `lc` key in tool arguments, say) is
 * left to `load`, which unescapes it, instead of being loaded as a LangChain object (which fails:
 * the original cannot read such a checkpoint back).
 */
function revive(value: unknown, pending: PendingLoad[], set: (revived: unknown) => void, escaped: boolean): unknown {
  if (value === null || typeof value !== 'object') return value;
  const before = pending.length;
  if (Array.isArray(value)) {
    for (let index = 0; index < value.length; index += 1) {
      value[index] = revive(value[index], pending, (revived) => (value[index] = revived), escaped);
    }
    return value;
  }
  const record = value as Record<string, unknown>;
  const keys = Object.keys(record);
  const inside = escaped || (keys.length === 1 && keys[0] === ESCAPED_KEY);
  for (const name of keys) record[name] = revive(record[name], pending, (revived) => (record[name] = revived), inside);
  if (record.lc === 2) {
    if (record.type === 'undefined') return undefined;
    throw UNSUPPORTED;
  }
  if (!escaped && isLangChainObject(record)) {
    if (pending.length !== before) throw UNSUPPORTED;
    pending.push({ record, set });
  }
  return record;
}

export class FastJsonPlusSerializer extends JsonPlusSerializer {
  protected override _dumps(obj: unknown): Uint8Array {
    let prepared: unknown;
    try {
      prepared = prepare(obj, '', 0);
    } catch {
      // Unsupported here, or a `toJSON` that threw: the original's way (it writes what it writes).
      return super._dumps(obj);
    }
    return new TextEncoder().encode(JSON.stringify(prepared));
  }

  protected override async _loads(data: string): Promise<unknown> {
    const parsed: unknown = JSON.parse(data);
    const pending: PendingLoad[] = [];
    let result: unknown;
    try {
      result = revive(parsed, pending, (revived) => (result = revived), false);
    } catch (error) {
      if (error instanceof Unsupported) return super._loads(data);
      throw error;
    }
    // Loaded only now, once nothing can send the value to the original any more.
    await Promise.all(pending.map(({ record, set }) => load(JSON.stringify(record)).then(set)));
    return result;
  }
}

/**
 * Gives a saver that serialises with the stock `JsonPlusSerializer` this faster one, which writes
 * the same bytes and reads the same data: any other serialiser (encrypting, custom) is left alone.
 */
export function withFastSerializer<Saver extends BaseCheckpointSaver>(saver: Saver): Saver {
  const holder = saver as unknown as { serde?: unknown };
  if (holder.serde instanceof JsonPlusSerializer && holder.serde.constructor === JsonPlusSerializer) holder.serde = new FastJsonPlusSerializer();
  return saver;
}
