/**
 * The rationale judge: an LLM grades the `reason` each handoff of an evaluation run gave, against a
 * rubric kept in the repository (eval/rubrics/handoff-reason.md). The routing checks catch a wrong
 * target; the judge catches the right target chosen for the wrong reason.
 */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { HumanMessage, SystemMessage } from '@langchain/core/messages';
import type { AIMessage, BaseMessage } from '@langchain/core/messages';
import type { BaseChatModel } from '@langchain/core/language_models/chat_models';
import { AsyncCaller } from '@langchain/core/utils/async_caller';
import { z } from 'zod';
import { HANDOFF_KINDS, listEdges } from '../config/edges.js';
import type { Tree } from '../config/schema.js';
import { cacheTokensOf, textOf, usageOf } from '../models/messages.js';
import { costOf, DEFAULT_PRICES, priceOf } from '../models/prices.js';
import type { CacheTokens, PriceTable } from '../models/prices.js';
import { heldNoReply, ReplyWithoutChoicesError } from '../models/reply-check.js';
import { mapConcurrently } from './pool.js';
import type { EvalReport } from './report.js';

/** The rubric shipped with Switchboard (eval/rubrics/handoff-reason.md), from the sources or the build. */
export function handoffReasonRubric(): string {
  for (const candidate of ['./rubrics/handoff-reason.md', '../../eval/rubrics/handoff-reason.md']) {
    const path = fileURLToPath(new URL(candidate, import.meta.url));
    if (existsSync(path)) return readFileSync(path, 'utf8');
  }
  throw new Error('The judge rubric (eval/rubrics/handoff-reason.md) is missing from this installation of Switchboard.');
}

/** The lowest-scored handoffs a report lists unless told otherwise. */
export const DEFAULT_JUDGE_LOWEST = 5;

/** Grades from 1 (the reason argues for another target, or is empty) to 5. */
export const JUDGE_SCORE_RANGE = { min: 1, max: 5 } as const;

/**
 * Retries of a judge call that failed (a 429, a 5xx, a dropped connection) unless told otherwise.
 * Switchboard's models are built with the client's own retries off (the runtime retries agents'
 * calls itself); the judge runs outside the runtime, so without these one rate limit would make
 * an answer unusable.
 */
export const DEFAULT_JUDGE_RETRIES = 2;

export interface JudgeOptions {
  /** The judge. */
  model: BaseChatModel;
  /**
   * Retries of a failed call (default {@link DEFAULT_JUDGE_RETRIES}), by LangChain's retry policy: a
   * 429 waits as long as its Retry-After asks (up to a minute), other failures back off exponentially;
   * a 4xx other than 429 is not retried. A 200 that held no reply (no choices) is a failure too, and
   * retried out of the same budget, as agents' model calls retry it.
   */
  maxRetries?: number | undefined;
  /** Prices per model id, for the judge's cost (default: the built-in table and the tree's `prices:`). */
  prices?: PriceTable | undefined;
  /** The judge's name in the report (e.g. `gpt-4o`). */
  modelId: string;
  /** The rubric text (default: {@link handoffReasonRubric}). */
  rubric?: string | undefined;
  /** Judge calls in flight at once (default 4). */
  concurrency?: number | undefined;
  /** How many of the lowest-scored handoffs to list (default {@link DEFAULT_JUDGE_LOWEST}). */
  lowest?: number | undefined;
  signal?: AbortSignal | undefined;
}

/** One graded handoff. */
export interface JudgedHandoff {
  case: string;
  /** The turn's line in the dataset file. */
  line: number;
  turn: number;
  message: string;
  from: string;
  to: string;
  reason: string;
  /** 1–5; undefined when the judge's answer could not be read (see `error`). */
  score: number | undefined;
  specific: boolean | undefined;
  topical: boolean | undefined;
  consistent: boolean | undefined;
  explanation: string | undefined;
  /** Why there is no score: the judge failed or answered something that is not the asked JSON. */
  error?: string | undefined;
}

/** What the judge's calls cost: calls that answered, their tokens (from the provider's usage) and price. */
export interface JudgeUsage {
  modelCalls: number;
  inputTokens: number;
  outputTokens: number;
  /** $0 when the judge's model has no known price (see `priced`). */
  costUsd: number;
  /** Whether a price is known for the judge's model. */
  priced: boolean;
}

