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
import { getTurnSummaries } from '../../runtime/transcript.js';
import type { TurnSummary } from '../../runtime/turn-summary.js';
import type { SwitchboardState } from '../../state/schema.js';
import { checkThreadOption, EXIT, guard, openSession, readingCommon, UsageError } from '../setup.js';
import type { CommonOptions } from '../setup.js';
import { suggestCommand, wholeNumber } from '../command-line.js';

interface TraceCommandOptions extends CommonOptions {
  thread: string;
  turn?: string;
  json?: boolean;
}

/** A turn in which no step ran: a message to a person who owned the conversation, who answers in a later turn or is still awaited. */
function personOnly(graph: Parameters<typeof runtimeOf>[0], summary: TurnSummary): boolean {
  const waited = summary.continuedIn !== undefined || summary.status === 'waiting';
  return waited && runtimeOf(graph).tree.agents[summary.agent]?.kind === 'human' && summary.modelCalls === 0 && summary.toolCalls === 0 && summary.handoffs.length === 0 && (summary.events ?? 0) === 0;
}

export function registerTrace(program: Command): void {
  readingCommon(program.command('trace <tree>'))
    .description("Print a turn's step trace: model calls with the messages each model received, tool calls, handoffs, fallbacks and limits.")
    .requiredOption('-t, --thread <id>', 'the thread')
    .option('--turn <n>', 'the turn (default: the last one traced)')
    .option('--json', 'print the trace as JSON')
    .action((treePath: string, options: TraceCommandOptions) =>
      guard(async () => {
        const turnOption = options.turn === undefined ? undefined : wholeNumber(options.turn);
        if (turnOption !== undefined && (!Number.isInteger(turnOption) || turnOption < 1))
          throw new UsageError(`--turn must be a whole number from 1 (not "${options.turn}").`);
        checkThreadOption(options.thread);
        const session = await openSession(treePath, options, { readsOnly: true });
        try {
          const saver = session.checkpointer.saver;
          const tuple = await saver.getTuple({ configurable: { thread_id: options.thread, checkpoint_ns: '' } });
          if (!tuple) throw new UsageError(`There is no thread ${options.thread} in ${session.checkpointer.describe}. Pass the store its turns ran in with --db.`);
          const threadTree = (tuple.checkpoint.channel_values as Partial<SwitchboardState>).tree;
          const treeName = runtimeOf(session.graph).tree.name;
          if (threadTree !== undefined && threadTree !== treeName) throw new ThreadTreeError(options.thread, threadTree, treeName);
          const journal = pairedJournal(saver);
          const traced = journal ? await tracedTurns(journal, options.thread) : [];
          // A message written while a person was awaited opens a turn in which nothing runs (the
          // person answers): said as such, and it is the latest turn when it is the thread's last.
          const summaries = journal ? await getTurnSummaries(session.graph, options.thread) : [];
          const latest = summaries.at(-1);
          const turn = turnOption ?? (latest && latest.turn > (traced.at(-1) ?? 0) && personOnly(session.graph, latest) ? latest.turn : traced.at(-1));
          const untraced = summaries.find((summary) => summary.turn === turn && !traced.includes(turn) && personOnly(session.graph, summary));
          if (untraced) {
            const then = untraced.continuedIn !== undefined ? `the wait went on in turn ${untraced.continuedIn}` : 'the thread waits for them';
            const note = `Turn ${untraced.turn} of thread ${options.thread} ran no step: its message went to ${untraced.agent}, a person who was awaited, and ${then}.`;
            if (options.json) process.stdout.write(`${stringifyForTerminal({ ...buildTrace(options.thread, untraced.turn, []), note })}\n`);
            else process.stdout.write(`${escapeControlCharacters(note)}\n`);
            return EXIT.ok;
          }
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
