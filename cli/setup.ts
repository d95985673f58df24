/**
 * What every CLI command shares: loading the tree with the tool registry, opening the checkpointer,
 * the logger, and turning user mistakes into one clear line on stderr (no stack traces).
 */
import { closeSync, existsSync, openSync, readSync, statSync } from 'node:fs';
import { isAbsolute, join, relative, resolve } from 'node:path';
import type { StructuredToolInterface } from '@langchain/core/tools';
import { pino } from 'pino';
import type { Logger } from 'pino';
import { loadTree } from '../config/load.js';
import type { LoadedTree } from '../config/load.js';
import { Option } from 'commander';
import type { Command } from 'commander';
import type { SwitchboardEvent } from '../nodes/events.js';
import { checkId } from '../runtime/turn.js';
import type { TurnResult } from '../runtime/turn.js';
import { ConfigError, formatIssue } from '../errors/config-error.js';
import { SwitchboardError } from '../errors/switchboard-error.js';
import { compileTree } from '../graphs/compile.js';
import type { SwitchboardGraph } from '../graphs/compile.js';
import type { ModelOption } from '../models/resolve.js';
import type { Tree } from '../config/schema.js';
import { fieldsSchema } from '../state/schema.js';
import { DEFAULT_SQLITE_PATH, isPostgresUrl, openCheckpointer } from '../store/checkpointer.js';
import type { Checkpointer } from '../store/checkpointer.js';
import { hashThreadIds, LOG_REDACT_PATHS, MIN_THREAD_ID_KEY_BYTES } from '../nodes/events.js';
import { escapeControlCharacters, stringifyForTerminal } from '../dev/control-characters.js';
import { createExampleTools } from '../tools/examples.js';
import type { SideEffectLedger } from '../store/ledger.js';
import { colorEnabled } from './color.js';
import { cliErrorMessage } from './output.js';
import { importToolsModule, ToolsModuleError } from './tools-module.js';
import { toolRegistryProblems } from '../graphs/tool-registry.js';
import { chosenLogFormat, typedOnCommandLine, withProjectTrees } from './project.js';
import { LOG_LEVELS } from './project-file.js';
import type { LogFormat } from './project-file.js';
import { nearest, withoutPassword } from './command-line.js';
import { EXIT } from './exit-codes.js';

export interface CommonOptions {
  tools?: string;
  model?: string;
  db?: string;
  logLevel?: string;
  hashThreadIds?: boolean;
}

/** The level the CLI logs at when `--log-level` is not given. */
export const DEFAULT_LOG_LEVEL = 'warn';

/** The environment variable that holds the key thread ids are hashed with in logs; setting it turns hashing on. */
export const LOG_HASH_KEY_ENV = 'SWITCHBOARD_LOG_HASH_KEY';

export { EXIT } from './exit-codes.js';

/**
 * Error codes that mean the input was wrong (exit 2): retrying the same command cannot help. A
 * missing API key is a mistake in the setup, as `eval` says (refuseSetup), not a failed turn.
 * Everything else Switchboard throws on purpose is a failed turn (exit 1).
 */
const USAGE_ERROR_CODES: ReadonlySet<string> = new Set(['USAGE', 'NOTHING_PENDING', 'INVALID_REPLY', 'INVALID_DECISION', 'INVALID_FIELDS', 'INVALID_INPUT', 'MODEL_KEY_MISSING', 'MESSAGE_ID_REUSED', 'THREAD_OF_ANOTHER_TREE', 'TOOLS_MODULE', 'INVALID_PROJECT_FILE', 'PROVIDER_PACKAGE_MISSING', 'STORE_PACKAGE_MISSING']);

/** A mistake of the person running the command: printed as one line, exit code 2. */
export class UsageError extends SwitchboardError {
  override readonly name = 'UsageError';
  constructor(message: string) {
    super('USAGE', message);
  }
}

