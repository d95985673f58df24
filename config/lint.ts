/**
 * The rules JSON Schema cannot say: references exist, the tree is a tree, every agent has a way to
 * a person, names are safe for LangGraph and Mermaid. They run after the schema, on every part of the
 * tree that passed it, so one run reports every problem.
 */
import type { Agent, Field, PayloadField, Tree } from './schema.js';
import { didYouMean } from './suggest.js';
import { RESERVED_NAMES } from './reserved-names.js';
import type { IssueInput } from './source.js';
import { fallbacksOf, HANDOFF_KINDS, handoffToolName, helperToolName, listEdges, parentsOf } from '../graphs/edges.js';
import type { Edge } from '../graphs/edges.js';

/** The built-in model names an agent may use without declaring them under `models:`. */
export const BUILTIN_MODELS: readonly string[] = ['offline'];
/** Beyond this many handoff targets, routing accuracy drops (the seeds' guideline). */
export const MAX_HANDOFF_TARGETS = 5;

export interface LintContext {
  /** Every agent name in the file, including agents that failed the schema (to avoid echo errors). */
  knownAgents: ReadonlySet<string>;
  /** Function tools the code registers; without it, tool names are not checked. */
  tools?: ReadonlySet<string> | undefined;
  /** Models the code supplies by name, besides the tree's own `models:`. */
  models?: ReadonlySet<string> | undefined;
  /** False when some agents failed the schema: rules that need every agent (reachability, dead ends) are skipped. */
  complete?: boolean | undefined;
}

type Report = (issue: IssueInput) => void;

/** Checks a schema-valid (possibly partial) tree and reports every problem through `report`. */
export function lintTree(tree: Tree, context: LintContext, report: Report): void {
  const agents = Object.entries(tree.agents);
  const known = [...context.knownAgents];
  const edges = listEdges(tree);

  checkNames(agents, report);
  checkReference(tree.root, ['root'], known, report);
  if (tree.escalation !== undefined) checkReference(tree.escalation, ['escalation'], known, report);
  const rootAgent = tree.agents[tree.root];
  if (rootAgent && rootAgent.kind !== 'agent') {
    report({ code: 'WRONG_AGENT_KIND', message: `The root "${tree.root}" is a ${rootAgent.kind}; the root must be an agent (kind: agent).`, hint: 'Point root at the triage agent.', path: ['root'] });
  }

  for (const [name, agent] of agents) {
    checkAgentReferences(tree, name, agent, known, report);
    checkKinds(tree, name, agent, report);
    checkModels(tree, name, agent, context, report);
    checkTools(name, agent, context, report);
    checkPayload(tree, name, agent, report);
    checkOffline(tree, name, agent, report);
  }
  checkStateDefaults(tree, report);
  checkParents(tree, report);
  checkSideways(tree, report);
  checkToolNameCollisions(tree, edges, report);
  if (context.complete !== false) {
    checkReachable(tree, edges, report);
    checkDeadEnds(tree, edges, report);
  }
  checkTargetCount(tree, edges, report);
}

function checkNames(agents: [string, Agent][], report: Report): void {
  for (const [name] of agents) {
    if (RESERVED_NAMES.has(name.toLowerCase())) {
      report({ code: 'RESERVED_NAME', message: `"${name}" is a reserved name (it breaks LangGraph or Mermaid).`, hint: `Rename it, e.g. "${name}_desk".`, path: ['agents', name], at: 'key' });
    }
  }
}

function checkReference(name: string, path: (string | number)[], known: string[], report: Report): boolean {
  if (known.includes(name)) return true;
  report({
    code: 'UNKNOWN_AGENT',
    message: `"${name}" is not an agent.`,
    hint: `${didYouMean(name, known)}Agents: ${known.join(', ') || '(none)'}.`,
    path,
  });
  return false;
}

const REFERENCE_LISTS = ['children', 'sideways', 'escalate', 'helpers'] as const;

