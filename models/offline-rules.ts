/**
 * What the offline model knows about one agent, compiled from the tree's `offline:` hints: when to
 * hand off to each target, when to call a helper or a function tool, and what to answer otherwise.
 */
import type { Tree } from '../config/schema.js';
import { listEdges, parentsOf, HANDOFF_KINDS } from '../config/edges.js';
import type { Edge, EdgeKind } from '../config/edges.js';

export interface Matcher {
  keywords: string[];
  patterns: RegExp[];
  /** Points a match is worth: words aimed at the target itself count double those of agents behind it. */
  weight: number;
}

const DIRECT = 2;
const INDIRECT = 1;

export interface OfflineRule {
  /** The tool the model calls when the rule wins. */
  tool: string;
  kind: EdgeKind | 'function';
  matchers: Matcher[];
  /** Fixed arguments (function tools) or payload values (handoffs). */
  args: Record<string, unknown>;
}

export interface OfflineRules {
  agent: string;
  description: string;
  /** Words for which the agent answers itself rather than handing off. */
  own: Matcher[];
  reply?: string | undefined;
  rules: OfflineRule[];
}

/** The rules of `agent` in `tree`: one per handoff target, helper and hinted function tool. */
export function buildOfflineRules(tree: Tree, agent: string): OfflineRules {
  const spec = tree.agents[agent];
  if (!spec) throw new Error(`buildOfflineRules: no agent "${agent}"`);
  const { children, edgesFrom } = indexOf(tree);
  const rules: OfflineRule[] = [];
  for (const edge of edgesFrom.get(agent) ?? []) {
    if (edge.tool === undefined) continue;
    if (HANDOFF_KINDS.has(edge.kind)) {
      // Direct: the target and its team. Indirect: whoever they escalate to (a path to a person), at half weight.
      const mine = edge.kind === 'handback' ? new Set(subtree(children, agent)) : undefined;
      const direct =
        edge.kind === 'handback'
          ? subtree(children, edge.to).filter((name) => !mine?.has(name))
          : edge.kind === 'escalate'
            ? escalationChain(tree, edge.to)
            : subtree(children, edge.to);
      const inDirect = new Set(direct);
      const indirect = [...new Set(direct.flatMap((name) => escalationChain(tree, name)))].filter((name) => !inDirect.has(name) && name !== agent);
      rules.push({
        tool: edge.tool,
        kind: edge.kind,
        matchers: [mergeMatchers(tree, direct, DIRECT), mergeMatchers(tree, edge.kind === 'handback' ? [] : indirect, INDIRECT)],
        args: { ...(tree.agents[edge.to]?.offline?.payload ?? {}) },
      });
    } else if (edge.kind === 'helper') {
      rules.push({ tool: edge.tool, kind: 'helper', matchers: [mergeMatchers(tree, [edge.to], DIRECT)], args: {} });
    }
  }
  for (const [tool, hint] of Object.entries(spec.offline?.tools ?? {})) {
    if (rules.some((rule) => rule.tool === tool)) {
      const helperRule = rules.find((rule) => rule.tool === tool) as OfflineRule;
      helperRule.matchers = [toMatcher(hint.keywords, hint.patterns, DIRECT)];
      helperRule.args = hint.args ?? {};
      continue;
    }
    rules.push({ tool, kind: 'function', matchers: [toMatcher(hint.keywords, hint.patterns, DIRECT)], args: hint.args ?? {} });
  }
  return {
    agent,
    description: spec.description,
    own: [toMatcher(spec.offline?.keywords, spec.offline?.patterns, DIRECT)],
    reply: spec.offline?.reply,
    rules,
  };
}

interface TreeIndex {
  children: Map<string, string[]>;
  edgesFrom: Map<string, Edge[]>;
}

/** Each tree's children and edges, computed once for all its agents (rules are built per agent). */
const indexes = new WeakMap<Tree, TreeIndex>();

function indexOf(tree: Tree): TreeIndex {
  let index = indexes.get(tree);
  if (!index) {
    const children = new Map<string, string[]>();
    for (const [child, parent] of parentsOf(tree)) children.set(parent, [...(children.get(parent) ?? []), child]);
    const edgesFrom = new Map<string, Edge[]>();
    for (const edge of listEdges(tree)) edgesFrom.set(edge.from, [...(edgesFrom.get(edge.from) ?? []), edge]);
    indexes.set(tree, (index = { children, edgesFrom }));
  }
  return index;
}

/** `name` and every agent below it, breadth first. */
function subtree(children: Map<string, string[]>, name: string): string[] {
  const seen = new Set<string>([name]);
  const result = [name];
  for (let index = 0; index < result.length; index += 1) {
    for (const child of children.get(result[index] as string) ?? []) {
      if (seen.has(child)) continue;
      seen.add(child);
      result.push(child);
    }
  }
  return result;
}

/** `name` and every agent it escalates to, directly or further up the chain. */
function escalationChain(tree: Tree, name: string): string[] {
  const chain: string[] = [];
  const queue = [name];
  while (queue.length > 0) {
    const current = queue.shift() as string;
    if (chain.includes(current)) continue;
    chain.push(current);
    queue.push(...(tree.agents[current]?.escalate ?? []));
  }
  return chain;
}

function mergeMatchers(tree: Tree, agents: string[], weight: number): Matcher {
  const merged: Matcher = { keywords: [], patterns: [], weight };
  for (const name of agents) {
    const offline = tree.agents[name]?.offline;
    const matcher = toMatcher(offline?.keywords, offline?.patterns, weight);
    merged.keywords.push(...matcher.keywords);
    merged.patterns.push(...matcher.patterns);
  }
  return merged;
}

function toMatcher(keywords: string[] | undefined, patterns: string[] | undefined, weight: number): Matcher {
  return {
    keywords: (keywords ?? []).map((keyword) => keyword.toLowerCase()),
    patterns: (patterns ?? []).map((pattern) => new RegExp(pattern, 'i')),
    weight,
  };
}

/**
 * How strongly `text` matches: per matcher, one point per keyword or pattern found plus a point per
 * extra word of a phrase, times the matcher's weight.
 */
export function score(matchers: readonly Matcher[], text: string): { score: number; matched: string[] } {
  const lower = text.toLowerCase();
  const matched: string[] = [];
  let total = 0;
  for (const matcher of matchers) {
    for (const keyword of matcher.keywords) {
      if (containsWord(lower, keyword)) {
        matched.push(keyword);
        total += keyword.split(/\s+/).length * matcher.weight;
      }
    }
    for (const pattern of matcher.patterns) {
      const found = pattern.exec(text);
      if (found) {
        matched.push(found[0]);
        total += matcher.weight;
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
