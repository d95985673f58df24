/**
 * `switchboard pending`.
 */
import type { Command } from 'commander';
import { listWaitingThreads } from '../../runtime/threads.js';
import { askerGone, nextOwner, staleRequestReason } from '../../runtime/waiting.js';
import { runtimeOf } from '../../graphs/compile.js';
import { EXIT, guard, openSession, readingCommon } from '../setup.js';
import type { CommonOptions } from '../setup.js';
import { escapeControlCharacters, stringifyForTerminal } from '../../dev/control-characters.js';

export function registerPending(program: Command): void {
  readingCommon(program.command('pending <tree>'))
  .description('List threads waiting for a person.')
  .option('-t, --thread <id...>', 'only these threads')
  .option('--json', 'print JSON')
  .action((treePath: string, options: CommonOptions & { thread?: string[]; json?: boolean }) =>
    guard(async () => {
      const session = await openSession(treePath, options, { readsOnly: true });
      try {
        const waiting = await listWaitingThreads(session.graph, session.checkpointer.saver, options.thread);
        const runtime = runtimeOf(session.graph);
        if (options.json) process.stdout.write(`${stringifyForTerminal(waiting)}\n`);
        else if (waiting.length === 0) process.stdout.write('No thread is waiting for a person.\n');
        else
          for (const request of waiting) {
            // An approval names the move it waits on, and its call (approve|deny --call decides that one only).
            const line = request.type === 'approval'
              ? `${request.threadId}  approval  ${request.from} → ${request.to}  ${JSON.stringify(request.payload)}  call ${request.toolCallId}`
              : `${request.threadId}  ${request.agent}  from ${request.from}  ${request.reason ?? ''}`;
            // The tree changed while the thread waited: said here, as resume and approve say it.
            const stale = staleRequestReason(runtime, request);
            const note = stale === undefined
              ? ''
              : request.type === 'approval'
                ? askerGone(runtime, request)
                  ? `  (${stale}: it cannot be decided; the thread's next message withdraws it and goes to ${nextOwner(runtime, request.from)})`
                  : `  (${stale}: approving cannot move the conversation; deny it and ${request.from} goes on)`
                : `  (${stale}: nobody can answer as ${request.agent}; the thread's next message goes to ${nextOwner(runtime, request.agent)})`;
            process.stdout.write(`${escapeControlCharacters(note ? `${line.trimEnd()}${note}` : line)}\n`);
          }
        return EXIT.ok;
      } finally {
        await session.checkpointer.close();
      }
    }, { json: options.json }),
  );
}
