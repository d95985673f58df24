/**
 * The report as a person reads it in a terminal: scores, per-agent precision and recall, the
 * confusion matrix, every mismatch with its actual path, usage; and the routing changes of a
 * comparison.
 *
 * Takes the report as it is (raw text, as `--json` prints it) and makes it safe to print itself:
 * text shown bare has its control characters escaped ({@link escapeControlCharacters}), text shown
 * quoted is JSON-encoded first ({@link stringifyForTerminal}). Escaping before quoting would show
 * every escape's backslash twice (`"x\\x1b"`).
 */
import { styleText } from 'node:util';
import { escapeControlCharacters as bare, stringifyForTerminal as quoted } from '../dev/control-characters.js';
import type { EvalComparison, RoutingChange } from './compare.js';
import type { JudgeReport } from './judge.js';
import type { Score } from './metrics.js';
import { ERROR_AGENT } from './outcome.js';
import type { EvalReport, Mismatch, UsageSum } from './report.js';

export interface FormatOptions {
  /** ANSI colours (for a terminal). Default: false. */
  color?: boolean | undefined;
}

type Style = Parameters<typeof styleText>[0];

/** The whole report as text, ending with a newline. */
export function formatReport(report: EvalReport, options: FormatOptions = {}): string {
  const paint = painter(options.color ?? false);
  const lines: string[] = [];
  const { dataset, tree } = report;
  lines.push(paint('bold', bare(`Routing evaluation of ${tree.name}${tree.file ? ` (${tree.file})` : ''} on ${dataset.name} (${dataset.file})`)));
  lines.push(
    bare(`${dataset.cases} cases, ${dataset.turns} turns (${dataset.scoredTurns} scored) · models: ${report.models.join(', ') || 'none'} · concurrency ${report.concurrency} · ${seconds(report.durationMs)}`),
  );
  lines.push('');
  lines.push(
    ...table(
      [
        ['Routing accuracy', ...scoreCells(report.routing)],
        ['Path match', ...scoreCells(report.path)],
        ['Payload match', ...scoreCells(report.payload)],
        // Only when a turn expected or met a wait for approval: most trees gate nothing.
        ...(report.approval.total > 0 ? [['Approval match', ...scoreCells(report.approval)]] : []),
        ['Cases passed', ...scoreCells(report.cases)],
      ],
      [false, true, true],
    ),
  );
  lines.push('');
  lines.push(paint('bold', 'Per agent'));
  lines.push(
    ...table(
      [
        ['agent', 'expected', 'answered', 'precision', 'recall'],
        ...report.agents.map((agent) => [
          bare(agent.agent),
          String(agent.expected),
          String(agent.actual),
          percent(agent.precision),
          percent(agent.recall),
        ]),
      ],
      [false, true, true, true, true],
    ),
  );
  lines.push('');
  lines.push(paint('bold', 'Confusion matrix (rows: expected, columns: answered)'));
  lines.push(...confusionTable(report));
  if (report.tags.length > 0) {
    lines.push('');
    lines.push(paint('bold', 'Routing accuracy by tag'));
    lines.push(
      ...table(
        report.tags.map((tag) => [bare(tag.tag), ...scoreCells(tag)]),
        [false, true, true],
      ),
    );
  }
  lines.push('');
  lines.push(paint('bold', `Mismatches (${report.mismatches.length})`));
  if (report.mismatches.length === 0) lines.push(paint('green', 'none'));
  for (const mismatch of report.mismatches) lines.push(...formatMismatch(mismatch, dataset.file, paint));
  lines.push('');
  const { usage } = report;
  lines.push(
    `Usage: ${describeUsage(usage)} (${dollars(usage.costPerCaseUsd)} a case) · turn latency p50 ${milliseconds(usage.turnLatencyMs.p50)}, p95 ${milliseconds(usage.turnLatencyMs.p95)}`,
  );
  if (usage.judge) lines.push(`Judge: ${describeUsage(usage.judge)}${report.judge ? bare(` (${report.judge.model})`) : ''}`);
  if (usage.total) lines.push(`Total: ${describeUsage(usage.total)}`);
  if (report.unpricedModels.length > 0)
    lines.push(
      paint('yellow', bare(`Cost leaves out ${report.unpricedModels.join(', ')}: no price is known for ${report.unpricedModels.length === 1 ? 'it' : 'them'}. Add ${report.unpricedModels.length === 1 ? 'it' : 'them'} to the tree's prices: (US dollars per million input and output tokens).`)),
    );
  if (report.judge) lines.push('', ...formatJudge(report.judge, dataset.file, paint));
  return `${lines.join('\n')}\n`;
}

