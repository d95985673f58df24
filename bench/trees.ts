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
