/**
 * `switchboard/eval`: routing datasets, their runner, report, comparison and formatting (what
 * `switchboard eval` runs). Its own entry, so a backend that imports `switchboard` never loads it.
 */
export { loadDataset, parseDataset, datasetFormatOf } from './dataset.js';
export type { Dataset, DatasetFormat, DatasetOptions } from './dataset.js';
export { DatasetSchema, EvalCaseSchema, EvalTurnSchema } from './dataset-schema.js';
export type { DatasetCase, DatasetFile, DatasetFileInput, EvalCase, EvalCaseInput, EvalTurnInput, NormalizedTurn } from './dataset-schema.js';
export { DatasetError, formatDatasetIssue } from './dataset-error.js';
export type { DatasetIssue, DatasetIssueCode } from './dataset-error.js';
export { runEval, runCase, DEFAULT_CONCURRENCY } from './runner.js';
export type { RunEvalOptions } from './runner.js';
export { ERROR_AGENT } from './outcome.js';
export type { CaseOutcome, TurnOutcome } from './outcome.js';
export { attachJudge, buildReport } from './report.js';
export type { EvalReport, Mismatch, ReportContext, TagScore, UsageSum } from './report.js';
export { judgeHandoffs, readVerdict, handoffReasonRubric, JUDGE_SCORE_RANGE, DEFAULT_JUDGE_LOWEST, DEFAULT_JUDGE_RETRIES } from './judge.js';
export type { JudgeOptions, JudgeReport, JudgeUsage, JudgedHandoff } from './judge.js';
export { routingMetrics, percentile, score } from './metrics.js';
export type { AgentScore, ConfusionMatrix, RoutingMetrics, Score } from './metrics.js';
export { compareReports } from './compare.js';
export type { EvalComparison, RoutingChange } from './compare.js';
export { formatReport, formatComparison } from './format.js';
export type { FormatOptions } from './format.js';
export { datasetJsonSchema } from './json-schema.js';
