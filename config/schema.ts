/**
 * The tree format: the one and only definition.
 *
 * Everything an author can write in a tree YAML file is declared here with zod. The JSON Schema in
 * `schema/tree.schema.json` is generated from this file (`npm run schema`), the loader validates
 * with it, and the types the rest of the code uses are inferred from it.
 */
import { z } from 'zod';
import { SAFE_TEXT_PATTERN } from './unsafe-text.js';
import { PROVIDER_NAMES } from './providers.js';

/** Names of agents, models, state fields and payload fields: they end up in tool names and node ids. */
export const NAME_PATTERN = /^[A-Za-z][A-Za-z0-9_-]{0,47}$/;
/** OpenAI function names: `^[a-zA-Z0-9_-]{1,64}$`. */
export const TOOL_NAME_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

/**
 * Text an author writes (descriptions, prompts, replies, keywords, enum values): it reaches terminals
 * and models, so control characters other than tab and line feed, and bidirectional overrides, are refused.
 */
const TextSchema = z.string().regex(SAFE_TEXT_PATTERN, { error: 'must not contain control characters or bidirectional overrides' });

/** The longest wait Node.js timers honour (2³¹−1 ms): beyond it, they fire after 1 ms. */
export const MAX_TIMER_MS = 2_147_483_647;
/** The most any per-call wait may be: a model call or a retry pause over 10 minutes is a mistake. */
export const MAX_WAIT_MS = 600_000;

const NameSchema = z.string().regex(NAME_PATTERN, {
  error: 'must start with a letter and use only letters, digits, "_" or "-" (48 characters at most)',
});
const AgentRefSchema = NameSchema.meta({ description: 'The name of an agent of this tree.' });
const ToolNameSchema = z.string().regex(TOOL_NAME_PATTERN, {
  error: 'must be 1 to 64 letters, digits, "_" or "-"',
});

const fieldDescription = TextSchema.optional().meta({ description: 'What the field means; shown to the model.' });

/** The four kinds of typed value, with `extra` keys added to each. */
function typedValue<TExtra extends z.ZodRawShape>(extra: TExtra) {
  return z.discriminatedUnion('type', [
    z.strictObject({
      type: z.literal('string'),
      description: fieldDescription,
      default: TextSchema.optional(),
      maxLength: z.int().positive().max(1_000_000).optional().meta({ description: 'Longest accepted value (at most 1,000,000).' }),
      ...extra,
    }),
    z.strictObject({
      type: z.literal('number'),
      description: fieldDescription,
      default: z.number().optional(),
      min: z.number().optional(),
      max: z.number().optional(),
      ...extra,
    }),
    z.strictObject({ type: z.literal('boolean'), description: fieldDescription, default: z.boolean().optional(), ...extra }),
    z.strictObject({
      type: z.literal('enum'),
      description: fieldDescription,
      values: z.array(TextSchema.min(1)).min(1).meta({ description: 'The allowed values.' }),
      default: TextSchema.optional(),
      ...extra,
    }),
  ]);
}

/** A typed value: a shared-state field. */
export const FieldSchema = typedValue({
  owner: z.enum(['agents', 'backend']).optional().meta({
    description:
      'Who writes the field. agents (default): handoff payloads may set it (sets:). backend: only backend code does (runTurn fields:), e.g. the customer id of the authenticated session; a sets: into it is an error.',
  }),
}).meta({
  description: 'A typed value: string, number, boolean or enum.',
  examples: [
    { type: 'enum', values: ['low', 'medium', 'high'], default: 'medium' },
    { type: 'string', owner: 'backend', description: 'Set by backend code from the authenticated session.' },
  ],
});
export type Field = z.output<typeof FieldSchema>;

/** A field of a handoff payload: a typed value the handing-off model fills in. */
export const PayloadFieldSchema = typedValue({
  required: z
    .boolean()
    .optional()
    .meta({ description: 'Whether the model must fill it in (default: true unless it has a default).' }),
  sets: NameSchema.optional().meta({
    description: 'A shared-state field (under `state:`) that this payload value is written to.',
  }),
}).meta({
  description: 'A handoff payload field.',
  examples: [{ type: 'string', description: 'Why the conversation moves', sets: 'reason' }],
});
export type PayloadField = z.output<typeof PayloadFieldSchema>;

