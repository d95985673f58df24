/**
 * `switchboard eval`: run a routing dataset on a tree; report accuracy, per-agent precision and
 * recall, the confusion matrix, mismatches and usage; optionally gate CI on accuracy and compare
 * with another version of the tree.
 */
import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { Option } from 'commander';
import cliProgress from 'cli-progress';
import { wholeNumber } from '../command-line.js';
import { loadTree } from '../../config/load.js';
import type { LoadedTree } from '../../config/load.js';
import { ConfigError } from '../../errors/config-error.js';
import { SwitchboardError } from '../../errors/switchboard-error.js';
import { compileTree } from '../../graphs/compile.js';
import type { SwitchboardGraph, ToolRegistry } from '../../graphs/compile.js';
import { compareReports } from '../../eval/compare.js';
import type { EvalComparison } from '../../eval/compare.js';
import { loadDataset } from '../../eval/dataset.js';
import { DatasetError, formatDatasetIssue } from '../../eval/dataset-error.js';
import { formatComparison, formatReport } from '../../eval/format.js';
import { attachJudge } from '../../eval/report.js';
import { DEFAULT_CONCURRENCY, runEval } from '../../eval/runner.js';
import type { RunEvalOptions } from '../../eval/runner.js';
import { JUDGE_SCORE_RANGE, judgeHandoffs } from '../../eval/judge.js';
import type { JudgeReport } from '../../eval/judge.js';
import type { ModelOption } from '../../models/resolve.js';
import { createOpenAIModel } from '../../models/resolve.js';
import { PROVIDER_NAMES } from '../../config/providers.js';
import type { ChatOpenAI } from '@langchain/openai';
import { createLogger, describeModel, EXIT, guard, LOG_HASH_KEY_ENV, LOG_LEVEL_HELP, loadTools, logLevelOption, MODEL_HELP, modelOption, SHOWN_BY_EVERY_COMMAND, UsageError, TOOLS_HELP } from '../setup.js';
import { colorEnabled, paint } from '../color.js';
import type { EvalReport } from '../../eval/report.js';
import { escapeControlCharacters, stringifyForTerminal } from '../../dev/control-characters.js';
import type { Logger } from 'pino';

interface EvalOptions {
  dataset: string;
  against?: string;
  concurrency: string;
  minAccuracy?: string;
  json?: boolean;
  model?: string;
  tools?: string;
  logLevel?: string;
  hashThreadIds?: boolean;
  judge?: string;
  minJudge?: string;
  rubric?: string;
}

export function registerEval(program: Command): void {
  program
    .command('eval <tree>')
    .description(
      'Run a routing dataset on the tree and report accuracy, precision and recall per agent, the confusion matrix and every mismatch.',
    )
    .requiredOption('-d, --dataset <file>', 'the dataset: YAML (version: 1, cases: …) or JSONL (one case a line)')
    .option('--against <tree>', 'also run the dataset on this other version of the tree and list the cases whose routing changed')
    .option('-c, --concurrency <n>', 'cases run at once', String(DEFAULT_CONCURRENCY))
    .option('--min-accuracy <x>', 'exit with code 1 when routing accuracy is below x (0.9 or 90%)')
    .option('--judge <model>', 'grade each handoff\'s reason with this model as an LLM judge: an OpenAI model id, gpt-4o or openai:gpt-4o (OpenAI or a compatible server: OPENAI_API_KEY, OPENAI_BASE_URL)')
    .option('--rubric <file>', 'with --judge: grade against this rubric (Markdown) instead of the built-in eval/rubrics/handoff-reason.md')
    .option('--min-judge <score>', 'with --judge: exit with code 1 when the mean judge score (1 to 5) is below this, or when more than half of the judge\'s answers were unusable')
    .option('--json', 'print the report as JSON')
    .addOption(new Option('--model <mode>', MODEL_HELP).default('auto'))
    .option('--tools <module>', TOOLS_HELP)
    .option('--log-level <level>', LOG_LEVEL_HELP)
    .option('--hash-thread-ids', `log thread ids as keyed hashes (HMAC-SHA256 with the key in $${LOG_HASH_KEY_ENV}; setting that key turns this on)`)
    .action((treePath: string, options: EvalOptions) => guard(() => evaluate(treePath, options), { json: options.json }));
}

