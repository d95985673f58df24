/**
 * `switchboard chat`.
 */
import type { Command } from 'commander';
import { randomUUID } from 'node:crypto';
import { createInterface } from 'node:readline/promises';
import { SwitchboardError } from '../../errors/switchboard-error.js';
import { streamResume, streamTurn } from '../../runtime/turn.js';
import { collect, common, consume, describeModel, guard, openSession, parseFields } from '../setup.js';
import type { CommonOptions } from '../setup.js';
import { TurnPrinter } from '../output.js';
import { escapeControlCharacters } from '../../dev/control-characters.js';

export function registerChat(program: Command): void {
  common(program.command('chat <tree>'))
  .description('Chat with a tree in the terminal (each line is one user turn). /quit to leave.')
  .option('-t, --thread <id>', 'continue this thread (default: a new one)')
  .option('--field <name=value>', 'set a shared-state field (repeatable)', collect)
  .action((treePath: string, options: CommonOptions & { thread?: string; field?: string[] }) =>
    guard(async () => {
      const session = await openSession(treePath, options);
      const threadId = options.thread ?? `t-${randomUUID().slice(0, 8)}`;
      const printer = new TurnPrinter((text) => process.stdout.write(text), process.stdout.isTTY);
      const fields = parseFields(options.field);
      process.stdout.write(`${escapeControlCharacters(`Switchboard · tree ${session.tree.spec.name} · thread ${threadId} · ${describeModel(session.model)}`)}\n`);
      process.stdout.write('Type a message. /reply <text> answers as the person when a thread waits for one; /quit leaves.\n');
      const prompt = createInterface({ input: process.stdin, output: process.stdout, terminal: process.stdin.isTTY });
      prompt.setPrompt('you> ');
      prompt.prompt();
      try {
        // The async iterator buffers lines, so piped input is never lost while a turn runs.
        for await (const raw of prompt) {
          const line = raw.trim();
          if (line === '/quit' || line === '/exit') break;
          if (line !== '') {
            if (!process.stdin.isTTY) process.stdout.write(`${escapeControlCharacters(line)}\n`);
            const events = line.startsWith('/reply ')
              ? streamResume(session.graph, threadId, { reply: line.slice('/reply '.length) })
              : streamTurn(session.graph, { threadId, message: line, fields });
            try {
              printer.result(await consume(events, (event) => printer.event(event)), treePath);
            } catch (error) {
              if (!(error instanceof SwitchboardError)) throw error;
              process.stdout.write(`${escapeControlCharacters(`error ${error.code}: ${error.message}`)}\n`);
            }
          }
          prompt.prompt();
        }
      } finally {
        prompt.close();
        await session.checkpointer.close();
      }
      process.stdout.write(`\n${escapeControlCharacters(`Continue this conversation with: switchboard chat ${treePath} --thread ${threadId}`)}\n`);
    }),
  );
}