export const HistorySchema = z
  .strictObject({
    turns: z
      .union([z.int().min(1).max(1_000), z.literal('all')])
      .default(6)
      .meta({ description: 'How many of the latest user turns the agent sees (at most 1,000; "all" for the whole thread).' }),
    toolCalls: z.boolean().default(false).meta({
      description:
        "Whether the agent sees earlier tool calls and results (its own calls in progress are always kept).",
    }),
  })
  .meta({ description: 'The conversation history an agent receives.', examples: [{ turns: 6, toolCalls: false }] });
export type History = z.output<typeof HistorySchema>;

export const LimitsSchema = z
  .strictObject({
    handoffsPerTurn: z.int().min(1).max(50).optional().meta({ description: 'Handoffs allowed in one user turn.' }),
    modelCallsPerTurn: z.int().min(1).max(200).optional().meta({ description: 'Model calls allowed in one user turn.' }),
    toolCallsPerTurn: z.int().min(0).max(200).optional().meta({ description: 'Tool calls allowed in one user turn.' }),
    tokensPerSession: z.int().min(1).max(1_000_000_000).optional().meta({ description: 'Input plus output tokens allowed in one thread (at most 1,000,000,000).' }),
    messageChars: z.int().min(1).max(1_000_000).optional().meta({ description: 'The longest user message accepted, in characters (at most 1,000,000).' }),
  })
  .meta({ description: 'Hard ceilings. Crossing one escalates, or ends the turn with an error.' });
export type Limits = z.output<typeof LimitsSchema>;

export const ModelSchema = z
  .strictObject({
    provider: z.enum(PROVIDER_NAMES).default('openai').meta({
      description:
        "Who serves the model: a provider of LangChain's initChatModel (its package, e.g. @langchain/anthropic for anthropic, is installed by you and loaded only when a tree names it), or offline (Switchboard's rule-based model).",
    }),
    name: TextSchema.min(1).optional().meta({ description: 'The provider model id, e.g. gpt-4o-mini or claude-haiku-4-5.' }),
    temperature: z.number().min(0).max(2).optional(),
    maxTokens: z.int().positive().max(1_000_000).optional().meta({ description: 'Most output tokens per call (at most 1,000,000).' }),
    baseURL: z
      .url({ protocol: /^https?$/ })
      .optional()
      .meta({ description: "The provider's endpoint, http:// or https:// only (e.g. an OpenAI-compatible server for provider openai); default: the provider's own ($OPENAI_BASE_URL for openai)." }),
    apiKeyEnv: z
      .string()
      .regex(/^[A-Z_][A-Z0-9_]*$/, { error: 'must be the name of an environment variable, such as OPENAI_API_KEY' })
      .optional()
      .meta({
        description:
          "The environment variable holding the API key (default: the provider's, e.g. OPENAI_API_KEY, ANTHROPIC_API_KEY). Never the key itself. Its name must end in _API_KEY unless backend code allows it (allowedKeyEnv).",
      }),
    timeoutMs: z
      .int()
      .positive()
      .max(MAX_WAIT_MS)
      .optional()
      .meta({ description: 'Time allowed for one call before it counts as failed, in milliseconds (at most 600,000: 10 minutes).' }),
  })
  .meta({
    description: 'A model the agents can name.',
    examples: [
      { provider: 'openai', name: 'gpt-4o-mini' },
      { provider: 'anthropic', name: 'claude-sonnet-4-5', maxTokens: 2048 },
    ],
  });
export type ModelConfig = z.output<typeof ModelSchema>;

export const RetrySchema = z
  .strictObject({
    attempts: z.int().min(0).max(10).default(2).meta({ description: 'Retries after a 429, a 5xx or a dropped connection (at most 10). A timeout is never retried: the next model, then the fallback, takes over.' }),
    initialDelayMs: z.int().min(0).max(60_000).default(250).meta({ description: 'The first pause, in milliseconds (at most 60,000).' }),
    maxDelayMs: z.int().min(0).max(MAX_WAIT_MS).default(8000).meta({ description: 'The longest pause, in milliseconds (at most 600,000: 10 minutes).' }),
  })
  .meta({ description: 'The one retry layer for model calls.' });
export type Retry = z.output<typeof RetrySchema>;

const KeywordsSchema = z.array(TextSchema.min(1)).meta({ description: 'Case-insensitive words or phrases.' });
const PatternsSchema = z.array(TextSchema.min(1)).meta({
  description:
    'Case-insensitive regular expressions in RE2 syntax, matched in time linear in the message: no backreferences, no lookahead or lookbehind.',
});
const ScalarSchema = z.union([TextSchema, z.number(), z.boolean()]);

