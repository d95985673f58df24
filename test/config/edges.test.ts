import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { listEdges } from '../../config/edges.js';
import { TreeSchema } from '../../config/schema.js';
import { readFixture } from './lint-fixtures.js';

describe('listEdges()', () => {
  it("gives a person edges to agents only: a person's hand-back never goes to another person", () => {
    const tree = TreeSchema.parse(parse(readFixture('test/fixtures/all-at-once/person-to-person.yaml')));
    const edges = (from: string) => listEdges(tree).filter((edge) => edge.from === from).map((edge) => `${edge.kind} ${edge.to}`);
    // Every agent the runtime lets the person hand back to is still there (nodes/human.ts handBackTargets).
    expect(edges('person')).toEqual(['handback triage', 'escalate billing']);
    expect(edges('boss')).toEqual(['handback triage']);
    expect(edges('vip')).toEqual(['handback triage']);
  });
});