function formatJudge(judge: JudgeReport, file: string, paint: (style: Style, text: string) => string): string[] {
  const share = (value: number | null) => (value === null ? 'n/a' : percent(value));
  const lines = [paint('bold', bare(`Handoff reasons, graded by ${judge.model} (1–5)`))];
  lines.push(
    `Mean score ${judge.meanScore === null ? 'n/a' : judge.meanScore.toFixed(2)} over ${judge.scored} handoffs · specific ${share(judge.criteria.specific)} · topical ${share(judge.criteria.topical)} · consistent ${share(judge.criteria.consistent)}` +
      (judge.withoutReason > 0 ? ` · ${judge.withoutReason} without a reason` : '') +
      (judge.errors > 0 ? ` · ${judge.errors} unreadable judge answers` : ''),
  );
  if (judge.lowest.length > 0) lines.push('Lowest scored:');
  for (const graded of judge.lowest) {
    const score = graded.score === undefined ? paint('red', '  ?') : paint(graded.score <= 2 ? 'red' : graded.score === 3 ? 'yellow' : 'green', `${graded.score}/5`);
    lines.push(`${score} ${bare(`${file}:${graded.line} ${graded.case} turn ${graded.turn}: ${graded.from} → ${graded.to}, reason ${quoted(graded.reason)}`)}`);
    lines.push(`    ${bare(graded.error ?? graded.explanation ?? '')}`);
  }
  return lines;
}

/** The routing changes between two runs as text, ending with a newline. */
export function formatComparison(comparison: EvalComparison, options: FormatOptions = {}): string {
  const paint = painter(options.color ?? false);
  const { before, after, changes } = comparison;
  const name = (report: EvalReport) => report.tree.file ?? report.tree.name;
  const lines = [paint('bold', bare(`Routing changes: ${name(before)} → ${name(after)}`))];
  lines.push(
    `Routing accuracy ${percent(before.routing.rate)} → ${percent(after.routing.rate)} · path match ${percent(before.path.rate)} → ${percent(after.path.rate)}`,
  );
  const cases = new Set(changes.map((change) => change.case)).size;
  const count = (verdict: RoutingChange['verdict']) => changes.filter((change) => change.verdict === verdict).length;
  lines.push(
    `${cases} of ${after.dataset.cases} cases changed routing (${changes.length} turns: ${count('fixed')} fixed, ${count('broken')} broken, ${count('changed')} changed)`,
  );
  for (const change of changes) {
    const colour: Style = change.verdict === 'fixed' ? 'green' : change.verdict === 'broken' ? 'red' : 'yellow';
    lines.push(
      `${paint(colour, change.verdict.padEnd(7))} ${bare(`${after.dataset.file}:${change.line} ${change.case} turn ${change.turn}: ${asked(change.before)} → ${asked(change.after)}${change.expected ? ` (expected ${change.expected})` : ''}`)}`,
    );
    lines.push(`        ${quoted(change.message)}`);
    lines.push(bare(`        path was ${arrow(change.before.path)}, now ${arrow(change.after.path)}`));
  }
  return `${lines.join('\n')}\n`;
}

/** `billing`, or `billing (asks approval to person)` for a turn that stopped for approval. */
function asked(routing: RoutingChange['before']): string {
  return routing.approval === undefined ? routing.agent : `${routing.agent} (asks approval to ${routing.approval})`;
}