async function evaluate(treePath: string, options: EvalOptions): Promise<number> {
  const concurrency = parseConcurrency(options.concurrency);
  const minAccuracy = options.minAccuracy === undefined ? undefined : parseMinAccuracy(options.minAccuracy);
  const model = modelOption(options.model);
  logLevelOption(options.logLevel);
  const minJudge = options.minJudge === undefined ? undefined : parseMinJudge(options.minJudge, options.judge);
  const judge = options.judge === undefined ? undefined : judgeModel(options.judge);
  const rubric = options.rubric === undefined ? undefined : await readRubric(options.rubric, options.judge);
  const tools = await loadTools(options.tools);
  const tree = await loadTree(treePath, { tools });
  const other = options.against === undefined ? undefined : await loadTree(options.against, { tools });
  let dataset;
  try {
    dataset = await loadDataset(options.dataset, { trees: other ? [tree, other] : [tree] });
  } catch (error) {
    if (!(error instanceof DatasetError)) throw error;
    for (const issue of error.issues) process.stderr.write(`${escapeControlCharacters(formatDatasetIssue(issue))}\n`);
    process.stderr.write(`${error.issues.length} error${error.issues.length === 1 ? '' : 's'}\n`);
    if (options.json) process.stdout.write(`${stringifyForTerminal({ error: { code: error.code, message: error.message, issues: error.issues } })}\n`);
    return EXIT.usage;
  }
  // A failed turn is in the report (text: its mismatch or uncheckedFailures; --json: `results`): not logged again.
  const logger = createLogger(options.logLevel, { hashThreadIds: options.hashThreadIds, shown: SHOWN_BY_EVERY_COMMAND });
  let graph: SwitchboardGraph;
  let otherGraph: SwitchboardGraph | undefined;
  try {
    graph = compileLoaded(tree, { tools, logger, model });
    otherGraph = other && compileLoaded(other, { tools, logger, model });
  } catch (error) {
    return refuseSetup(error, options.json);
  }
  if (!options.json) process.stderr.write(`${escapeControlCharacters(`${dataset.cases.length} cases · ${describeModel(tree.spec, model)} · concurrency ${concurrency}`)}\n`);

  const progress = createProgress(dataset.cases.length * (other ? 2 : 1));
  const run = (compiled: SwitchboardGraph, file: string) => runEval(compiled, dataset, { concurrency, treeFile: file, onCaseEnd: progress.tick });
  let report;
  let comparison: EvalComparison | undefined;
  try {
    report = await run(graph, treePath);
    if (otherGraph && options.against) {
      const before = await run(otherGraph, options.against);
      comparison = { before, after: report, changes: compareReports(before, report) };
    }
  } finally {
    progress.stop();
  }
  if (judge) {
    if (!options.json) process.stderr.write(`${escapeControlCharacters(`grading handoff reasons with ${judge.modelId}`)}\n`);
    report = attachJudge(report, await judgeHandoffs(report, tree.spec, { ...judge, concurrency, rubric }));
  }

  if (options.json) {
    const changes = comparison
      ? {
          against: {
            tree: comparison.before.tree,
            accuracy: comparison.before.accuracy,
            routing: comparison.before.routing,
            path: comparison.before.path,
            changes: comparison.changes,
          },
        }
      : {};
    process.stdout.write(`${stringifyForTerminal({ ...report, ...changes }, 2)}\n`);
  } else {
    const color = colorEnabled(process.stdout);
    // The report quotes datasets, trees and replies: the formatters make their control characters visible (once) before our colours go in.
    process.stdout.write(formatReport(report, { color }));
    const unchecked = uncheckedFailures(report, color);
    if (unchecked.length > 0) process.stdout.write(`\n${unchecked.join('\n')}\n`);
    if (comparison) process.stdout.write(`\n${formatComparison(comparison, { color })}`);
  }
  if (minAccuracy !== undefined && (report.accuracy ?? 0) < minAccuracy) {
    process.stderr.write(`routing accuracy ${percent(report.accuracy ?? 0)} is below --min-accuracy ${percent(minAccuracy)}\n`);
    return EXIT.turnFailed;
  }
  const judgeFailure = minJudge === undefined ? undefined : judgeGateFailure(report.judge, minJudge);
  if (judgeFailure !== undefined) {
    process.stderr.write(`${judgeFailure}\n`);
    return EXIT.turnFailed;
  }
  return EXIT.ok;
}