function checkAgentReferences(tree: Tree, name: string, agent: Agent, known: string[], report: Report): void {
  for (const list of REFERENCE_LISTS) {
    const seen = new Set<string>();
    for (const [index, target] of (agent[list] ?? []).entries()) {
      const path = ['agents', name, list, index];
      if (target === name) {
        report({ code: 'SELF_REFERENCE', message: `"${name}" lists itself in ${list}.`, hint: 'Remove it from the list.', path });
      } else if (seen.has(target)) {
        report({ code: 'DUPLICATE_AGENT', message: `"${target}" is listed twice in agents.${name}.${list}.`, hint: 'Remove one of them.', path });
      } else {
        checkReference(target, path, known, report);
      }
      seen.add(target);
    }
  }
  const fallbackPath = Array.isArray(agent.fallback) ? (index: number) => ['agents', name, 'fallback', index] : () => ['agents', name, 'fallback'];
  for (const [index, target] of fallbacksOf(agent).entries()) {
    if (target === name) report({ code: 'SELF_REFERENCE', message: `"${name}" is its own fallback.`, hint: 'Name another agent.', path: fallbackPath(index) });
    else checkReference(target, fallbackPath(index), known, report);
  }
  void tree;
}

function checkKinds(tree: Tree, name: string, agent: Agent, report: Report): void {
  const kindOf = (target: string) => tree.agents[target]?.kind;
  if (agent.kind !== 'human' && agent.prompt === undefined) {
    report({ code: 'MISSING_PROMPT', message: `The ${agent.kind} "${name}" has no prompt.`, hint: 'Add prompt: with its instructions.', path: ['agents', name] });
  }
  if (agent.kind === 'human') {
    for (const key of ['model', 'tools', 'helpers', 'prompt'] as const) {
      if (agent[key] !== undefined) report({ code: 'WRONG_AGENT_KIND', message: `"${name}" is a human; ${key} has no meaning for a person.`, hint: `Remove ${key}, or make it kind: agent.`, path: ['agents', name, key], at: 'key' });
    }
  }
  if (agent.kind === 'helper') {
    for (const key of ['children', 'sideways', 'escalate', 'fallback', 'helpers'] as const) {
      if (agent[key] !== undefined) report({ code: 'WRONG_AGENT_KIND', message: `"${name}" is a helper (called as a tool); it cannot hand off, so ${key} has no meaning.`, hint: `Remove ${key}, or make it kind: agent.`, path: ['agents', name, key], at: 'key' });
    }
  }
  for (const [index, helper] of (agent.helpers ?? []).entries()) {
    const kind = kindOf(helper);
    if (kind !== undefined && kind !== 'helper') {
      report({ code: 'WRONG_AGENT_KIND', message: `"${helper}" is listed in agents.${name}.helpers but is a ${kind}.`, hint: `Give "${helper}" kind: helper, or hand off to it instead.`, path: ['agents', name, 'helpers', index] });
    }
  }
  for (const list of ['children', 'sideways', 'escalate'] as const) {
    for (const [index, target] of (agent[list] ?? []).entries()) {
      if (kindOf(target) === 'helper') {
        report({ code: 'WRONG_AGENT_KIND', message: `"${target}" is a helper; it cannot take over a conversation (agents.${name}.${list}).`, hint: `List it under helpers: instead, or give it kind: agent.`, path: ['agents', name, list, index] });
      }
    }
  }
  for (const [index, target] of fallbacksOf(agent).entries()) {
    const kind = kindOf(target);
    if (kind === 'helper') {
      const path = Array.isArray(agent.fallback) ? ['agents', name, 'fallback', index] : ['agents', name, 'fallback'];
      report({ code: 'WRONG_AGENT_KIND', message: `"${target}" is a helper; it cannot take over as a fallback.`, hint: 'Name an agent or a human.', path });
    }
  }
  if (tree.escalation !== undefined && kindOf(tree.escalation) === 'helper') {
    report({ code: 'WRONG_AGENT_KIND', message: `"${tree.escalation}" is a helper; it cannot take escalations.`, hint: 'Name an agent or a human.', path: ['escalation'] });
  }
}

function modelNames(agentModel: Agent['model']): string[] {
  return agentModel === undefined ? [] : Array.isArray(agentModel) ? agentModel : [agentModel];
}