/** Loads the tools module (`--tools`, or the project file's "tools"), or the example tools. */
export async function loadTools(modulePath: string | undefined, ledger?: SideEffectLedger): Promise<Record<string, StructuredToolInterface>> {
  if (!modulePath) return createExampleTools(ledger ? { ledger } : {});
  const absolute = resolve(modulePath);
  const shown = shownModulePath(modulePath, absolute);
  if (!existsSync(absolute)) throw new UsageError(`The tools module ${shown} does not exist.`);
  const module = (await importToolsModule(absolute, shown)) as { tools?: unknown; default?: unknown };
  const exported = module.tools ?? module.default;
  if (exported && typeof exported === 'object') {
    const problems = toolRegistryProblems(exported);
    if (problems.length > 0) throw new ToolsModuleError(`${shown} exports tools that are wrong: ${problems.join('; ')}.`);
    if (Array.isArray(exported)) return Object.fromEntries((exported as StructuredToolInterface[]).map((tool) => [tool.name, tool]));
    return exported as Record<string, StructuredToolInterface>;
  }
  throw new ToolsModuleError(`${shown} must export \`tools\` (an object of tools by name, or a list of tools), e.g. export const tools = { lookup_invoice };`);
}

/**
 * The tools module as messages name it: relative to the working folder, as typed, unless an
 * absolute path lies outside that folder: then as given (`/x.js` from a folder two levels down is
 * `/x.js`, not `../../x.js`).
 */
function shownModulePath(modulePath: string, absolute: string): string {
  const shown = relative(process.cwd(), absolute);
  const outside = shown === '' || shown.startsWith('..') || isAbsolute(shown);
  return isAbsolute(modulePath) && outside ? modulePath : shown || modulePath;
}

export interface CreateLoggerOptions {
  /** Log thread ids as keyed hashes (the key comes from $SWITCHBOARD_LOG_HASH_KEY, which also turns this on). */
  hashThreadIds?: boolean | undefined;
  /**
   * Events the command's own output already shows (a turn's error, a retry…): not logged again
   * unless `--log-level` was given, so nothing is printed twice.
   */
  shown?: ReadonlySet<string> | undefined;
  env?: Record<string, string | undefined>;
  /** pretty, JSON lines, or auto (pretty in a terminal); default: `--log-format`, else the project file's, else auto. */
  format?: LogFormat | undefined;
}

/** What every command that runs turns shows itself: the turn's error (text and `--json`) and a recovered turn. */
export const SHOWN_BY_EVERY_COMMAND: ReadonlySet<string> = new Set(['turn-end', 'turn-recover']);
/** What the text output also shows (see TurnPrinter). */
export const SHOWN_AS_TEXT: ReadonlySet<string> = new Set([...SHOWN_BY_EVERY_COMMAND, 'limit-reach', 'fallback-start', 'model-fallback', 'model-retry']);

/**
 * The CLI's logger: pretty in a terminal, JSON lines otherwise, on stderr, with personal fields
 * redacted and, when asked, thread ids hashed. JSON lines go through `process.stderr` itself, one
 * write a line, and the text output writes whole lines when it is not a terminal either (see
 * TurnPrinter), so with both streams in one file or pipe a log line never lands inside a line of
 * text. Without `level` (no `--log-level`), warnings and errors are logged, except the events in
 * `options.shown`, which the command prints itself.
 */
export function createLogger(level?: string, options: CreateLoggerOptions = {}): Logger {
  logLevelOption(level);
  const key = threadIdKey(options);
  const redact = { paths: LOG_REDACT_PATHS, censor: '[redacted]' };
  const shown = level === undefined ? options.shown : undefined;
  const hooks = shown?.size
    ? {
        logMethod(this: Logger, args: Parameters<Logger['info']>, method: (...args: Parameters<Logger['info']>) => void) {
          const fields = args[0] as { event?: unknown } | undefined;
          if (fields && typeof fields === 'object' && typeof fields.event === 'string' && shown.has(fields.event)) return;
          method.apply(this, args);
        },
      }
    : undefined;
  const settings = { level: level ?? DEFAULT_LOG_LEVEL, redact, ...(hooks ? { hooks } : {}) };
  const format = options.format ?? chosenLogFormat();
  const logger = format === 'pretty' || (format === 'auto' && process.stderr.isTTY)
    ? pino({ ...settings, transport: { target: 'pino-pretty', options: { destination: 2, colorize: colorEnabled(process.stderr, options.env), ignore: 'pid,hostname' } } })
    : pino(settings, process.stderr);
  return key === undefined ? logger : hashThreadIds(logger, { key });
}

