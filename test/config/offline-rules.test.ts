/**
 * The offline model's rules, as built from a tree's `offline:` hints: patterns run on RE2 (linear
 * time), and building the rules of every agent is linear in the tree. (They test models/offline-rules.ts
 * from here because the hints are part of the tree format.)
 */
import { describe, expect, it } from 'vitest';
import { TreeSchema } from '../../config/schema.js';
import type { Tree, TreeInput } from '../../config/schema.js';
import { buildOfflineRules, score } from '../../models/offline-rules.js';
import type { Matcher, MatcherGroup, OfflineRules } from '../../models/offline-rules.js';
import { parentsOf } from '../../config/edges.js';

/** The agents a group counts, by the own matcher of each agent. */
function agentsOf(group: MatcherGroup, owners: Map<Matcher, string>): string[] {
  const names: string[] = [];
  for (const span of group.spans)
    for (let index = span.start; index < span.end; index += 1) names.push(owners.get(span.matchers[index] as Matcher) ?? '?');
  return names.sort();
}

function ownersOf(tree: Tree, all: Map<string, OfflineRules>): Map<Matcher, string> {
  const owners = new Map<Matcher, string>();
  for (const name of Object.keys(tree.agents)) {
    const span = all.get(name)?.own[0]?.spans[0];
    if (span) owners.set(span.matchers[span.start] as Matcher, name);
  }
  return owners;
}

/** The agents each handoff rule counts, by the definition (the target's team; for a hand-back, the parent's team without the agent's own). */
function expectedDirect(tree: Tree, agent: string, kind: string, target: string): string[] {
  const children = new Map<string, string[]>();
  for (const [child, parent] of parentsOf(tree)) children.set(parent, [...(children.get(parent) ?? []), child]);
  const below = (name: string): string[] => [name, ...(children.get(name) ?? []).flatMap(below)];
  if (kind === 'handback')
    return below(target)
      .filter((name) => !below(agent).includes(name))
      .sort();
  if (kind === 'escalate') {
    const chain = [target];
    for (let index = 0; index < chain.length; index += 1)
      for (const next of tree.agents[chain[index] as string]?.escalate ?? []) if (!chain.includes(next)) chain.push(next);
    return chain.sort();
  }
  return below(target).sort();
}

/** A root, `leads` leads of ten specialists each, a manager every specialist escalates to, and a person. */
function generatedTree(leads: number): Tree {
  const agents: TreeInput['agents'] = {};
  const hints = (name: string) => ({ keywords: [`${name} question`], patterns: [`${name}\\s+problems?`] });
  agents.triage = {
    description: 'Front desk.',
    prompt: 'Route.',
    children: Array.from({ length: leads }, (_, lead) => `lead_${lead}`),
    offline: hints('triage'),
  };
  for (let lead = 0; lead < leads; lead += 1) {
    const team = Array.from({ length: 10 }, (_, index) => `specialist_${lead}_${index}`);
    agents[`lead_${lead}`] = { description: 'A lead.', prompt: 'Lead.', children: team, offline: hints(`lead_${lead}`) };
    for (const name of team)
      agents[name] = { description: 'A specialist.', prompt: 'Answer.', escalate: ['manager'], offline: hints(name) };
  }
  agents.manager = { description: 'The manager.', prompt: 'Manage.', escalate: ['person'], offline: { keywords: ['manager'] } };
  agents.person = { kind: 'human', description: 'A person.', offline: { keywords: ['a human'] } };
  return TreeSchema.parse({ version: 1, name: 'generated', root: 'triage', agents });
}

