import { describe, expect, it } from 'vitest';
import { tool } from '@langchain/core/tools';
import type { StructuredToolInterface } from '@langchain/core/tools';
import { z } from 'zod';
import { loadTree } from '../../config/load.js';
import { compileTree } from '../../graphs/compile.js';
import { buildOfflineRules } from '../../models/offline-rules.js';
import { OfflineChatModel } from '../../models/offline.js';
import { runTurn } from '../../runtime/turn.js';
import { FaultyChatModel } from '../../testing/faulty-model.js';
import type { Fault } from '../../testing/faulty-model.js';
import { createExampleTools } from '../../tools/examples.js';
import { MemoryLedger } from '../../store/ledger.js';
import { examplePath, newThread } from '../helpers.js';

/** The after-hours tree on the offline model, with faults injected per agent and broken tools. */
async function ladder(faults: Record<string, Fault> = {}, brokenTools: string[] = []) {
  const ledger = new MemoryLedger();
  const tools: Record<string, StructuredToolInterface> = createExampleTools({ ledger });
  for (const name of brokenTools) {
    tools[name] = tool(
      async () => {
        throw new Error(`${name} backend unavailable`);
      },
      { name, description: `${name} (broken)`, schema: z.object({}).passthrough() },
    );
  }
  const tree = await loadTree(examplePath('after-hours'), { tools });
  const graph = compileTree(tree, {
    tools,
    sleep: async () => {},
    model: ({ agent }) => {
      const offline = new OfflineChatModel(buildOfflineRules(tree.spec, agent));
      const fault = faults[agent];
      return fault ? new FaultyChatModel(offline, fault) : offline;
    },
  });
  return { graph, ledger };
}

const ask = async (graph: Awaited<ReturnType<typeof ladder>>['graph'], message: string) => runTurn(graph, { threadId: newThread().threadId, message });

describe('the after-hours ladder, rung by rung', () => {
  it('rung 1 — Primary answers an easy question', async () => {
    const { graph } = await ladder();
    const result = await ask(graph, 'What are your opening hours?');
    expect(result).toMatchObject({ agent: 'primary', status: 'done', handoffs: [] });
    expect(result.reply).toContain('we open at 8:00');
  });

  it('rung 2 — Secondary takes over when Primary times out (both of its models)', async () => {
    const { graph } = await ladder({ primary: 'timeout' });
    const result = await ask(graph, 'What are your opening hours?');
    expect(result.agent).toBe('secondary');
    expect(result.handoffs).toEqual([expect.objectContaining({ from: 'primary', to: 'secondary', kind: 'fallback', reason: 'MODEL_FAILED' })]);
    expect(result.reply).toContain('backup assistant');
    // fast, then backup; a timeout is not retried on the same model.
    expect(result.state.turn.byAgent?.primary?.modelCalls).toBe(2);
  });

  it('rung 3 — Voicemail capture takes the message when the callback scheduler’s tool fails', async () => {
    const { graph, ledger } = await ladder({}, ['book_callback']);
    const result = await ask(graph, 'Please call me back tomorrow about my message');
    expect(result.handoffs.map((record) => `${record.from}>${record.to}:${record.kind}`)).toEqual(['primary>callback_scheduler:delegate', 'callback_scheduler>voicemail:fallback']);
    expect(result.agent).toBe('voicemail');
    expect(await ledger.list('voicemail')).toHaveLength(1);
  });

  it('rung 4 — SMS deflection texts a link', async () => {
    const { graph, ledger } = await ladder();
    const result = await ask(graph, 'Can you text me the reset password link?');
    expect(result.agent).toBe('sms_deflection');
    expect(await ledger.list('sms')).toHaveLength(1);
  });

  it('rung 5 — the callback scheduler books a call when SMS fails', async () => {
    const { graph, ledger } = await ladder({}, ['send_sms']);
    const result = await ask(graph, 'text me the reset password link, or call me back');
    expect(result.handoffs.map((record) => `${record.from}>${record.to}:${record.kind}`)).toEqual(['primary>sms_deflection:delegate', 'sms_deflection>callback_scheduler:fallback']);
    expect(await ledger.list('callback')).toHaveLength(1);
  });

  it('rung 6 — the emergency router pages the technician; if it fails, the on-call person takes over', async () => {
    const routed = await ladder();
    const ok = await ask(routed.graph, 'Emergency! The basement is flooding');
    expect(ok.agent).toBe('emergency_router');
    expect(await routed.ledger.list('emergency')).toHaveLength(1);

    const failing = await ladder({ emergency_router: { status: 500 } });
    const result = await ask(failing.graph, 'Emergency! The basement is flooding');
    expect(result).toMatchObject({ status: 'waiting', agent: 'on_call' });
    expect(result.handoffs.at(-1)).toMatchObject({ from: 'emergency_router', to: 'on_call', kind: 'fallback' });
  });

  it('rung 7 — the missed-caller logger logs the call when Primary and Secondary both fail', async () => {
    const { graph, ledger } = await ladder({ primary: { status: 503 }, secondary: 'timeout' });
    const result = await ask(graph, 'hello?');
    expect(result.handoffs.map((record) => `${record.to}:${record.kind}`)).toEqual(['secondary:fallback', 'missed_caller_logger:fallback']);
    expect(result.agent).toBe('missed_caller_logger');
    expect(await ledger.list('missed-call')).toHaveLength(1);
  });

  it('rung 8 — escalation to the on-call person pauses the thread', async () => {
    const { graph } = await ladder();
    const result = await ask(graph, 'I need to talk to a real person');
    expect(result).toMatchObject({ status: 'waiting', agent: 'on_call' });
    expect(result.waitingFor).toMatchObject({ agent: 'on_call', from: 'primary' });
  });
});
