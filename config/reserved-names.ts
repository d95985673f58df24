/**
 * Names an agent may not take, compared case-insensitively: LangGraph's own nodes, words that break
 * Mermaid flowcharts (even LangGraph's own `drawMermaid()`), and JavaScript prototype keys.
 */
export const RESERVED_NAMES: ReadonlySet<string> = new Set([
  '__start__',
  '__end__',
  'start',
  'end',
  'graph',
  'subgraph',
  'style',
  'class',
  'classdef',
  'linkstyle',
  'flowchart',
  'call',
  'href',
  'click',
  'direction',
  'default',
  'constructor',
  'prototype',
  '__proto__',
]);

/**
 * The channels of the shared state (state/schema.ts, `createStateSchema`): LangGraph refuses a node
 * named like one. Written out here because the tree format sits below the state in the layers; a
 * test keeps the two lists equal.
 */
export const STATE_CHANNELS: readonly string[] = ['messages', 'activeAgent', 'handoffs', 'turn', 'fields', 'usage', 'tree'];

const CHANNELS = new Map(STATE_CHANNELS.map((channel) => [channel.toLowerCase(), channel]));
const PROTOTYPE_MEMBERS = new Map(Object.getOwnPropertyNames(Object.prototype).map((member) => [member.toLowerCase(), member]));

/**
 * What `name` collides with, compared case-insensitively like {@link RESERVED_NAMES}: a channel of the
 * shared state (`turn`), or a member every JavaScript object inherits (`toString`, `valueOf` …), which
 * careless lookups find on any object. Undefined when it collides with nothing.
 */
export function nameCollision(name: string, options: { channels: boolean } = { channels: true }): string | undefined {
  const lower = name.toLowerCase();
  const channel = options.channels ? CHANNELS.get(lower) : undefined;
  if (channel !== undefined) return `the shared state's channel "${channel}"`;
  const member = PROTOTYPE_MEMBERS.get(lower);
  return member === undefined ? undefined : `Object.prototype.${member}, which every JavaScript object inherits`;
}