function checkModels(tree: Tree, name: string, agent: Agent, context: LintContext, report: Report): void {
  const declared = [...Object.keys(tree.models ?? {}), ...BUILTIN_MODELS, ...(context.models ?? [])];
  const check = (model: string, path: (string | number)[]) => {
    if (!declared.includes(model)) {
      report({ code: 'UNKNOWN_MODEL', message: `"${model}" is not a model of this tree.`, hint: `${didYouMean(model, declared)}Declare it under models:, or use one of: ${declared.join(', ')}.`, path });
    }
  };
  const list = Array.isArray(agent.model);
  for (const [index, model] of modelNames(agent.model).entries()) check(model, list ? ['agents', name, 'model', index] : ['agents', name, 'model']);
  if (name === Object.keys(tree.agents)[0]) {
    const defaults = tree.defaults?.model;
    const defaultList = Array.isArray(defaults);
    for (const [index, model] of modelNames(defaults).entries()) check(model, defaultList ? ['defaults', 'model', index] : ['defaults', 'model']);
  }
}

function checkTools(name: string, agent: Agent, context: LintContext, report: Report): void {
  if (!context.tools) return;
  const known = [...context.tools];
  for (const [index, tool] of (agent.tools ?? []).entries()) {
    if (!context.tools.has(tool)) {
      report({ code: 'UNKNOWN_TOOL', message: `"${tool}" is not a registered tool.`, hint: `${didYouMean(tool, known)}Registered tools: ${known.join(', ') || '(none)'}.`, path: ['agents', name, 'tools', index] });
    }
  }
}

function checkPayload(tree: Tree, name: string, agent: Agent, report: Report): void {
  for (const [field, spec] of Object.entries(agent.handoff?.payload ?? {})) {
    const path = ['agents', name, 'handoff', 'payload', field];
    checkFieldDefault(spec, path, report);
    if (spec.sets === undefined) continue;
    const target = tree.state?.[spec.sets];
    const stateFields = Object.keys(tree.state ?? {});
    if (!target) {
      report({ code: 'UNKNOWN_STATE_FIELD', message: `"${spec.sets}" is not a state field.`, hint: `${didYouMean(spec.sets, stateFields)}Declare it under state:${stateFields.length ? ` (fields: ${stateFields.join(', ')})` : ''}.`, path: [...path, 'sets'] });
    } else if (!fits(spec, target)) {
      report({ code: 'SETS_TYPE_MISMATCH', message: `Payload field "${field}" (${describeType(spec)}) cannot be stored in state field "${spec.sets}" (${describeType(target)}).`, hint: 'Give both the same type (and, for enums, values the state field allows).', path: [...path, 'sets'] });
    }
  }
}

function fits(value: PayloadField, field: Field): boolean {
  if (value.type === 'enum' && field.type === 'enum') return value.values.every((entry) => field.values.includes(entry));
  if (value.type === 'enum' && field.type === 'string') return true;
  return value.type === field.type && field.type !== 'enum';
}

function describeType(field: Field | PayloadField): string {
  return field.type === 'enum' ? `enum ${field.values.join('|')}` : field.type;
}

function checkFieldDefault(field: Field | PayloadField, path: (string | number)[], report: Report): void {
  if (field.type === 'enum' && field.default !== undefined && !field.values.includes(field.default)) {
    report({ code: 'INVALID_DEFAULT', message: `The default "${field.default}" is not one of ${field.values.join(', ')}.`, hint: `${didYouMean(field.default, field.values)}Use one of the values.`, path: [...path, 'default'] });
  }
  if (field.type === 'number' && field.default !== undefined) {
    if ((field.min !== undefined && field.default < field.min) || (field.max !== undefined && field.default > field.max)) {
      report({ code: 'INVALID_DEFAULT', message: `The default ${field.default} is outside ${field.min ?? '-∞'}..${field.max ?? '∞'}.`, hint: 'Pick a default inside min and max.', path: [...path, 'default'] });
    }
  }
}

function checkStateDefaults(tree: Tree, report: Report): void {
  for (const [field, spec] of Object.entries(tree.state ?? {})) checkFieldDefault(spec, ['state', field], report);
}

