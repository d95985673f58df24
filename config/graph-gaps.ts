/**
 * What the graph checks cannot see in a tree that failed the schema: the edges of its unreadable
 * parts. The checks still run on the rest, and count every edge a gap may hide, so that a broken part
 * never makes an agent look unreachable or a dead end (they may miss a problem; they never invent one).
 *
 * A gap leads to the agents its text names: `children: [billing, 42]` may lead to billing, and a
 * misspelled `childern: [refunds]` to refunds. A name one typo away counts as the agent it resembles
 * ("did you mean"); a value in a place that names agents and resembles none may lead anywhere.
 */
import { closestName } from './suggest.js';

/** The agent keys whose values name agents: a text there that names no agent may lead anywhere. */
export const REFERENCE_KEYS: readonly string[] = ['children', 'sideways', 'escalate', 'helpers', 'fallback'];
/** Longer texts are prose (a prompt, a description), not names: they count only when one is an agent's exact name. */
const MAX_NAME_LENGTH = 64;

/** Where the unreadable parts of a tree may lead. Built by salvage (schema errors) and lint (references to no agent). */
export class GraphGaps {
  /** Agents of the file the checked tree leaves out (a forbidden name, or a kind that failed the schema). */
  readonly lostAgents = new Set<string>();
  /** Agents whose kind is not known for sure (lost, or a second definition or a misspelled `kind:` may say otherwise): each may be a person. */
  readonly unknownKind = new Set<string>();
  /** Agents that may hand back though the checked tree says they cannot (their `handback:` failed the schema). */
  readonly mayHandBack = new Set<string>();
  /** Agents whose handoff tool name is not known for sure (their `handoff:` failed the schema). */
  readonly unknownToolName = new Set<string>();
  /** Agents whose `tools:` failed the schema: they may call function tools the checked tree does not list. */
  readonly unknownTools = new Set<string>();
  /** True when the root is unknown: reachability is not checked, and dead ends only where an agent has no way out at all. */
  rootUnknown = false;
  /** Gaps of every agent (an unreadable `escalation:`) are kept under `null`. */
  private readonly leads = new Map<string | null, Set<string>>();
  private readonly anywhere = new Set<string | null>();
  /** Who leads to each agent (the reverse of `leads`), built on first use. */
  private leaders: Map<string, string[]> | undefined;

  /** Records that `from` (`null`: every agent) may lead to `to` (`null`: to any agent). */
  addLead(from: string | null, to: string | null): void {
    this.leaders = undefined;
    if (to === null) {
      this.anywhere.add(from);
      return;
    }
    const targets = this.leads.get(from);
    if (targets) targets.add(to);
    else this.leads.set(from, new Set([to]));
  }

  /** Records where the unreadable `value` of agent `from` (`null`: of every agent) may lead. */
  addMentions(from: string | null, value: unknown, known: KnownAgents, asReference: boolean): void {
    for (const to of mentionsIn(value, known, asReference)) this.addLead(from, to);
  }

  /** The agents `from` may lead to besides its known edges; `null` in the list: any agent. */
  leadsOf(from: string): (string | null)[] {
    const own = [...(this.leads.get(from) ?? []), ...(this.leads.get(null) ?? [])];
    return this.anywhere.has(from) || this.anywhere.has(null) ? [...own, null] : own;
  }

  /**
   * Whether a broken part may give `from` a handoff to `to` that the checked tree does not show:
   * one of its lists names `to` (or anything), or it may hand back to `parent` after all.
   */
  mayHandOff(from: string, to: string, parent: string | undefined): boolean {
    const leads = this.leadsOf(from);
    return leads.includes(to) || leads.includes(null) || (to === parent && this.mayHandBack.has(from));
  }

  /** Every agent that may lead somewhere it is not known to (`null` stands for the gaps of every agent). */
  sources(): (string | null)[] {
    return [...new Set([...this.leads.keys(), ...this.anywhere])];
  }

  /**
   * The agents whose own broken parts name `name` (one may list it as a child); `any` when one of
   * them may lead to any agent. The gaps of every agent (an unreadable `escalation:`) make no parent.
   */
  leadersOf(name: string): { agents: Set<string>; any: boolean } {
    if (!this.leaders) {
      this.leaders = new Map();
      for (const [from, targets] of this.leads) {
        if (from === null) continue;
        for (const to of targets) {
          const list = this.leaders.get(to);
          if (list) list.push(from);
          else this.leaders.set(to, [from]);
        }
      }
    }
    return { agents: new Set(this.leaders.get(name)), any: this.anywhere.size > (this.anywhere.has(null) ? 1 : 0) };
  }
}

/** The agent names of the file, for resolving the names a gap mentions. */
export class KnownAgents {
  private readonly names: Set<string>;
  private readonly list: string[];

  constructor(names: Iterable<string>) {
    this.names = new Set(names);
    this.list = [...this.names];
  }

  /** The agent `text` names, or resembles by one typo; undefined for none. */
  resolve(text: string): string | undefined {
    if (this.names.has(text)) return text;
    return text.length <= MAX_NAME_LENGTH ? closestName(text, this.list) : undefined;
  }
}

/**
 * The agents a value mentions; `null` for "any agent", when a text in a reference place names none.
 * In a reference place, a text's words count one by one (`children: billing, sales` is one text).
 */
function mentionsIn(value: unknown, known: KnownAgents, asReference: boolean): (string | null)[] {
  const found: (string | null)[] = [];
  const visit = (item: unknown, reference: boolean): void => {
    if (typeof item === 'string' || typeof item === 'number') {
      const text = String(item);
      if (!reference) {
        const name = NAME_LIKE.test(text) ? known.resolve(text) : undefined;
        if (name !== undefined) found.push(name);
        return;
      }
      const whole = known.resolve(text);
      if (whole !== undefined) return void found.push(whole);
      const names = text.split(/[^\w-]+/u).flatMap((word) => (word === '' ? [] : (known.resolve(word) ?? [])));
      found.push(...(names.length > 0 ? names : [null]));
    } else if (Array.isArray(item)) {
      for (const entry of item) visit(entry, reference);
    } else if (item !== null && typeof item === 'object') {
      for (const [key, entry] of Object.entries(item)) {
        visit(key, false);
        visit(entry, reference || isReferenceKey(key));
      }
    }
  };
  visit(value, asReference);
  return found;
}

const NAME_LIKE = /^[\w-]+$/u;

/** Whether a key names agents (an agent's edges, the tree's escalation), or is a typo or two from one (`childern`). */
export function isReferenceKey(key: string): boolean {
  return closestName(key, [...REFERENCE_KEYS, 'escalation']) !== undefined;
}
