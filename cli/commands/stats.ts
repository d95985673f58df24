/**
 * `switchboard stats`: routing analytics of a tree's live conversations, read from the store.
 */
import type { Command } from 'commander';
import { routingStats } from '../../runtime/stats.js';
import type { RoutingStats } from '../../runtime/stats.js';
import { EXIT, guard, openSession, readingCommon, UsageError } from '../setup.js';
import type { CommonOptions } from '../setup.js';
import { escapeControlCharacters, stringifyForTerminal } from '../../dev/control-characters.js';
import { roundUsd } from '../../models/prices.js';

interface StatsOptions extends CommonOptions {
  since?: string;
  until?: string;
  json?: boolean;
}

export function registerStats(program: Command): void {
  readingCommon(program.command('stats <tree>'))
    .description('Routing analytics of the tree\'s conversations in the store: handoffs per conversation, escalation rates, paths, refusals, limits, fallbacks, cost per path.')
    .option('--since <when>', 'only turns that ended since then: an ISO date or time (2026-12-01, 2026-12-01T09:00Z) or a duration back from now (90m, 24h, 7d)')
    .option('--until <when>', 'only turns that ended before then (same forms as --since)')
    .option('--json', 'print JSON')
    .action((treePath: string, options: StatsOptions) =>
      guard(async () => {
        const now = new Date();
        const since = options.since === undefined ? undefined : parseWhen(options.since, '--since', now);
        const until = options.until === undefined ? undefined : parseWhen(options.until, '--until', now);
        if (since && until && since >= until) throw new UsageError(`--since (${since.toISOString()}) must be before --until (${until.toISOString()}).`);
        const session = await openSession(treePath, options, { readsOnly: true });
        try {
          const stats = await routingStats(session.graph, { since, until });
          process.stdout.write(options.json ? `${stringifyForTerminal({ ...withRoundedCosts(stats), since: stats.since ?? null, until: stats.until ?? null })}\n` : escapeControlCharacters(formatStats(stats)));
          return EXIT.ok;
        } finally {
          await session.checkpointer.close();
        }
      }, { json: options.json }),
    );
}

/** The stats with their dollar sums rounded (see roundUsd): added up turn by turn, they carry binary floating-point noise. */
export function withRoundedCosts(stats: RoutingStats): RoutingStats {
  const { cost } = stats;
  return {
    ...stats,
    cost: {
      ...cost,
      totalUsd: roundUsd(cost.totalUsd),
      perConversationUsd: cost.perConversationUsd === null ? null : roundUsd(cost.perConversationUsd),
      byPath: cost.byPath.map((row) => ({ ...row, costUsd: roundUsd(row.costUsd) })),
    },
  };
}

const DURATION = /^(\d+)(m|h|d|w)$/;
const UNIT_MS = { m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 } as const;

/** An ISO date/time, or a duration back from `now` (`90m`, `24h`, `7d`, `2w`). */
export function parseWhen(text: string, flag: string, now: Date): Date {
  const trimmed = text.trim();
  const duration = DURATION.exec(trimmed);
  const date = duration ? new Date(now.getTime() - Number(duration[1]) * UNIT_MS[duration[2] as keyof typeof UNIT_MS]) : /^\d{4}-\d{2}-\d{2}/.test(trimmed) ? new Date(trimmed) : new Date(Number.NaN);
  if (Number.isNaN(date.getTime())) throw new UsageError(`${flag} takes an ISO date or time (2026-12-01, 2026-12-01T09:00Z) or a duration such as 24h or 7d (got "${text}").`);
  if (!duration && !isCalendarDay(trimmed)) throw new UsageError(`${flag}: ${trimmed.slice(0, 10)} is not a day of the calendar (got "${text}").`);
  return date;
}

/** Whether an ISO text's date is a real day: `Date` rolls 2026-02-30 over to March 2 without a word. */
function isCalendarDay(iso: string): boolean {
  const [year, month, day] = iso.slice(0, 10).split('-').map(Number) as [number, number, number];
  const date = new Date(Date.UTC(year, month - 1, day));
  return date.getUTCMonth() === month - 1 && date.getUTCDate() === day;
}

const count = (n: number, noun: string) => `${n} ${noun}${n === 1 ? '' : 's'}`;

/** The figures as a person reads them. */
export function formatStats(stats: RoutingStats): string {
  const rate = (value: number | null) => (value === null ? 'n/a' : `${(value * 100).toFixed(1)}%`);
  const period = stats.since || stats.until ? ` from ${stats.since ?? 'the start'} to ${stats.until ?? 'now'}` : '';
  const lines = [`Routing stats of ${stats.tree}${period}`];
  if (stats.turns === 0) return `${lines[0]}\nNo turn in the store for this tree${period ? ' in this period' : ''}.\n`;
  const statuses = Object.entries(stats.statuses)
    .map(([status, count]) => `${count} ${status}`)
    .join(', ');
  lines.push(`${count(stats.conversations, 'conversation')}, ${count(stats.turns, 'turn')} (${statuses})`);
  lines.push(`${count(stats.handoffs, 'handoff')}, ${stats.handoffsPerConversation === null ? 'n/a' : stats.handoffsPerConversation.toFixed(2)} per conversation`);
  lines.push(
    `Escalation: to a person ${stats.escalations.toPerson} (${rate(stats.escalations.personRate)} of conversations), to a manager ${stats.escalations.toManager} (${rate(stats.escalations.managerRate)})`,
  );
  lines.push(`Refused handoffs ${stats.refused.reduce((sum, row) => sum + row.count, 0)} · ping-pongs ${stats.pingPongs} · limits ${stats.limits.reduce((sum, row) => sum + row.count, 0)} · fallbacks ${stats.fallbacks.agent} agent, ${stats.fallbacks.model} model`);
  lines.push(`Model cost $${stats.cost.totalUsd.toFixed(4)} ($${(stats.cost.perConversationUsd ?? 0).toFixed(4)} a conversation)`);
  // A $0 for want of a price is not a cost: say which models it leaves out.
  const unpriced = stats.cost.unpricedModels;
  if (unpriced.length > 0) {
    const them = unpriced.length === 1 ? 'it' : 'them';
    lines.push(`Cost leaves out ${unpriced.join(', ')}: no price is known for ${them}. Add ${them} to the tree's prices: (US dollars per million input and output tokens).`);
  }
  if (stats.paths.length > 0) lines.push('', 'Handoff paths:', ...stats.paths.map((path) => `  ${String(path.count).padStart(5)}  ${path.from} → ${path.to} (${path.kind})`));
  if (stats.refused.length > 0) lines.push('', 'Refused:', ...stats.refused.map((row) => `  ${String(row.count).padStart(5)}  ${row.code}`));
  if (stats.limits.length > 0) lines.push('', 'Limits:', ...stats.limits.map((row) => `  ${String(row.count).padStart(5)}  ${row.limit}`));
  if (stats.cost.byPath.length > 0) {
    lines.push('', 'Cost per path:', ...stats.cost.byPath.map((row) => `  $${row.costUsd.toFixed(4).padStart(9)}  ${count(row.modelCalls, 'call')}  ${row.inputTokens}+${row.outputTokens} tokens  ${row.path}`));
  }
  return `${lines.join('\n')}\n`;
}
