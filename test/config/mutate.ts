/**
 * Seeded, deterministic mutations of a valid tree file, for the mutation tests: each operator
 * breaks (or, by luck, keeps) the tree in one way a person editing it might.
 */
import { isMap, isPair, isScalar, isSeq, parseDocument, visit } from 'yaml';
import type { Node, Pair, Scalar, YAMLMap } from 'yaml';

/** A small seeded PRNG (mulberry32): the same seed gives the same mutants on every run. */
export function createRandom(seed: number): { int(below: number): number; pick<T>(items: readonly T[]): T } {
  let state = seed >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let value = state;
    value = Math.imul(value ^ (value >>> 15), value | 1);
    value ^= value + Math.imul(value ^ (value >>> 7), value | 61);
    return ((value ^ (value >>> 14)) >>> 0) / 4294967296;
  };
  const int = (below: number) => Math.floor(next() * below);
  return { int, pick: <T>(items: readonly T[]) => items[int(items.length)] as T };
}

type Random = ReturnType<typeof createRandom>;

export interface Mutant {
  operator: string;
  text: string;
  /** True when the mutation always makes the tree invalid (an unknown key, a duplicate key …). */
  invalid: boolean;
}

export interface Operator {
  name: string;
  invalid: boolean;
  apply(text: string, random: Random): string;
}

/** The keys whose values name agents. */
const REFERENCE_KEYS = new Set(['root', 'escalation', 'children', 'sideways', 'escalate', 'helpers', 'fallback']);

const STRANGE = [
  ':',
  '-',
  '[',
  ']',
  '{',
  '}',
  '&',
  '*',
  '!',
  '#',
  '"',
  "'",
  '|',
  '>',
  '%',
  '@',
  '`',
  '\t',
  '\u0000',
  '\u200B',
  '\u202E',
  '\uFEFF',
  'é',
  '\n',
  ' ',
];

function pairs(text: string): { doc: ReturnType<typeof parseDocument>; pairs: Pair[]; maps: YAMLMap[]; scalars: Scalar[] } {
  const doc = parseDocument(text);
  const found = { pairs: [] as Pair[], maps: [] as YAMLMap[], scalars: [] as Scalar[] };
  visit(doc, {
    Pair: (_key, pair) => void found.pairs.push(pair),
    Map: (_key, map) => void found.maps.push(map),
    Scalar: (_key, scalar) => void found.scalars.push(scalar),
  });
  return { doc, ...found };
}

function setIn(doc: ReturnType<typeof parseDocument>, target: Node, replacement: unknown): void {
  visit(doc, (_key, node) => {
    if (isPair(node) && node.value === target) {
      node.value = doc.createNode(replacement);
      return visit.BREAK;
    }
    if (isSeq(node)) {
      const index = node.items.indexOf(target);
      if (index >= 0) {
        node.items[index] = doc.createNode(replacement);
        return visit.BREAK;
      }
    }
    return undefined;
  });
}

function typo(name: string, random: Random): string {
  const at = random.int(Math.max(name.length, 1));
  switch (random.int(3)) {
    case 0:
      return name.slice(0, at) + name.slice(at + 1) || `${name}x`;
    case 1:
      return `${name.slice(0, at)}${random.pick(['x', 'q', '_', '1'])}${name.slice(at)}`;
    default:
      return `${name}_typo`;
  }
}

