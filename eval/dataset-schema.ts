/**
 * The routing dataset format: the one and only definition. A dataset is a list of cases; a case is
 * one user message (or several turns) and the agent expected to answer, optionally with the handoff
 * path and payload fields expected on the way, and the handoff expected to wait for a person's
 * approval. YAML files hold `{ version, cases }`; JSONL files hold one case a line.
 * `schema/dataset.schema.json` is generated from this file.
 */
import { z } from 'zod';
import { NAME_PATTERN } from '../config/schema.js';

/** Case ids: what the report and `--against` use to name a case. */
export const CASE_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,79}$/;

const AgentNameSchema = z
  .string()
  .regex(NAME_PATTERN, { error: 'must be an agent name: a letter, then letters, digits, "_" or "-"' })
  .meta({ description: 'The name of an agent of the tree under test.' });

/** A value a state field or a payload field can hold. */
const ScalarSchema = z.union([z.string(), z.number(), z.boolean()]);

/** What a turn is expected to do. Shared by single-message cases and each turn of a multi-turn case. */
const expectationShape = {
  agent: AgentNameSchema.optional().meta({
    description:
      "The agent expected to answer this turn (a person's agent when the turn should wait for a person; with `approval`, the agent that asks for the approval).",
    examples: ['billing'],
  }),
  path: z
    .array(AgentNameSchema)
    .min(1)
    .optional()
    .meta({
      description: 'The agents expected to hold control during the turn, in order, ending with `agent`.',
      examples: [['triage', 'billing']],
    }),
  payload: z
    .record(z.string().min(1), ScalarSchema)
    .optional()
    .meta({
      description: "Payload fields the turn's handoffs are expected to carry (a subset: other fields are ignored).",
      examples: [{ priority: 'high', amount: 99 }],
    }),
  approval: AgentNameSchema.optional().meta({
    description:
      "The turn is expected to stop, waiting for a person's approval of a handoff to this agent (`agent` is then the agent that asks, and `path` ends at it).",
    examples: ['escalation_manager'],
  }),
};

const fieldsSchema = z
  .record(z.string().regex(NAME_PATTERN, { error: 'must be a state field name' }), ScalarSchema)
  .meta({ description: "Shared-state fields backend code sets on every turn (the tree's `state:`), e.g. customer_id." });

const turnShape = {
  message: z.string().min(1).meta({ description: 'What the user writes.' }),
  ...expectationShape,
};

/** One turn of a multi-turn case: a user message, with or without an expectation. */
export const EvalTurnSchema = z.strictObject(turnShape).meta({ description: 'One user turn; add `agent:` to score it.' });
export type EvalTurnInput = z.input<typeof EvalTurnSchema>;

const caseShape = {
  id: z
    .string()
    .regex(CASE_ID_PATTERN, { error: 'must be 1 to 80 letters, digits, "_", ".", ":" or "-"' })
    .optional()
    .meta({ description: 'A stable name for the case (default: case-<n>, or line-<n> in JSONL).', examples: ['charged-twice'] }),
  message: z.string().min(1).optional().meta({ description: 'A single-turn case: what the user writes.' }),
  turns: z
    .array(EvalTurnSchema)
    .min(1)
    .optional()
    .meta({ description: 'A multi-turn case: the user turns in order, on one thread; each may carry its own expectation.' }),
  ...expectationShape,
  fields: fieldsSchema.optional(),
  tags: z
    .array(z.string().min(1))
    .optional()
    .meta({ description: 'Labels for grouping in the report (accuracy per tag).', examples: [['seed-002', 'hard']] }),
  note: z.string().optional().meta({ description: 'Why the case is in the dataset; not used when running.' }),
};

/** Keys a case may have, and a turn may have (for "did you mean" on unknown keys). */
export const CASE_KEYS = Object.keys(caseShape);
export const TURN_KEYS = Object.keys(turnShape);

type CaseInput = z.input<z.ZodObject<typeof caseShape>>;
type Refinement = z.core.$RefinementCtx<CaseInput>;

/** The rules one object schema cannot say: message or turns, and every scored turn names its agent. */
function checkCase(input: CaseInput, context: Refinement): void {
  const issue = (code: string, message: string, path: (string | number)[], at: 'key' | 'value' = 'value') =>
    context.addIssue({ code: 'custom', message, path, params: { code, at } });
  if (input.message === undefined && input.turns === undefined) {
    issue('MISSING_FIELD', 'A case needs `message:` (one turn) or `turns:` (several turns on one thread).', []);
    return;
  }
  if (input.message !== undefined && input.turns !== undefined) {
    issue('CONFLICTING_KEYS', 'A case has either `message:` or `turns:`, not both.', ['turns'], 'key');
    return;
  }
  if (input.turns === undefined) {
    checkExpectation(input, [], issue, true);
    return;
  }
  for (const key of ['agent', 'path', 'payload', 'approval'] as const) {
    if (input[key] !== undefined)
      issue('MISPLACED_EXPECTATION', `In a multi-turn case \`${key}:\` belongs to the turn it is about.`, [key], 'key');
  }
  input.turns.forEach((turn, index) => checkExpectation(turn, ['turns', index], issue, false));
  if (!input.turns.some((turn) => turn.agent !== undefined)) {
    issue('MISSING_EXPECTATION', 'No turn of this case says which agent should answer, so nothing would be scored.', ['turns']);
  }
}

