// The tree drawing: the server's SVG, annotated with agent names, highlighted with the path of the
// conversation (edges taken, agents visited, the agent speaking), and moved with zoom and pan
// (the wheel or the buttons zoom, dragging pans; "Fit" shows it whole, "Width" fits its width).

/**
 * @typedef {{ name: string, role: string, description: string, elementId: string, model?: string }} PageAgent
 * @typedef {{ from: string, to: string, kind: string, label: string, elementId: string }} PageEdge
 * @typedef {{ name: string, root: string, version: number, id: string, svg: string, direction: 'TB' | 'LR', svgs: { TB: string, LR: string }, agents: PageAgent[], edges: PageEdge[] }} PageTree
 * @typedef {{ from: string, to: string, kind: string, turn?: number }} Hop
 */

const MIN_SCALE = 0.1;
const MAX_SCALE = 8;
/** The namespace of the tooltips Graphviz writes (`xlink:title`). */
const XLINK = 'http://www.w3.org/1999/xlink';

export class Drawing {
  /** @param {HTMLElement} container */
  constructor(container) {
    this.container = container;
    /** @type {PageTree | null} */
    this.tree = null;
    /** @type {'auto' | 'TB' | 'LR'} */
    this.direction = 'auto';
    /** @type {string | null} the direction drawn */
    this.drawn = null;
    /** @type {{ path: Hop[], speaking: string | null, active: string | null }} */
    this.marks = { path: [], speaking: null, active: null };
    /** @type {{ path: Hop[], speaking: string | null, active: string | null } | null} a past turn's marks, lit instead (time travel) */
    this.past = null;
    this.view = { x: 0, y: 0, scale: 1 };
    /** @type {{ width: number, height: number }} the drawing's own size */
    this.size = { width: 1, height: 1 };
    /** True until the person zooms or pans: the drawing then follows the container's size. */
    this.fitted = true;
    this.listen();
    new ResizeObserver(() => {
      if (this.fitted && this.tree) this.fit();
    }).observe(container);
  }

  /** Draws a tree (a new version replaces the old one; the highlights carry over). @param {PageTree | null} tree */
  render(tree) {
    if (!tree) {
      this.tree = null;
      this.drawn = null;
      this.showMessage('empty', 'No tree yet: fix the errors above and save the file.');
      return;
    }
    const direction = this.direction === 'auto' ? tree.direction : this.direction;
    // The id, not the version: versions start again at 1 when `dev` restarts, with another tree perhaps.
    if (this.tree && this.tree.id === tree.id && this.drawn === direction) return;
    const fresh = !this.tree || this.drawn !== direction;
    this.tree = tree;
    this.drawn = direction;
    let svg;
    try {
      svg = this.annotated(tree, direction);
    } catch (error) {
      // Said in place of the drawing; the rest of the page (issues, threads, waiting) still follows the tree.
      this.showMessage('empty drawing-error', `The drawing of version ${tree.version} cannot be shown: ${error instanceof Error ? error.message : String(error)}`);
      return;
    }
    this.container.replaceChildren(svg);
    if (fresh) this.fit();
    else this.transform();
    this.apply();
  }

  /**
   * The tree's SVG laid out `direction`, with the agents' and edges' names on its elements. Throws
   * when the SVG is not well-formed XML (the browser's parser says where).
   * @param {PageTree} tree @param {'TB' | 'LR'} direction @returns {SVGSVGElement}
   */
  annotated(tree, direction) {
    const parsed = new DOMParser().parseFromString(tree.svgs?.[direction] ?? tree.svg, 'image/svg+xml');
    const failure = parsed.querySelector('parsererror');
    if (failure || !(parsed.documentElement instanceof SVGSVGElement)) {
      const reason = failure?.querySelector('div')?.textContent ?? failure?.textContent ?? 'it is not an SVG drawing';
      throw new Error(`its SVG is not well formed (${reason.trim()}).`);
    }
    const svg = /** @type {SVGSVGElement} */ (document.importNode(parsed.documentElement, true));
    const box = svg.viewBox.baseVal;
    this.size = { width: box?.width || 800, height: box?.height || 600 };
    svg.setAttribute('width', String(this.size.width));
    svg.setAttribute('height', String(this.size.height));
    svg.dataset.version = String(tree.version);
    svg.dataset.direction = direction;
    for (const agent of tree.agents) {
      const element = svg.querySelector(`#${CSS.escape(agent.elementId)}`);
      if (!element) continue;
      element.setAttribute('data-agent', agent.name);
      element.setAttribute('data-role', agent.role);
      if (agent.model !== undefined) showModel(element, agent.model);
    }
    for (const edge of tree.edges) {
      const element = svg.querySelector(`#${CSS.escape(edge.elementId)}`);
      if (!element) continue;
      element.setAttribute('data-from', edge.from);
      element.setAttribute('data-to', edge.to);
      element.setAttribute('data-kind', edge.kind);
    }
    return svg;
  }

  /** A line of text in place of the drawing. @param {string} className @param {string} text */
  showMessage(className, text) {
    this.container.replaceChildren(Object.assign(document.createElement('p'), { className, textContent: text }));
  }

  /** Lays the tree out top to bottom, left to right, or (auto) the narrower way. @param {'auto' | 'TB' | 'LR'} direction */
  setDirection(direction) {
    this.direction = direction;
    if (this.tree) this.render(this.tree);
  }

