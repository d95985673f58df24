/**
 * The README's examples are the files CI checks: the smallest tree is examples/desk.yaml verbatim,
 * the backend snippet comes from examples/backend.ts (type-checked), the two commands exist, and
 * every `$ npx switchboard …` in a ```console block runs as a new user would run it and prints
 * what the README shows.
 */
import { spawn } from 'node:child_process';
import {
  closeSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  realpathSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const BIN = join(REPO_ROOT, 'bin/switchboard.js');
const read = (path: string) => readFileSync(join(REPO_ROOT, path), 'utf8');
const readme = read('README.md');

describe('README.md', () => {
  it('shows the two commands first', () => {
    const firstBlock = /```sh\n([\s\S]*?)```/.exec(readme)?.[1] ?? '';
    // `npm start`, not `npx switchboard` (npm 9+ installs the package into its npx cache first, running its build again).
    expect(firstBlock).toContain('npm install && npm start');
    expect((JSON.parse(read('package.json')) as { scripts: Record<string, string> }).scripts.start).toBe('node bin/switchboard.js chat config/support.yaml');
    expect(firstBlock).toContain('npm test');
    expect(read('.ci/run')).toMatch(/^npm test$/m);
  });

  it('shows the smallest tree exactly as examples/desk.yaml', () => {
    expect(readme).toContain(`\`\`\`yaml\n${read('examples/desk.yaml')}\`\`\``);
  });

  it('shows backend code taken from examples/backend.ts', () => {
    const snippet = /## From backend code[\s\S]*?```ts\n([\s\S]*?)```/.exec(readme)?.[1] ?? '';
    const source = read('examples/backend.ts');
    for (const line of snippet.trim().split('\n').filter(Boolean)) expect(source).toContain(line);
  });
});

/** A fenced block of the README, with the line its fence opens on. */
interface Block {
  language: string;
  body: string;
  line: number;
  start: number;
  end: number;
}

/** One `$ …` line of a console block and the lines the README shows after it. */
interface Step {
  command: string;
  args: string[];
  expected: string;
}

/**
 * A console block: its commands run in order in one fresh folder. A one-line ```yaml block right
 * before it is an edit the example makes first: it replaces the line of the first command's tree
 * file that differs from it in one word (the README's typo example).
 */
interface ConsoleExample {
  line: number;
  steps: Step[];
  edit: string | undefined;
}

function blocksOf(text: string): Block[] {
  return [...text.matchAll(/^```(\w*)\n([\s\S]*?)^```$/gm)].map((match) => ({
    language: match[1] ?? '',
    body: match[2] ?? '',
    line: text.slice(0, match.index).split('\n').length,
    start: match.index,
    end: match.index + match[0].length,
  }));
}

function consoleExamples(text: string): ConsoleExample[] {
  const blocks = blocksOf(text);
  return blocks.flatMap((block, index) => {
    if (block.language !== 'console') return [];
    const before = blocks[index - 1];
    const edit =
      before?.language === 'yaml' && text.slice(before.end, block.start).trim() === '' && before.body.trim().split('\n').length === 1
        ? before.body.replace(/\n$/, '')
        : undefined;
    const steps: Step[] = [];
    for (const line of block.body.replace(/\n$/, '').split('\n')) {
      if (line.startsWith('$ ')) steps.push({ command: line.slice(2), args: shellWords(line.slice(2)), expected: '' });
      else if (steps.length === 0) throw new Error(`README.md:${block.line}: a console block starts with a "$ " command.`);
      else steps[steps.length - 1]!.expected += `${line}\n`;
    }
    return [{ line: block.line, steps, edit }];
  });
}

/** The words of a command as a POSIX shell splits them: quotes, backslashes and `#` comments; anything fancier is refused. */
function shellWords(line: string): string[] {
  const words: string[] = [];
  let word = '';
  let inWord = false;
  for (let index = 0; index < line.length; index += 1) {
    const character = line[index]!;
    if (character === "'") {
      const end = line.indexOf("'", index + 1);
      if (end === -1) throw new Error(`Unclosed ' in: ${line}`);
      word += line.slice(index + 1, end);
      inWord = true;
      index = end;
    } else if (character === '"') {
      let end = index + 1;
      for (; end < line.length && line[end] !== '"'; end += 1) {
        if (line[end] === '\\' && '"\\$`'.includes(line[end + 1] ?? '')) end += 1;
        if (line[end] === '$' || line[end] === '`')
          throw new Error(`README commands are run without a shell: no $ or \` in "…" (${line}).`);
        word += line[end];
      }
      if (end >= line.length) throw new Error(`Unclosed " in: ${line}`);
      inWord = true;
      index = end;
    } else if (character === '\\') {
      word += line[index + 1] ?? '';
      inWord = true;
      index += 1;
    } else if (/\s/.test(character)) {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
    } else if (character === '#' && !inWord) {
      break;
    } else if ('|&;<>()$`*?'.includes(character)) {
      throw new Error(`README commands are run without a shell: no "${character}" (${line}).`);
    } else {
      word += character;
      inWord = true;
    }
  }
  if (inWord) words.push(word);
  return words;
}

/** The line of `file` the one-line `edit` replaces: the only one with the same words but one. */
function applyEdit(file: string, edit: string): string {
  const words = (line: string) => line.split(/(\W+)/);
  const target = words(edit);
  const lines = file.split('\n');
  const matches = lines.flatMap((line, index) => {
    const candidate = words(line);
    const differing = candidate.length === target.length ? candidate.filter((word, position) => word !== target[position]).length : -1;
    return differing === 1 ? [index] : [];
  });
  if (matches.length !== 1)
    throw new Error(`The README's edit "${edit.trim()}" must match exactly one line but one word; it matches ${matches.length}.`);
  lines[matches[0]!] = edit;
  return lines.join('\n');
}

/** Runs the built command in `cwd` as a new user would: offline, no Switchboard settings, stdout and stderr in one stream as a terminal shows them. */
function runSwitchboard(args: string[], cwd: string): Promise<string> {
  const env: Record<string, string | undefined> = { ...process.env };
  for (const name of Object.keys(env)) if (/^(OPENAI_|SWITCHBOARD_)|^(FORCE_COLOR|NO_COLOR|GROQ_API_KEY)$/.test(name)) delete env[name];
  const outputFile = join(cwd, '.output');
  // One file for both streams: Node writes to files synchronously, so the order is the order of the writes.
  const output = openSync(outputFile, 'w');
  const child = spawn(process.execPath, [BIN, ...args], { cwd, env, stdio: ['ignore', output, output] });
  closeSync(output);
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', () => resolve(readFileSync(outputFile, 'utf8')));
  });
}

