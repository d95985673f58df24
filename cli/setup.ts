/**
 * What every CLI command shares: loading the tree with the tool registry, opening the checkpointer,
 * the logger, and turning user mistakes into one clear line on stderr (no stack traces).
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { StructuredToolInterface } from '@langchain/core/tools';
import { pino } from 'pino';
import type { Logger } from 'pino';
import { loadTree } from '../config/load.js';
import type { LoadedTree } from '../config/load.js';
import { Option } from 'commander';
import type { Command } from 'commander';
import type { SwitchboardEvent } from '../nodes/events.js';
import type { TurnResult } from '../runtime/turn.js';
import { ConfigError, formatIssue } from '../errors/config-error.js';
import { SwitchboardError } from '../errors/switchboard-error.js';
import { compileTree } from '../graphs/compile.js';
import type { SwitchboardGraph } from '../graphs/compile.js';
import type { ModelOption } from '../models/resolve.js';
import { DEFAULT_SQLITE_PATH, openCheckpointer } from '../store/checkpointer.js';
import type { Checkpointer } from '../store/checkpointer.js';
import { hashThreadIds, LOG_REDACT_PATHS, MIN_THREAD_ID_KEY_BYTES } from '../nodes/events.js';
import { escapeControlCharacters } from '../dev/control-characters.js';
import { createExampleTools } from '../tools/examples.js';
import type { SideEffectLedger } from '../store/ledger.js';

export interface CommonOptions {
  tools?: string;
  model?: string;
  db?: string;
  logLevel?: string;
  hashThreadIds?: boolean;
}

/** The environment variable that holds the key thread ids are hashed with in logs; setting it turns hashing on. */
export const LOG_HASH_KEY_ENV = 'SWITCHBOARD_LOG_HASH_KEY';

/** Exit codes: 0 ok, 1 the turn failed, 2 a mistake in the input (tree, flags, files). */
export const EXIT = { ok: 0, turnFailed: 1, usage: 2 } as const;

/** A mistake of the person running the command: printed as one line, exit code 2. */
export class UsageError extends SwitchboardError {
  override readonly name = 'UsageError';
  constructor(message: string) {
    super('USAGE', message);
  }
}

/** Loads the tools module (`--tools`), or the example tools. */
export async function loadTools(modulePath: string | undefined, ledger?: SideEffectLedger): Promise<Record<string, StructuredToolInterface>> {
  if (!modulePath) return createExampleTools(ledger ? { ledger } : {});
  const absolute = resolve(modulePath);
  if (!existsSync(absolute)) throw new UsageError(`The tools module ${modulePath} does not exist.`);
  const module = (await import(pathToFileURL(absolute).href)) as { tools?: unknown; default?: unknown };
  const exported = module.tools ?? module.default;
  if (Array.isArray(exported)) return Object.fromEntries((exported as StructuredToolInterface[]).map((tool) => [tool.name, tool]));
  if (exported && typeof exported === 'object') return exported as Record<string, StructuredToolInterface>;
  throw new UsageError(`${modulePath} must export \`tools\` (an object of tools by name, or a list of tools).`);
}

export interface CreateLoggerOptions {
  /** Log thread ids as keyed hashes (the key comes from $SWITCHBOARD_LOG_HASH_KEY, which also turns this on). */
  hashThreadIds?: boolean | undefined;
  env?: Record<string, string | undefined>;
}

/**
 * The CLI's logger: pretty in a terminal, JSON lines otherwise, on stderr, with personal fields
 * redacted and, when asked, thread ids hashed. JSON lines go through `process.stderr` itself, the
 * stream the CLI's own messages use, so a log line never lands in the middle of one of them.
 */
export function createLogger(level = 'warn', options: CreateLoggerOptions = {}): Logger {
  const key = threadIdKey(options);
  const redact = { paths: LOG_REDACT_PATHS, censor: '[redacted]' };
  const logger = process.stderr.isTTY
    ? pino({ level, redact, transport: { target: 'pino-pretty', options: { destination: 2, colorize: true, ignore: 'pid,hostname' } } })
    : pino({ level, redact }, process.stderr);
  return key === undefined ? logger : hashThreadIds(logger, { key });
}

/** The key thread ids are hashed with, or undefined when hashing is off. */
function threadIdKey(options: CreateLoggerOptions): string | undefined {
  const key = (options.env ?? process.env)[LOG_HASH_KEY_ENV];
  if (key === undefined || key === '') {
    if (options.hashThreadIds)
      throw new UsageError(`--hash-thread-ids needs a secret key in $${LOG_HASH_KEY_ENV} (${MIN_THREAD_ID_KEY_BYTES} bytes or more, e.g. from \`openssl rand -hex 32\`).`);
    return undefined;
  }
  if (Buffer.byteLength(key) < MIN_THREAD_ID_KEY_BYTES)
    throw new UsageError(`$${LOG_HASH_KEY_ENV} must be at least ${MIN_THREAD_ID_KEY_BYTES} bytes long; make one with \`openssl rand -hex 32\`.`);
  return key;
}