export const OfflineSchema = z
  .strictObject({
    keywords: KeywordsSchema.optional(),
    patterns: PatternsSchema.optional(),
    payload: z.record(NameSchema, ScalarSchema).optional().meta({
      description: 'Payload values the offline model uses when it hands off to this agent.',
    }),
    reply: TextSchema.optional().meta({ description: 'What the offline model answers as this agent.' }),
    tools: z
      .record(
        ToolNameSchema,
        z.strictObject({
          keywords: KeywordsSchema.optional(),
          patterns: PatternsSchema.optional(),
          args: z.record(z.string(), z.unknown()).optional().meta({ description: 'The arguments it calls the tool with.' }),
        }),
      )
      .optional()
      .meta({ description: 'When the offline model calls one of this agent’s function tools.' }),
  })
  .meta({
    description:
      'Routing hints for the offline model: it hands off to (or calls, for a helper) this agent when the user message matches.',
    examples: [{ keywords: ['invoice', 'refund'], payload: { priority: 'high' } }],
  });
export type Offline = z.output<typeof OfflineSchema>;

/**
 * A condition on a handoff (`when:`): a CEL expression over the tree's state fields and the clock,
 * true when the handoff is offered (config/conditions.ts).
 */
export const ConditionSchema = TextSchema.min(1)
  .max(1000)
  .meta({
    description:
      'A CEL expression over state fields and the clock; the handoff is offered only while it is true. Clock: business_hours("Europe/Paris", "09:00-18:00", "mon-fri"), weekday(tz) ("mon"…"sun"), hour(tz) (0…23), time(tz) ("HH:MM"), date(tz) ("YYYY-MM-DD"), with IANA time zone names.',
    examples: ['business_hours("Europe/Paris", "09:00-18:00", "mon-fri")', 'vip && intent != "other"'],
  });

/** A gate on handoffs: `required` pauses the move for a person's approval; `none` lets it through. */
export const ApprovalSchema = z.enum(['required', 'none']);

export const HandoffSchema = z
  .strictObject({
    tool: ToolNameSchema.optional().meta({ description: 'The handoff tool name (default: transfer_to_<agent>).' }),
    description: TextSchema.optional().meta({ description: 'The handoff tool description (default: the agent description).' }),
    payload: z
      .record(NameSchema, PayloadFieldSchema)
      .optional()
      .meta({ description: 'What the handing-off model must say, validated before control moves.' }),
    when: ConditionSchema.optional().meta({
      description:
        'Other agents may hand off to this one only while this is true (the handoff tool is not offered otherwise, and refused if called). A CEL expression over state fields and the clock.',
      examples: ['business_hours("Europe/Paris", "09:00-18:00", "mon-fri")'],
    }),
    approval: ApprovalSchema.optional().meta({
      description:
        "required: every handoff into this agent (by any agent's handoff tool) waits for a person to approve it, as `approval: required` on the agent does. An agent's own `approval:` entry for an edge wins over it. Default: none.",
      examples: ['required'],
    }),
  })
  .meta({ description: 'How other agents hand off to this one.' });
export type Handoff = z.output<typeof HandoffSchema>;

const AgentRefListSchema = z.array(AgentRefSchema);