/** What may differ between runs: timings, random thread and message ids, the temporary folder. */
function normalise(text: string, folder: string): string {
  return text
    .replaceAll(folder, '.')
    .replace(/\b\d+ ms\b/g, 'N ms')
    .replace(/\bt-[0-9a-f]{8}\b/g, 't-XXXXXXXX')
    .replace(/\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b/g, 'UUID')
    .replace(/"latencyMs":\d+/g, '"latencyMs":N')
    .split('\n')
    .map((line) => line.trimEnd())
    .join('\n')
    .trimEnd();
}

describe('README.md console examples', () => {
  const examples = consoleExamples(readme);

  it('has console examples, each a list of `npx switchboard` commands', () => {
    expect(examples.length).toBeGreaterThan(0);
    for (const example of examples)
      for (const step of example.steps)
        expect(step.args.slice(0, 2), `README.md:${example.line}: ${step.command}`).toEqual(['npx', 'switchboard']);
  });

  it.each(examples.map((example) => [`README.md:${example.line}`, example] as const))(
    '%s prints what the README shows',
    async (_, example) => {
      const folder = realpathSync(mkdtempSync(join(tmpdir(), 'switchboard-readme-')));
      // The repository files the commands name, at the same relative paths (threads go to the folder's own .switchboard/).
      for (const step of example.steps)
        for (const arg of step.args) {
          const source = join(REPO_ROOT, arg);
          if (
            arg.includes('/') &&
            !arg.startsWith('/') &&
            existsSync(source) &&
            statSync(source).isFile() &&
            !existsSync(join(folder, arg))
          ) {
            mkdirSync(dirname(join(folder, arg)), { recursive: true });
            copyFileSync(source, join(folder, arg));
          }
        }
      if (example.edit !== undefined) {
        const tree = join(folder, example.steps[0]?.args[3] ?? '');
        writeFileSync(tree, applyEdit(readFileSync(tree, 'utf8'), example.edit));
      }
      for (const step of example.steps) {
        const printed = await runSwitchboard(step.args.slice(2), folder);
        expect(normalise(printed, folder), `README.md:${example.line}: $ ${step.command}`).toBe(normalise(step.expected, folder));
      }
    },
    120_000,
  );
});