function checkOffline(tree: Tree, name: string, agent: Agent, report: Report): void {
  const offline = agent.offline;
  if (!offline) return;
  const checkPatterns = (patterns: string[] | undefined, path: (string | number)[]) => {
    for (const [index, pattern] of (patterns ?? []).entries()) {
      try {
        new RegExp(pattern, 'i');
      } catch (error) {
        report({ code: 'INVALID_PATTERN', message: `"${pattern}" is not a valid regular expression (${(error as Error).message}).`, hint: 'Escape special characters such as ( [ + ? with a backslash.', path: [...path, index] });
      }
    }
  };
  checkPatterns(offline.patterns, ['agents', name, 'offline', 'patterns']);
  const callable = [...(agent.tools ?? []), ...(agent.helpers ?? []).map((helper) => helperToolName(tree, helper))];
  for (const [tool, hint] of Object.entries(offline.tools ?? {})) {
    checkPatterns(hint.patterns, ['agents', name, 'offline', 'tools', tool, 'patterns']);
    if (!callable.includes(tool)) {
      report({ code: 'UNUSED_OFFLINE_TOOL', message: `offline.tools names "${tool}", which "${name}" cannot call.`, hint: `${didYouMean(tool, callable)}Add it to tools:, or remove the hint.`, path: ['agents', name, 'offline', 'tools', tool], at: 'key' });
    }
  }
  const payloadFields = Object.keys(agent.handoff?.payload ?? {});
  for (const key of Object.keys(offline.payload ?? {})) {
    if (!payloadFields.includes(key)) {
      report({ code: 'UNKNOWN_KEY', message: `offline.payload sets "${key}", which is not a payload field of "${name}".`, hint: `${didYouMean(key, payloadFields)}Payload fields: ${payloadFields.join(', ') || '(none)'}.`, path: ['agents', name, 'offline', 'payload', key], at: 'key' });
    }
  }
}

function checkParents(tree: Tree, report: Report): void {
  const firstParent = new Map<string, string>();
  for (const [name, agent] of Object.entries(tree.agents)) {
    for (const [index, child] of (agent.children ?? []).entries()) {
      if (child === tree.root) {
        report({ code: 'TREE_CYCLE', message: `The root "${tree.root}" is listed as a child of "${name}".`, hint: 'The root has no parent: remove it from the list (hand back to it instead).', path: ['agents', name, 'children', index] });
        continue;
      }
      const other = firstParent.get(child);
      if (other !== undefined && other !== name) {
        report({ code: 'MULTIPLE_PARENTS', message: `"${child}" is a child of both "${other}" and "${name}".`, hint: `An agent has one parent: keep it under one, and use escalate: or sideways: for the other edge.`, path: ['agents', name, 'children', index] });
      } else {
        firstParent.set(child, name);
      }
    }
  }
  // A loop of parents that never reaches the root.
  const parents = parentsOf(tree);
  const reported = new Set<string>();
  for (const start of parents.keys()) {
    const chain: string[] = [];
    let current: string | undefined = start;
    while (current !== undefined && !chain.includes(current)) {
      chain.push(current);
      current = parents.get(current);
    }
    if (current === undefined || reported.has(current)) continue;
    const loop = chain.slice(chain.indexOf(current));
    loop.forEach((name) => reported.add(name));
    const parent = parents.get(current) ?? current;
    const index = tree.agents[parent]?.children?.indexOf(current) ?? 0;
    report({ code: 'TREE_CYCLE', message: `The agents ${loop.join(' → ')} → ${current} are each other's parents.`, hint: 'Break the loop: one of them must not list the other as a child.', path: ['agents', parent, 'children', index] });
  }
}

function checkSideways(tree: Tree, report: Report): void {
  const parents = parentsOf(tree);
  for (const [name, agent] of Object.entries(tree.agents)) {
    for (const [index, target] of (agent.sideways ?? []).entries()) {
      if (!tree.agents[target] || target === name) continue;
      const mine = parents.get(name);
      const theirs = parents.get(target);
      if (mine === undefined || mine !== theirs) {
        const siblings = mine === undefined ? [] : (tree.agents[mine]?.children ?? []).filter((child) => child !== name);
        report({
          code: 'SIDEWAYS_NOT_ALLOWED',
          message: `"${target}" is not a sibling of "${name}", so a sideways handoff to it is not allowed.`,
          hint: `${siblings.length ? `Siblings: ${siblings.join(', ')}. ` : ''}To reach an agent elsewhere in the tree, list it under escalate:.`,
          path: ['agents', name, 'sideways', index],
        });
      }
    }
  }
}

