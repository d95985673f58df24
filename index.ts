/**
 * Switchboard: a YAML agent tree compiled to a LangGraph state graph.
 *
 * ```ts
 * const graph = compileTree(await loadTree('config/support.yaml'), { tools, checkpointer });
 * const result = await runTurn(graph, { threadId, message: 'I was charged twice' });
 * ```
 */
export { loadTree, parseTree, lintTreeText } from './config/load.js';
export type { LoadedTree, TreeRegistry } from './config/load.js';
export { TreeSchema, AgentSchema, FieldSchema, PayloadFieldSchema, DEFAULT_LIMITS, DEFAULT_HISTORY, DEFAULT_RETRY } from './config/schema.js';
export type { Tree, TreeInput, Agent, Field, PayloadField, History, Limits, ResolvedLimits, ModelConfig, Retry } from './config/schema.js';
export { ConfigError, formatIssue } from './errors/config-error.js';
export type { ConfigIssue, ConfigIssueCode } from './errors/config-error.js';
export { SwitchboardError } from './errors/switchboard-error.js';
export { compileTree, runtimeOf } from './graphs/compile.js';
export { createGraphFactory } from './graphs/factory.js';
export type { GraphFactory, GraphFactoryOptions } from './graphs/factory.js';
export type { CompileOptions, SwitchboardGraph, ToolRegistry } from './graphs/compile.js';
export { listEdges, handoffToolName } from './graphs/edges.js';
export type { Edge, EdgeKind, HandoffKind } from './graphs/edges.js';
export { OfflineChatModel, OFFLINE_MARK } from './models/offline.js';
export { createOpenAIModel } from './models/resolve.js';
export type { ModelOption, ModelRequest } from './models/resolve.js';
export type { TurnErrorCode } from './nodes/agent.js';
export { HumanReplySchema } from './nodes/human.js';
export type { EscalationRequest, HumanReply } from './nodes/human.js';
export { openCheckpointer, DEFAULT_SQLITE_PATH } from './runtime/checkpointer.js';
export type { Checkpointer } from './runtime/checkpointer.js';
export type { SwitchboardEvent, SwitchboardEventType } from './runtime/events.js';
export { DEFAULT_PRICES, costOf } from './runtime/prices.js';
export type { Price, PriceTable } from './runtime/prices.js';
export { listWaitingThreads, listThreadIds } from './runtime/threads.js';
export { runTurn, streamTurn, resumeThread, streamResume, pendingEscalations, TurnError } from './runtime/turn.js';
export type { TurnInput, TurnResult } from './runtime/turn.js';
export { createStateSchema } from './state/schema.js';
export type { SwitchboardState, HandoffRecord, Turn, Usage, UsageTotals } from './state/schema.js';
export { selectHistory } from './state/history.js';
export { getToolContext } from './tools/context.js';
export type { ToolContext } from './tools/context.js';
export { createExampleTools } from './tools/examples.js';
export { MemoryLedger } from './tools/ledger.js';
export type { SideEffect, SideEffectLedger } from './tools/ledger.js';
export { describeGraph } from './viz/diagram.js';
export type { Diagram, DiagramEdge, DiagramNode, NodeRole } from './viz/diagram.js';
export { startDevServer } from './dev/server.js';
export type { DevServer, DevServerOptions } from './dev/server.js';
export { toMermaid } from './viz/mermaid.js';
export type { MermaidOptions } from './viz/mermaid.js';
export { toDot } from './viz/dot.js';
export type { DotOptions } from './viz/dot.js';
export { renderSvg, renderPng } from './viz/render.js';
export type { PngOptions } from './viz/render.js';
export { drawGraph, drawDiagram, DRAWING_FORMATS } from './viz/draw.js';
export type { DrawingFormat, DrawOptions } from './viz/draw.js';