  /** Shows the whole drawing. */
  fit() {
    const { clientWidth, clientHeight } = this.container;
    if (!clientWidth || !clientHeight) return this.set({ x: 0, y: 0, scale: 1 });
    const scale = Math.min(clientWidth / this.size.width, clientHeight / this.size.height);
    this.set({ x: (clientWidth - this.size.width * scale) / 2, y: (clientHeight - this.size.height * scale) / 2, scale });
    this.fitted = true;
  }

  /** Fits the drawing's width (a tall tree then scrolls by dragging). */
  fitWidth() {
    const width = this.container.clientWidth || this.size.width;
    this.set({ x: 0, y: 0, scale: width / this.size.width });
    this.fitted = false;
  }

  /** Zooms by `factor` around a point of the container (default: its centre). @param {number} factor @param {number} [atX] @param {number} [atY] */
  zoom(factor, atX = this.container.clientWidth / 2, atY = this.container.clientHeight / 2) {
    const scale = Math.min(MAX_SCALE, Math.max(MIN_SCALE, this.view.scale * factor));
    const ratio = scale / this.view.scale;
    this.set({ x: atX - (atX - this.view.x) * ratio, y: atY - (atY - this.view.y) * ratio, scale });
    this.fitted = false;
  }

  /** @param {number} dx @param {number} dy */
  pan(dx, dy) {
    this.set({ ...this.view, x: this.view.x + dx, y: this.view.y + dy });
    this.fitted = false;
  }

  /** @param {{ x: number, y: number, scale: number }} view */
  set(view) {
    this.view = view;
    this.transform();
  }

  transform() {
    const svg = this.container.querySelector('svg');
    if (!svg) return;
    svg.style.transform = `translate(${this.view.x.toFixed(1)}px, ${this.view.y.toFixed(1)}px) scale(${this.view.scale.toFixed(4)})`;
    this.container.dataset.scale = this.view.scale.toFixed(3);
  }

  listen() {
    this.container.addEventListener(
      'wheel',
      (event) => {
        event.preventDefault();
        const rect = this.container.getBoundingClientRect();
        this.zoom(Math.exp(-event.deltaY * 0.0015), event.clientX - rect.left, event.clientY - rect.top);
      },
      { passive: false },
    );
    /** @type {{ x: number, y: number } | null} */
    let dragging = null;
    this.container.addEventListener('pointerdown', (event) => {
      if (event.button !== 0) return;
      dragging = { x: event.clientX, y: event.clientY };
      this.container.setPointerCapture(event.pointerId);
      this.container.classList.add('dragging');
    });
    this.container.addEventListener('pointermove', (event) => {
      if (!dragging) return;
      this.pan(event.clientX - dragging.x, event.clientY - dragging.y);
      dragging = { x: event.clientX, y: event.clientY };
    });
    const stop = () => {
      dragging = null;
      this.container.classList.remove('dragging');
    };
    this.container.addEventListener('pointerup', stop);
    this.container.addEventListener('pointercancel', stop);
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

  /**
   * Lights the path as it was at the end of a past turn (time travel) instead of the conversation's,
   * which keeps following the turns; null lights the conversation's again.
   * @param {{ path: Hop[], speaking: string | null, active: string | null } | null} marks
   */
  showPast(marks) {
    this.past = marks;
    this.container.classList.toggle('past', marks !== null);
    this.apply();
  }

  apply() {
    const { path, speaking, active } = this.past ?? this.marks;
    const visited = new Set(path.flatMap((hop) => [hop.from, hop.to]));
    if (this.tree && (path.length > 0 || speaking)) visited.add(this.tree.root);
    for (const element of this.container.querySelectorAll('[data-agent]')) {
      const name = element.getAttribute('data-agent');
      element.classList.toggle('visited', visited.has(name ?? ''));
      element.classList.toggle('speaking', name === speaking);
      element.classList.toggle('active', name === active);
    }
    // Two edges may join the same agents (an escalation and a fallback): a move lights the edge of its
    // kind, or every edge between them when none is of its kind (a limit redirect along an escalation).
    const pair = (/** @type {string | null} */ from, /** @type {string | null} */ to) => `${from}\u0000${to}`;
    const edges = [...this.container.querySelectorAll('[data-from]')].map((element) => ({
      element,
      between: pair(element.getAttribute('data-from'), element.getAttribute('data-to')),
      kind: element.getAttribute('data-kind'),
    }));
    const drawn = new Set(edges.map(({ between, kind }) => `${between}\u0000${kind}`));
    const taken = new Set(
      path.map((hop) => {
        const exact = `${pair(hop.from, hop.to)}\u0000${hop.kind}`;
        return drawn.has(exact) ? exact : pair(hop.from, hop.to);
      }),
    );
    for (const { element, between, kind } of edges) {
      element.classList.toggle('taken', taken.has(between) || taken.has(`${between}\u0000${kind}`));
    }
  }
}

/**
 * Puts the model an agent runs on its node: `data-model`, and the tooltip (`name: description`)
 * gains a line with it. @param {Element} element @param {string} model
 */
function showModel(element, model) {
  element.setAttribute('data-model', model);
  const link = element.querySelector('a');
  const title = link?.getAttributeNS(XLINK, 'title');
  if (link && title) link.setAttributeNS(XLINK, 'xlink:title', `${title}\nModel: ${model}`);
}
