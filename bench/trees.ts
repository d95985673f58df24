/**
 * Generated trees of any size for the cold-start figures: a root, leads of ten specialists each,
 * every agent with a description, a prompt, a handoff payload and offline keywords, as a real tree
 * would have.
 */
import { stringify } from 'yaml';

export function generateTree(agents: number): string {
  const leads = Math.max(1, Math.ceil((agents - 1) / 11));
  const names = { root: 'triage', leads: Array.from({ length: leads }, (_, index) => `lead_${index}`) };
  const tree: Record<string, unknown> = { version: 1, name: `generated-${agents}`, root: names.root, agents: {} };
  const all = tree.agents as Record<string, unknown>;
  const agent = (name: string, children: string[]) => ({
    description: `Handles the ${name.replace(/_/g, ' ')} queue: questions, changes and complaints.`,
    prompt: `You are ${name}. Answer what you can; hand off what belongs to another desk.`,
    ...(children.length ? { children } : {}),
    handoff: { payload: { reason: { type: 'string', description: `Why ${name} takes the conversation.` } } },
    offline: { keywords: [`${name} question`, `${name} problem`] },
  });
  const specialists = new Map<string, string[]>(names.leads.map((lead) => [lead, []]));
  for (let index = 0; index < agents - 1 - leads; index += 1) specialists.get(names.leads[index % leads]!)!.push(`specialist_${index}`);
  all[names.root] = agent(names.root, names.leads);
  for (const lead of names.leads) {
    all[lead] = agent(lead, specialists.get(lead)!);
    for (const specialist of specialists.get(lead)!) all[specialist] = agent(specialist, []);
  }
  return stringify(tree);
}

/** The agents of a chain of `handoffs` handoffs: `step_0` (the root) to `step_<handoffs>`. */
export function chainAgents(handoffs: number): string[] {
  return Array.from({ length: handoffs + 1 }, (_, index) => `step_${index}`);
}

/**
 * The handoff-depth tree: a chain `step_0 → step_1 → … → step_<handoffs>`, each agent the one child
 * of the one before (so each holds a handoff tool to its child and one back to its parent, as in the
 * hand-written chain of bench/contenders/chain.ts), each handoff with a `reason` payload. The fake
 * model reads which step it is from the prompt ({@link chainStepOf}) and hands on to the next step,
 * so one turn walks the whole chain and the last agent answers.
 */
export function chainTree(handoffs: number): string {
  const names = chainAgents(handoffs);
  const agents: Record<string, unknown> = {};
  names.forEach((name, index) => {
    const child = names[index + 1];
    agents[name] = {
      description: `Step ${index} of the chain.`,
      prompt: chainPrompt(index),
      ...(child ? { children: [child] } : {}),
      ...(index > 0 ? { handoff: { payload: { reason: { type: 'string', description: `Why ${name} takes the conversation.` } } } } : {}),
    };
  });
  // Limits that let the whole chain run (the default allows 4 handoffs a turn).
  const limits = { handoffsPerTurn: Math.max(4, handoffs), modelCallsPerTurn: Math.max(12, handoffs + 2), toolCallsPerTurn: Math.max(16, handoffs + 2) };
  return stringify({ version: 1, name: `chain-${handoffs}`, root: names[0], limits, defaults: { model: 'fake' }, models: { fake: { provider: 'openai', name: 'bench-fake' } }, agents });
}

/** The prompt of chain step `index` (the same in Switchboard's tree and the hand-written chain). */
export function chainPrompt(index: number): string {
  return `You are step_${index}. Pass the conversation on to the next step; the last step answers.`;
}

/** Which chain step a model call is for, from the prompt it is shown (undefined: not a chain). */
export function chainStepOf(text: string): number | undefined {
  const match = /You are step_(\d+)\./.exec(text);
  return match ? Number(match[1]) : undefined;
}

/**
 * Trees that stress lint (bench/lint-scale.ts; test/config/hostile.test.ts checks what lint says of
 * them): agents written one a line in flow style, as a generated file would be.
 */
export const LINT_STRESS = {
  /** A chain of `count` agents, each the child of the one before; the last hands nothing back (one dead end). */
  chain(count: number): string {
    const agents = Array.from({ length: count }, (_, index) => `  agent_${index}: { description: Agent ${index}., prompt: You are agent ${index}., children: [agent_${index + 1}] }`);
    return `version: 1\nname: chain\nroot: agent_0\nagents:\n${agents.join('\n')}\n${chainLastAgent(count)}\n`;
  },
  /** `count` agents, each escalating to a person of its own (nobody reaches most of them). */
  people(count: number): string {
    const agents = Array.from({ length: count }, (_, index) => `  a${index}: { description: d, prompt: p, escalate: [h${index}] }\n  h${index}: { kind: human, description: d }`);
    return `version: 1\nname: many\nroot: a0\nagents:\n${agents.join('\n')}\n`;
  },
  /** `count` agents, each naming a child, a model and a tool that do not exist. */
  unknowns(count: number): string {
    const agents = Array.from({ length: count }, (_, index) => `  a${index}: { description: d, prompt: p, children: [x${index}], model: m${index}, tools: [t${index}] }`);
    return `version: 1\nname: many\nroot: a0\nagents:\n${agents.join('\n')}\n`;
  },
};

/** The last agent of {@link LINT_STRESS}'s chain of `count` agents (its line is the tree's last). */
export function chainLastAgent(count: number): string {
  return `  agent_${count}: { description: Last., prompt: Last., handback: false }`;
}