function formatMismatch(mismatch: Mismatch, file: string, paint: (style: Style, text: string) => string): string[] {
  const { expected, actual } = mismatch;
  const lines = [
    `${paint('red', '✗')} ${bare(`${file}:${mismatch.line} ${mismatch.case} turn ${mismatch.turn} (${mismatch.failed.join(', ')}): ${quoted(mismatch.message)}`)}`,
  ];
  lines.push(
    bare(`    expected ${expected.agent}${expected.path ? ` via ${arrow(expected.path)}` : ''}, got ${actual.agent} via ${arrow(actual.path)}`),
  );
  // Beside a wrong agent: a handoff the model chose but wrote badly is not a wrong routing decision.
  for (const refusal of actual.refused ?? [])
    lines.push(paint('yellow', bare(`    ✗ ${refusal.from}: ${refusal.tool || `move to ${refusal.to ?? '?'}`} refused (${refusal.code}${refusal.to && refusal.tool ? `, to ${refusal.to}` : ''}) — ${refusal.reason}`)));
  if (mismatch.failed.includes('payload'))
    lines.push(`    payload expected ${quoted(expected.payload)}, got ${quoted(actual.payload)}`);
  if (mismatch.failed.includes('approval'))
    lines.push(
      bare(`    expected ${expected.approval === undefined ? 'no approval' : `approval to ${expected.approval}`}, got ${actual.approval === undefined ? 'none' : `approval to ${actual.approval}`}`),
    );
  if (actual.error) lines.push(bare(`    ${actual.status}: ${actual.error.code} ${actual.error.message}`));
  return lines;
}

/** `12 model calls · 12,000 input + 120 output tokens · $0.0019` */
function describeUsage(usage: UsageSum): string {
  return `${usage.modelCalls} model calls · ${thousands(usage.inputTokens)} input + ${thousands(usage.outputTokens)} output tokens · ${dollars(usage.costUsd)}`;
}

function confusionTable(report: EvalReport): string[] {
  const { labels, counts } = report.confusion;
  const rows = labels
    .map((label, index) => ({ label, row: counts[index] ?? [] }))
    .filter(({ label }) => label !== ERROR_AGENT)
    .map(({ label, row }) => [label, ...row.map((count) => (count === 0 ? '.' : String(count)))]);
  return table([['expected \\ answered', ...labels].map((cell) => bare(cell)), ...rows.map((row) => row.map((cell) => bare(cell)))], [false, ...labels.map(() => true)]);
}

/** Rows of cells → aligned lines (right-aligned where `right` says so). */
function table(rows: string[][], right: boolean[]): string[] {
  const widths = rows.reduce<number[]>((max, row) => row.map((cell, index) => Math.max(max[index] ?? 0, cell.length)), []);
  return rows.map((row) =>
    row
      .map((cell, index) => (right[index] ? cell.padStart(widths[index] ?? 0) : cell.padEnd(widths[index] ?? 0)))
      .join('  ')
      .trimEnd(),
  );
}

function scoreCells(value: Score): [string, string] {
  return [`${value.correct}/${value.total}`, percent(value.rate)];
}

function percent(rate: number | null): string {
  return rate === null ? '—' : `${(rate * 100).toFixed(1)}%`;
}

function arrow(path: readonly string[]): string {
  return path.length === 0 ? '(nothing)' : path.join(' → ');
}

function dollars(value: number): string {
  if (value === 0) return '$0';
  return value < 0.01 ? `$${value.toFixed(6)}` : `$${value.toFixed(4)}`;
}

function thousands(value: number): string {
  return value.toLocaleString('en-US');
}

function milliseconds(value: number | null): string {
  return value === null ? '—' : `${value} ms`;
}

function seconds(value: number): string {
  return `${(value / 1000).toFixed(1)} s`;
}

function painter(color: boolean): (style: Style, text: string) => string {
  return (style, text) => (color ? styleText(style, text) : text);
}