function checkExpectation(
  expectation: { agent?: string | undefined; path?: string[] | undefined; payload?: unknown; approval?: string | undefined },
  at: (string | number)[],
  issue: (code: string, message: string, path: (string | number)[], where?: 'key' | 'value') => void,
  agentRequired: boolean,
): void {
  if (expectation.agent === undefined) {
    if (expectation.approval !== undefined)
      issue(
        'MISSING_FIELD',
        `\`agent:\` is required with \`approval:\`: the agent expected to ask for approval of the handoff to "${expectation.approval}".`,
        at,
      );
    else if (agentRequired) issue('MISSING_FIELD', '`agent:` is required: the agent expected to answer.', at);
    else if (expectation.path !== undefined || expectation.payload !== undefined)
      issue('MISSING_FIELD', '`agent:` is required when a turn expects a path or a payload.', at);
    return;
  }
  const last = expectation.path?.at(-1);
  if (last !== undefined && last !== expectation.agent) {
    issue('PATH_MISMATCH', `The path ends at "${last}" but the expected agent is "${expectation.agent}".`, [
      ...at,
      'path',
      (expectation.path?.length ?? 1) - 1,
    ]);
  }
}

/** A turn as the runner sees it: the message, and what is expected of it (if it is scored). */
export interface NormalizedTurn {
  message: string;
  expect:
    | {
        agent: string;
        path?: string[] | undefined;
        payload?: Record<string, string | number | boolean> | undefined;
        /** The turn should stop waiting for a person's approval of a handoff to this agent (`agent` asks). */
        approval?: string | undefined;
      }
    | undefined;
}

function normalize(input: z.output<z.ZodObject<typeof caseShape>>) {
  const turns: NormalizedTurn[] = (
    input.turns ?? [{ message: input.message as string, agent: input.agent, path: input.path, payload: input.payload, approval: input.approval }]
  ).map((turn) => ({
    message: turn.message,
    expect:
      turn.agent === undefined
        ? undefined
        : { agent: turn.agent, path: turn.path, payload: turn.payload, ...(turn.approval === undefined ? {} : { approval: turn.approval }) },
  }));
  return { id: input.id, turns, fields: input.fields ?? {}, tags: input.tags ?? [], note: input.note };
}

/** One case of a dataset, as written (input) and as run (output: always a list of turns). */
export const EvalCaseSchema = z
  .strictObject(caseShape)
  .superRefine(checkCase)
  .transform(normalize)
  .meta({
    description: 'One routing case: a message (or several turns) and the agent expected to answer.',
    examples: [{ id: 'charged-twice', message: 'Why was I charged $99 twice in May?', agent: 'billing', path: ['triage', 'billing'] }],
  });
export type EvalCase = z.output<typeof EvalCaseSchema>;
export type EvalCaseInput = z.input<typeof EvalCaseSchema>;

/** A case ready to run: its id is always set (default `case-<n>`), and it knows its lines in the file. */
export type DatasetCase = EvalCase & {
  id: string;
  /** The case's line in the dataset file. */
  line: number;
  /** The line of each turn (a single-message case: the case's line; JSONL: the case's line). */
  turnLines: number[];
};

const datasetShape = {
  version: z.literal(1).meta({ description: 'The dataset format version. Only 1 exists.' }),
  name: z.string().min(1).optional().meta({ description: 'The dataset name, shown in the report.' }),
  description: z.string().optional(),
  fields: fieldsSchema.optional().meta({ description: 'State fields set on every turn of every case (a case may override them).' }),
  cases: z.array(EvalCaseSchema).min(1).meta({ description: 'The cases, each run on its own fresh thread.' }),
};
export const DATASET_KEYS = Object.keys(datasetShape);

/** A dataset file in YAML (or JSON): a version, optional shared fields, and the cases. */
export const DatasetSchema = z.strictObject(datasetShape).meta({
  title: 'Switchboard routing dataset',
  description: 'Cases for `switchboard eval`: user messages and the agents expected to answer them.',
});
export type DatasetFile = z.output<typeof DatasetSchema>;
export type DatasetFileInput = z.input<typeof DatasetSchema>;