function checkToolNameCollisions(tree: Tree, edges: Edge[], report: Report): void {
  for (const [name, agent] of Object.entries(tree.agents)) {
    const owners = new Map<string, string>();
    const claim = (tool: string, owner: string, path: (string | number)[]) => {
      const previous = owners.get(tool);
      if (previous !== undefined) {
        report({ code: 'DUPLICATE_TOOL_NAME', message: `"${name}" has two tools named "${tool}" (${previous} and ${owner}).`, hint: 'Rename one with handoff.tool on the target agent, or rename the function tool.', path });
      } else {
        owners.set(tool, owner);
      }
    };
    for (const [index, tool] of (agent.tools ?? []).entries()) claim(tool, `function tool "${tool}"`, ['agents', name, 'tools', index]);
    for (const edge of edges) {
      if (edge.from !== name || edge.tool === undefined) continue;
      const path = tree.agents[edge.to]?.handoff?.tool !== undefined ? ['agents', edge.to, 'handoff', 'tool'] : ['agents', edge.to];
      claim(edge.tool, edge.kind === 'helper' ? `helper "${edge.to}"` : `the handoff to "${edge.to}"`, path);
    }
  }
}

function checkReachable(tree: Tree, edges: Edge[], report: Report): void {
  if (!tree.agents[tree.root]) return;
  const reached = new Set<string>([tree.root]);
  const queue = [tree.root];
  while (queue.length > 0) {
    const current = queue.shift() as string;
    for (const edge of edges) {
      if (edge.from === current && !reached.has(edge.to)) {
        reached.add(edge.to);
        queue.push(edge.to);
      }
    }
  }
  for (const name of Object.keys(tree.agents)) {
    if (!reached.has(name)) {
      report({ code: 'UNREACHABLE_AGENT', message: `No conversation can reach "${name}" from the root "${tree.root}".`, hint: `List it under children:, escalate:, helpers: or fallback: of an agent that is reached.`, path: ['agents', name], at: 'key' });
    }
  }
}

function reachesHuman(tree: Tree, edges: Edge[], start: string): boolean {
  const seen = new Set<string>([start]);
  const queue = [start];
  while (queue.length > 0) {
    const current = queue.shift() as string;
    if (tree.agents[current]?.kind === 'human') return true;
    for (const edge of edges) {
      if (edge.from === current && edge.kind !== 'helper' && !seen.has(edge.to)) {
        seen.add(edge.to);
        queue.push(edge.to);
      }
    }
  }
  return false;
}

function checkDeadEnds(tree: Tree, edges: Edge[], report: Report): void {
  const parents = parentsOf(tree);
  for (const [name, agent] of Object.entries(tree.agents)) {
    if (agent.kind !== 'agent' || name === tree.root) continue;
    const handsBack = edges.some((edge) => edge.from === name && edge.kind === 'handback');
    if (!handsBack && !reachesHuman(tree, edges, name)) {
      const parent = parents.get(name);
      report({
        code: 'DEAD_END',
        message: `"${name}" is a dead end: it cannot hand back${parent ? ` to "${parent}"` : ''} and has no escalation path to a person.`,
        hint: parent ? 'Remove handback: false, or add escalate: with a path to a kind: human agent.' : 'Add escalate: with a path to a kind: human agent.',
        path: ['agents', name],
        at: 'key',
      });
    }
  }
  if (tree.agents[tree.root] && !reachesHuman(tree, edges, tree.root)) {
    report({ severity: 'warning', code: 'NO_HUMAN_ESCALATION', message: 'No conversation can reach a person: the tree has no path to a kind: human agent.', hint: 'Add a human agent and list it under escalate: (or as the tree escalation:).', path: ['root'] });
  }
}

function checkTargetCount(tree: Tree, edges: Edge[], report: Report): void {
  for (const name of Object.keys(tree.agents)) {
    const targets = edges.filter((edge) => edge.from === name && HANDOFF_KINDS.has(edge.kind));
    if (targets.length > MAX_HANDOFF_TARGETS) {
      report({
        severity: 'warning',
        code: 'TOO_MANY_TARGETS',
        message: `"${name}" can hand off to ${targets.length} agents (${targets.map((edge) => edge.to).join(', ')}); routing accuracy drops beyond ${MAX_HANDOFF_TARGETS}.`,
        hint: 'Group some targets under a lead (a second triage level).',
        path: ['agents', name],
        at: 'key',
      });
    }
  }
}

export { handoffToolName };