/**
 * `--log-level`, checked as the project file's "logLevel" is: pino would throw a stack trace on a
 * level it does not know.
 */
export function logLevelOption(level: string | undefined): string | undefined {
  if (level === undefined || (LOG_LEVELS as readonly string[]).includes(level)) return level;
  const near = nearest(level, LOG_LEVELS);
  throw new UsageError(`--log-level must be one of ${LOG_LEVELS.join(', ')} (not "${level}").${near === undefined ? '' : ` Did you mean "${near}"?`}`);
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

/** `--model`'s help, the same for every command. */
export const MODEL_HELP = "auto (each agent on its provider when that provider's key is set, e.g. OPENAI_API_KEY or ANTHROPIC_API_KEY, else offline), online (always the providers; openai is an older name for it) or offline";

export function modelOption(model: string | undefined): ModelOption {
  if (model === undefined || model === 'auto') return 'auto';
  if (model === 'offline' || model === 'online' || model === 'openai') return model;
  throw new UsageError(`--model must be auto, online or offline (not "${model}").`);
}

/** Which models the run uses, in words, for the first line of output (see dev/model-description.ts). */
export { describeModel } from '../dev/model-description.js';

export interface Session {
  tree: LoadedTree;
  graph: SwitchboardGraph;
  checkpointer: Checkpointer;
  logger: Logger;
  model: ModelOption;
}

export interface OpenSessionOptions {
  /** Events the command's output shows itself (see {@link CreateLoggerOptions.shown}). */
  shown?: ReadonlySet<string>;
  /** The command only reads threads (`pending`, `trace`, `stats`): its store must exist already (see {@link openStore}). */
  readsOnly?: boolean;
}

export async function openSession(treePath: string, options: CommonOptions, settings: OpenSessionOptions = {}): Promise<Session> {
  const model = modelOption(options.model);
  logLevelOption(options.logLevel);
  const checkpointer = await openStore(options.db, { existing: settings.readsOnly === true });
  try {
    const tools = await loadTools(options.tools, checkpointer.ledger);
    const tree = await loadTree(treePath, { tools });
    const logger = createLogger(options.logLevel, { hashThreadIds: options.hashThreadIds, shown: settings.shown });
    // The step trace is kept with each thread, for `switchboard trace` and the dev page.
    const graph = compileTree(tree, { tools, checkpointer: checkpointer.saver, threadLock: checkpointer.threadLock, logger, model, trace: true });
    return { tree, graph, checkpointer, logger, model };
  } catch (error) {
    await checkpointer.close();
    throw error;
  }
}

/**
 * What the command's store option names: `--db` (or the project file's "db"), else `$SWITCHBOARD_DB`
 * (set and not empty, as the project file reads it), else the default file. An empty `--db`, or one
 * SQLite would read as its own temporary or in-memory database (`""`, `sqlite:`, `:memory:`,
 * `memory:`), is a mistake in the command: threads kept there would be lost without a word.
 */
export function storeTarget(db: string | undefined): string {
  if (db !== undefined) checkStoreOption(db, '--db');
  const env = process.env.SWITCHBOARD_DB;
  if (db === undefined && env !== undefined && env !== '') checkStoreOption(env, '$SWITCHBOARD_DB');
  return db ?? (env || undefined) ?? DEFAULT_SQLITE_PATH;
}

/** Refuses a store SQLite would open as a temporary or in-memory database (see {@link storeTarget}). */
function checkStoreOption(target: string, where: string): void {
  const path = target.replace(/^sqlite:/, '');
  if (path.trim() === '')
    throw new UsageError(`${where} is empty: name a SQLite file, "memory" or a postgres:// URL (leave ${where} out for ${DEFAULT_SQLITE_PATH}).`);
  if (/^:?memory:?$/i.test(path) && target !== 'memory')
    throw new UsageError(`${where} "${target}" is not a store Switchboard knows: write memory (threads kept only while the command runs), a SQLite file path or a postgres:// URL.`);
}

/** A `scheme://` other than PostgreSQL's would otherwise be taken for a SQLite path (`mysql://x` → a folder `mysql:`). */
export const URL_SCHEME = /^([a-z][a-z0-9+.-]+):\/\//i;

/**
 * Opens the store `db` names (see {@link storeTarget}); a store that cannot be opened is one line,
 * `error STORE_UNAVAILABLE: …` (exit 1), never a driver's stack trace. A folder, a file that is not
 * SQLite or an unknown URL scheme is a mistake in the command (exit 2); so is, with `existing` (a
 * command that only reads threads), a SQLite file that is not there: opening it would make an
 * empty store, and a mistyped path would read as "no threads". An empty file (0 bytes) it reads as
 * the store with no threads that it is, without writing to it (see {@link emptyStore}).
 */
export async function openStore(db: string | undefined, options: { existing?: boolean } = {}): Promise<Checkpointer> {
  const target = storeTarget(db);
  const shown = withoutPassword(target);
  const scheme = URL_SCHEME.exec(target)?.[1];
  if (scheme !== undefined && !isPostgresUrl(target) && scheme !== 'sqlite')
    throw new UsageError(`The store ${shown} is not one Switchboard can open: use memory, a SQLite file path or a postgres:// URL (not ${scheme}://).`);
  if (target !== 'memory' && !isPostgresUrl(target)) {
    const path = target.replace(/^sqlite:/, '');
    if (existsSync(path) && statSync(path).isDirectory())
      throw new UsageError(`The store ${shown} is a folder, not a SQLite file: name a file, e.g. --db ${join(path, 'threads.sqlite')}.`);
    if (options.existing && !existsSync(path)) throw missingStore(shown, storeOrigin(db));
    if (options.existing && isEmptyFile(path)) return await emptyStore(path);
    if (!startsAsSqlite(path))
      throw new UsageError(
        `The store ${shown} is not a SQLite file (its first bytes are not SQLite's): name the SQLite file the threads are kept in${options.existing ? '' : ', or a new path for a new store'} (the default store is ${DEFAULT_SQLITE_PATH}).`,
      );
  }
  try {
    return await openCheckpointer(target);
  } catch (error) {
    // A missing optional package says what to install; everything else the driver says, in one line.
    if (error instanceof SwitchboardError) throw error;
    const reason = (error instanceof Error ? error.message : String(error)).split('\n')[0]?.replace(/\.$/, '') || String((error as { code?: unknown }).code ?? 'unknown error');
    const where = isPostgresUrl(target) ? 'Check that PostgreSQL is running there and the URL names an existing database.' : 'Check that the path names a SQLite file (or a new one) you can write.';
    throw new SwitchboardError('STORE_UNAVAILABLE', `Cannot open the store ${shown}: ${reason}. ${where}`, { cause: error });
  }
}

/** Whether `path` is a file of 0 bytes (SQLite would take it as a new database, and write its tables there). */
function isEmptyFile(path: string): boolean {
  try {
    const stat = statSync(path);
    return stat.isFile() && stat.size === 0;
  } catch {
    return false;
  }
}

/**
 * An empty SQLite file, as a command that only reads threads sees it: a store with no threads.
 * Opening the file would write SQLite's tables into it; an empty store in memory answers the same
 * (no thread, no turn) and leaves the file as it was. Its messages name the file.
 */
async function emptyStore(path: string): Promise<Checkpointer> {
  const store = await openCheckpointer('memory');
  return { ...store, describe: `sqlite:${path} (an empty file)` };
}

/** Where the store option came from, as a person would look for it; undefined for the default store. */
function storeOrigin(db: string | undefined): string | undefined {
  if (db !== undefined) return typedOnCommandLine().db !== undefined ? '--db' : 'the project file\'s "db"';
  return process.env.SWITCHBOARD_DB ? '$SWITCHBOARD_DB' : undefined;
}

/** A store a command that only reads threads was given, that does not exist (see {@link openStore}). */
function missingStore(shown: string, origin: string | undefined): UsageError {
  if (origin === undefined)
    return new UsageError(
      `The default store ${DEFAULT_SQLITE_PATH} does not exist in this folder (${process.cwd()}): no turn has run from here. Run the command in the folder the turns ran in, or name their store with --db.`,
    );
  return new UsageError(
    `The store ${shown} (from ${origin}) does not exist: this command only reads threads and makes no store. Check the path (the default store is ${DEFAULT_SQLITE_PATH}; run and chat make a new one).`,
  );
}

/** The first 16 bytes of every SQLite database file. */
const SQLITE_HEADER = Buffer.from('SQLite format 3\0', 'latin1');

/**
 * Whether the file at `path` can be a SQLite database: it is not there yet, it is empty (SQLite
 * takes an empty file as a new database), or it begins with SQLite's header. A file that cannot be
 * read is left to the driver, which says why.
 */
function startsAsSqlite(path: string): boolean {
  let fd: number | undefined;
  try {
    if (!existsSync(path) || statSync(path).size === 0) return true;
    fd = openSync(path, 'r');
    const head = Buffer.alloc(SQLITE_HEADER.length);
    const read = readSync(fd, head, 0, head.length, 0);
    return read === head.length && head.equals(SQLITE_HEADER);
  } catch {
    return true;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/**
 * Runs a command body; user mistakes become one line on stderr and exit code 2. With `json`
 * (the command's `--json`), the error is also printed on stdout as `{"error":{"code","message"}}`,
 * so a program reading stdout gets an object rather than nothing.
 */
export async function guard(body: () => Promise<number | void>, options: { json?: boolean | undefined } = {}): Promise<void> {
  try {
    process.exitCode = (await body()) ?? EXIT.ok;
  } catch (error) {
    if (error instanceof ConfigError) {
      const issues = withProjectTrees(error.issues);
      for (const issue of issues) process.stderr.write(`${escapeControlCharacters(formatIssue(issue))}\n`);
      const errors = issues.filter((issue) => issue.severity === 'error').length;
      process.stderr.write(`${errors} error${errors === 1 ? '' : 's'}\n`);
      if (options.json) process.stdout.write(`${stringifyForTerminal({ error: { code: error.code, message: error.message, issues } })}\n`);
      process.exitCode = EXIT.usage;
    } else if (error instanceof SwitchboardError) {
      const message = cliErrorMessage(error.message);
      process.stderr.write(`${escapeControlCharacters(`error ${error.code}: ${message}`)}\n`);
      if (options.json) process.stdout.write(`${stringifyForTerminal({ error: { code: error.code, message } })}\n`);
      process.exitCode = exitCodeOf(error);
    } else {
      throw error;
    }
  }
}

/** The exit code of a turn that ran: 1 when it ended with an error (as `run`'s), else 0. */
export function turnExitCode(result: Pick<TurnResult, 'status'>): number {
  return result.status === 'error' ? EXIT.turnFailed : EXIT.ok;
}

/** The exit code of an error Switchboard threw on purpose: 2 for a mistake in the input, 1 for a failed turn. */
export function exitCodeOf(error: SwitchboardError): number {
  return error instanceof UsageError || USAGE_ERROR_CODES.has(error.code) ? EXIT.usage : EXIT.turnFailed;
}

export function common(command: Command): Command {
  return command
    .addOption(new Option('--model <mode>', MODEL_HELP).default('auto'))
    .option('--db <target>', 'where threads persist: a SQLite file, "memory" or a postgres:// URL (default: $SWITCHBOARD_DB, else the project file\'s "db", else .switchboard/threads.sqlite)')
    .option('--tools <module>', TOOLS_HELP)
    .option('--log-level <level>', LOG_LEVEL_HELP)
    .option('--hash-thread-ids', `log thread ids as keyed hashes (HMAC-SHA256 with the key in $${LOG_HASH_KEY_ENV}; setting that key turns this on)`);
}

/**
 * The options of a command that only reads threads (`pending`, `trace`, `stats`): where they are
 * and the tools module the tree names. It calls no model and logs nothing, so `--model`,
 * `--log-level` and `--hash-thread-ids` are unknown options there (a usage error), not silently
 * ignored ones.
 */
export function readingCommon(command: Command): Command {
  return command
    .option('--db <target>', 'where the threads are: a SQLite file that exists, "memory" or a postgres:// URL (default: $SWITCHBOARD_DB, else the project file\'s "db", else .switchboard/threads.sqlite)')
    .option('--tools <module>', TOOLS_HELP);
}

/** The help of `--tools`, shared by the commands that load tools. */
export const TOOLS_HELP = 'a .js or .ts module exporting `tools` (default: the project file\'s "tools", else the example tools)';

/** The help of `--log-level`, shared by the commands that log. */
export const LOG_LEVEL_HELP = `pino log level on stderr (default: ${DEFAULT_LOG_LEVEL}, leaving out what the output already shows)`;

/** `--thread`, checked before anything is opened or printed: an id the store can hold (not empty, no control characters…). */
export function checkThreadOption(thread: string | undefined): void {
  if (thread !== undefined) checkId(thread, 'thread id (--thread)');
}

/** The user message of `-m`: text that is not only white space (an empty message is never sent to a model). */
export function requireMessage(message: string): string {
  if (message.trim() === '') throw new UsageError('-m/--message is empty: write what the user says, e.g. -m "I was charged twice".');
  return message;
}

/** The person's reply of `-r`: text that is not only white space (the user would get an empty answer). */
export function requireReply(reply: string): string {
  if (reply.trim() === '') throw new UsageError('-r/--reply is empty: write what the person answers, e.g. -r "Hi, Dana here."');
  return reply;
}

/**
 * `--field` values converted by the type the tree's `state:` declares for each field (a string
 * field keeps `5551234` as text; a number or boolean field parses it) and checked before anything
 * runs: a wrong one is a usage error (exit 2) naming the field and its type.
 */
export function checkFieldOptions(tree: Tree, entries: Record<string, string> | undefined): Record<string, string | number | boolean> | undefined {
  if (!entries) return undefined;
  const declared = tree.state ?? {};
  const fields: Record<string, string | number | boolean> = {};
  const problems: string[] = [];
  for (const [name, raw] of Object.entries(entries)) {
    // An undeclared name is refused below, never assigned (see undeclaredFields).
    if (!Object.hasOwn(declared, name)) continue;
    const type = declared[name]!.type;
    if (type === 'number') {
      const value = Number(raw);
      if (raw.trim() === '' || !Number.isFinite(value)) problems.push(`"${name}" is a number field: "${raw}" is not a number`);
      else fields[name] = value;
    } else if (type === 'boolean') {
      if (raw === 'true' || raw === 'false') fields[name] = raw === 'true';
      else problems.push(`"${name}" is a boolean field: write true or false (not "${raw}")`);
    } else fields[name] = raw;
  }
  const undeclared = undeclaredFields(declared, entries);
  if (undeclared.length > 0) problems.push(`${undeclared.map((name) => `"${name}"`).join(', ')} ${undeclared.length === 1 ? 'is' : 'are'} not declared under the tree's state`);
  const parsed = fieldsSchema(tree).safeParse(fields);
  if (!parsed.success) problems.push(...parsed.error.issues.map((issue) => `"${issue.path.join('.')}": ${issue.message}`));
  if (problems.length === 0) return fields;
  throw new UsageError(`--field ${problems.join('; ')}. The tree's state fields: ${Object.keys(declared).join(', ') || '(none)'}.`);
}

/**
 * The `--field` names the tree's `state:` does not declare, own names only: `__proto__`,
 * `constructor` or `toString` are undeclared like any other (a tree cannot declare them:
 * config/source.ts forbids those keys), rather than assigned to a plain object, where
 * `__proto__` would be dropped without a word.
 */
function undeclaredFields(declared: NonNullable<Tree['state']>, entries: Record<string, string>): string[] {
  return Object.keys(entries).filter((name) => !Object.hasOwn(declared, name));
}

/** `--field name=value` entries, as text: {@link checkFieldOptions} gives each the type its field declares. */
export function parseFields(entries: string[] | undefined): Record<string, string> | undefined {
  if (!entries?.length) return undefined;
  // Without a prototype, so `__proto__=x` is a field name like any other (and refused as undeclared).
  const fields: Record<string, string> = Object.create(null) as Record<string, string>;
  for (const entry of entries) {
    const index = entry.indexOf('=');
    if (index <= 0) throw new UsageError(`--field takes name=value (got "${entry}").`);
    fields[entry.slice(0, index)] = entry.slice(index + 1);
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