export function modelOption(model: string | undefined): ModelOption {
  if (model === undefined || model === 'auto') return 'auto';
  if (model === 'offline' || model === 'openai') return model;
  throw new UsageError(`--model must be auto, offline or openai (not "${model}").`);
}

/** Which model the run uses, in words, for the first line of output. */
export function describeModel(option: ModelOption): string {
  if (option === 'offline' || (option === 'auto' && !process.env.OPENAI_API_KEY)) return 'offline model (a keyword router; set OPENAI_API_KEY for a real model)';
  return `OpenAI${process.env.OPENAI_BASE_URL ? ` at ${process.env.OPENAI_BASE_URL}` : ''}`;
}

export interface Session {
  tree: LoadedTree;
  graph: SwitchboardGraph;
  checkpointer: Checkpointer;
  logger: Logger;
  model: ModelOption;
}

export async function openSession(treePath: string, options: CommonOptions): Promise<Session> {
  const model = modelOption(options.model);
  const checkpointer = await openCheckpointer(options.db ?? process.env.SWITCHBOARD_DB ?? DEFAULT_SQLITE_PATH);
  try {
    const tools = await loadTools(options.tools, checkpointer.ledger);
    const tree = await loadTree(treePath, { tools });
    const logger = createLogger(options.logLevel, { hashThreadIds: options.hashThreadIds });
    const graph = compileTree(tree, { tools, checkpointer: checkpointer.saver, threadLock: checkpointer.threadLock, logger, model });
    return { tree, graph, checkpointer, logger, model };
  } catch (error) {
    await checkpointer.close();
    throw error;
  }
}

/** Runs a command body; user mistakes become one line on stderr and exit code 2. */
export async function guard(body: () => Promise<number | void>): Promise<void> {
  try {
    process.exitCode = (await body()) ?? EXIT.ok;
  } catch (error) {
    if (error instanceof ConfigError) {
      for (const issue of error.issues) process.stderr.write(`${escapeControlCharacters(formatIssue(issue))}\n`);
      const errors = error.issues.filter((issue) => issue.severity === 'error').length;
      process.stderr.write(`${errors} error${errors === 1 ? '' : 's'}\n`);
      process.exitCode = EXIT.usage;
    } else if (error instanceof SwitchboardError) {
      process.stderr.write(`${escapeControlCharacters(`error ${error.code}: ${error.message}`)}\n`);
      process.exitCode = error instanceof UsageError || error.code === 'NOTHING_PENDING' || error.code === 'INVALID_REPLY' ? EXIT.usage : EXIT.turnFailed;
    } else {
      throw error;
    }
  }
}

export function common(command: Command): Command {
  return command
    .addOption(new Option('--model <mode>', 'auto (OpenAI when OPENAI_API_KEY is set, else offline), offline or openai').default('auto'))
    .option('--db <target>', 'where threads persist: a SQLite file, "memory" or a postgres:// URL (default .switchboard/threads.sqlite, or $SWITCHBOARD_DB)')
    .option('--tools <module>', 'a JS module exporting `tools` (default: the example tools)')
    .option('--log-level <level>', 'pino log level on stderr', 'warn')
    .option('--hash-thread-ids', `log thread ids as keyed hashes (HMAC-SHA256 with the key in $${LOG_HASH_KEY_ENV}; setting that key turns this on)`);
}

export function parseFields(entries: string[] | undefined): Record<string, string | number | boolean> | undefined {
  if (!entries?.length) return undefined;
  const fields: Record<string, string | number | boolean> = {};
  for (const entry of entries) {
    const index = entry.indexOf('=');
    if (index <= 0) throw new UsageError(`--field takes name=value (got "${entry}").`);
    const raw = entry.slice(index + 1);
    fields[entry.slice(0, index)] = raw === 'true' ? true : raw === 'false' ? false : raw !== '' && !Number.isNaN(Number(raw)) ? Number(raw) : raw;
  }
  return fields;
}

export const collect = (value: string, previous: string[] = []) => [...previous, value];

export async function consume(events: AsyncGenerator<SwitchboardEvent, TurnResult>, onEvent: (event: SwitchboardEvent) => void): Promise<TurnResult> {
  let next = await events.next();
  while (!next.done) {
    onEvent(next.value);
    next = await events.next();
  }
  return next.value;
}
