/**
 * Switchboard: a YAML agent tree compiled to a LangGraph state graph.
 *
 * ```ts
 * const graph = compileTree(await loadTree('config/support.yaml'), { tools, checkpointer });
 * const result = await runTurn(graph, { threadId, message: 'I was charged twice' });
 * ```
 *
 * This entry loads what a backend turn needs. Drawings are in `switchboard/viz`, the dev page's
 * server in `switchboard/dev`, routing evaluation in `switchboard/eval`, the PostgreSQL parts in
 * `switchboard/postgres` (a postgres:// URL given to `openCheckpointer` loads them itself; they need
 * `npm install pg @langchain/langgraph-checkpoint-postgres`), and the CLI loads each command when it runs.
 */
export { loadTree, parseTree, lintTreeText } from './config/load.js';
export type { LoadedTree, TreePolicy, TreeRegistry } from './config/load.js';
export { TreeSchema, AgentSchema, FieldSchema, PayloadFieldSchema, DEFAULT_LIMITS, DEFAULT_HISTORY, DEFAULT_RETRY } from './config/schema.js';
export type { Tree, TreeInput, Agent, Field, PayloadField, History, Limits, ResolvedLimits, ModelConfig, Retry } from './config/schema.js';
export { CONFIG_ISSUE_CODES, ConfigError, formatIssue } from './errors/config-error.js';
export type { ConfigIssue, ConfigIssueCode } from './errors/config-error.js';
export { SwitchboardError } from './errors/switchboard-error.js';
export { compileTree, runtimeOf } from './graphs/compile.js';
export { createGraphFactory } from './graphs/factory.js';
export type { GraphFactory, GraphFactoryOptions } from './graphs/factory.js';
export type { CompileOptions, SwitchboardGraph, ToolRegistry } from './graphs/compile.js';
export { listEdges, handoffToolName } from './config/edges.js';
export type { Edge, EdgeKind, HandoffKind } from './config/edges.js';
export { OfflineChatModel, OFFLINE_MARK } from './models/offline.js';
export { buildOfflineRules } from './models/offline-rules.js';
export type { OfflineRules, OfflineRule } from './models/offline-rules.js';
export { createOpenAIModel } from './models/resolve.js';
export type { ModelMode, ModelOption, ModelRequest } from './models/resolve.js';
export type { TurnErrorCode } from './nodes/agent.js';
export { HumanReplySchema } from './nodes/human.js';
export type { EscalationRequest, HumanReply } from './nodes/human.js';
export { ApprovalDecisionSchema } from './nodes/approval.js';
export type { ApprovalDecision, ApprovalRequest } from './nodes/approval.js';
export { DEFAULT_HOOK_TIMEOUT_MS } from './nodes/hooks.js';
export type { HandoffHook, HandoffHookContext, HandoffHookResult, HandoffHooks, HookMoveKind, HooksOptions } from './nodes/hooks.js';
// The types the public ones are made of.
export type { FieldValue } from './eval/field-values.js';
export type { TreeRuntime } from './nodes/context.js';
export type { TraceEvent } from './runtime/turn-journal.js';
export type { ExampleToolsOptions } from './tools/examples.js';
export { approveHandoff, denyHandoff, pendingApprovals, resolveApproval, streamApproval } from './runtime/approval.js';
export type { DecisionOptions, WaitingRequest } from './runtime/approval.js';
export { openCheckpointer, DEFAULT_SQLITE_PATH, POSTGRES_POOL_DEFAULTS } from './store/checkpointer.js';
export type { Checkpointer, OpenCheckpointerOptions } from './store/checkpointer.js';
export type { Retention } from './store/retention.js';
export { FastJsonPlusSerializer, withFastSerializer } from './store/serde.js';
export { LOG_REDACT_PATHS, hashThreadId, hashThreadIds, MIN_THREAD_ID_KEY_BYTES } from './nodes/events.js';
export type { EventContext, EventObserver, HandoffRefuseCode, HashThreadIdsOptions, SwitchboardEvent, SwitchboardEventType } from './nodes/events.js';
export { MemoryJournal } from './store/journal.js';
export type { JournalEntry, JournalEntryInput, JournalKind, JournalPage, JournalThread, ListJournalThreadsOptions, ReadJournalOptions, ScanJournalOptions, ThreadJournal } from './store/journal.js';
export { escapeControlCharacters, escapeControlCharactersIn, stringifyForTerminal } from './dev/control-characters.js';
export { DEFAULT_PRICES, costOf } from './models/prices.js';
export type { CacheTokens, Price, PriceTable } from './models/prices.js';
export { listWaitingThreads, listThreadIds } from './runtime/threads.js';
export { forkThread, threadAtTurn, listTurnCheckpoints } from './runtime/fork.js';
export type { ForkThreadOptions, ForkResult, ThreadAtTurn, TurnCheckpoint } from './runtime/fork.js';
export { getTranscript, getTurnSummaries, getTrace, listThreads } from './runtime/transcript.js';
export type { ListThreadsOptions, ThreadListing, TraceEntry, TranscriptMessage, TranscriptOptions, TranscriptPage } from './runtime/transcript.js';
export type { TurnSummary } from './runtime/turn-summary.js';
export { messageFromJournal, messageToJournal } from './state/journal-message.js';
export type { JournalMessage } from './state/journal-message.js';
export { SqliteJournal } from './store/sqlite-journal.js';
export { routingStats, summarizeTurns } from './runtime/stats.js';
export type { PathCost, PathCount, RoutingStats, StatsPeriod, TurnFacts } from './runtime/stats.js';
export { runTurn, streamTurn, resumeThread, streamResume, pendingEscalations, recoverThread, TurnError, NothingPendingError } from './runtime/turn.js';
export { createMemoryThreadLock, DEFAULT_LOCK_WAIT_MS } from './store/thread-lock.js';
export type { ThreadLease, ThreadLock, ThreadLockOptions, ThreadLockPolicy } from './store/thread-lock.js';
export { createPostgresThreadLock } from './store/postgres-thread-lock.js';
export type { PostgresThreadLockOptions } from './store/postgres-thread-lock.js';
export { createSqliteThreadLock, SqliteThreads } from './store/sqlite-thread-lock.js';
export type { SqliteThreadLockOptions } from './store/sqlite-thread-lock.js';
export { FENCE_KEY, MemoryFences } from './store/fences.js';
export type { Fence } from './store/fences.js';
export { ThreadBusyError } from './errors/thread-busy-error.js';
export { ThreadTreeError } from './errors/thread-tree-error.js';
export { LockLostError, StoreError } from './errors/store-error.js';
export type { StoreErrorDetails, StoreErrorSaved } from './errors/store-error.js';
export { InputError } from './errors/input-error.js';
export type { AnswerOptions, RefusedCall, TurnInput, TurnResult } from './runtime/turn.js';
export { createStateSchema } from './state/schema.js';
export type { SwitchboardState, HandoffRecord, Turn, CallUsage, Usage, UsageTotals } from './state/schema.js';
export { usageOfTurn } from './state/turn-usage.js';
export { selectHistory } from './state/history.js';
export { getToolContext } from './nodes/tool-context.js';
export type { ToolContext } from './nodes/tool-context.js';
export { createExampleTools } from './tools/examples.js';
export { MemoryLedger, SqliteLedger, PostgresLedger } from './store/ledger.js';
export type { SideEffect, SideEffectLedger } from './store/ledger.js';
