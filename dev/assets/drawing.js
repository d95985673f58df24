// The tree drawing: the server's SVG, annotated with agent names, and highlighted with the path of
// the conversation (edges taken, agents visited, the agent speaking).

/**
 * @typedef {{ name: string, role: string, description: string, elementId: string }} PageAgent
 * @typedef {{ from: string, to: string, kind: string, label: string, elementId: string }} PageEdge
 * @typedef {{ name: string, root: string, version: number, svg: string, agents: PageAgent[], edges: PageEdge[] }} PageTree
 * @typedef {{ from: string, to: string, kind: string }} Hop
 */

export class Drawing {
  /** @param {HTMLElement} container */
  constructor(container) {
    this.container = container;
    /** @type {PageTree | null} */
    this.tree = null;
    /** @type {{ path: Hop[], speaking: string | null, active: string | null }} */
    this.marks = { path: [], speaking: null, active: null };
  }

  /** Draws a tree (a new version replaces the old one; the highlights carry over). @param {PageTree | null} tree */
  render(tree) {
    if (!tree) {
      this.tree = null;
      this.container.replaceChildren(
        Object.assign(document.createElement('p'), {
          className: 'empty',
          textContent: 'No tree yet: fix the errors above and save the file.',
        }),
      );
      return;
    }
    if (this.tree && this.tree.version === tree.version) return;
    this.tree = tree;
    const parsed = new DOMParser().parseFromString(tree.svg, 'image/svg+xml').documentElement;
    const svg = /** @type {SVGSVGElement} */ (document.importNode(parsed, true));
    svg.removeAttribute('width');
    svg.removeAttribute('height');
    svg.dataset.version = String(tree.version);
    for (const agent of tree.agents) {
      const element = svg.querySelector(`#${CSS.escape(agent.elementId)}`);
      if (!element) continue;
      element.setAttribute('data-agent', agent.name);
      element.setAttribute('data-role', agent.role);
    }
    for (const edge of tree.edges) {
      const element = svg.querySelector(`#${CSS.escape(edge.elementId)}`);
      if (!element) continue;
      element.setAttribute('data-from', edge.from);
      element.setAttribute('data-to', edge.to);
      element.setAttribute('data-kind', edge.kind);
    }
    this.container.replaceChildren(svg);
    this.apply();
  }

  /** Shows the dimmed look of a tree kept from an earlier, good save. @param {boolean} stale */
  setStale(stale) {
    this.container.classList.toggle('stale', stale);
  }

  /** @param {{ path?: Hop[], speaking?: string | null, active?: string | null }} marks */
  mark(marks) {
    this.marks = { ...this.marks, ...marks };
    this.apply();
  }

  apply() {
    const { path, speaking, active } = this.marks;
    const visited = new Set(path.flatMap((hop) => [hop.from, hop.to]));
    if (this.tree && (path.length > 0 || speaking)) visited.add(this.tree.root);
    for (const element of this.container.querySelectorAll('[data-agent]')) {
      const name = element.getAttribute('data-agent');
      element.classList.toggle('visited', visited.has(name ?? ''));
      element.classList.toggle('speaking', name === speaking);
      element.classList.toggle('active', name === active);
    }
    const taken = new Set(path.map((hop) => `${hop.from}\u0000${hop.to}`));
    for (const element of this.container.querySelectorAll('[data-from]')) {
      const key = `${element.getAttribute('data-from')}\u0000${element.getAttribute('data-to')}`;
      element.classList.toggle('taken', taken.has(key));
    }
  }
}
