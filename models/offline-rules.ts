/**
 * What the offline model knows about one agent, compiled from the tree's `offline:` hints: when to
 * hand off to each target, when to call a helper or a function tool, and what to answer otherwise.
 *
 * Building the rules of every agent takes time linear in the tree: each agent's hints are compiled
 * once per tree, and a rule refers to the hints of a whole subtree as one span of a list shared by
 * all rules (agents in depth-first order, so a subtree is contiguous) instead of copying them.
 */
import type { Tree } from '../config/schema.js';
import { listEdges, parentsOf, HANDOFF_KINDS } from '../config/edges.js';
import type { Edge, EdgeKind } from '../config/edges.js';
import { compileOfflinePattern, firstMatch } from '../config/offline-pattern.js';
import type { OfflinePattern } from '../config/offline-pattern.js';

/** The words and patterns of one offline hint: an agent's own, or a tool's. */
export interface Matcher {
  /** Lower-cased words or phrases. */
  keywords: readonly string[];
  /** Case-insensitive patterns, matched by RE2 in time linear in the text. */
  patterns: readonly OfflinePattern[];
}

/** The matchers `matchers[start]` to `matchers[end - 1]`. */
export interface MatcherSpan {
  matchers: readonly Matcher[];
  start: number;
  end: number;
}

/** Matchers that count for a rule, each match worth `weight` points. */
export interface MatcherGroup {
  /** Words aimed at the target itself count double those of agents behind it. */
  weight: number;
  spans: readonly MatcherSpan[];
}

const DIRECT = 2;
const INDIRECT = 1;

export interface OfflineRule {
  /** The tool the model calls when the rule wins. */
  tool: string;
  kind: EdgeKind | 'function';
  matchers: MatcherGroup[];
  /** Fixed arguments (function tools) or payload values (handoffs). */
  args: Record<string, unknown>;
}

export interface OfflineRules {
  agent: string;
  description: string;
  /** Words for which the agent answers itself rather than handing off. */
  own: MatcherGroup[];
  reply?: string | undefined;
  rules: OfflineRule[];
}

/** The rules of `agent` in `tree`: one per handoff target, helper and hinted function tool. */
export function buildOfflineRules(tree: Tree, agent: string): OfflineRules {
  const spec = Object.hasOwn(tree.agents, agent) ? tree.agents[agent] : undefined;
  if (!spec) throw new Error(`buildOfflineRules: no agent "${agent}"`);
  const index = indexOf(tree);
  const rules: OfflineRule[] = [];
  for (const edge of index.edgesFrom.get(agent) ?? []) {
    if (edge.tool === undefined) continue;
    if (HANDOFF_KINDS.has(edge.kind)) {
      rules.push({
        tool: edge.tool,
        kind: edge.kind,
        matchers: handoffMatchers(index, edge),
        args: { ...(tree.agents[edge.to]?.offline?.payload ?? {}) },
      });
    } else if (edge.kind === 'helper') {
      rules.push({ tool: edge.tool, kind: 'helper', matchers: [listed(index, [edge.to], DIRECT)], args: {} });
    }
  }
  for (const [tool, hint] of Object.entries(spec.offline?.tools ?? {})) {
    const matchers = [{ weight: DIRECT, spans: [whole([toMatcher(hint.keywords, hint.patterns)])] }];
    const existing = rules.find((rule) => rule.tool === tool);
    if (existing) {
      existing.matchers = matchers;
      existing.args = hint.args ?? {};
    } else {
      rules.push({ tool, kind: 'function', matchers, args: hint.args ?? {} });
    }
  }
  return { agent, description: spec.description, own: [listed(index, [agent], DIRECT)], reply: spec.offline?.reply, rules };
}

/**
 * Direct: the target and its team (for a hand-back, the parent's team without the agent's own; for
 * an escalation, the target and whoever it escalates to). Indirect, at half weight: whoever the direct
 * agents escalate to (a path to a person), outside the direct ones.
 */
function handoffMatchers(index: TreeIndex, edge: Edge): MatcherGroup[] {
  if (edge.kind === 'handback')
    return [
      { weight: DIRECT, spans: without(index, edge.to, edge.from) },
      { weight: INDIRECT, spans: [] },
    ];
  if (edge.kind === 'escalate') return [listed(index, escalationChain(index, edge.to), DIRECT), { weight: INDIRECT, spans: [] }];
  const indirect = escalationsOutOf(index, edge.to).filter((name) => name !== edge.from);
  return [{ weight: DIRECT, spans: without(index, edge.to, undefined) }, listed(index, indirect, INDIRECT)];
}

