/**
 * Approval gates. On an agent (`approval: required`, or `handoff.approval`): a gate on the handoffs
 * into it. A helper is called as a tool, never handed off to, so a gate on it has no meaning; a gate
 * no handoff tool leads through is never asked (limit redirects and fallbacks are not gated). On an
 * agent's own edges (`approval: { target: required }`): each entry names a target the agent hands
 * off to, as `when:` does.
 */
import type { Tree } from './schema.js';
import type { Edge } from './edges.js';
import { agentOf, fallbacksOf, handoffNeedsApproval, handoffTargets, incomingApproval, listEdges, parentsOf } from './edges.js';
import { GraphGaps } from './graph-gaps.js';
import { fileEntries } from './list-indices.js';
import type { IssueInput } from './source.js';
import { didYouMean, listNames } from './suggest.js';

/** Checks every approval gate of `tree`; `gaps`: the edges parts that failed the schema may hide (a gate on one is not blamed). */
export function lintApproval(tree: Tree, knownAgents: ReadonlySet<string>, report: (issue: IssueInput) => void, gaps = new GraphGaps()): void {
  lintEdgeGates(tree, knownAgents, gaps, report);
  lintUngatedRoutes(tree, report);
  for (const [name, agent] of Object.entries(tree.agents)) {
    const own = typeof agent.approval === 'string' ? agent.approval : undefined;
    if (own !== undefined && agent.handoff?.approval !== undefined && own !== agent.handoff.approval) {
      report({
        code: 'APPROVAL_CONFLICT',
        message: `"${name}" has approval: ${own} and handoff.approval: ${agent.handoff.approval}, which say different things (handoff.approval would win).`,
        hint: 'Keep one of them: approval: required and handoff: { approval: required } mean the same.',
        path: ['agents', name, 'handoff', 'approval'],
      });
    }
  }
  const gated = Object.entries(tree.agents).filter(([, agent]) => incomingApproval(agent) === 'required');
  if (gated.length === 0) return;
  const edges = listEdges(tree);
  for (const [name, agent] of gated) {
    const paths = [
      ...(agent.handoff?.approval === 'required' ? [['agents', name, 'handoff', 'approval']] : []),
      ...(agent.approval === 'required' ? [['agents', name, 'approval']] : []),
    ];
    const path = paths[0] ?? ['agents', name, 'approval'];
    if (agent.kind === 'helper') {
      for (const at of paths) {
        report({ code: 'WRONG_AGENT_KIND', message: `"${name}" is a helper (called as a tool, keeping control); no handoff moves into it, so approval: required has no meaning.`, hint: 'Remove approval, or make it kind: agent and hand off to it.', path: at, at: 'key' });
      }
      continue;
    }
    if (!askedByAHandoff(tree, edges, name)) {
      report({
        code: 'APPROVAL_NEVER_ASKED',
        severity: 'warning',
        message: `No agent hands off to "${name}" with a handoff tool, so its approval gate is never asked (limit redirects, fallbacks, a person's hand-back and the root's new conversations are not gated).`,
        hint: `List "${name}" under another agent's children:, sideways: or escalate:, or remove approval.`,
        path,
        at: 'key',
      });
    }
  }
}

/** Whether a model's handoff tool leads into `name` (a person's hand-back is the person's own decision, not gated). */
function askedByAHandoff(tree: Tree, edges: Edge[], name: string): boolean {
  return edges.some((edge) => edge.to === name && edge.kind !== 'helper' && edge.tool !== undefined && tree.agents[edge.from]?.kind !== 'human');
}

/**
 * The moves a gate does not stop: an agent's `fallback:` and the tree's `escalation:` (where limits
 * and ping-pongs redirect) move control without asking anyone. A gate written to make a person
 * approve every way into an agent would let these through unseen, so each is a warning at the move
 * (unless no handoff asks the gate at all: APPROVAL_NEVER_ASKED says so, and why, once).
 */
function lintUngatedRoutes(tree: Tree, report: (issue: IssueInput) => void): void {
  const edges = listEdges(tree);
  for (const [name, agent] of Object.entries(tree.agents)) {
    if (agent.kind === 'helper') continue;
    for (const [index, target] of fileEntries(fallbacksOf(agent))) {
      if (target === name || !handoffNeedsApproval(tree, name, target) || !askedByAHandoff(tree, edges, target)) continue;
      report({
        code: 'APPROVAL_BYPASSED',
        severity: 'warning',
        message: `"${name}" falls back to "${target}" without approval: a fallback is not gated, though a handoff from "${name}" to "${target}" waits for a person to approve it.`,
        hint: `Fall back to an agent without a gate, or remove the gate if a fallback may move to "${target}" unasked.`,
        path: Array.isArray(agent.fallback) ? ['agents', name, 'fallback', index] : ['agents', name, 'fallback'],
      });
    }
  }
  const target = tree.escalation;
  if (target !== undefined && incomingApproval(agentOf(tree, target)) === 'required' && askedByAHandoff(tree, edges, target)) {
    report({
      code: 'APPROVAL_BYPASSED',
      severity: 'warning',
      message: `A turn that crosses a limit or ping-pongs moves to "${target}" (escalation:) without approval: limit redirects are not gated, though "${target}" has approval: required.`,
      hint: `Name an escalation target without a gate (often a person, kind: human), or remove the gate if those redirects may move to "${target}" unasked.`,
      path: ['escalation'],
    });
  }
}

/** `approval: { target: required | none }`: each target is one this agent hands off to by a tool. */
function lintEdgeGates(tree: Tree, knownAgents: ReadonlySet<string>, gaps: GraphGaps, report: (issue: IssueInput) => void): void {
  let targets: Map<string, Set<string>> | undefined;
  let parents: Map<string, string> | undefined;
  for (const [name, agent] of Object.entries(tree.agents)) {
    if (typeof agent.approval !== 'object') continue;
    if (agent.kind === 'human') {
      report({
        code: 'APPROVAL_NOT_AN_EDGE',
        message: `"${name}" is a person (kind: human): a person's hand-back is their own decision, so approval: by target has no meaning.`,
        hint: 'Remove approval:, or gate the target itself (approval: required on it).',
        path: ['agents', name, 'approval'],
        at: 'key',
      });
      continue;
    }
    targets ??= handoffTargets(tree);
    const allowed = [...(targets.get(name) ?? [])];
    for (const target of Object.keys(agent.approval)) {
      const path = ['agents', name, 'approval', target];
      if (!knownAgents.has(target)) {
        report({ code: 'UNKNOWN_AGENT', message: `approval: names "${target}", which is not an agent.`, hint: `${didYouMean(target, [...knownAgents])}"${name}" hands off to: ${listNames(allowed)}.`, path, at: 'key' });
      } else if (!allowed.includes(target) && agentOf(tree, target) !== undefined && !gaps.mayHandOff(name, target, (parents ??= parentsOf(tree)).get(name))) {
        report({
          code: 'APPROVAL_NOT_AN_EDGE',
          message: `approval: names "${target}", which "${name}" cannot hand off to.`,
          hint: `${didYouMean(target, allowed)}A gate goes on a handoff of "${name}": ${listNames(allowed)}. List "${target}" under children:, sideways: or escalate: first (fallbacks, limit redirects and helpers are not gated).`,
          path,
          at: 'key',
        });
      }
    }
  }
}
