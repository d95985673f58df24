/**
 * `switchboard approve` and `switchboard deny`: a handoff into an agent with `approval: required`
 * waits, `pending` lists it as an approval, and the CLI decides it.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { runCli } from './run-cli.js';

// Each command is a separate Node process (a few seconds on a busy machine).
vi.setConfig({ testTimeout: 120_000 });

const TREE = 'test/fixtures/trees/gated-desk.yaml';

interface TurnJson {
  status: string;
  agent: string;
  reply: string | null;
  waitingFor: { type: string; from: string; to: string; agent: string } | null;
}

describe('switchboard approve|deny', () => {
  it('lists a gated handoff in pending, approves it (the person is reached), and denies another with the reason told to billing', async () => {
    const db = join(mkdtempSync(join(tmpdir(), 'switchboard-approval-')), 'threads.sqlite');
    const run = async (thread: string, message: string) => JSON.parse((await runCli(['run', TREE, '--db', db, '--thread', thread, '--json', '-m', message])).stdout.toString()) as TurnJson;
    await run('a1', 'I was charged twice on my invoice');
    const paused = await run('a1', 'I want to talk to a person');
    expect(paused).toMatchObject({ status: 'waiting', agent: 'billing', reply: null, waitingFor: { type: 'approval', from: 'billing', to: 'person' } });

    // run's text says how to decide.
    await run('a2', 'I was charged twice on my invoice');
    const text = await runCli(['run', TREE, '--db', db, '--thread', 'a2', '-m', 'I want to talk to a person']);
    expect(text.stdout.toString()).toContain('waiting for a person to approve billing → person. Decide with:');
    // The commands name the request shown, so a decision that comes after another person's is refused.
    expect(text.stdout.toString()).toMatch(/npx switchboard approve test\/fixtures\/trees\/gated-desk\.yaml --db \S+ --thread a2 --call call_\w+\n/);
    expect(text.stdout.toString()).toMatch(/npx switchboard deny test\/fixtures\/trees\/gated-desk\.yaml --db \S+ --thread a2 --call call_\w+ --reason "…"\n/);

    const pending = await runCli(['pending', TREE, '--db', db]);
    expect(pending.stdout.toString()).toMatch(/^a1 {2}approval {2}billing → person {2}\{\} {2}call call_\w+$/m);
    const listed = JSON.parse((await runCli(['pending', TREE, '--db', db, '--json'])).stdout.toString()) as { type: string; threadId: string }[];
    expect(listed.map((request) => `${request.threadId}:${request.type}`).sort()).toEqual(['a1:approval', 'a2:approval']);

    const approved = JSON.parse((await runCli(['approve', TREE, '--db', db, '--thread', 'a1', '--operator', 'ana', '--json'])).stdout.toString()) as TurnJson;
    expect(approved).toMatchObject({ status: 'waiting', agent: 'person', waitingFor: { type: 'escalation', agent: 'person', from: 'billing' } });

    const denied = await runCli(['deny', TREE, '--db', db, '--thread', 'a2', '--reason', 'the paid line is closed']);
    expect(denied.code).toBe(0);
    expect(denied.stdout.toString()).toContain('Billing here. I can look at your invoice.');
    const after = JSON.parse((await runCli(['pending', TREE, '--db', db, '--json'])).stdout.toString()) as { type: string; threadId: string }[];
    expect(after.map((request) => `${request.threadId}:${request.type}`)).toEqual(['a1:escalation']);

    // Nothing to decide: a clear error, not a crash.
    const again = await runCli(['deny', TREE, '--db', db, '--thread', 'a2']);
    expect(again.code).not.toBe(0);
    expect(again.stderr).toMatch(/NOTHING_PENDING.*Thread a2 is not waiting for an approval/);
  });

  it('decides only the request --call names: a late decision on one decided already is refused, and the next request still waits', async () => {
    const db = join(mkdtempSync(join(tmpdir(), 'switchboard-approval-')), 'threads.sqlite');
    const run = (message: string) => runCli(['run', TREE, '--db', db, '--thread', 'c1', '-m', message]);
    const callOf = async () => /call (call_\w+)$/m.exec((await runCli(['pending', TREE, '--db', db, '--thread', 'c1'])).stdout.toString())?.[1];
    await run('I was charged twice on my invoice');
    await run('I want to talk to a person');
    const first = await callOf();
    expect(first).toBeDefined();
    expect((await runCli(['deny', TREE, '--db', db, '--thread', 'c1', '--call', first!, '--reason', 'not now'])).code).toBe(0);
    await run('I want to talk to a person, now');
    const second = await callOf();
    expect(second).toBeDefined();
    expect(second).not.toBe(first);

    // A person who looked at the first request approves it late: refused, the second is not decided.
    const late = await runCli(['approve', TREE, '--db', db, '--thread', 'c1', '--call', first!]);
    expect(late.code).toBe(2);
    expect(late.stderr).toMatch(new RegExp(`Thread c1 is not waiting for the approval this decision names \\((--call|toolCallId) ${first}\\): billing → person was denied`));
    expect(late.stderr).toMatch(new RegExp(`it waits for approval of billing → person now \\((--call|toolCallId) ${second}\\)`));
    expect(await callOf()).toBe(second);

    const bad = await runCli(['approve', TREE, '--db', db, '--thread', 'c1', '--call', '']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--call');

    const approved = await runCli(['approve', TREE, '--db', db, '--thread', 'c1', '--call', second!]);
    expect(approved.code).toBe(0);
    expect(approved.stdout.toString()).toContain('billing → person');
    expect(await callOf()).toBeUndefined();
  });

  it('says so when the user writes again before anyone decides: the request is withdrawn, billing answers', async () => {
    const db = join(mkdtempSync(join(tmpdir(), 'switchboard-approval-')), 'threads.sqlite');
    const run = (message: string) => runCli(['run', TREE, '--db', db, '--thread', 'w1', '-m', message]);
    await run('I was charged twice on my invoice');
    await run('I want to talk to a person');
    const next = (await run('my invoice, hello?')).stdout.toString();
    expect(next).toContain('⤺ billing → person: approval withdrawn (the user wrote again before anyone decided)');
    expect(next).toContain('billing: [offline] Billing here.');
    expect(JSON.parse((await runCli(['pending', TREE, '--db', db, '--json'])).stdout.toString())).toEqual([]);
  });
});