interface TreeIndex {
  tree: Tree;
  edgesFrom: Map<string, Edge[]>;
  children: Map<string, string[]>;
  /** Every agent, depth first along children: the agents below one form a contiguous run. */
  order: string[];
  /** The matcher of each agent of `order`, at the same position. */
  matchers: Matcher[];
  /** Where each agent is in `order`, and where the run of the agents below it ends. */
  start: Map<string, number>;
  end: Map<string, number>;
  chains: Map<string, string[]>;
  /** Per position of `order`: the escalation targets of the agents from there down that lie outside them. Filled on first use. */
  leaving?: (readonly string[])[];
}

/** Each tree's order, matchers and edges, computed once for all its agents (rules are built per agent). */
const indexes = new WeakMap<Tree, TreeIndex>();

function indexOf(tree: Tree): TreeIndex {
  const cached = indexes.get(tree);
  if (cached) return cached;
  const children = new Map<string, string[]>();
  const parents = parentsOf(tree);
  for (const [child, parent] of parents) {
    const list = children.get(parent);
    if (list) list.push(child);
    else children.set(parent, [child]);
  }
  const edgesFrom = new Map<string, Edge[]>();
  for (const edge of listEdges(tree)) {
    const list = edgesFrom.get(edge.from);
    if (list) list.push(edge);
    else edgesFrom.set(edge.from, [edge]);
  }
  const index: TreeIndex = { tree, edgesFrom, children, order: [], matchers: [], start: new Map(), end: new Map(), chains: new Map() };
  // Agents without a parent first; then any left in a loop of parents (lint refuses those trees).
  const names = Object.keys(tree.agents);
  for (const name of [...names.filter((name) => !parents.has(name)), ...names]) visit(index, name);
  indexes.set(tree, index);
  return index;
}

/** Appends `root` and the agents below it to the order, depth first, without recursion (a chain can be thousands deep). */
function visit(index: TreeIndex, root: string): void {
  if (index.start.has(root)) return;
  const stack: { name: string; next: number }[] = [];
  const enter = (name: string) => {
    index.start.set(name, index.order.length);
    index.order.push(name);
    const offline = Object.hasOwn(index.tree.agents, name) ? index.tree.agents[name]?.offline : undefined;
    index.matchers.push(toMatcher(offline?.keywords, offline?.patterns));
    stack.push({ name, next: 0 });
  };
  enter(root);
  while (stack.length > 0) {
    const top = stack[stack.length - 1] as { name: string; next: number };
    const child = index.children.get(top.name)?.[top.next];
    top.next += 1;
    if (child === undefined) {
      index.end.set(top.name, index.order.length);
      stack.pop();
    } else if (!index.start.has(child)) {
      enter(child);
    }
  }
}

/** The agents from `name` down, without those from `excluded` down: at most two spans. */
function without(index: TreeIndex, name: string, excluded: string | undefined): MatcherSpan[] {
  const start = index.start.get(name);
  const end = index.end.get(name);
  if (start === undefined || end === undefined) return [];
  const cutStart = excluded === undefined ? undefined : index.start.get(excluded);
  const cutEnd = excluded === undefined ? undefined : index.end.get(excluded);
  const span = (from: number, to: number) => ({ matchers: index.matchers, start: from, end: to });
  if (cutStart === undefined || cutEnd === undefined || cutEnd <= start || cutStart >= end) return [span(start, end)];
  return [span(start, Math.max(start, cutStart)), span(Math.min(end, cutEnd), end)].filter((part) => part.end > part.start);
}

/** The matchers of `names`, each once. */
function listed(index: TreeIndex, names: readonly string[], weight: number): MatcherGroup {
  const matchers: Matcher[] = [];
  for (const name of names) {
    const position = index.start.get(name);
    if (position !== undefined) matchers.push(index.matchers[position] as Matcher);
  }
  return { weight, spans: matchers.length > 0 ? [whole(matchers)] : [] };
}

function whole(matchers: readonly Matcher[]): MatcherSpan {
  return { matchers, start: 0, end: matchers.length };
}

