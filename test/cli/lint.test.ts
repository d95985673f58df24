import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { REPO } from '../config/lint-fixtures.js';

/** The sources the `switchboard lint` command is built from. */
const SOURCES = ['cli', 'cli/commands', 'config', 'errors', 'graphs', 'tools'];

/** `npm test` builds first; when run alone, build here if dist/ is missing or older than the sources. */
function ensureBuilt(): void {
  const built = (() => {
    try {
      return statSync(`${REPO}dist/cli/main.js`).mtimeMs;
    } catch {
      return 0;
    }
  })();
  const newest = Math.max(
    ...SOURCES.flatMap((folder) =>
      readdirSync(`${REPO}${folder}`)
        .filter((file) => file.endsWith('.ts'))
        .map((file) => statSync(`${REPO}${folder}/${file}`).mtimeMs),
    ),
  );
  if (built > newest) return;
  const build = spawnSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: REPO, encoding: 'utf8' });
  expect(build.status, build.stdout + build.stderr).toBe(0);
}

function lint(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, ['bin/switchboard.js', 'lint', ...args], {
    cwd: REPO,
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '1' },
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

beforeAll(ensureBuilt, 120_000);

describe('switchboard lint', () => {
  it('prints every problem as file:line:col severity CODE message hint and exits 2', () => {
    const result = lint('test/fixtures/all-at-once/schema-and-graph.yaml');
    expect(result.status).toBe(2);
    expect(result.stdout).toMatchInlineSnapshot(`
      "test/fixtures/all-at-once/schema-and-graph.yaml:6:20 error NUMBER_TOO_LARGE retry.attempts is 20; it must be at most 10. Change it to at most 10.
      test/fixtures/all-at-once/schema-and-graph.yaml:13:23 error OUT_OF_RANGE agents.triage.history.turns must be at least 1. Change it to at least 1.
      test/fixtures/all-at-once/schema-and-graph.yaml:24:5 error DEAD_END "refunds" is a dead end: it cannot hand back to "billing" and has no escalation path to a person. Remove handback: false, or add escalate: [person].
      test/fixtures/all-at-once/schema-and-graph.yaml:29:16 error MULTIPLE_PARENTS "refunds" is a child of both "billing" and "sales". An agent has one parent: keep it under one, and use escalate: or sideways: for the other edge.
      test/fixtures/all-at-once/schema-and-graph.yaml:30:34 error INVALID_TYPE agents.sales.limits.modelCallsPerTurn is the text "many"; it must be a number. Write a number without quotes.
      test/fixtures/all-at-once/schema-and-graph.yaml:32:3 error UNREACHABLE_AGENT No conversation can reach "archive" from the root "triage". List it under children: of an agent (or escalate:, helpers:, fallback:), or remove it.
      "
    `);
    expect(result.stderr).toBe('6 errors, 0 warnings\n');
  });

  it('exits 0 and prints nothing on stdout for a clean tree', () => {
    const result = lint('config/support.yaml');
    expect(result).toEqual({ status: 0, stdout: '', stderr: 'config/support.yaml: ok\n' });
  });

  it('exits 0 when there are only warnings, and still prints them', () => {
    const result = lint('test/fixtures/invalid/no-human-escalation.yaml');
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/^test\/fixtures\/invalid\/no-human-escalation\.yaml:3:7 warning NO_HUMAN_ESCALATION /);
    expect(result.stderr).toBe('test/fixtures/invalid/no-human-escalation.yaml: ok (1 warning)\n');
  });

  it('reports a missing file as FILE_NOT_FOUND and exits 2', () => {
    const result = lint('test/fixtures/invalid/no-such-tree.yaml');
    expect(result.status).toBe(2);
    expect(result.stdout).toMatchInlineSnapshot(`
      "test/fixtures/invalid/no-such-tree.yaml:1:1 error FILE_NOT_FOUND The tree file test/fixtures/invalid/no-such-tree.yaml does not exist. Check the path (a relative path starts from the current folder).
      "
    `);
  });

  it('prints the same issues as JSON with --json', () => {
    const result = lint('test/fixtures/invalid/unknown-agent.yaml', '--json');
    expect(result.status).toBe(2);
    expect(JSON.parse(result.stdout)).toEqual([
      expect.objectContaining({
        code: 'UNKNOWN_AGENT',
        severity: 'error',
        file: 'test/fixtures/invalid/unknown-agent.yaml',
        line: 8,
        column: 16,
        path: ['agents', 'triage', 'children', 0],
      }),
    ]);
  });

  it('rejects binary garbage and a __proto__ key with one clear line each, no stack trace', () => {
    for (const file of ['binary-garbage.yaml', 'proto-top-level.yaml', 'alias-billion-laughs.yaml']) {
      const result = lint(`test/fixtures/hostile/${file}`);
      expect(result.status, file).toBe(2);
      expect(result.stdout, file).toMatch(
        new RegExp(`^test/fixtures/hostile/${file.replaceAll('.', '\\.')}:\\d+:\\d+ error [A-Z_]+ .+\\n$`),
      );
      expect(result.stderr, file).not.toMatch(/\bat .+\.js:\d+/);
    }
  });
});
