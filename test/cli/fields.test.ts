/**
 * `--field name=value`: each value is read as the type the tree's `state:` declares for its field —
 * digits stay text in a string field — and a value its field cannot hold is a usage error naming
 * the field and its type.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { runCli } from './run-cli.js';

// Each command is a separate Node process (a few seconds on a busy machine).
vi.setConfig({ testTimeout: 120_000 });

const TYPED = 'test/cli/fixtures/typed-fields.yaml';

describe('switchboard run --field', () => {
  it('keeps digits as text in a string field (after-hours caller_number, hybrid customer_id)', async () => {
    const caller = await runCli(['run', 'config/after-hours.yaml', '--db', 'memory', '--json', '--field', 'caller_number=5551234', '-m', 'What are your hours?']);
    expect(caller.stderr).toBe('');
    expect(caller.code).toBe(0);
    expect(JSON.parse(caller.stdout.toString())).toMatchObject({ status: 'done', agent: 'primary' });
    const customer = await runCli(['run', 'config/hybrid.yaml', '--db', 'memory', '--field', 'customer_id=42', '-m', 'hi']);
    expect(customer.stderr).not.toContain('error');
    expect(customer.code).toBe(0);
  });

  it('gives each field its declared type: the model sees "007" as text, 12 as a number, true as a boolean', async () => {
    const db = join(mkdtempSync(join(tmpdir(), 'switchboard-fields-')), 'threads.sqlite');
    const run = await runCli(['run', TYPED, '--db', db, '--thread', 'f1', '--field', 'account=007', '--field', 'seats=12', '--field', 'vip=true', '--field', 'tier=pro', '-m', 'hi']);
    expect(run.code).toBe(0);
    const trace = await runCli(['trace', TYPED, '--db', db, '--thread', 'f1']);
    expect(trace.stdout.toString()).toMatch(/## Shared state\n\s+account: "007"\n\s+seats: 12\n\s+vip: true\n\s+tier: "pro"\n/);
  });

  it('refuses a number or boolean field given text it cannot be, naming the field and its type (exit 2)', async () => {
    const result = await runCli(['run', TYPED, '--db', 'memory', '--field', 'seats=many', '--field', 'vip=yes', '-m', 'hi']);
    expect(result).toMatchObject({
      code: 2,
      stderr:
        'error USAGE: --field "seats" is a number field: "many" is not a number; "vip" is a boolean field: write true or false (not "yes"). The tree\'s state fields: account, seats, vip, tier.\n',
    });
    expect(result.stdout.toString()).toBe('');
    const range = await runCli(['run', TYPED, '--db', 'memory', '--field', 'seats=0', '-m', 'hi']);
    expect(range.code).toBe(2);
    expect(range.stderr).toMatch(/^error USAGE: --field "seats": .*>=1/);
  });
});
