/**
 * A thread waits on something the tree has since lost (its YAML renamed or removed an agent):
 * `pending` says so beside the request, and `approve` (and chat's `/approve`) refuses, naming the
 * way on (deny), instead of running a turn that only answers "no such tool" and exiting 0.
 * Also: `resume --operator` is held to the 200 characters approve and deny hold theirs to.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { REPO_ROOT, runCli } from './run-cli.js';

vi.setConfig({ testTimeout: 120_000 });

const GATED = readFileSync(join(REPO_ROOT, 'test/fixtures/trees/gated-desk.yaml'), 'utf8');

describe('a wait the tree has since lost', () => {
  it('pending flags an approval into a renamed agent; approve refuses it (exit 2); deny lets the agent go on', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'switchboard-reshaped-'));
    const db = join(dir, 'threads.sqlite');
    writeFileSync(join(dir, 'before.yaml'), GATED);
    // The person is renamed while the thread waits for approval to reach them.
    writeFileSync(join(dir, 'after.yaml'), GATED.replaceAll('[person]', '[agent_person]').replace('\n  person:\n', '\n  agent_person:\n'));
    await runCli(['run', 'before.yaml', '--db', db, '--thread', 'g1', '-m', 'I was charged twice on my invoice'], { cwd: dir });
    const waiting = await runCli(['run', 'before.yaml', '--db', db, '--thread', 'g1', '-m', 'I want to talk to a person'], { cwd: dir });
    expect(waiting.stdout.toString()).toContain('waiting for a person to approve billing → person.');

    const pending = await runCli(['pending', 'after.yaml', '--db', db], { cwd: dir });
    expect(pending.code).toBe(0);
    expect(pending.stdout.toString()).toMatch(/^g1 {2}approval {2}billing → person {2}\{.*\} {2}call call_\w+ {2}\(person is not in the tree any more: approving cannot move the conversation; deny it and billing goes on\)\n$/);
    // As the tree was: no note.
    expect((await runCli(['pending', 'before.yaml', '--db', db], { cwd: dir })).stdout.toString()).not.toContain('not in the tree');

    const approve = await runCli(['approve', 'after.yaml', '--db', db, '--thread', 'g1'], { cwd: dir });
    expect(approve).toMatchObject({
      code: 2,
      stderr: `error NOTHING_PENDING: Thread g1 waits for a person to approve billing → person, but person is not in the tree any more: approving cannot move the conversation there. Deny it, and billing is told and goes on: npx switchboard deny after.yaml --db ${db} --thread g1 --reason "…"\n`,
    });
    expect(approve.stdout.toString()).toBe('');

    const chat = await runCli(['chat', 'after.yaml', '--db', db, '--thread', 'g1'], { cwd: dir, input: '/approve\n/quit\n' });
    expect(chat.stdout.toString()).toContain('/approve\nerror NOTHING_PENDING: Thread g1 waits for a person to approve billing → person, but person is not in the tree any more: approving cannot move the conversation there. Deny it, and billing is told and goes on: /deny <reason>\n');

    // Denied, billing goes on: here it asks for the person under the new name, a request pending
    // lists without a note.
    const deny = await runCli(['deny', 'after.yaml', '--db', db, '--thread', 'g1', '--reason', 'the line moved'], { cwd: dir });
    expect(deny.code).toBe(0);
    const after = await runCli(['pending', 'after.yaml', '--db', db], { cwd: dir });
    expect(after.stdout.toString()).toMatch(/^g1 {2}approval {2}billing → agent_person {2}\{.*\} {2}call call_\w+\n$/);
  });
});

describe('resume --operator', () => {
  it('is held to 200 characters, as approve and deny hold theirs (exit 2, before the store is opened)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'switchboard-operator-'));
    const long = 'o'.repeat(201);
    const resume = await runCli(['resume', join(REPO_ROOT, 'examples/desk.yaml'), '--db', join(dir, 'threads.sqlite'), '--thread', 'x', '--reply', 'Hi', '--operator', long]);
    expect(resume).toMatchObject({ code: 2, stderr: 'error INVALID_REPLY: --operator has 201 characters; the limit is 200. Shorten it and run resume again.\n' });
    const approve = await runCli(['approve', join(REPO_ROOT, 'examples/desk.yaml'), '--db', join(dir, 'threads.sqlite'), '--thread', 'x', '--operator', long]);
    expect(approve).toMatchObject({ code: 2, stderr: 'error INVALID_DECISION: --operator has 201 characters; the limit is 200. Shorten it and run approve again.\n' });
  });
});