describe('buildOfflineRules()', () => {
  it('matches patterns with RE2, so a pattern that backtracks catastrophically in JavaScript returns at once', () => {
    const tree = TreeSchema.parse({
      version: 1,
      name: 'desk',
      root: 'triage',
      agents: {
        triage: { description: 'Front desk.', prompt: 'Route.', children: ['billing'], offline: { patterns: ['^(a+)+$', '(x+x+)+y'] } },
        billing: { description: 'Billing.', prompt: 'Bill.', offline: { patterns: ['REFUND\\s+#?(\\d+)'] } },
      },
    });
    const rules = buildOfflineRules(tree, 'triage');
    // /^(a+)+$/ takes exponential time on this text in JavaScript: years, for 30 000 characters.
    expect(score(rules.own, `${'a'.repeat(30_000)}!`).score).toBe(0);
    expect(score(rules.own, 'x'.repeat(30_000)).score).toBe(0);
    expect(score(rules.own, 'aaaa')).toEqual({ score: 2, matched: ['aaaa'] });
    expect(score(rules.rules[0]?.matchers ?? [], 'a refund #42 please')).toEqual({ score: 2, matched: ['refund #42'] });
  });

  it('counts, for each handoff rule, exactly the agents its definition names, on a tree with every kind of edge', () => {
    const tree = TreeSchema.parse({
      version: 1,
      name: 'desk',
      root: 'triage',
      agents: {
        triage: { description: 'd', prompt: 'p', children: ['billing', 'sales'], offline: { keywords: ['hello'] } },
        billing: {
          description: 'd',
          prompt: 'p',
          children: ['refunds', 'invoices'],
          sideways: ['sales'],
          escalate: ['manager'],
          offline: { keywords: ['charge'] },
        },
        refunds: { description: 'd', prompt: 'p', escalate: ['manager'], offline: { keywords: ['refund'] } },
        invoices: { description: 'd', prompt: 'p', children: ['archive'], offline: { keywords: ['invoice'] } },
        archive: { description: 'd', prompt: 'p', escalate: ['person'], offline: { keywords: ['old invoice'] } },
        sales: { description: 'd', prompt: 'p', offline: { keywords: ['buy'] } },
        manager: { description: 'd', prompt: 'p', escalate: ['person'], offline: { keywords: ['manager'] } },
        person: { kind: 'human', description: 'd', offline: { keywords: ['human'] } },
      },
    });
    const all = new Map(Object.keys(tree.agents).map((name) => [name, buildOfflineRules(tree, name)]));
    const owners = ownersOf(tree, all);
    const counted: string[] = [];
    for (const [agent, rules] of all) {
      for (const rule of rules.rules) {
        const [direct, indirect] = rule.matchers as [MatcherGroup, MatcherGroup];
        const target = rule.tool.replace('transfer_to_', '');
        expect(agentsOf(direct, owners), `${agent} ${rule.kind} ${target}`).toEqual(expectedDirect(tree, agent, rule.kind, target));
        counted.push(
          `${agent} → ${target} (${rule.kind}): ${agentsOf(direct, owners).join(' ')} | ${agentsOf(indirect, owners).join(' ')}`,
        );
      }
    }
    expect(counted).toMatchInlineSnapshot(`
      [
        "triage → billing (delegate): archive billing invoices refunds | manager person",
        "triage → sales (delegate): sales | ",
        "billing → refunds (delegate): refunds | manager person",
        "billing → invoices (delegate): archive invoices | person",
        "billing → triage (handback): sales triage | ",
        "billing → sales (sideways): sales | ",
        "billing → manager (escalate): manager person | ",
        "refunds → billing (handback): archive billing invoices | ",
        "refunds → manager (escalate): manager person | ",
        "invoices → archive (delegate): archive | person",
        "invoices → billing (handback): billing refunds | ",
        "archive → invoices (handback): invoices | ",
        "archive → person (escalate): person | ",
        "sales → triage (handback): archive billing invoices refunds triage | ",
        "manager → person (escalate): person | ",
        "person → archive (handback): archive | ",
        "person → manager (handback): manager | ",
        "person → triage (handback): archive billing invoices refunds sales triage | ",
      ]
    `);
  });

  it('builds the rules of all 15,000 agents of a tree, each rule counting the right agents', () => {
    const leads = 1_364;
    const tree = generatedTree(leads);
    const names = Object.keys(tree.agents);
    expect(names.length).toBe(15_007);
    const all = new Map(names.map((name) => [name, buildOfflineRules(tree, name)]));
    const owners = ownersOf(tree, all);
    // The front desk delegates to every lead; a lead to its ten and back; a specialist back and up to
    // the manager; the manager up to the person, who hands back to the manager or the front desk.
    expect([...all.values()].reduce((sum, rules) => sum + rules.rules.length, 0)).toBe(leads + leads * 11 + leads * 10 * 2 + 1 + 2);

    const toLead = all.get('triage')?.rules.find((rule) => rule.tool === 'transfer_to_lead_7');
    expect(agentsOf(toLead?.matchers[0] as MatcherGroup, owners)).toEqual(
      ['lead_7', ...Array.from({ length: 10 }, (_, index) => `specialist_7_${index}`)].sort(),
    );
    expect(agentsOf(toLead?.matchers[1] as MatcherGroup, owners)).toEqual(['manager', 'person']);

    const handback = all.get('specialist_1000_3')?.rules.find((rule) => rule.kind === 'handback');
    expect(agentsOf(handback?.matchers[0] as MatcherGroup, owners)).toEqual(
      [
        'lead_1000',
        ...Array.from({ length: 10 }, (_, index) => `specialist_1000_${index}`).filter((name) => name !== 'specialist_1000_3'),
      ].sort(),
    );
    const leadBack = all.get('lead_5')?.rules.find((rule) => rule.kind === 'handback');
    expect(agentsOf(leadBack?.matchers[0] as MatcherGroup, owners).length).toBe(names.length - 11 - 2);

    // The front desk routes a specialist's words to that specialist's lead.
    const triage = all.get('triage') as OfflineRules;
    const best = triage.rules
      .map((rule) => ({ tool: rule.tool, ...score(rule.matchers, 'I have specialist_1200_4 problems') }))
      .sort((a, b) => b.score - a.score)[0];
    expect(best).toEqual({ tool: 'transfer_to_lead_1200', score: 2, matched: ['specialist_1200_4 problems'] });
  });
});
