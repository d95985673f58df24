/**
 * `switchboard draw`: the compiled tree as Mermaid, DOT, SVG or PNG, drawn offline.
 */
import type { Command } from 'commander';
import { writeFile } from 'node:fs/promises';
import { Option } from 'commander';
import { loadTree } from '../../config/load.js';
import { SwitchboardError } from '../../errors/switchboard-error.js';
import { compileTree } from '../../graphs/compile.js';
import { extname } from 'node:path';
import { DRAWING_FORMATS, drawGraph, formatOfFile } from '../../viz/draw.js';
import type { DrawingFormat } from '../../viz/draw.js';
import { DIRECTION_CHOICES } from '../../viz/direction.js';
import type { DirectionChoice } from '../../viz/direction.js';
import { collect, guard, loadTools, UsageError, TOOLS_HELP } from '../setup.js';
import { escapeControlCharacters } from '../../dev/control-characters.js';

interface DrawCommandOptions {
  format?: DrawingFormat;
  output?: string;
  tools?: string;
  legend: boolean;
  descriptions?: boolean;
  direction?: DirectionChoice;
  scale?: string;
  font?: string[];
}

export function registerDraw(program: Command): void {
  program
    .command('draw <tree>')
    .description('Draw the compiled tree (offline): Mermaid or DOT text, or an SVG or PNG picture.')
    .addOption(new Option('-f, --format <format>', 'output format (default: from the -o file name, else mermaid)').choices(DRAWING_FORMATS))
    .option('-o, --output <file>', 'write to a file instead of stdout')
    .option('--no-legend', 'leave the legend out')
    .option('--descriptions', "write each agent's description under its name")
    .addOption(
      new Option('--direction <direction>', 'TB: root at the top; LR: root on the left; auto: whichever is narrower')
        .choices(DIRECTION_CHOICES)
        .default('auto'),
    )
    .option('--scale <factor>', 'PNG pixels per SVG unit', '2')
    .option('--font <file>', 'PNG: a font file to draw text with (repeatable; default DejaVu Sans from the system)', collect)
    .option('--tools <module>', TOOLS_HELP)
    .action((treePath: string, options: DrawCommandOptions) =>
      guard(async () => {
        const format = drawingFormat(options);
        const scale = Number(options.scale ?? '2');
        if (!Number.isFinite(scale) || scale <= 0 || scale > 16)
          throw new UsageError(`--scale must be a number above 0 and at most 16 (not "${options.scale}").`);
        if (format === 'png' && !options.output && process.stdout.isTTY)
          throw new UsageError('A PNG is binary: write it to a file with -o FILE (or pipe stdout).');
        const tools = await loadTools(options.tools);
        const tree = await loadTree(treePath, { tools });
        const graph = compileTree(tree, { tools, model: 'offline', checkpointer: false });
        let drawing: string | Buffer;
        try {
          drawing = await drawGraph(graph, format, {
            legend: options.legend,
            descriptions: options.descriptions,
            direction: options.direction,
            scale,
            fontFiles: options.font,
          });
        } catch (error) {
          // Missing fonts and a PNG too large to draw are not a failed drawing: exit 2 with the fix.
          if (error instanceof SwitchboardError && (error.code === 'NO_FONTS' || error.code === 'DRAWING_TOO_LARGE')) throw new UsageError(error.message);
          throw error;
        }
        if (format === 'mermaid' && drawing.length > MERMAID_MAX_TEXT_SIZE) process.stderr.write(`${mermaidTooLong(drawing.length)}\n`);
        if (!options.output) {
          // Text drawings quote the tree's descriptions: no control character of theirs reaches a terminal.
          process.stdout.write(typeof drawing === 'string' ? escapeControlCharacters(drawing) : drawing);
          return;
        }
        try {
          await writeFile(options.output, drawing);
        } catch (error) {
          throw new UsageError(`Cannot write ${options.output}: ${(error as NodeJS.ErrnoException).code ?? String(error)}.`);
        }
        process.stderr.write(`${escapeControlCharacters(`${options.output}: ${format} drawing of tree ${tree.spec.name}`)}\n`);
      }),
    );
}

/** Mermaid's default `maxTextSize`: a renderer left at its defaults (GitHub, mermaid.live) refuses longer text. */
const MERMAID_MAX_TEXT_SIZE = 50_000;

function mermaidTooLong(length: number): string {
  return `warning: the Mermaid text is ${length.toLocaleString('en')} characters, over Mermaid's default limit of ${MERMAID_MAX_TEXT_SIZE.toLocaleString('en')} (maxTextSize): GitHub and other renderers with default settings show "Maximum text size in diagram exceeded" instead. Draw SVG or PNG instead (-o tree.svg), or raise maxTextSize where you render it.`;
}

/** The file name endings `draw -o` knows, by format. */
const EXTENSIONS: Record<DrawingFormat, string> = { mermaid: '.mmd or .mermaid', dot: '.dot or .gv', svg: '.svg', png: '.png' };

/**
 * The format to draw: `--format`, else the one the `-o` file name implies, else Mermaid on stdout.
 * A file whose name says another format (`out.jpg`, `tree.svg --format png`) is refused rather than
 * written with contents its name lies about.
 */
function drawingFormat(options: DrawCommandOptions): DrawingFormat {
  if (!options.output) return options.format ?? 'mermaid';
  const extension = extname(options.output);
  const implied = formatOfFile(options.output);
  const known = Object.values(EXTENSIONS).join(', ');
  if (options.format) {
    const text = options.format === 'mermaid' || options.format === 'dot';
    if (extension !== '' && implied !== options.format && !(text && extension.toLowerCase() === '.txt'))
      throw new UsageError(`-o ${options.output}: a ${options.format} drawing goes in a ${EXTENSIONS[options.format]} file (or a name without an extension${text ? ', or .txt' : ''}), not ${extension}.`);
    return options.format;
  }
  if (implied) return implied;
  throw new UsageError(
    extension === ''
      ? `-o ${options.output}: name the file ${known}, or pass --format (${DRAWING_FORMATS.join(', ')}).`
      : `-o ${options.output}: draw cannot write ${extension} files; it writes ${known} (Mermaid, DOT, SVG, PNG).`,
  );
}
