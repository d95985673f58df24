import { AIMessage, AIMessageChunk, HumanMessage, RemoveMessage, SystemMessage, ToolMessage } from '@langchain/core/messages';
import { MemorySaver, Send } from '@langchain/langgraph';
import { JsonPlusSerializer } from '@langchain/langgraph-checkpoint';
import { describe, expect, it } from 'vitest';
import { compileExample, expectEveryCallAnswered } from '../helpers.js';
import { runTurn } from '../../runtime/turn.js';
import { openCheckpointer } from '../../store/checkpointer.js';
import { FastJsonPlusSerializer, withFastSerializer } from '../../store/serde.js';

const stock = new JsonPlusSerializer();
const fast = new FastJsonPlusSerializer();
const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

/** Writes the same bytes as the stock serialiser, and reads them (and its own) back the same. */
async function expectSameAsStock(value: unknown): Promise<void> {
  const [stockType, stockBytes] = await stock.dumpsTyped(value);
  const [fastType, fastBytes] = await fast.dumpsTyped(value);
  expect(fastType).toBe(stockType);
  expect(text(fastBytes)).toBe(text(stockBytes));
  const expected: unknown = await stock.loadsTyped(stockType, stockBytes);
  expect(await fast.loadsTyped(fastType, fastBytes)).toStrictEqual(expected);
  expect(await fast.loadsTyped(stockType, text(stockBytes))).toStrictEqual(expected);
}

/** A spy serialiser: the stock one, keeping every value it is given. */
class Recording extends JsonPlusSerializer {
  readonly values: unknown[] = [];
  override async dumpsTyped(value: unknown): Promise<[string, Uint8Array]> {
    this.values.push(value);
    return super.dumpsTyped(value);
  }
}

const aiWithCalls = () =>
  new AIMessage({
    content: 'Transferring you.',
    name: 'triage',
    id: 'm-1',
    tool_calls: [{ id: 'call_0', name: 'transfer_to_billing', args: { reason: 'charged twice', amount: 12.5, nested: { lc: 1, type: 'constructor' } }, type: 'tool_call' }],
    invalid_tool_calls: [{ id: 'call_1', name: 'lookup', args: '{not json', error: 'bad JSON', type: 'invalid_tool_call' }],
    additional_kwargs: { lc: 1, refusal: null, __lc_escaped__: 'x' },
    response_metadata: { model_name: 'gpt-4o', created: new Date(0), flags: [undefined, null, 1] },
    usage_metadata: { input_tokens: 10, output_tokens: 5, total_tokens: 15 },
  } as never);