/**
 * The turns that failed with no expectation to miss (a case's earlier turns): the report's
 * mismatches never list them, and the failed turn is not logged either (see the logger's `shown`),
 * so the text output says so here, as a mismatch shows its error, and that the case fails for it
 * (`failure` in --json). A turn skipped after a failure adds nothing to the failure's own line.
 */
function uncheckedFailures(report: EvalReport, color: boolean): string[] {
  const failed = report.results.flatMap((outcome) =>
    outcome.turns.filter((turn) => !turn.checks && turn.actual.error && turn.actual.status !== 'skipped').map((turn) => ({ outcome, turn })),
  );
  if (failed.length === 0) return [];
  return [
    `Failed turns without an expectation (${failed.length})`,
    ...failed.flatMap(({ outcome, turn }) => [
      `${paint(color, 'red', '✗')} ${escapeControlCharacters(`${report.dataset.file}:${turn.line} ${outcome.id} turn ${turn.turn}`)}: ${stringifyForTerminal(turn.message)}`,
      `    ${escapeControlCharacters(`${turn.actual.status}: ${turn.actual.error?.code} ${turn.actual.error?.message}`)}`,
      `    ${caseFailedText(outcome, turn.turn)}`,
    ]),
  ];
}

/** What a failed turn without an expectation does to its case: it fails, and its later turns ran on without the answer, or not at all. */
function caseFailedText(outcome: EvalReport['results'][number], turn: number): string {
  if (turn === outcome.turns.length) return 'the case fails';
  return outcome.turns[turn]?.actual.status === 'skipped'
    ? 'the case fails; its later turns were not run'
    : "the case fails; its later turns ran on without this turn's answer";
}

/** More unusable judge answers than this share of the graded handoffs fail `--min-judge`, whatever the others scored. */
const MAX_UNUSABLE_JUDGE_SHARE = 0.5;

/** Why the judge's grades fail `--min-judge`; undefined when they pass. */
function judgeGateFailure(judge: JudgeReport | undefined, minJudge: number): string | undefined {
  const graded = (judge?.scored ?? 0) + (judge?.errors ?? 0);
  // A mean over the few answers that could be read says little about the rest: it must not pass the gate alone.
  if (judge && judge.errors > graded * MAX_UNUSABLE_JUDGE_SHARE)
    return `${judge.errors} of ${graded} judge answers were unusable (more than half): the mean over the other ${judge.scored} cannot pass --min-judge ${minJudge}`;
  const mean = judge?.meanScore;
  if (mean === null || mean === undefined) return `mean judge score n/a (nothing graded) is below --min-judge ${minJudge}`;
  return mean < minJudge ? `mean judge score ${mean.toFixed(2)} is below --min-judge ${minJudge}` : undefined;
}

/**
 * What compiling a tree refuses before any case runs (no API key for `--model online`, a bad hook)
 * is a mistake in the setup: exit 2, as for a bad tree or dataset; exit 1 says the run fell below a
 * gate. Printed the way the other commands print an error.
 */
function refuseSetup(error: unknown, json: boolean | undefined): number {
  if (!(error instanceof SwitchboardError) || error instanceof ConfigError) throw error;
  process.stderr.write(`${escapeControlCharacters(`error ${error.code}: ${error.message}`)}\n`);
  if (json) process.stdout.write(`${stringifyForTerminal({ error: { code: error.code, message: error.message } })}\n`);
  return EXIT.usage;
}

function compileLoaded(tree: LoadedTree, options: { tools: ToolRegistry; logger: Logger; model: ModelOption }) {
  // Threads live in memory: each case gets a fresh one, and nothing of an evaluation is kept.
  return compileTree(tree, { tools: options.tools, logger: options.logger, model: options.model });
}