export interface JudgeReport {
  model: string;
  /** Handoffs chosen by a model (a handoff tool) in the run. */
  handoffs: number;
  /** Of those, the ones with no `reason` payload (not graded). */
  withoutReason: number;
  /** Graded handoffs with a score. */
  scored: number;
  /** Graded handoffs whose judge answer was unusable. */
  errors: number;
  /** Mean score of the scored handoffs (1–5), null when none was scored. */
  meanScore: number | null;
  /** Share of scored handoffs meeting each criterion. */
  criteria: { specific: number | null; topical: number | null; consistent: number | null };
  /** The lowest-scored handoffs, lowest first (unreadable answers first of all). */
  lowest: JudgedHandoff[];
  results: JudgedHandoff[];
  usage: JudgeUsage;
}

const VerdictSchema = z.object({
  score: z.number().int().min(JUDGE_SCORE_RANGE.min).max(JUDGE_SCORE_RANGE.max),
  specific: z.boolean(),
  topical: z.boolean(),
  consistent: z.boolean(),
  explanation: z.string().max(2_000),
});

const ANSWER_FORMAT = `Answer with one JSON object and nothing else:
{"score": <1-5>, "specific": <true|false>, "topical": <true|false>, "consistent": <true|false>, "explanation": "<one sentence>"}`;

/** Grades every reason-bearing handoff of `report` (run on `tree`). */
export async function judgeHandoffs(report: EvalReport, tree: Tree, options: JudgeOptions): Promise<JudgeReport> {
  const rubric = options.rubric ?? handoffReasonRubric();
  const candidates = report.results.flatMap((outcome) =>
    outcome.turns.flatMap((turn) =>
      turn.actual.handoffs
        .filter((handoff) => handoff.tool !== undefined)
        .map((handoff) => ({ case: outcome.id, line: turn.line, turn: turn.turn, message: turn.message, from: handoff.from, to: handoff.to, reason: handoff.payload.reason })),
    ),
  );
  const withReason = candidates.filter((candidate): candidate is typeof candidate & { reason: string } => typeof candidate.reason === 'string' && candidate.reason.trim() !== '');
  const graded = await mapConcurrently(withReason, options.concurrency ?? 4, async (candidate) => {
    options.signal?.throwIfAborted();
    return judgeOne(candidate, tree, rubric, options);
  });
  const results = graded.map(({ result }) => result);
  const scored = results.filter((result) => result.score !== undefined);
  const share = (key: 'specific' | 'topical' | 'consistent') => (scored.length === 0 ? null : scored.filter((result) => result[key]).length / scored.length);
  const lowest = [...results]
    .sort((a, b) => (a.score ?? 0) - (b.score ?? 0) || a.case.localeCompare(b.case) || a.turn - b.turn)
    .slice(0, options.lowest ?? DEFAULT_JUDGE_LOWEST);
  return {
    model: options.modelId,
    handoffs: candidates.length,
    withoutReason: candidates.length - withReason.length,
    scored: scored.length,
    errors: results.length - scored.length,
    meanScore: scored.length === 0 ? null : scored.reduce((sum, result) => sum + (result.score ?? 0), 0) / scored.length,
    criteria: { specific: share('specific'), topical: share('topical'), consistent: share('consistent') },
    lowest,
    results,
    usage: sumUsage(
      graded.flatMap(({ usage }) => (usage ? [usage] : [])),
      options.modelId,
      options.prices ?? { ...DEFAULT_PRICES, ...tree.prices },
    ),
  };
}

/** A judge call's tokens, with its input tokens the prompt cache served or stored (priced at its rates). */
type CallUsage = { inputTokens: number; outputTokens: number; cache: CacheTokens };

function sumUsage(calls: readonly CallUsage[], modelId: string, prices: PriceTable): JudgeUsage {
  const inputTokens = calls.reduce((sum, call) => sum + call.inputTokens, 0);
  const outputTokens = calls.reduce((sum, call) => sum + call.outputTokens, 0);
  const cache = { read: calls.reduce((sum, call) => sum + call.cache.read, 0), write: calls.reduce((sum, call) => sum + call.cache.write, 0) };
  return {
    modelCalls: calls.length,
    inputTokens,
    outputTokens,
    costUsd: costOf(modelId, inputTokens, outputTokens, prices, cache),
    priced: priceOf(modelId, prices) !== undefined,
  };
}

type Candidate = Pick<JudgedHandoff, 'case' | 'line' | 'turn' | 'message' | 'from' | 'to' | 'reason'>;