describe('the checkpoint serialiser', () => {
  it('writes byte for byte what LangGraph’s own writes, for every kind of message and value', async () => {
    const values: unknown[] = [
      aiWithCalls(),
      new HumanMessage({ content: [{ type: 'text', text: 'hi' }, { type: 'image_url', image_url: { url: 'data:,' } }], id: 'h-1' }),
      new HumanMessage('plain text, no id'),
      new SystemMessage({ content: 'You route.', additional_kwargs: { only: { __lc_escaped__: { lc: 2 } } } }),
      new ToolMessage({ content: 'Transferred.', tool_call_id: 'call_0', name: 'transfer_to_billing', status: 'success', artifact: { kept: true } }),
      new ToolMessage({ content: 'camel', toolCallId: 'call_9' } as never),
      new AIMessageChunk({ content: 'part', id: 'c-1', tool_call_chunks: [{ name: 'x', args: '{"a"', index: 0, id: 'call_2', type: 'tool_call_chunk' }] }),
      new RemoveMessage({ id: 'gone' }),
      { messages: [aiWithCalls(), new HumanMessage('again')], turn: { number: 3, path: ['triage', 'billing'], left: undefined }, list: [undefined, () => 1, Symbol('s'), Number.NaN, Infinity] },
      Object.assign(Object.create(null) as object, { a: 1, b: { c: undefined } }),
      { buffer: Buffer.from('abc'), date: new Date(86_400_000), nothing: null, fn: () => 2 },
      'a string',
      undefined,
      [1, [2, [3, undefined]]],
    ];
    for (const value of values) await expectSameAsStock(value);
  });

  it('leaves to LangGraph’s own what it encodes its own way: sets, maps, bytes, errors, cycles, big integers, class instances', async () => {
    const cycle: Record<string, unknown> = { name: 'loop' };
    cycle.self = cycle;
    class Custom {
      constructor(readonly value = 1) {}
    }
    const values: unknown[] = [
      { seen: new Set(['a', 'b']), map: new Map([['k', new HumanMessage('in a map')]]) },
      { bytes: new Uint8Array([1, 2, 3]) },
      { error: new Error('boom'), pattern: /a+b/gi },
      cycle,
      { custom: new Custom(), message: aiWithCalls() },
    ];
    for (const value of values) await expectSameAsStock(value);
    const date = new Date(0);
    const chained = { toJSON: () => date };
    const throwing = { toJSON: () => { throw new Error('no'); } };
    const fn = Object.assign(() => 1, { toJSON: () => ({ kept: undefined }) });
    values.push({ send: new Send('billing', { reason: 'x' }) }, { shaped: { lg_name: 'Send', node: 'a', args: 1, timeout: undefined } }, { chained }, { throwing }, { fn }, [fn]);
    for (const value of values.slice(-6)) {
      const [, stockBytes] = await stock.dumpsTyped(value);
      expect(text((await fast.dumpsTyped(value))[1])).toBe(text(stockBytes));
    }
    const [, big] = await fast.dumpsTyped({ big: 10n });
    expect(text(big)).toBe(text((await stock.dumpsTyped({ big: 10n }))[1]));
    const deep: unknown[] = [];
    let at = deep;
    for (let depth = 0; depth < 400; depth += 1) at = (at[0] = []);
    await expectSameAsStock(deep);
  });

  it('matches on every value of real turns: handoffs, tool calls, a person awaited and the reply', async () => {
    const recording = new Recording();
    const { graph } = await compileExample('support', { checkpointer: new MemorySaver(recording) });
    const thread = 'serde-real';
    await runTurn(graph, { threadId: thread, message: 'I was charged twice, please refund order 1234' });
    await runTurn(graph, { threadId: thread, message: 'my password reset mail never came' });
    await runTurn(graph, { threadId: thread, message: 'I want to talk to a person' });
    expect(recording.values.length).toBeGreaterThan(20);
    for (const value of recording.values) await expectSameAsStock(value);
  });

  it('serves every saver that uses the stock serialiser: the stores Switchboard opens and a saver passed in', async () => {
    const passedIn = new MemorySaver();
    const { graph } = await compileExample('support', { checkpointer: passedIn });
    expect(passedIn.serde).toBeInstanceOf(FastJsonPlusSerializer);
    const result = await runTurn(graph, { threadId: 'serde-passed-in', message: 'I was charged twice' });
    expect(result.status).toBe('done');
    const state = await graph.getState({ configurable: { thread_id: 'serde-passed-in' } });
    expectEveryCallAnswered(state.values.messages);

    const memory = await openCheckpointer('memory');
    expect((memory.saver as MemorySaver).serde).toBeInstanceOf(FastJsonPlusSerializer);
    await memory.close();
  });

  it('reads back a message whose tool arguments hold an lc-shaped object (the stock one cannot), and never leaves a load running', async () => {
    const rejections: unknown[] = [];
    const onRejection = (reason: unknown) => rejections.push(reason);
    process.on('unhandledRejection', onRejection);
    try {
      const hostile = new AIMessage({ content: '', id: 'm-h', tool_calls: [{ id: 'call_0', name: 'lookup', args: { q: { lc: 1, type: 'constructor', id: ['oops'], kwargs: {} } }, type: 'tool_call' }] });
      const [, bytes] = await fast.dumpsTyped({ messages: [hostile] });
      expect(text(bytes)).toBe(text((await stock.dumpsTyped({ messages: [hostile] }))[1]));
      const loaded = (await fast.loadsTyped('json', bytes)) as { messages: AIMessage[] };
      expect(loaded.messages[0]).toBeInstanceOf(AIMessage);
      expect(loaded.messages[0]!.tool_calls?.[0]?.args).toEqual({ q: { lc: 1, type: 'constructor', id: ['oops'], kwargs: {} } });
      // A nested LangChain object goes to the stock reader: nothing was started before.
      const nested = { lc: 1, type: 'constructor', id: ['langchain_core', 'messages', 'HumanMessage'], kwargs: { content: 'outer', additional_kwargs: { inner: { lc: 1, type: 'constructor', id: ['nope'], kwargs: {} } } } };
      await expect(fast.loadsTyped('json', JSON.stringify(nested))).rejects.toThrow();
      await new Promise((resolve) => setTimeout(resolve, 20));
      expect(rejections).toEqual([]);
    } finally {
      process.off('unhandledRejection', onRejection);
    }
  });

  it('leaves a serialiser of the user’s own alone', () => {
    class Encrypting extends JsonPlusSerializer {}
    const custom = new Encrypting();
    const saver = withFastSerializer(new MemorySaver(custom));
    expect(saver.serde).toBe(custom);
  });
});
