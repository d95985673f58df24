/**
 * Names an agent may not take, compared case-insensitively: LangGraph's own nodes, words that break
 * Mermaid flowcharts (even LangGraph's own `drawMermaid()`), and JavaScript prototype keys. Names
 * built on Mermaid's keywords break it too: see {@link reservedNameProblem}, which every check uses.
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
  'interpolate',
  'swimlane-beta',
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
 * Words Mermaid's flowchart lexer reads as keywords wherever they end at a "-" (its `\b`), lowercase.
 * LangGraph's own `drawMermaid()` writes agent names as node ids as they are, so `end-user` is read
 * as the keyword `end` and the drawing fails to parse (`default-x`, `click-x` parse: those keywords
 * need a space after them).
 */
const MERMAID_KEYWORDS: readonly string[] = ['style', 'linkstyle', 'interpolate', 'classdef', 'class', 'graph', 'flowchart', 'subgraph', 'end', 'swimlane-beta'];

/**
 * What makes `name` unusable as an agent's name, as the end of a sentence starting with the quoted
 * name (`is a reserved name (…)`), or undefined when nothing does. Compared case-insensitively, like
 * {@link RESERVED_NAMES}: one of those names; a name starting with a Mermaid keyword and "-"; or a name
 * holding "--", which Mermaid reads as an arrow (`a--b` fails to parse, `a---b` draws an edge a → b).
 */
export function reservedNameProblem(name: string): string | undefined {
  const lower = name.toLowerCase();
  if (RESERVED_NAMES.has(lower)) return 'is a reserved name (it breaks LangGraph or Mermaid)';
  const keyword = MERMAID_KEYWORDS.find((word) => lower.startsWith(`${word}-`));
  if (keyword !== undefined) return `starts with "${name.slice(0, keyword.length + 1)}", which Mermaid reads as its keyword ${keyword}: it breaks Mermaid drawings, even LangGraph's own drawMermaid()`;
  if (lower.includes('--')) return `holds "--", which Mermaid reads as an arrow: it breaks Mermaid drawings, even LangGraph's own drawMermaid()`;
  return undefined;
}

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