export const AgentSchema = z
  .strictObject({
    kind: z
      .enum(['agent', 'human', 'helper'])
      .default('agent')
      .meta({ description: 'agent: a model that can own the conversation; human: a person (pauses the thread); helper: called as a tool.' }),
    description: TextSchema.min(1).meta({ description: 'What this agent handles. It becomes the handoff tool description.' }),
    prompt: TextSchema.min(1).optional().meta({ description: 'The system prompt (required for agents and helpers).' }),
    model: z
      .union([NameSchema, z.array(NameSchema).min(1)])
      .optional()
      .meta({ description: 'A model from `models:`, or a list: the first, then fallbacks in order.' }),
    tools: z.array(ToolNameSchema).optional().meta({ description: 'Function tools, by name, from the registry code supplies.' }),
    helpers: AgentRefListSchema.optional().meta({ description: 'Helper agents this agent calls as tools, keeping control.' }),
    children: AgentRefListSchema.optional().meta({ description: 'The agents this one delegates to.' }),
    handback: z.boolean().optional().meta({ description: 'Whether it may hand back to its parent (default: true).' }),
    sideways: AgentRefListSchema.optional().meta({ description: 'Siblings it may hand off to directly.' }),
    escalate: AgentRefListSchema.optional().meta({ description: 'Escalation targets anywhere: a human, a manager, a lead elsewhere.' }),
    fallback: z
      .union([AgentRefSchema, AgentRefListSchema.min(1)])
      .optional()
      .meta({ description: 'Who takes over, in order, when this agent times out, its model keeps failing or a tool errors.' }),
    handoff: HandoffSchema.optional(),
    when: z
      .record(NameSchema, ConditionSchema)
      .optional()
      .meta({
        description:
          'Conditions on this agent\'s own handoffs, by target (a child, sibling, escalation target or its parent): the handoff is offered only while its condition is true.',
        examples: [{ senior_agent: 'vip', daytime_desk: '!business_hours("America/New_York", "08:00-20:00")' }],
      }),
    approval: z
      .union([ApprovalSchema, z.record(NameSchema, ApprovalSchema)])
      .optional()
      .meta({
        description:
          'required: every handoff into this agent (by any agent\'s handoff tool) waits for a person to approve it (approveHandoff, `switchboard approve`, the dev page); a denial is told to the model that asked, which goes on. Or gates on this agent\'s own handoffs, by target (a child, sibling, escalation target or its parent), as `when:` is written: `{ lead: required }` gates this agent\'s handoff to lead only, and an entry wins over the target\'s own setting (`none` lets this edge through a gated target). Limit redirects and fallbacks are not gated. Default: none.',
        examples: ['required', { lead: 'required' }],
      }),
    history: HistorySchema.optional(),
    limits: LimitsSchema.optional(),
    offline: OfflineSchema.optional(),
  })
  .meta({
    description: 'An agent of the tree.',
    examples: [{ description: 'Charges, refunds, invoices', prompt: 'You are the billing specialist.', tools: ['lookup_invoice'] }],
  });
export type Agent = z.output<typeof AgentSchema>;

export const DefaultsSchema = z
  .strictObject({
    model: z.union([NameSchema, z.array(NameSchema).min(1)]).optional().meta({ description: 'The model of agents that name none.' }),
    history: HistorySchema.optional(),
    handback: z.boolean().optional(),
  })
  .meta({ description: 'Values every agent inherits unless it sets its own.' });

export const PriceSchema = z
  .strictObject({
    input: z.number().min(0).max(10_000).meta({ description: 'US dollars per million input tokens (at most 10,000).' }),
    output: z.number().min(0).max(10_000).meta({ description: 'US dollars per million output tokens (at most 10,000).' }),
  })
  .meta({ description: 'The price of a model.' });

export const TreeSchema = z
  .strictObject({
    version: z.literal(1).meta({ description: 'The format version. Only 1 exists.' }),
    name: NameSchema.meta({ description: 'The tree name.' }),
    description: TextSchema.optional(),
    root: AgentRefSchema.meta({ description: 'The agent every new conversation starts with (the triage desk).' }),
    escalation: AgentRefSchema.optional().meta({
      description: 'Where a turn goes when it crosses a limit or ping-pongs (often a manager or a human).',
    }),
    defaults: DefaultsSchema.optional(),
    limits: LimitsSchema.optional(),
    retry: RetrySchema.optional(),
    models: z.record(NameSchema, ModelSchema).optional().meta({ description: 'The models agents can name.' }),
    prices: z.record(TextSchema.min(1), PriceSchema).optional().meta({ description: 'Prices per model id, over the built-in table.' }),
    state: z.record(NameSchema, FieldSchema).optional().meta({ description: 'Typed fields the tree adds to the shared state.' }),
    agents: z.record(NameSchema, AgentSchema).meta({ description: 'Every agent of the tree, by name.' }),
  })
  .meta({
    title: 'Switchboard tree',
    description: 'A tree of conversational agents: triage in front, specialists behind, escalation up the tree and to a person.',
  });
/** A tree as written in YAML, after validation (defaults applied). */
export type Tree = z.output<typeof TreeSchema>;
/** A tree as written in YAML, before validation. */
export type TreeInput = z.input<typeof TreeSchema>;

/** Limits with every ceiling set. */
export type ResolvedLimits = { [K in keyof Limits]-?: number };

/** The limits every tree gets unless it sets its own. */
export const DEFAULT_LIMITS: ResolvedLimits = {
  handoffsPerTurn: 4,
  modelCallsPerTurn: 12,
  toolCallsPerTurn: 16,
  tokensPerSession: 1_000_000,
  messageChars: 8_000,
};
export const DEFAULT_HISTORY: History = { turns: 6, toolCalls: false };
export const DEFAULT_RETRY: Retry = { attempts: 2, initialDelayMs: 250, maxDelayMs: 8000 };