export const OPERATORS: Operator[] = [
  {
    name: 'delete a key',
    invalid: false,
    apply(text, random) {
      const { doc, maps } = pairs(text);
      const map = random.pick(maps.filter((entry) => entry.items.length > 0));
      map.items.splice(random.int(map.items.length), 1);
      return String(doc);
    },
  },
  {
    name: 'change a type',
    invalid: false,
    apply(text, random) {
      const { doc, pairs: all } = pairs(text);
      const pair = random.pick(all);
      setIn(doc, pair.value as Node, random.pick([42, -1, 0.5, true, false, null, '', 'text', [], ['a', 1], {}, { unexpected: 1 }]));
      return String(doc);
    },
  },
  {
    name: 'rename a reference to an agent',
    invalid: true,
    apply(text, random) {
      const { doc } = pairs(text);
      const references: Scalar[] = [];
      visit(doc, {
        Scalar: (_key, scalar, path) => {
          const owner = [...path].reverse().find((ancestor) => isPair(ancestor));
          const list = isSeq(path[path.length - 1]) || isPair(path[path.length - 1]);
          if (list && isPair(owner) && owner.key !== scalar && isScalar(owner.key) && REFERENCE_KEYS.has(String(owner.key.value)))
            references.push(scalar);
        },
      });
      const scalar = random.pick(references);
      scalar.value = typo(String(scalar.value), random);
      return String(doc);
    },
  },
  {
    name: 'rename an agent',
    invalid: true,
    apply(text, random) {
      const { doc } = pairs(text);
      const agents = isMap(doc.contents) ? doc.contents.get('agents', true) : undefined;
      const pair = random.pick((agents as unknown as YAMLMap).items);
      (pair.key as Scalar).value = typo(String((pair.key as Scalar).value), random);
      return String(doc);
    },
  },
  {
    name: 'duplicate a key',
    invalid: true,
    apply(text, random) {
      const { doc, maps } = pairs(text);
      const map = random.pick(maps.filter((entry) => entry.items.length > 0));
      const pair = random.pick(map.items);
      map.items.push(doc.createPair((pair.key as Scalar).value, 'duplicated'));
      return String(doc);
    },
  },
  {
    name: 'insert an unknown key',
    invalid: true,
    apply(text, random) {
      const { doc, maps } = pairs(text);
      const map = random.pick(maps.filter((entry) => !isRecordOfNames(doc, entry)));
      map.set(`unknown_key_${random.int(1000)}`, 'surprise');
      return String(doc);
    },
  },
  {
    name: 'add an edge to another agent',
    invalid: false,
    apply(text, random) {
      const { doc } = pairs(text);
      const { names, agents } = agentsOf(doc);
      const agent = random.pick(agents);
      const list = random.pick(['children', 'sideways', 'escalate', 'helpers', 'fallback']);
      const current = agent.get(list);
      const target = random.pick(names);
      if (isSeq(current)) current.add(target);
      else agent.set(list, [target]);
      return String(doc);
    },
  },
  {
    name: 'change the kind of an agent',
    invalid: false,
    apply(text, random) {
      const { doc } = pairs(text);
      random.pick(agentsOf(doc).agents).set('kind', random.pick(['agent', 'human', 'helper']));
      return String(doc);
    },
  },
  {
    name: 'turn hand-back off',
    invalid: false,
    apply(text, random) {
      const { doc } = pairs(text);
      random.pick(agentsOf(doc).agents).set('handback', false);
      return String(doc);
    },
  },
  {
    name: 'truncate',
    invalid: false,
    apply(text, random) {
      return text.slice(0, random.int(text.length));
    },
  },
  {
    name: 'swap two characters',
    invalid: false,
    apply(text, random) {
      const at = random.int(text.length - 1);
      return text.slice(0, at) + text.charAt(at + 1) + text.charAt(at) + text.slice(at + 2);
    },
  },
  {
    name: 'insert a strange character',
    invalid: false,
    apply(text, random) {
      const at = random.int(text.length);
      return text.slice(0, at) + random.pick(STRANGE) + text.slice(at);
    },
  },
  {
    name: 'shift the indentation of a line',
    invalid: false,
    apply(text, random) {
      const lines = text.split('\n');
      const index = random.int(lines.length);
      lines[index] = random.int(2) === 0 ? `  ${lines[index]}` : (lines[index] ?? '').replace(/^ {1,2}/, '');
      return lines.join('\n');
    },
  },
];

function agentsOf(doc: ReturnType<typeof parseDocument>): { names: string[]; agents: YAMLMap[] } {
  const agents = (isMap(doc.contents) ? doc.contents.get('agents', true) : undefined) as unknown as YAMLMap;
  const names = agents.items.map((pair) => String((pair.key as Scalar).value));
  return { names, agents: agents.items.map((pair) => pair.value).filter((value): value is YAMLMap => isMap(value)) };
}

/** Maps whose keys are names (agents, state, models …): a new key there is a new entry, not an unknown key. */
function isRecordOfNames(doc: ReturnType<typeof parseDocument>, map: YAMLMap): boolean {
  let parentKey: unknown;
  visit(doc, {
    Pair: (_key, pair) => (pair.value === map ? ((parentKey = isScalar(pair.key) ? pair.key.value : undefined), visit.BREAK) : undefined),
  });
  return ['agents', 'state', 'models', 'prices', 'payload', 'tools', 'args'].includes(String(parentKey));
}

/** `count` mutants of `text` per operator, from `seed`. */
export function mutate(text: string, seed: number, count: number): Mutant[] {
  const random = createRandom(seed);
  return OPERATORS.flatMap((operator) =>
    Array.from({ length: count }, () => ({ operator: operator.name, text: operator.apply(text, random), invalid: operator.invalid })),
  );
}
