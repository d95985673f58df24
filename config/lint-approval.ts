/**
 * `approval: required`: a gate on the handoffs into an agent. A helper is called as a tool, never
 * handed off to, so a gate on it has no meaning; a gate no handoff tool leads through is never asked
 * (limit redirects and fallbacks are not gated).
 */
import type { Agent, Tree } from './schema.js';
import { listEdges } from './edges.js';
import type { IssueInput } from './source.js';

export function lintApproval(tree: Tree, report: (issue: IssueInput) => void): void {
  const gated = Object.entries(tree.agents).filter(([, agent]: [string, Agent]) => agent.approval === 'required');
  if (gated.length === 0) return;
  const edges = listEdges(tree);
  for (const [name, agent] of gated) {
    const path = ['agents', name, 'approval'];
    if (agent.kind === 'helper') {
      report({ code: 'WRONG_AGENT_KIND', message: `"${name}" is a helper (called as a tool, keeping control); no handoff moves into it, so approval: required has no meaning.`, hint: 'Remove approval, or make it kind: agent and hand off to it.', path, at: 'key' });
      continue;
    }
    // A model's handoff tool (a person's hand-back is the person's own decision, not gated).
    const handoffs = edges.filter((edge) => edge.to === name && edge.kind !== 'helper' && edge.tool !== undefined && tree.agents[edge.from]?.kind !== 'human');
    if (handoffs.length === 0) {
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
