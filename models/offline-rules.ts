/**
 * What the offline model knows about one agent, compiled from the tree's `offline:` hints: when to
 * hand off to each target, when to call a helper or a function tool, and what to answer otherwise.
 */
import type { Tree } from '../config/schema.js';
import { listEdges, parentsOf, HANDOFF_KINDS } from '../graphs/edges.js';
import type { EdgeKind } from '../graphs/edges.js';

export interface Matcher {
  keywords: string[];
  patterns: RegExp[];
}

export interface OfflineRule {
  /** The tool the model calls when the rule wins. */
  tool: string;
  kind: EdgeKind | 'function';
  matcher: Matcher;
  /** Fixed arguments (function tools) or payload values (handoffs). */
  args: Record<string, unknown>;
}

export interface OfflineRules {
  agent: string;
  description: string;
  /** Words for which the agent answers itself rather than handing off. */
  own: Matcher;
  reply?: string | undefined;
  rules: OfflineRule[];
}

/** The rules of `agent` in `tree`: one per handoff target, helper and hinted function tool. */
export function buildOfflineRules(tree: Tree, agent: string): OfflineRules {
  const spec = tree.agents[agent];
  if (!spec) throw new Error(`buildOfflineRules: no agent "${agent}"`);
  const children = childrenMap(tree);
  const rules: OfflineRule[] = [];
  for (const edge of listEdges(tree)) {
    if (edge.from !== agent || edge.tool === undefined) continue;
    if (HANDOFF_KINDS.has(edge.kind)) {
      const covered =
        edge.kind === 'handback'
          ? subtree(children, edge.to).filter((name) => !subtree(children, agent).includes(name))
          : edge.kind === 'escalate'
            ? escalationChain(tree, edge.to)
            : subtree(children, edge.to);
      rules.push({ tool: edge.tool, kind: edge.kind, matcher: mergeMatchers(tree, covered), args: { ...(tree.agents[edge.to]?.offline?.payload ?? {}) } });
    } else if (edge.kind === 'helper') {
      rules.push({ tool: edge.tool, kind: 'helper', matcher: mergeMatchers(tree, [edge.to]), args: {} });
    }
  }
  for (const [tool, hint] of Object.entries(spec.offline?.tools ?? {})) {
    if (rules.some((rule) => rule.tool === tool)) {
      const helperRule = rules.find((rule) => rule.tool === tool) as OfflineRule;
      helperRule.matcher = toMatcher(hint.keywords, hint.patterns);
      helperRule.args = hint.args ?? {};
      continue;
    }
    rules.push({ tool, kind: 'function', matcher: toMatcher(hint.keywords, hint.patterns), args: hint.args ?? {} });
  }
  return {
    agent,
    description: spec.description,
    own: toMatcher(spec.offline?.keywords, spec.offline?.patterns),
    reply: spec.offline?.reply,
    rules,
  };
}

function childrenMap(tree: Tree): Map<string, string[]> {
  const map = new Map<string, string[]>();
  for (const [child, parent] of parentsOf(tree)) map.set(parent, [...(map.get(parent) ?? []), child]);
  return map;
}

/** `name` and every agent below it. */
function subtree(children: Map<string, string[]>, name: string): string[] {
  const result: string[] = [];
  const queue = [name];
  while (queue.length > 0) {
    const current = queue.shift() as string;
    if (result.includes(current)) continue;
    result.push(current);
    queue.push(...(children.get(current) ?? []));
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

function mergeMatchers(tree: Tree, agents: string[]): Matcher {
  const merged: Matcher = { keywords: [], patterns: [] };
  for (const name of agents) {
    const offline = tree.agents[name]?.offline;
    const matcher = toMatcher(offline?.keywords, offline?.patterns);
    merged.keywords.push(...matcher.keywords);
    merged.patterns.push(...matcher.patterns);
  }
  return merged;
}

function toMatcher(keywords: string[] | undefined, patterns: string[] | undefined): Matcher {
  return {
    keywords: (keywords ?? []).map((keyword) => keyword.toLowerCase()),
    patterns: (patterns ?? []).map((pattern) => new RegExp(pattern, 'i')),
  };
}

/** How strongly `text` matches: one point per keyword or pattern found, plus a point per extra word of a phrase. */
export function score(matcher: Matcher, text: string): { score: number; matched: string[] } {
  const lower = text.toLowerCase();
  const matched: string[] = [];
  let total = 0;
  for (const keyword of matcher.keywords) {
    if (containsWord(lower, keyword)) {
      matched.push(keyword);
      total += keyword.split(/\s+/).length;
    }
  }
  for (const pattern of matcher.patterns) {
    const found = pattern.exec(text);
    if (found) {
      matched.push(found[0]);
      total += 1;
    }
  }
  return { score: total, matched };
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
