import { JSDOM } from 'jsdom';
import { describe, expect, it } from 'vitest';
import type { EdgeKind } from '../../config/edges.js';
import type { Diagram, NodeRole } from '../../viz/diagram.js';
import { toDot } from '../../viz/dot.js';
import { toMermaid } from '../../viz/mermaid.js';
import { renderPng, renderSvg } from '../../viz/render.js';
import { parseFlowchart } from './mermaid-parser.js';

/** Names no tree file may use (lint rejects most), which the drawings must still survive. */
const NAMES = [
  'end',
  'graph',
  'style',
  'class',
  'classDef',
  'linkStyle',
  'flowchart',
  'call',
  'href',
  'click',
  'subgraph',
  'direction',
  'a0',
  'r0',
  'k0s',
  'legend',
  'node',
  'edge',
  'digraph',
  'cluster_legend',
  'A"B',
  "it's",
  'x]y[z',
  '{{hex}}',
  '(round)',
  '|pipe|',
  '#quot;',
  '#35;',
  '&amp;',
  '%%comment',
  'semi;colon',
  '-->',
  '==>',
  '-.-o',
  '<b>bold</b>',
  '<script>alert(1)</script>',
  '`tick`',
  '\\N \\G',
  'émoji 😀',
  '請求担当',
  'مدير الفواتير',
  'हिन्दी',
  'Zürich Ärzte',
  'tab\there',
  'back\\slash',
  'multi\nline',
];
const ROLES: NodeRole[] = ['root', 'lead', 'specialist', 'human', 'helper', 'fallback'];
const KINDS: EdgeKind[] = ['delegate', 'handback', 'sideways', 'escalate', 'fallback', 'limit', 'helper'];

const diagram: Diagram = {
  name: 'end"; graph {',
  root: 'end',
  nodes: NAMES.map((name, index) => ({
    name,
    role: ROLES[index % ROLES.length]!,
    description: `About ${name}: "quotes" ]] end --> %% <i>x</i> ;`,
  })),
  edges: NAMES.slice(1).map((name, index) => ({ from: NAMES[index]!, to: name, kind: KINDS[index % KINDS.length]!, label: `via ${name}` })),
};

/** How a name reads once drawn on one line (line breaks and tabs become spaces). */
const shown = (text: string) => text.replace(/[\r\n\t]+/g, ' ');