/** A progress bar on stderr when it is a terminal; otherwise nothing. */
function createProgress(total: number): { tick: NonNullable<RunEvalOptions['onCaseEnd']>; stop: () => void } {
  if (!process.stderr.isTTY) return { tick: () => {}, stop: () => {} };
  const bar = new cliProgress.SingleBar(
    {
      stream: process.stderr,
      format: 'eval [{bar}] {value}/{total} cases · {failed} failing · {duration_formatted}',
      hideCursor: true,
      clearOnComplete: true,
    },
    cliProgress.Presets.shades_classic,
  );
  let failed = 0;
  bar.start(total, 0, { failed });
  return {
    tick: (outcome) => {
      if (!outcome.passed) failed += 1;
      bar.increment(1, { failed });
    },
    stop: () => bar.stop(),
  };
}

/** `--min-accuracy`: a fraction (0.9) or a percentage (90%). */
export function parseMinAccuracy(text: string): number {
  const trimmed = text.trim();
  const isPercent = trimmed.endsWith('%');
  const value = Number(isPercent ? trimmed.slice(0, -1) : trimmed);
  const fraction = isPercent ? value / 100 : value;
  if (trimmed === '' || trimmed === '%' || !Number.isFinite(value) || fraction < 0 || fraction > 1) {
    throw new UsageError(`--min-accuracy takes a fraction from 0 to 1 or a percentage, e.g. 0.9 or 90% (got "${text}").`);
  }
  return fraction;
}

async function readRubric(file: string, judge: string | undefined): Promise<string> {
  if (judge === undefined) throw new UsageError('--rubric needs --judge <model> (the model that grades against it).');
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    throw new UsageError(`Cannot read the rubric ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}.`);
  }
}

/** `--min-judge`: a score from 1 to 5, only with `--judge`. */
function parseMinJudge(text: string, judge: string | undefined): number {
  if (judge === undefined) throw new UsageError('--min-judge needs --judge <model> (the model that grades the handoff reasons).');
  const value = Number(text.trim());
  if (text.trim() === '' || !Number.isFinite(value) || value < JUDGE_SCORE_RANGE.min || value > JUDGE_SCORE_RANGE.max) {
    throw new UsageError(`--min-judge takes a score from ${JUDGE_SCORE_RANGE.min} to ${JUDGE_SCORE_RANGE.max}, e.g. 3.5 (got "${text}").`);
  }
  return value;
}

/**
 * The judge: an OpenAI (or OpenAI-compatible) model, `gpt-4o` or `openai:gpt-4o`. Its client retries
 * nothing (as for agents' models); judgeHandoffs retries each call (DEFAULT_JUDGE_RETRIES). Another
 * provider's prefix (`anthropic:…`) is refused: sent to OpenAI as a model id, every call would fail.
 * A colon elsewhere stays part of the id (`llama3:8b` on an OpenAI-compatible server).
 */
export function judgeModel(name: string, env: Record<string, string | undefined> = process.env): { model: ChatOpenAI; modelId: string } {
  const provider = /^([\w-]+):/.exec(name)?.[1];
  if (provider !== undefined && provider !== 'openai' && (PROVIDER_NAMES as readonly string[]).includes(provider)) {
    throw new UsageError(
      `--judge grades with OpenAI or an OpenAI-compatible server only, not ${provider} (got "${name}"). Give an OpenAI model id, e.g. gpt-4o or openai:gpt-4o; for another provider's model, point OPENAI_BASE_URL at an OpenAI-compatible endpoint that serves it and give its id without the prefix.`,
    );
  }
  const modelId = name.startsWith('openai:') ? name.slice('openai:'.length) : name;
  if (!/^[\w.:/-]{1,100}$/.test(modelId)) throw new UsageError(`--judge takes a model id such as gpt-4o (got "${name}").`);
  const apiKey = env.OPENAI_API_KEY;
  if (!apiKey) throw new UsageError('--judge needs OPENAI_API_KEY (and OPENAI_BASE_URL for an OpenAI-compatible server).');
  return { model: createOpenAIModel(undefined, modelId, apiKey, env), modelId };
}

function parseConcurrency(text: string): number {
  const value = wholeNumber(text);
  if (!Number.isInteger(value) || value < 1) throw new UsageError(`--concurrency takes a whole number of at least 1 (got "${text}").`);
  return value;
}

function percent(rate: number): string {
  return `${(rate * 100).toFixed(1)}%`;
}
