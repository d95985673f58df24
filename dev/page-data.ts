/**
 * What the dev page receives, as plain JSON: the tree (drawing, agents, edges with their SVG ids),
 * the file's problems, and threads (transcript, shared state, handoff trail).
 */
import type { BaseMessage } from '@langchain/core/messages';
import { formatIssue } from '../errors/config-error.js';
import type { EdgeKind } from '../config/edges.js';
import type { TurnResult } from '../runtime/turn.js';
import type { HandoffRecord, SwitchboardState } from '../state/schema.js';
import { cutAtMaxTokens } from '../models/reply-check.js';
import type { ModelOption } from '../models/resolve.js';
import type { NodeRole } from '../viz/diagram.js';
import { edgeElementId, nodeElementId } from '../viz/dot.js';
import type { TreeState } from './live-tree.js';
import { describeAgentModels, describeModel, describeModelOption } from './model-description.js';

export interface PageIssue {
  /** `file:line:col severity CODE message hint`, as the terminal prints it. */
  text: string;
  severity: 'error' | 'warning';
  line: number;
  column: number;
}

export interface PageTree {
  name: string;
  root: string;
  version: number;
  /** Unique to this version of this server process (see GoodTree.id): what the page compares to know the drawing changed. */
  id: string;
  loadedAt: string;
  svg: string;
  /** The way `svg` runs: `LR` for wide trees, else `TB`. */
  direction: 'TB' | 'LR';
  /** The drawing each way. */
  svgs: { TB: string; LR: string };
  agents: {
    name: string;
    role: NodeRole;
    description: string;
    elementId: string;
    /** The model the agent runs (its first), in words, e.g. `OpenAI gpt-4o-mini` or `offline model (GROQ_API_KEY is not set)`; people have none. */
    model?: string | undefined;
  }[];
  /** The tree's shared-state fields (`state:`), with their types (and allowed values for enums). */
  fields: { name: string; type: 'string' | 'number' | 'boolean' | 'enum'; values?: string[] | undefined }[];
  edges: { from: string; to: string; kind: EdgeKind; label: string; elementId: string }[];
}

export interface PageSnapshot {
  revision: number;
  file: string;
  /**
   * Which models run the agents, in words, as the tree shown names them and the model option picks
   * them (per agent when they differ), as `switchboard dev` prints it; before the file first loads,
   * the option alone.
   */
  model: string;
  /** The last good tree (null until the file first loads). */
  tree: PageTree | null;
  issues: PageIssue[];
  /** The file as saved has errors: `tree` is the last good version. */
  broken: boolean;
}

/** How the dev server picks models: the option (`--model`) and the environment the API keys are read from. */
export interface PageModels {
  option: ModelOption;
  env: Record<string, string | undefined>;
}

/** The page's view of the live tree. */
export function toPageSnapshot(state: TreeState, file: string, models: PageModels): PageSnapshot {
  const good = state.good;
  const spec = good?.loaded.spec;
  const agentModels = spec ? describeAgentModels(spec, models.option, models.env) : {};
  const issues: PageIssue[] = state.issues.map((issue) => ({
    text: formatIssue(issue),
    severity: issue.severity,
    line: issue.line,
    column: issue.column,
  }));
  if (state.failure !== undefined)
    issues.unshift({ text: `${file}:1:1 error INTERNAL ${state.failure}`, severity: 'error', line: 1, column: 1 });
  return {
    revision: state.revision,
    file,
    model: spec ? describeModel(spec, models.option, models.env) : describeModelOption(models.option),
    tree: good
      ? {
          name: good.diagram.name,
          root: good.diagram.root,
          version: good.version,
          id: good.id,
          loadedAt: good.loadedAt,
          svg: good.svg,
          direction: good.direction,
          svgs: good.svgs,
          agents: good.diagram.nodes.map((node, index) => ({
            ...node,
            elementId: nodeElementId(index),
            ...(Object.hasOwn(agentModels, node.name) ? { model: agentModels[node.name] } : {}),
          })),
          fields: Object.entries(good.loaded.spec.state ?? {}).map(([name, field]) => ({
            name,
            type: field.type,
            ...(field.type === 'enum' ? { values: field.values } : {}),
          })),
          edges: good.diagram.edges.map((edge, index) => ({
            from: edge.from,
            to: edge.to,
            kind: edge.kind,
            label: edge.label,
            elementId: edgeElementId(index),
          })),
        }
      : null,
    issues,
    broken: state.broken,
  };
}

export interface PageMessage {
  role: 'user' | 'agent';
  /** The user turn it belongs to (1-based). */
  turn: number;
  /** The agent that wrote it. */
  agent?: string | undefined;
  text: string;
  /** An agent's reply cut at its model's `maxTokens`: only the start of an answer (left out otherwise). */
  truncated?: true | undefined;
}

export interface PageThreadState {
  threadId: string;
  activeAgent: string;
  fields: Record<string, unknown>;
  turn: { number: number; status: string; path: string[] };
  handoffs: Pick<HandoffRecord, 'from' | 'to' | 'kind' | 'tool' | 'payload' | 'turn' | 'reason'>[];
  usage: SwitchboardState['usage']['total'];
}

/** The shared state of a thread, without the messages (they go in the transcript). */
export function toPageState(threadId: string, state: SwitchboardState): PageThreadState {
  return {
    threadId,
    activeAgent: state.activeAgent,
    fields: state.fields,
    turn: { number: state.turn.number, status: state.turn.status, path: state.turn.path },
    handoffs: state.handoffs.map(({ from, to, kind, tool, payload, turn, reason }) => ({ from, to, kind, tool, payload, turn, reason })),
    usage: state.usage.total,
  };
}

/**
 * The messages a person reads: user messages and agent replies (tool traffic and empty tool-call
 * turns left out). `turnsBefore`: the turns the thread had before the first of `messages`.
 */
export function toPageMessages(messages: readonly BaseMessage[], turnsBefore = 0): PageMessage[] {
  let turn = turnsBefore;
  return messages.flatMap((message) => {
    if (message.type === 'human') turn += 1;
    return toPageMessage(message, turn);
  });
}

/**
 * One message of user turn `turn` as the page shows it, or nothing for tool traffic. A reply cut at
 * maxTokens is marked when the message still has its finish reason (as the checkpoint keeps it; the
 * journal does not, see whole-thread.ts).
 */
export function toPageMessage(message: BaseMessage, turn: number): PageMessage[] {
  const text = message.text;
  if (message.type === 'human') return [{ role: 'user', turn, text }];
  if (message.type === 'ai' && text.trim() !== '') return [{ role: 'agent', turn, agent: message.name, text, ...(cutAtMaxTokens(message) ? { truncated: true as const } : {}) }];
  return [];
}

/** One move of control drawn on the page. */
export interface PageHop {
  from: string;
  to: string;
  kind: string;
  /** The user turn it happened in. */
  turn: number;
}

export function toPageHops(records: readonly Pick<HandoffRecord, 'from' | 'to' | 'kind' | 'turn'>[]): PageHop[] {
  return records.map(({ from, to, kind, turn }) => ({ from, to, kind, turn }));
}

/** A turn's result for the page. */
export function toPageResult(result: TurnResult) {
  return {
    threadId: result.threadId,
    turn: result.turn,
    agent: result.agent,
    reply: result.reply ?? null,
    status: result.status,
    error: result.error ?? null,
    waitingFor: result.waitingFor ?? null,
    state: toPageState(result.threadId, result.state),
  };
}