describe('drawings of agents with hostile names and descriptions', () => {
  it('writes Mermaid the real parser accepts, keeping every name and label as written', async () => {
    for (const descriptions of [false, true]) {
      const parsed = await parseFlowchart(toMermaid(diagram, { descriptions }));
      const agents = [...parsed.vertices.values()].filter((vertex) => /^a\d+$/.test(vertex.id));
      expect(agents.map((vertex) => vertex.lines[0])).toEqual(NAMES.map(shown));
      if (descriptions) expect(agents[0]?.lines.slice(1).join(' ')).toBe('About end: "quotes" ]] end --> %% <i>x</i> ;');
      const edges = parsed.edges.filter((edge) => /^a\d+$/.test(edge.from));
      expect(edges.map((edge) => edge.text)).toEqual(diagram.edges.map((edge) => shown(edge.label)));
    }
  });

  it('stays within Mermaid\'s 50,000 characters for a large tree described in Chinese: letters of any script are written as they are', async () => {
    const description = '請求書の二重請求、返金、支払い方法の変更を担当します。'.repeat(10);
    const agents = Array.from({ length: 60 }, (_, index) => ({ name: `担当者${index}`, role: ROLES[index % ROLES.length]!, description }));
    const large: Diagram = { name: '大きな窓口', root: agents[0]!.name, nodes: agents, edges: agents.slice(1).map((agent) => ({ from: agents[0]!.name, to: agent.name, kind: 'delegate', label: `transfer_to_${agent.name}` })) };
    const text = toMermaid(large, { descriptions: true });
    expect(text.length).toBeLessThan(50_000);
    const parsed = await parseFlowchart(text);
    const drawn = [...parsed.vertices.values()].filter((vertex) => /^a\d+$/.test(vertex.id));
    expect(drawn.map((vertex) => vertex.lines[0])).toEqual(agents.map((agent) => agent.name));
    expect(drawn[0]!.lines.slice(1).join('')).toBe(description);
  });

  it('writes DOT Graphviz draws, with every name as the text of its node', async () => {
    for (const descriptions of [false, true]) {
      const svg = await renderSvg(toDot(diagram, { descriptions }));
      const document = new JSDOM(svg, { contentType: 'image/svg+xml' }).window.document;
      NAMES.forEach((name, index) => {
        const texts = Array.from(document.querySelectorAll(`#sb-node-${index} text`), (text) => text.textContent);
        expect(texts[0]).toBe(shown(name));
      });
      expect(document.querySelectorAll('g.sb-edge')).toHaveLength(diagram.edges.length);
      expect(document.querySelector('#sb-graph > text')?.textContent).toBe('end"; graph {');
    }
  });

  it('keeps backslashes in tooltips as written (a description `C:\\Network` is not `C:a3etwork`)', async () => {
    const description = 'Files under C:\\Network\\Graphs \\E \\L \\T \\H \\\\ \\n end\\';
    const tricky: Diagram = {
      name: 'paths',
      root: 'a\\N',
      nodes: [
        { name: 'a\\N', role: 'root', description },
        { name: 'b\\G', role: 'specialist', description: '' },
      ],
      edges: [{ from: 'a\\N', to: 'b\\G', kind: 'delegate', label: 'go' }],
    };
    const svg = await renderSvg(toDot(tricky));
    const document = new JSDOM(svg, { contentType: 'image/svg+xml' }).window.document;
    const title = (id: string) => document.querySelector(`#${id} a`)?.getAttributeNS('http://www.w3.org/1999/xlink', 'title');
    expect(title('sb-node-0')).toBe(`a\\N: ${description}`);
    expect(title('sb-node-1')).toBe('b\\G');
    expect(title('sb-edge-0')).toBe('a\\N → b\\G (delegate)');
    expect(title('sb-legend-role-root')).toBe('root (a\\N)');
  });

  it('spells out characters an SVG cannot hold (U+FFFE, other noncharacters, controls), so the SVG stays well formed', async () => {
    const description = 'Front \uFFFE desk \uFFFF \uFDD0 \u{1FFFE} \u0001 end';
    const odd: Diagram = {
      name: 'odd \uFFFF',
      root: 'triage',
      nodes: [{ name: 'triage', role: 'root', description }],
      edges: [],
    };
    const svg = await renderSvg(toDot(odd, { descriptions: true }));
    // JSDOM's XML parser throws on text that is not well-formed XML, as browsers and resvg refuse it.
    const document = new JSDOM(svg, { contentType: 'image/svg+xml' }).window.document;
    const spelled = 'Front [U+FFFE] desk [U+FFFF] [U+FDD0] [U+1FFFE] [U+0001] end';
    expect(Array.from(document.querySelectorAll('#sb-node-0 text'), (text) => text.textContent).join(' ')).toBe(`triage ${spelled}`);
    expect(document.querySelector('#sb-node-0 a')?.getAttributeNS('http://www.w3.org/1999/xlink', 'title')).toBe(`triage: ${spelled}`);
    expect(document.querySelector('#sb-graph > text')?.textContent).toBe('odd [U+FFFF]');
    expect((await renderPng(svg, { scale: 1 })).subarray(1, 4).toString()).toBe('PNG');
  });

  it('puts nothing executable in the SVG', async () => {
    const svg = await renderSvg(toDot(diagram, { descriptions: true }));
    expect(svg).not.toContain('<script');
    expect(svg).not.toContain('<b>');
  });
});