/** One handoff graded, and the usage of the call when the judge answered. */
async function judgeOne(candidate: Candidate, tree: Tree, rubric: string, options: JudgeOptions): Promise<{ result: JudgedHandoff; usage?: CallUsage }> {
  const unscored = { score: undefined, specific: undefined, topical: undefined, consistent: undefined, explanation: undefined };
  let answer: string;
  let usage: CallUsage;
  try {
    const response = await askJudge([new SystemMessage(`${rubric}\n\n${ANSWER_FORMAT}`), new HumanMessage(caseText(candidate, tree))], options);
    answer = textOf(response);
    const metadata = usageOf(response);
    usage = { inputTokens: metadata?.input_tokens ?? 0, outputTokens: metadata?.output_tokens ?? 0, cache: metadata ? cacheTokensOf(metadata) : { read: 0, write: 0 } };
  } catch (error) {
    if (options.signal?.aborted) throw error;
    return { result: { ...candidate, ...unscored, error: judgeFailure(error) } };
  }
  const verdict = readVerdict(answer);
  if (!verdict.success) return { result: { ...candidate, ...unscored, error: verdict.error }, usage };
  return { result: { ...candidate, ...verdict.data }, usage };
}

/**
 * The judge's reply, with the judge's retries (`maxRetries`) around the whole call, by LangChain's
 * retry policy (the model's own retries are off for it): a failure reading the answer — a 200 that
 * held no reply ({@link heldNoReply}) — is retried out of the same budget as a 429 or a 5xx, as an
 * agent's call retries it (nodes/model-call.ts).
 */
async function askJudge(messages: BaseMessage[], options: JudgeOptions): Promise<AIMessage> {
  const caller = new AsyncCaller({ maxRetries: options.maxRetries ?? DEFAULT_JUDGE_RETRIES });
  const invoke = async () => {
    try {
      return await options.model.invoke(messages, { ...(options.signal ? { signal: options.signal } : {}), maxRetries: 0, runName: 'handoff-judge' });
    } catch (error) {
      // The retry policy gives up at once on a TypeError (a bug, to it): the client's failure to read an empty body is none.
      throw heldNoReply(error) && !(error instanceof ReplyWithoutChoicesError) ? new ReplyWithoutChoicesError((error as Error).message, { cause: error }) : error;
    }
  };
  return caller.callWithOptions(options.signal ? { signal: options.signal } : {}, invoke);
}

/**
 * Why a judge call gave no answer, on one line. A 200 with no reply in it (`choices: []`, a `null`
 * body, a stream with no choice) is said as what happened, not as the client's JavaScript (the
 * check agents' calls use: {@link heldNoReply}).
 */
function judgeFailure(error: unknown): string {
  if (heldNoReply(error)) return "the judge's reply held no answer (no choices in the response)";
  return `the judge failed: ${oneLine(error instanceof Error ? error.message : String(error))}`;
}

/** Provider errors come with blank lines and a troubleshooting link below: the report gives each handoff one line. */
function oneLine(message: string): string {
  return message.split('\n').map((line) => line.trim()).filter(Boolean).join(' ');
}

/** What the judge reads: the handoff as JSON data between markers (the message and reason are untrusted text). */
function caseText(candidate: Candidate, tree: Tree): string {
  const describe = (name: string) => ({ name, description: tree.agents[name]?.description ?? '' });
  const targets = listEdges(tree)
    .filter((edge) => edge.from === candidate.from && HANDOFF_KINDS.has(edge.kind))
    .map((edge) => edge.to);
  const data = {
    user_message: candidate.message,
    from_agent: describe(candidate.from),
    chosen_target: describe(candidate.to),
    other_targets: [...new Set(targets)].filter((name) => name !== candidate.to).map(describe),
    reason: candidate.reason,
  };
  return `<<<HANDOFF\n${JSON.stringify(data, null, 2)}\nHANDOFF>>>`;
}

/** The judge's JSON, also when wrapped in a code fence or a sentence. */
export function readVerdict(answer: string): { success: true; data: z.output<typeof VerdictSchema> } | { success: false; error: string } {
  const start = answer.indexOf('{');
  const end = answer.lastIndexOf('}');
  if (start === -1 || end < start) return { success: false, error: 'the judge did not answer with a JSON object' };
  let value: unknown;
  try {
    value = JSON.parse(answer.slice(start, end + 1));
  } catch {
    return { success: false, error: 'the judge answered malformed JSON' };
  }
  const parsed = VerdictSchema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return { success: false, error: `the judge's answer does not fit the format (${issue?.path.join('.') || 'answer'}: ${issue?.message ?? 'invalid'})` };
  }
  return { success: true, data: parsed.data };
}
