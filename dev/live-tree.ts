/**
 * A tree file kept live for the dev page: reloaded when it is saved, linted, compiled and drawn.
 * A broken save keeps the last good tree (still drawn and runnable) and reports the problems.
 */
import { randomUUID } from 'node:crypto';
import { watch } from 'node:fs';
import type { FSWatcher } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename, dirname, resolve } from 'node:path';
import type { BaseCheckpointSaver } from '@langchain/langgraph';
import type { Logger } from 'pino';
import { lintTreeText, parseTree } from '../config/load.js';
import type { LoadedTree } from '../config/load.js';
import { ConfigError } from '../errors/config-error.js';
import type { ConfigIssue } from '../errors/config-error.js';
import { compileTree } from '../graphs/compile.js';
import type { CompileOptions, SwitchboardGraph, ToolRegistry } from '../graphs/compile.js';
import { toolNamesOf } from '../graphs/tool-names.js';
import type { ModelOption } from '../models/resolve.js';
import { describeGraph } from '../viz/diagram.js';
import type { Diagram } from '../viz/diagram.js';
import { toDot } from '../viz/dot.js';
import { svgSize } from '../viz/direction.js';
import type { LayoutDirection } from '../viz/direction.js';
import { renderSvg } from '../viz/render.js';

/** A version of the tree that loaded, compiled and drew. */
export interface GoodTree {
  /** Counts the good versions since the server started (1, 2…). */
  version: number;
  /**
   * Names this version uniquely, across restarts too: versions start again at 1 in every server
   * process, and a page left open while `dev` restarts must not take the new tree's version 1 for
   * the old one's.
   */
  id: string;
  loaded: LoadedTree;
  graph: SwitchboardGraph;
  diagram: Diagram;
  /** The drawing, an `<svg>` element (no XML prolog), laid out the narrower way (see chooseDirection). */
  svg: string;
  /** The way `svg` runs. */
  direction: LayoutDirection;
  /** The drawing each way, for the page's direction switch. */
  svgs: Record<LayoutDirection, string>;
  loadedAt: string;
}

/** What the file holds now: its problems, and the last good tree. */
export interface TreeState {
  /** Counts every change the page must show (a new good tree, or new problems). */
  revision: number;
  good: GoodTree | undefined;
  /** The problems of the file as saved now (errors and warnings); empty when it is clean. */
  issues: ConfigIssue[];
  /** An unexpected failure (a bug, not a mistake in the file) while compiling or drawing it. */
  failure: string | undefined;
  /** True when the file as saved has errors (or failed), so `good` is an older version. */
  broken: boolean;
}

export interface LiveTreeOptions {
  /** The tree file, as the user named it (issues print it this way). */
  file: string;
  tools: ToolRegistry;
  checkpointer: BaseCheckpointSaver;
  logger: Logger;
  model: ModelOption;
  /** The environment API keys and OPENAI_BASE_URL are read from. Default: `process.env`. */
  env?: Record<string, string | undefined> | undefined;
  /** More compile options for every version (retention, thread lock, observers, trace…). */
  compile?: Partial<CompileOptions> | undefined;
  /** Quiet time after a file event before reloading, so one save reloads once. Default 60 ms. */
  debounceMs?: number | undefined;
}

/** Loads a tree file, then follows its saves. */
export class LiveTree {
  private state: TreeState = { revision: 0, good: undefined, issues: [], failure: undefined, broken: false };
  private lastText: string | undefined;
  private queue: Promise<void> = Promise.resolve();
  private watcher: FSWatcher | undefined;
  private timer: NodeJS.Timeout | undefined;
  private readonly listeners = new Set<(state: TreeState) => void>();
  /** This process's part of every {@link GoodTree.id}. */
  private readonly instance = randomUUID();

  constructor(private readonly options: LiveTreeOptions) {}

  /** The tree as it is now. */
  get current(): TreeState {
    return this.state;
  }

  /** Calls `listener` after every change; returns the function that stops it. */
  subscribe(listener: (state: TreeState) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Reads the file now (reloads run one at a time, in order). */
  reload(): Promise<void> {
    this.queue = this.queue.then(() => this.load());
    return this.queue;
  }

  /** Starts following saves: the folder is watched, since editors often save by replacing the file. */
  watch(): void {
    const path = resolve(this.options.file);
    const name = basename(path);
    this.watcher = watch(dirname(path), (_event, changed) => {
      if (changed !== null && changed.toString() !== name) return;
      clearTimeout(this.timer);
      this.timer = setTimeout(() => void this.reload(), this.options.debounceMs ?? 60);
    });
    this.watcher.on('error', (error) =>
      this.options.logger.warn({ event: 'watch-error', error: error.message }, 'the tree file cannot be watched any more'),
    );
  }

  close(): void {
    clearTimeout(this.timer);
    this.watcher?.close();
    this.listeners.clear();
  }

  private async load(): Promise<void> {
    const { file, tools, logger } = this.options;
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (error) {
      const reason = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'does not exist (any more)' : 'cannot be read';
      this.lastText = undefined;
      this.publish([
        {
          code: 'FILE_NOT_FOUND',
          severity: 'error',
          message: `The file ${reason}.`,
          hint: 'Save it again to reload.',
          path: [],
          file,
          line: 1,
          column: 1,
        },
      ]);
      return;
    }
    if (text === this.lastText) return; // the same content saved again
    this.lastText = text;
    const issues = lintTreeText(text, file, { tools: toolNamesOf(tools) });
    if (issues.some((issue) => issue.severity === 'error')) {
      this.publish(issues);
      return;
    }
    try {
      const loaded = parseTree(text, file, { tools: toolNamesOf(tools) });
      const graph = compileTree(loaded, {
        ...this.options.compile,
        tools,
        checkpointer: this.options.checkpointer,
        logger,
        model: this.options.model,
        env: this.options.env,
      });
      const diagram = await describeGraph(graph);
      // Both ways (as chooseDirection does), keeping the narrower as the first shown.
      const [down, across] = await Promise.all([renderSvg(toDot(diagram, { direction: 'TB' })), renderSvg(toDot(diagram, { direction: 'LR' }))]);
      const [downSize, acrossSize] = [svgSize(down), svgSize(across)];
      const direction: LayoutDirection = downSize && acrossSize && acrossSize.width < downSize.width ? 'LR' : 'TB';
      const svgs = { TB: stripProlog(down), LR: stripProlog(across) };
      const svg = svgs[direction];
      const version = (this.state.good?.version ?? 0) + 1;
      logger.info({ event: 'tree-reload', version, agents: diagram.nodes.length }, 'tree loaded');
      this.publish(issues, { version, id: `${this.instance}/${version}`, loaded, graph, diagram, svg, direction, svgs, loadedAt: new Date().toISOString() });
    } catch (error) {
      if (error instanceof ConfigError) {
        this.publish(error.issues);
      } else {
        logger.error({ event: 'tree-reload-failure', error: (error as Error).message }, 'the tree could not be compiled or drawn');
        this.publish(issues, undefined, (error as Error).message);
      }
    }
  }

  private publish(issues: ConfigIssue[], good?: GoodTree, failure?: string): void {
    const broken = failure !== undefined || issues.some((issue) => issue.severity === 'error');
    this.state = { revision: this.state.revision + 1, good: good ?? this.state.good, issues, failure, broken };
    for (const listener of this.listeners) listener(this.state);
  }
}

/** Graphviz's SVG without the XML declaration, DOCTYPE and comments: an element to put in a page. */
function stripProlog(svg: string): string {
  const start = svg.indexOf('<svg');
  return start >= 0 ? svg.slice(start) : svg;
}
