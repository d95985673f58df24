import { describe, expect, it } from 'vitest';
import { AIMessage, HumanMessage, ToolMessage } from '@langchain/core/messages';
import type { BaseMessage } from '@langchain/core/messages';
import { selectHistory, transcript } from '../../state/history.js';

const call = (id: string, name: string) => ({ id, name, args: {}, type: 'tool_call' as const });

/** Two earlier turns with tool traffic, and a current turn in which billing took over and is using a tool. */
const thread: BaseMessage[] = [
  new HumanMessage({ content: 'turn 1', id: 'h1' }),
  new AIMessage({ content: '', name: 'triage', tool_calls: [call('c1', 'transfer_to_billing')], id: 'a1' }),
  new ToolMessage({ content: 'Transferred to billing', tool_call_id: 'c1', name: 'transfer_to_billing', id: 't1' }),
  new AIMessage({ content: 'Looking.', name: 'billing', tool_calls: [call('c2', 'lookup_invoice')], id: 'a2' }),
  new ToolMessage({ content: '{"amount":99}', tool_call_id: 'c2', name: 'lookup_invoice', id: 't2' }),
  new AIMessage({ content: 'You paid $99 twice.', name: 'billing', id: 'a3' }),
  new HumanMessage({ content: 'turn 2', id: 'h2' }),
  new AIMessage({ content: 'Refund issued.', name: 'billing', id: 'a4' }),
  new HumanMessage({ content: 'turn 3: a demo?', id: 'h3' }),
  new AIMessage({ content: '', name: 'billing', tool_calls: [call('c3', 'transfer_to_triage')], id: 'a5' }),
  new ToolMessage({ content: 'Transferred to triage', tool_call_id: 'c3', name: 'transfer_to_triage', id: 't3' }),
  new AIMessage({ content: '', name: 'triage', tool_calls: [call('c4', 'transfer_to_sales')], id: 'a6' }),
  new ToolMessage({ content: 'Transferred to sales', tool_call_id: 'c4', name: 'transfer_to_sales', id: 't4' }),
  new AIMessage({ content: '', name: 'sales', tool_calls: [call('c5', 'book_demo')], id: 'a7' }),
  new ToolMessage({ content: 'Demo booked', tool_call_id: 'c5', name: 'book_demo', id: 't5' }),
];

const ids = (messages: BaseMessage[]) => messages.map((message) => message.id);

describe('selectHistory()', () => {
  it('keeps the whole thread with turns: all and tool calls', () => {
    expect(ids(selectHistory(thread, 'sales', { turns: 'all', toolCalls: true }))).toEqual(ids(thread));
  });

  it('keeps only the last N user turns', () => {
    expect(ids(selectHistory(thread, 'sales', { turns: 2, toolCalls: true }))).toEqual(['h2', 'a4', 'h3', 'a5', 't3', 'a6', 't4', 'a7', 't5']);
  });

  it('without tool calls, drops earlier tool traffic but keeps assistant text and the agent’s own calls in progress', () => {
    const shown = selectHistory(thread, 'sales', { turns: 'all', toolCalls: false });
    expect(ids(shown)).toEqual(['h1', 'a2', 'a3', 'h2', 'a4', 'h3', 'a7', 't5']);
    const kept = shown.find((message) => message.id === 'a2') as AIMessage;
    expect(kept.text).toBe('Looking.');
    expect(kept.tool_calls ?? []).toEqual([]);
    expect(kept.name).toBe('billing');
  });

  it('never shows a tool result without its call, nor a call without its results', () => {
    const pending = [...thread, new AIMessage({ content: 'Also checking.', name: 'sales', tool_calls: [call('c6', 'book_demo')], id: 'a8' })];
    const shown = selectHistory(pending, 'sales', { turns: 'all', toolCalls: true });
    const last = shown.at(-1) as AIMessage;
    expect(last.id).toBe('a8');
    expect(last.tool_calls ?? []).toEqual([]);
    expect(last.text).toBe('Also checking.');
  });

  it('renders the last turns as a transcript for a person taking over', () => {
    expect(transcript(thread, 2)).toBe('user: turn 2\nbilling: Refund issued.\nuser: turn 3: a demo?');
  });
});
