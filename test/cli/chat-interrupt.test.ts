/**
 * Ctrl-C in `switchboard chat`: during a turn, the turn finishes and the chat then leaves (a second
 * Ctrl-C stops it at once); at the prompt, it leaves. In a terminal readline reports Ctrl-C (driven
 * here through a pseudo-terminal, with python3's pty, where python3 is there); with stdin a pipe,
 * Ctrl-C is a SIGINT. The turn is made slow by a tool that waits.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { REPO_ROOT } from './run-cli.js';
import { treeCallingTool } from './tool-tree.js';

vi.setConfig({ testTimeout: 120_000 });

const TSX_LOADER = pathToFileURL(join(REPO_ROOT, 'node_modules/tsx/dist/loader.mjs')).href;
/** How long the tool takes: long enough to press Ctrl-C while it runs. */
const TOOL_MS = 4_000;
const SLOW_TOOLS = `import { tool } from '@langchain/core/tools';
import { z } from 'zod';
export const tools = {
  slow_lookup: tool(async ({ id }) => { await new Promise((resolve) => setTimeout(resolve, ${TOOL_MS})); return 'found ' + id; }, {
    name: 'slow_lookup',
    description: 'Looks an invoice up, slowly.',
    schema: z.object({ id: z.string() }),
  }),
};
`;
const MESSAGE = 'I was charged twice on my invoice';

let dir = '';
beforeAll(() => {
  // Under the repository, so the tools module finds @langchain/core and zod.
  dir = mkdtempSync(join(REPO_ROOT, 'test/.tmp-chat-interrupt-'));
  mkdirSync(join(dir, 'trees'));
  writeFileSync(join(dir, 'trees/desk.yaml'), treeCallingTool('slowdesk', 'slow_lookup', 'INV-7'));
  writeFileSync(join(dir, 'trees/tools.mjs'), SLOW_TOOLS);
});
afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function environment(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const name of ['OPENAI_API_KEY', 'OPENAI_BASE_URL', 'SWITCHBOARD_DB', 'SWITCHBOARD_LOG_HASH_KEY', 'FORCE_COLOR', 'NODE_OPTIONS']) delete env[name];
  return { ...env, NO_COLOR: '1' };
}

function chatArgs(db: string): string[] {
  return ['--import', TSX_LOADER, join(REPO_ROOT, 'cli/main.ts'), 'chat', 'trees/desk.yaml', '--tools', 'trees/tools.mjs', '--db', db, '--thread', 'c1'];
}

/** The chat with stdin a pipe left open: `interrupts` SIGINTs once the turn's tool runs. */
async function chatInterruptedByPipe(interrupts: number): Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; ms: number }> {
  const child = spawn(process.execPath, chatArgs(join(dir, `pipe-${interrupts}.sqlite`)), { cwd: dir, env: environment(), stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let sent = false;
  let interrupted = 0;
  const started = Date.now();
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString('utf8');
    if (!sent && stdout.includes('you> ')) {
      sent = true;
      child.stdin.write(`${MESSAGE}\n`);
    }
    // The handoff is printed as it happens; the tool runs after it.
    if (interrupted === 0 && stdout.includes('↪ triage → billing')) {
      interrupted = 1;
      child.kill('SIGINT');
    }
    if (interrupted === 1 && interrupts > 1 && stdout.includes('(Ctrl-C:')) {
      interrupted = 2;
      child.kill('SIGINT');
    }
  });
  child.stderr.resume();
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, ms: Date.now() - started }));
  });
}

describe('chat: Ctrl-C (SIGINT) with stdin a pipe', () => {
  it('during a turn: the turn finishes, then the chat says goodbye and exits, though stdin is still open', async () => {
    const result = await chatInterruptedByPipe(1);
    expect(result).toMatchObject({ code: 0, signal: null });
    expect(result.stdout).toContain('(Ctrl-C: leaving once this turn has finished; press Ctrl-C again to stop now.)\n');
    // The turn's answer, with the slow tool's result, then the goodbye.
    expect(result.stdout).toMatch(/^billing: \[offline\] .*Tool results: slow_lookup: found INV-7\.$/m);
    expect(result.stdout).toMatch(/\nContinue this conversation with: npx switchboard chat trees\/desk\.yaml --db \S+ --tools trees\/tools\.mjs --thread c1\n$/);
  });

  it('a second Ctrl-C during the turn stops at once', async () => {
    const result = await chatInterruptedByPipe(2);
    expect(result.signal).toBe('SIGINT');
    expect(result.stdout).not.toContain('billing: [offline]');
  });
});

const PYTHON = spawnSync('python3', ['-c', 'import pty'], { stdio: 'ignore' }).status === 0;

/**
 * Runs the chat in a pseudo-terminal: types the message at the prompt, presses Ctrl-C once the
 * handoff shows, and reads until the chat exits (or `limit` seconds pass: "[STILL RUNNING]").
 */
const PTY_DRIVER = `
import os, pty, select, signal, sys, time
limit = float(sys.argv[1]); message = sys.argv[2].encode(); argv = sys.argv[3:]
pid, fd = pty.fork()
if pid == 0:
    os.execv(argv[0], argv)
out = b''; typed = False; pressed = False; end = time.time() + limit
while time.time() < end:
    ready, _, _ = select.select([fd], [], [], 0.1)
    if ready:
        try: data = os.read(fd, 65536)
        except OSError: data = b''
        if not data: break
        out += data
    if not typed and b'you> ' in out:
        typed = True; os.write(fd, message + b'\\r')
    if typed and not pressed and '↪ triage → billing'.encode() in out:
        pressed = True; os.write(fd, b'\\x03')
done, status = os.waitpid(pid, os.WNOHANG)
while done == 0 and time.time() < end:
    time.sleep(0.1); done, status = os.waitpid(pid, os.WNOHANG)
if done == 0:
    os.kill(pid, signal.SIGKILL); os.waitpid(pid, 0)
    sys.stdout.write(out.decode('utf8', 'replace') + '\\n[STILL RUNNING]\\n')
else:
    sys.stdout.write(out.decode('utf8', 'replace') + '\\n[exit ' + str(os.waitstatus_to_exitcode(status)) + ']\\n')
`;

describe.skipIf(!PYTHON)('chat: Ctrl-C in a terminal', () => {
  it('during a turn: the turn finishes, then the chat exits (it used to wait for input forever)', async () => {
    const child = spawn('python3', ['-c', PTY_DRIVER, '40', MESSAGE, process.execPath, ...chatArgs(join(dir, 'tty.sqlite'))], {
      cwd: dir,
      env: environment(),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    child.stderr.resume();
    await new Promise((resolve) => child.on('close', resolve));
    const text = output.replaceAll('\r', '');
    expect(text).toContain('(Ctrl-C: leaving once this turn has finished; press Ctrl-C again to stop now.)');
    expect(text).toContain('Tool results: slow_lookup: found INV-7.');
    expect(text).toContain('Continue this conversation with:');
    expect(text).toMatch(/\n\[exit 0\]\n$/);
  });
});
