/**
 * `switchboard trace <tree> --thread ID [--turn N]`: a turn's step trace in the terminal — every
 * model call with the messages exactly as that model received them, tool calls, handoffs,
 * fallbacks and limits — read from the thread's journal in the store (see dev/step-trace.ts).
 */
import type { Command } from 'commander';
import { escapeControlCharacters, stringifyForTerminal } from '../../dev/control-characters.js';
import { buildTrace, readTraceEvents, tracedTurns } from '../../dev/step-trace.js';
import { formatTrace } from '../../dev/trace-text.js';
import { ThreadTreeError } from '../../errors/thread-tree-error.js';
import { runtimeOf } from '../../graphs/compile.js';
import { pairedJournal } from '../../store/journal.js';
import type { SwitchboardState } from '../../state/schema.js';
import { common, EXIT, guard, openSession, UsageError } from '../setup.js';
import type { CommonOptions } from '../setup.js';
import { suggestCommand } from '../command-line.js';

interface TraceCommandOptions extends CommonOptions {
  thread: string;
  turn?: string;
  json?: boolean;
}

export function registerTrace(program: Command): void {
  common(program.command('trace <tree>'))
    .description("Print a turn's step trace: model calls with the messages each model received, tool calls, handoffs, fallbacks and limits.")
    .requiredOption('-t, --thread <id>', 'the thread')
    .option('--turn <n>', 'the turn (default: the last one traced)')
    .option('--json', 'print the trace as JSON')
    .action((treePath: string, options: TraceCommandOptions) =>
      guard(async () => {
        const turnOption = options.turn === undefined ? undefined : Number(options.turn);
        if (turnOption !== undefined && (!Number.isInteger(turnOption) || turnOption < 1))
          throw new UsageError(`--turn must be a whole number from 1 (not "${options.turn}").`);
        const session = await openSession(treePath, options);
        try {
          const saver = session.checkpointer.saver;
          const tuple = await saver.getTuple({ configurable: { thread_id: options.thread, checkpoint_ns: '' } });
          if (!tuple) throw new UsageError(`There is no thread ${options.thread} in ${session.checkpointer.describe}. Pass the store its turns ran in with --db.`);
          const threadTree = (tuple.checkpoint.channel_values as Partial<SwitchboardState>).tree;
          const treeName = runtimeOf(session.graph).tree.name;
          if (threadTree !== undefined && threadTree !== treeName) throw new ThreadTreeError(options.thread, threadTree, treeName);
          const journal = pairedJournal(saver);
          const traced = journal ? await tracedTurns(journal, options.thread) : [];
          const turn = turnOption ?? traced.at(-1);
          if (!journal || turn === undefined || !traced.includes(turn)) {
            const which = turn === undefined ? 'any turn' : `turn ${turn}`;
            const kept = traced.length ? ` Turns traced: ${traced.join(', ')}.` : '';
            throw new UsageError(
              `No step trace was kept for ${which} of thread ${options.thread}.${kept} Turns run by ${suggestCommand(['run'])}, ${suggestCommand(['chat'])} and ${suggestCommand(['dev'])} keep theirs.`,
            );
          }
          const trace = buildTrace(options.thread, turn, await readTraceEvents(journal, options.thread, turn));
          if (options.json) process.stdout.write(`${stringifyForTerminal(trace)}\n`);
          else process.stdout.write(`${escapeControlCharacters(formatTrace(trace))}\n`);
          return EXIT.ok;
        } finally {
          await session.checkpointer.close();
        }
      }, { json: options.json }),
    );
}
