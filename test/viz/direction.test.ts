import { instance } from '@viz-js/viz';
import { describe, expect, it } from 'vitest';
import { describeGraph } from '../../viz/diagram.js';
import type { Diagram } from '../../viz/diagram.js';
import { chooseDirection, svgSize } from '../../viz/direction.js';
import { toDot } from '../../viz/dot.js';
import { drawDiagram } from '../../viz/draw.js';
import { toMermaid } from '../../viz/mermaid.js';
import { renderSvg } from '../../viz/render.js';
import { runCli } from '../cli/run-cli.js';
import { compileExample, EXAMPLES } from '../helpers.js';
import { parseFlowchart } from './mermaid-parser.js';

async function diagramOf(name: string): Promise<Diagram> {
  const { graph } = await compileExample(name, { model: 'offline', checkpointer: false });
  return describeGraph(graph);
}

/** Where Graphviz put each agent, in points (y grows downwards, as on the page). */
async function positions(diagram: Diagram, direction: 'TB' | 'LR'): Promise<Map<string, { x: number; y: number }>> {
  const layout = (await instance()).renderJSON(toDot(diagram, { direction })) as {
    objects: { label?: string; class?: string; pos?: string }[];
  };
  const found = new Map<string, { x: number; y: number }>();
  for (const object of layout.objects.filter((candidate) => candidate.class?.startsWith('sb-node '))) {
    const [x = 0, y = 0] = (object.pos ?? '').split(',').map(Number);
    found.set(object.label ?? '', { x, y: -y });
  }
  return found;
}

describe('the direction of a drawing', () => {
  it('draws left to right when asked: the root left of its children, each level in a column', async () => {
    const diagram = await diagramOf('clinic');
    expect(toDot(diagram, { direction: 'LR' })).toContain('rankdir="LR"');
    const across = await positions(diagram, 'LR');
    const root = across.get('triage');
    for (const child of ['clinical_lead', 'ops_lead']) expect(across.get(child)?.x).toBeGreaterThan(root?.x ?? Infinity);
    expect(across.get('clinical_lead')?.x).toBeCloseTo(across.get('ops_lead')?.x ?? 0, 0);
    const down = await positions(diagram, 'TB');
    for (const child of ['clinical_lead', 'ops_lead']) expect(down.get(child)?.y).toBeGreaterThan(down.get('triage')?.y ?? Infinity);
  });

  it('writes Mermaid as flowchart LR or TD, with the same agents and edges', async () => {
    const diagram = await diagramOf('clinic');
    expect(toMermaid(diagram, { direction: 'LR' })).toMatch(/^flowchart LR\n/);
    expect(toMermaid(diagram)).toMatch(/^flowchart TD\n/);
    const across = await parseFlowchart(toMermaid(diagram, { direction: 'LR' }));
    const down = await parseFlowchart(toMermaid(diagram));
    expect(across.edges.map((edge) => `${edge.from}>${edge.to}`)).toEqual(down.edges.map((edge) => `${edge.from}>${edge.to}`));
  });

  it.each(EXAMPLES)('picks the narrower layout for %s when left to choose (auto, the default)', async (name) => {
    const diagram = await diagramOf(name);
    const widths = await Promise.all(
      (['TB', 'LR'] as const).map(async (direction) => svgSize(await renderSvg(toDot(diagram, { direction })))?.width ?? 0),
    );
    const [down = 0, across = 0] = widths;
    const chosen = await chooseDirection(diagram);
    expect(chosen).toBe(across < down ? 'LR' : 'TB');
    expect(await drawDiagram(diagram, 'dot')).toContain(`rankdir="${chosen}"`);
    expect(await drawDiagram(diagram, 'dot', { direction: 'TB' })).toContain('rankdir="TB"');
  });

  it('turns the wide clinic tree on its side and keeps the deep support tree upright', async () => {
    expect(await chooseDirection(await diagramOf('clinic'))).toBe('LR');
    expect(await chooseDirection(await diagramOf('support'))).toBe('TB');
    const clinic = await diagramOf('clinic');
    const down = svgSize(String(await drawDiagram(clinic, 'svg', { direction: 'TB' })));
    const auto = svgSize(String(await drawDiagram(clinic, 'svg')));
    // At a page's width the text of the chosen drawing is a third larger.
    expect((down?.width ?? 0) / (auto?.width ?? Infinity)).toBeGreaterThan(1.3);
  });

  it('takes --direction on the command line', async () => {
    const across = await runCli(['draw', 'config/support.yaml', '--format', 'dot', '--direction', 'LR']);
    expect(across.code).toBe(0);
    expect(across.stdout.toString()).toContain('rankdir="LR"');
    const auto = await runCli(['draw', 'config/clinic.yaml']);
    expect(auto.stdout.toString()).toMatch(/^flowchart LR\n/);
    const wrong = await runCli(['draw', 'config/support.yaml', '--direction', 'up']);
    expect(wrong.code).not.toBe(0);
    expect(wrong.stderr).toContain("argument 'up' is invalid. Allowed choices are auto, TB, LR.");
  }, 60_000);
});
