/**
 * `switchboard dev`: the dev page on 127.0.0.1 (see dev/server.ts).
 */
import type { Command } from 'commander';
import { existsSync, statSync } from 'node:fs';
import { fileNotFound } from '../../config/load.js';
import { ConfigError, formatIssue } from '../../errors/config-error.js';
import { SwitchboardError } from '../../errors/switchboard-error.js';
import type { Retention } from '../../store/retention.js';
import { startDevServer } from '../../dev/server.js';
import type { TreeState } from '../../dev/live-tree.js';
import { describeModel, describeModelOption } from '../../dev/model-description.js';
import { createLogger, guard, LOG_HASH_KEY_ENV, LOG_LEVEL_HELP, loadTools, logLevelOption, MODEL_HELP, modelOption, openStore, TOOLS_HELP, UsageError } from '../setup.js';
import { suggestCommand, wholeNumber } from '../command-line.js';
import { projectTreesHint } from '../project.js';
import { escapeControlCharacters } from '../../dev/control-characters.js';

/** The port `switchboard dev` listens on unless told otherwise. */
export const DEFAULT_DEV_PORT = 4310;

interface DevCommandOptions {
  port: string;
  model?: string;
  tools?: string;
  db?: string;
  retention: string;
  logLevel?: string;
  hashThreadIds?: boolean;
}

export function registerDev(program: Command): void {
  program
    .command('dev <tree>')
    .description('Open a local page that draws the tree, redraws it on save, shows its errors and runs conversations.')
    .option('-p, --port <number>', 'the port on 127.0.0.1', String(DEFAULT_DEV_PORT))
    .option('--model <mode>', MODEL_HELP, 'auto')
    .option('--tools <module>', `${TOOLS_HELP}; loaded once`)
    .option('--db <target>', 'where threads persist: a SQLite file, "memory" or a postgres:// URL (default: $SWITCHBOARD_DB, else the project file\'s "db", else .switchboard/threads.sqlite; the store of run and chat)')
    .option('--retention <n|all>', 'checkpoints kept per thread: all (every turn can be revisited and forked) or a number', 'all')
    .option('--log-level <level>', LOG_LEVEL_HELP)
    .option('--hash-thread-ids', `log thread ids as keyed hashes (HMAC-SHA256 with the key in $${LOG_HASH_KEY_ENV}; setting that key turns this on)`)
    .action((treePath: string, options: DevCommandOptions) =>
      guard(async () => {
        const port = wholeNumber(options.port);
        if (!Number.isInteger(port) || port < 0 || port > 65535)
          throw new UsageError(`--port must be a whole number from 0 to 65535 (not "${options.port}").`);
        if (!existsSync(treePath)) throw new UsageError(`${treePath} does not exist. ${projectTreesHint(treePath) ?? `Create a tree with: ${suggestCommand(['init', treePath])}`}`);
        // As run, draw and lint say it: the page would otherwise watch a folder it can never load.
        if (statSync(treePath).isDirectory()) throw new ConfigError([fileNotFound(treePath, Object.assign(new Error('EISDIR'), { code: 'EISDIR' }))]);
        const model = modelOption(options.model);
        const retention = retentionOption(options.retention);
        logLevelOption(options.logLevel);
        const checkpointer = await openStore(options.db);
        let tools;
        try {
          tools = await loadTools(options.tools, checkpointer.ledger);
        } catch (error) {
          await checkpointer.close();
          throw error;
        }
        let server;
        try {
          server = await startDevServer({
            file: treePath,
            port,
            tools,
            model,
            checkpointer: checkpointer.saver,
            threadLock: checkpointer.threadLock,
            retention,
            logger: createLogger(options.logLevel, { hashThreadIds: options.hashThreadIds }),
          });
        } catch (error) {
          await checkpointer.close();
          if (error instanceof SwitchboardError && (error.code === 'PORT_IN_USE' || error.code === 'PORT_UNAVAILABLE'))
            throw new UsageError(error.message);
          throw error;
        }
        const report = (state: TreeState) => {
          for (const line of describeTreeState(treePath, state)) process.stderr.write(`${line}\n`);
        };
        report(server.tree.current);
        server.tree.subscribe(report);
        // The models as the tree first loaded names them (a broken file: the option alone), as the page's header says them.
        const loaded = server.tree.current.good?.loaded.spec;
        const models = loaded ? describeModel(loaded, model) : describeModelOption(model);
        process.stdout.write(
          `${escapeControlCharacters(`Switchboard dev page: ${server.url}\nTree ${treePath} · ${models} · threads in ${checkpointer.describe}`)}\nSaving the file redraws the page. Ctrl-C stops.\n`,
        );
        await new Promise<void>((resolve) => {
          const stop = () => resolve();
          process.once('SIGINT', stop);
          process.once('SIGTERM', stop);
        });
        await server.close();
        await checkpointer.close();
      }),
    );
}

/** What the terminal says after each load of the tree: its problems, then whether it loaded, control characters escaped. */
export function describeTreeState(treePath: string, state: TreeState): string[] {
  const lines = state.issues.map((issue) => escapeControlCharacters(formatIssue(issue)));
  if (state.failure) lines.push(escapeControlCharacters(`${treePath}: error ${state.failure}`));
  const file = escapeControlCharacters(treePath);
  if (state.broken && state.good) lines.push(`${file}: broken — the page keeps the last good tree (version ${state.good.version})`);
  // Nothing has loaded since dev started: there is no good tree to keep.
  else if (state.broken) lines.push(`${file}: broken — no version has loaded yet; the page shows the errors until a save fixes them`);
  else if (state.good) lines.push(`${file}: loaded version ${state.good.version} (${state.good.diagram.nodes.length} agents)`);
  return lines;
}

/** `--retention`: `all` or a whole number of checkpoints from 1. */
export function retentionOption(text: string): Retention {
  if (text === 'all') return 'all';
  const count = wholeNumber(text);
  if (!Number.isInteger(count) || count < 1) throw new UsageError(`--retention must be all or a whole number from 1 (not "${text}").`);
  return count;
}
