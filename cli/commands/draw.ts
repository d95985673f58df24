/**
 * `switchboard draw`.
 */
import type { Command } from 'commander';
import { writeFile } from 'node:fs/promises';
import { Option } from 'commander';
import { loadTree } from '../../config/load.js';
import { compileTree } from '../../graphs/compile.js';
import { describeGraph } from '../../viz/diagram.js';
import { toMermaid } from '../../viz/mermaid.js';
import { guard, loadTools } from '../setup.js';

export function registerDraw(program: Command): void {
  program
  .command('draw <tree>')
  .description('Draw the compiled tree.')
  .addOption(new Option('-f, --format <format>', 'output format').choices(['mermaid']).default('mermaid'))
  .option('-o, --output <file>', 'write to a file instead of stdout')
  .option('--tools <module>', 'a JS module exporting `tools` (default: the example tools)')
  .action((treePath: string, options: { format: string; output?: string; tools?: string }) =>
    guard(async () => {
      const tools = await loadTools(options.tools);
      const graph = compileTree(await loadTree(treePath, { tools }), { tools, model: 'offline', checkpointer: false });
      const text = toMermaid(await describeGraph(graph));
      if (options.output) await writeFile(options.output, text);
      else process.stdout.write(text);
    }),
  );
}