/** `name` and every agent it escalates to, directly or further up the chain (breadth first). */
function escalationChain(index: TreeIndex, name: string): string[] {
  let chain = index.chains.get(name);
  if (!chain) {
    chain = [name];
    const seen = new Set(chain);
    for (let position = 0; position < chain.length; position += 1) {
      for (const target of agentEscalations(index, chain[position] as string)) {
        if (seen.has(target)) continue;
        seen.add(target);
        chain.push(target);
      }
    }
    index.chains.set(name, chain);
  }
  return chain;
}

function agentEscalations(index: TreeIndex, name: string): readonly string[] {
  return (Object.hasOwn(index.tree.agents, name) ? index.tree.agents[name]?.escalate : undefined) ?? [];
}

/**
 * The agents that the agents from `name` down escalate to, directly or further on, outside them.
 * Only the escalations that leave the subtree are followed (collected once for the whole tree,
 * bottom-up), so the cost grows with the escalation targets, not with the size of every subtree.
 */
function escalationsOutOf(index: TreeIndex, name: string): string[] {
  const position = index.start.get(name);
  if (position === undefined) return [];
  const end = index.end.get(name) ?? position;
  const inside = (agent: string) => {
    const at = index.start.get(agent);
    return at !== undefined && at >= position && at < end;
  };
  const result: string[] = [];
  const seen = new Set<string>();
  for (const target of leavingOf(index)[position] ?? []) {
    for (const agent of escalationChain(index, target)) {
      if (seen.has(agent)) continue;
      seen.add(agent);
      if (!inside(agent)) result.push(agent);
    }
  }
  return result;
}

/** For every agent, the escalation targets of its subtree that lie outside it: children before parents, from the end of the order. */
function leavingOf(index: TreeIndex): (readonly string[])[] {
  if (index.leaving) return index.leaving;
  const leaving: (readonly string[])[] = new Array<readonly string[]>(index.order.length);
  for (let position = index.order.length - 1; position >= 0; position -= 1) {
    const name = index.order[position] as string;
    const end = index.end.get(name) ?? position + 1;
    const found = new Set<string>();
    const add = (target: string) => {
      const at = index.start.get(target);
      if (at === undefined || at < position || at >= end) found.add(target);
    };
    for (const target of agentEscalations(index, name)) add(target);
    for (const child of index.children.get(name) ?? []) {
      const at = index.start.get(child);
      // Only the children visited below this agent: their runs lie inside its own.
      if (at !== undefined && at > position && at < end) for (const target of leaving[at] ?? []) add(target);
    }
    leaving[position] = found.size > 0 ? [...found] : NONE;
  }
  index.leaving = leaving;
  return leaving;
}

const NONE: readonly string[] = [];

function toMatcher(keywords: readonly string[] | undefined, patterns: readonly string[] | undefined): Matcher {
  return {
    keywords: (keywords ?? []).map((keyword) => keyword.toLowerCase()),
    patterns: (patterns ?? []).map(compileOfflinePattern),
  };
}

/**
 * How strongly `text` matches: per group, one point per keyword or pattern found plus a point per
 * extra word of a phrase, times the group's weight.
 */
export function score(groups: readonly MatcherGroup[], text: string): { score: number; matched: string[] } {
  const lower = text.toLowerCase();
  const matched: string[] = [];
  let total = 0;
  for (const group of groups) {
    for (const span of group.spans) {
      for (let position = span.start; position < span.end; position += 1) {
        const matcher = span.matchers[position] as Matcher;
        for (const keyword of matcher.keywords) {
          if (containsWord(lower, keyword)) {
            matched.push(keyword);
            total += keyword.split(/\s+/).length * group.weight;
          }
        }
        for (const pattern of matcher.patterns) {
          const found = firstMatch(pattern, text);
          if (found !== undefined) {
            matched.push(found);
            total += group.weight;
          }
        }
      }
    }
  }
  return { score: total, matched: [...new Set(matched)] };
}

function containsWord(text: string, keyword: string): boolean {
  let from = 0;
  for (;;) {
    const index = text.indexOf(keyword, from);
    if (index < 0) return false;
    const before = text[index - 1];
    const rest = text.slice(index + keyword.length);
    const suffix = /^(s|es|ed|ing|d)?/.exec(rest)?.[0] ?? '';
    if (!isWordChar(before) && (!isWordChar(rest[0]) || !isWordChar(rest[suffix.length]))) return true;
    from = index + 1;
  }
}

function isWordChar(char: string | undefined): boolean {
  return char !== undefined && /[\p{L}\p{N}_]/u.test(char);
}
