/**
 * OpenTelemetry spans for a tree's turns, following the GenAI semantic conventions (see gen-ai.ts),
 * through `@opentelemetry/api` only: the app brings its SDK, exporter and sampler. One
 * `invoke_workflow {tree}` span per turn, an `invoke_agent {agent}` span per agent step under it,
 * a `chat {model}` span per model a model call went to (a failed model's own, before its fallback
 * model's) and an `execute_tool {tool}` span per tool call under the step; handoffs, refusals,
 * escalations, approvals, fallbacks, retries and limits are span events. A turn that waits for a
 * person (an escalation or an approval gate) ends its span as `waiting`; the person's answer or
 * decision is a trace of its own, marked resumed and linked to the waiting span when this process
 * saw it.
 *
 * Nothing a user or a model wrote goes on a span unless `recordContent` is set (the same rule as
 * the logs): no message text, tool arguments or results, payload values, refusal reasons, error
 * messages or tool names a model invented.
 */
import { ROOT_CONTEXT, SpanKind, SpanStatusCode, context as activeContext, trace } from '@opentelemetry/api';
import type { Attributes, Context, Link, Span, SpanContext, Tracer } from '@opentelemetry/api';
import type { AIMessage } from '@langchain/core/messages';
import { MIN_THREAD_ID_KEY_BYTES, hashThreadId } from '../nodes/events.js';
import type { EventContext, EventObserver, HashThreadIdsOptions, SwitchboardEvent } from '../nodes/events.js';
import { ATTRIBUTE, OPERATION, SWITCHBOARD, finishReasonOf, inputMessagesOf, outputMessagesOf } from './gen-ai.js';

export interface OpenTelemetryObserverOptions {
  /** The tracer to use. Default: `trace.getTracer('switchboard')` from the globally registered provider. */
  tracer?: Tracer | undefined;
  /** Write `gen_ai.conversation.id` as {@link hashThreadId} with this key (the one the logs use), never the raw thread id. */
  hashThreadIds?: HashThreadIdsOptions | undefined;
  /**
   * Also record what users and models wrote (opt-in, may hold personal data): `gen_ai.input.messages`,
   * `gen_ai.output.messages`, `gen_ai.tool.call.arguments` and `.result`, handoff payloads and
   * refusal reasons, error messages. Default false.
   */
  recordContent?: boolean | undefined;
  /**
   * Make each turn's span a child of the span active when the turn runs (an HTTP request's, say).
   * Default true; false: each turn is a trace of its own.
   */
  parentFromActiveContext?: boolean | undefined;
  /** `gen_ai.provider.name` for a model whose response does not say (default: `openai`; the offline model is `switchboard.offline`). */
  providerName?: string | undefined;
  /** Turns left open (their worker stopped them mid-way) are ended past this many open turns. Default 10,000. */
  maxOpenTurns?: number | undefined;
}

interface OpenStep {
  span: Span;
  context: Context;
  agent: string;
}

interface OpenTurn {
  span: Span;
  context: Context;
  /** The turn's number; undefined for a person's answer until its turn-end says. */
  number: number | undefined;
  conversationId: string;
  step: OpenStep | undefined;
  tools: Map<string, { span: Span; startedAt: number }>;
  /** Set by turn-end: the turn span ends with its step. */
  endAt: number | undefined;
  /** A handoff to a person, or one waiting for a person's approval: the turn span ends with this step, waiting. */
  waiting: boolean;
}

/** A turn that ended waiting for a person: the span its resume links to. */
interface Wait {
  context: SpanContext;
  number: number | undefined;
}

/**
 * An {@link EventObserver} that turns a tree's events into OpenTelemetry spans. Give it to
 * `compileTree(tree, { observers: [openTelemetryObserver()] })`; register an SDK tracer provider
 * (or pass `tracer`) and the spans go to your exporter.
 */
export function openTelemetryObserver(options: OpenTelemetryObserverOptions = {}): EventObserver {
  const hashKey = options.hashThreadIds?.key;
  if (hashKey !== undefined) {
    const length = typeof hashKey === 'string' ? Buffer.byteLength(hashKey) : hashKey.byteLength;
    if (length < MIN_THREAD_ID_KEY_BYTES) {
      throw new RangeError(`openTelemetryObserver's hashThreadIds needs a key of at least ${MIN_THREAD_ID_KEY_BYTES} bytes (got ${length}); use the key your logs hash thread ids with.`);
    }
  }
  const tracer = options.tracer ?? trace.getTracer('switchboard');
  const content = options.recordContent === true;
  const maxOpenTurns = options.maxOpenTurns ?? 10_000;
  const defaultProvider = options.providerName ?? 'openai';
  const turns = new Map<string, OpenTurn>();
  /** The provider each agent's model last answered from (by tree and agent: bounded by the trees' agents), for its steps that call none. */
  const providers = new Map<string, string>();
  /** The span of each turn that waits for a person, to link the person's answer or decision to (bounded like `turns`). */
  const waiting = new Map<string, Wait>();

  const conversationIdOf = (threadId: string) => (hashKey === undefined ? threadId : hashThreadId(threadId, hashKey));

  /**
   * The link to this thread's turn `number` (any, when unknown) if this process saw it wait for a
   * person: taken once, by the span that resumes it. The wait of an earlier turn is forgotten: it
   * was answered or decided in another process (or withdrawn), and a later answer is not its resume.
   */
  const takeWait = (key: string, number: number | undefined): Link[] => {
    const wait = waiting.get(key);
    if (!wait) return [];
    if (number === undefined || wait.number === undefined || wait.number === number) {
      waiting.delete(key);
      return [{ context: wait.context }];
    }
    if (wait.number < number) waiting.delete(key);
    return [];
  };

  const openTurn = (key: string, number: number | undefined, at: EventContext, links: Link[] = []): OpenTurn => {
    const previous = turns.get(key);
    if (previous) endTurn(key, previous, at.at, 'unfinished');
    if (turns.size >= maxOpenTurns) {
      const [oldestKey, oldest] = turns.entries().next().value as [string, OpenTurn];
      endTurn(oldestKey, oldest, at.at, 'unfinished');
    }
    const conversationId = conversationIdOf(at.threadId);
    const attributes: Attributes = {
      [ATTRIBUTE.operationName]: OPERATION.invokeWorkflow,
      [ATTRIBUTE.conversationId]: conversationId,
      ...(at.tree !== undefined ? { [ATTRIBUTE.workflowName]: at.tree } : {}),
      ...(number !== undefined ? { [SWITCHBOARD.turnNumber]: number } : {}),
      ...(links.length ? { [SWITCHBOARD.turnResumed]: true } : {}),
    };
    const parent = options.parentFromActiveContext === false ? ROOT_CONTEXT : activeContext.active();
    const name = at.tree !== undefined ? `${OPERATION.invokeWorkflow} ${at.tree}` : OPERATION.invokeWorkflow;
    const span = tracer.startSpan(name, { kind: SpanKind.INTERNAL, startTime: at.at, attributes, links }, parent);
    const turn: OpenTurn = { span, context: trace.setSpan(ROOT_CONTEXT, span), number, conversationId, step: undefined, tools: new Map(), endAt: undefined, waiting: false };
    turns.set(key, turn);
    return turn;
  };

  const endTurn = (key: string, turn: OpenTurn, at: number, status?: string) => {
    if (status !== undefined) turn.span.setAttribute(SWITCHBOARD.turnStatus, status);
    for (const tool of turn.tools.values()) tool.span.end(at);
    turn.step?.span.end(at);
    turn.span.end(at);
    if (turns.get(key) === turn) turns.delete(key);
  };

  /** The open turn of this thread for a turn number (a new one when the number differs). */
  const turnFor = (key: string, number: number, at: EventContext): OpenTurn => {
    const open = turns.get(key);
    if (open && (open.number === number || open.number === undefined)) {
      if (open.number === undefined) {
        open.number = number;
        open.span.setAttribute(SWITCHBOARD.turnNumber, number);
      }
      return open;
    }
    // A step of a turn this process saw wait: an approval decided here goes on with the turn.
    return openTurn(key, number, at, takeWait(key, number));
  };

  /** Where an event of the turn goes: the open step's span, or the turn's. */
  const current = (turn: OpenTurn) => turn.step ?? turn;

  return (event: SwitchboardEvent, at: EventContext): void => {
    const key = `${at.tree ?? ''}\u0000${at.threadId}`;
    switch (event.type) {
      case 'step-start': {
        const turn = turnFor(key, event.turn, at);
        turn.step?.span.end(at.at);
        // Required on the span: a step that only runs tools names its agent's provider too (a model call in the step confirms it).
        const provider = providers.get(agentKey(at, event.agent)) ?? providerOf(event.model ?? '', undefined, defaultProvider);
        const span = tracer.startSpan(
          `${OPERATION.invokeAgent} ${event.agent}`,
          {
            kind: SpanKind.INTERNAL,
            startTime: at.at,
            attributes: {
              [ATTRIBUTE.operationName]: OPERATION.invokeAgent,
              [ATTRIBUTE.agentName]: event.agent,
              [ATTRIBUTE.providerName]: provider,
              [ATTRIBUTE.conversationId]: turn.conversationId,
              [SWITCHBOARD.turnNumber]: event.turn,
            },
          },
          turn.context,
        );
        turn.step = { span, context: trace.setSpan(ROOT_CONTEXT, span), agent: event.agent };
        return;
      }
      case 'step-end': {
        const turn = turns.get(key);
        if (!turn?.step) return;
        for (const tool of turn.tools.values()) tool.span.end(at.at);
        turn.tools.clear();
        turn.step.span.end(at.at);
        turn.step = undefined;
        if (turn.endAt !== undefined) endTurn(key, turn, Math.max(turn.endAt, at.at));
        else if (turn.waiting) {
          remember(waiting, key, { context: turn.span.spanContext(), number: turn.number }, maxOpenTurns);
          endTurn(key, turn, at.at, 'waiting');
        }
        return;
      }
      case 'turn-start': {
        const turn = turnFor(key, event.turn, at);
        turn.span.setAttribute(SWITCHBOARD.turnAgent, event.agent);
        return;
      }
      case 'turn-end': {
        const turn = turns.get(key) ?? openTurn(key, event.turn, at);
        if (turn.number === undefined) {
          turn.number = event.turn;
          turn.span.setAttribute(SWITCHBOARD.turnNumber, event.turn);
        }
        turn.span.setAttributes({ [SWITCHBOARD.turnStatus]: event.status, [SWITCHBOARD.turnAgent]: event.agent });
        if (event.status === 'error') {
          const code = event.error?.code ?? '_OTHER';
          turn.span.setAttribute(ATTRIBUTE.errorType, code);
          turn.span.setStatus({ code: SpanStatusCode.ERROR, message: content && event.error ? event.error.message : code });
        }
        // The turn ends inside its last step: the span closes with that step.
        if (turn.step) turn.endAt = at.at;
        else endTurn(key, turn, at.at);
        return;
      }
      case 'model-call': {
        const turn = turnFor(key, event.turn, at);
        const step = current(turn);
        const output = event.output;
        const provider = providerOf(event.model, output, defaultProvider);
        const attributes: Attributes = {
          [ATTRIBUTE.operationName]: OPERATION.chat,
          [ATTRIBUTE.providerName]: provider,
          [ATTRIBUTE.requestModel]: event.model,
          [ATTRIBUTE.agentName]: event.agent,
          [ATTRIBUTE.conversationId]: turn.conversationId,
          [SWITCHBOARD.attempts]: event.attempts,
        };
        if (output) Object.assign(attributes, responseAttributes(output));
        if (event.usage) {
          attributes[ATTRIBUTE.inputTokens] = event.usage.inputTokens;
          attributes[ATTRIBUTE.outputTokens] = event.usage.outputTokens;
          // A model with no price has no cost to report (its 0 is not a real cost).
          if (!event.unpriced) attributes[SWITCHBOARD.costUsd] = event.usage.costUsd;
        }
        if (content) {
          attributes[ATTRIBUTE.inputMessages] = inputMessagesOf(event.input);
          if (output) attributes[ATTRIBUTE.outputMessages] = outputMessagesOf(output);
        }
        const span = tracer.startSpan(`${OPERATION.chat} ${event.model}`, { kind: SpanKind.CLIENT, startTime: event.startedAt, attributes }, step.context);
        if (event.error) {
          span.setAttribute(ATTRIBUTE.errorType, event.error.kind);
          span.setStatus({ code: SpanStatusCode.ERROR, message: content ? event.error.message : event.error.kind });
        }
        span.end(event.startedAt + event.durationMs);
        // The invoke_agent span's provider is known for sure once its model answered.
        if (turn.step) turn.step.span.setAttribute(ATTRIBUTE.providerName, provider);
        if (output) remember(providers, agentKey(at, event.agent), provider, maxOpenTurns);
        return;
      }
      case 'tool-call': {
        const turn = turns.get(key);
        if (!turn) return;
        const attributes: Attributes = {
          [ATTRIBUTE.operationName]: OPERATION.executeTool,
          [ATTRIBUTE.toolName]: event.tool,
          [ATTRIBUTE.toolCallId]: event.toolCallId,
          [ATTRIBUTE.toolType]: 'function',
          [ATTRIBUTE.agentName]: event.agent,
        };
        if (content) attributes[ATTRIBUTE.toolCallArguments] = json(event.args);
        const span = tracer.startSpan(`${OPERATION.executeTool} ${event.tool}`, { kind: SpanKind.INTERNAL, startTime: at.at, attributes }, current(turn).context);
        turn.tools.set(event.toolCallId, { span, startedAt: at.at });
        return;
      }
      case 'tool-result': {
        const turn = turns.get(key);
        const tool = turn?.tools.get(event.toolCallId);
        if (!turn || !tool) return;
        turn.tools.delete(event.toolCallId);
        if (content) tool.span.setAttribute(ATTRIBUTE.toolCallResult, event.content);
        if (!event.ok) {
          tool.span.setAttribute(ATTRIBUTE.errorType, 'tool_error');
          tool.span.setStatus({ code: SpanStatusCode.ERROR, message: content ? event.content : 'tool_error' });
        }
        tool.span.end(tool.startedAt + event.durationMs);
        return;
      }
      case 'handoff-accept': {
        const turn = turns.get(key);
        if (!turn) return;
        current(turn).span.addEvent(
          SWITCHBOARD.handoffEvent,
          {
            [SWITCHBOARD.handoffFrom]: event.from,
            [SWITCHBOARD.handoffTo]: event.to,
            [SWITCHBOARD.handoffKind]: event.kind,
            ...(event.tool !== undefined ? { [SWITCHBOARD.handoffTool]: event.tool } : {}),
            ...(content ? { [SWITCHBOARD.handoffPayload]: json(event.payload) } : {}),
          },
          at.at,
        );
        return;
      }
      case 'handoff-refuse': {
        const turn = turns.get(key);
        if (!turn) return;
        // A tool name the model invented is its text: left out, like in the logs.
        const invented = event.code === 'UNKNOWN_TOOL';
        current(turn).span.addEvent(
          SWITCHBOARD.handoffRefuseEvent,
          {
            [SWITCHBOARD.handoffFrom]: event.from,
            [SWITCHBOARD.handoffCode]: event.code,
            // A move no model chose (a fallback, a limit's redirect, a hand-back) has no tool: left out rather than "".
            ...(event.tool !== '' && (!invented || content) ? { [SWITCHBOARD.handoffTool]: event.tool } : {}),
            ...(event.to !== undefined && (!invented || content) ? { [SWITCHBOARD.handoffTo]: event.to } : {}),
            ...(content ? { [SWITCHBOARD.handoffReason]: event.reason } : {}),
          },
          at.at,
        );
        return;
      }
      case 'escalation-start': {
        const turn = turns.get(key);
        if (!turn) return;
        turn.waiting = true;
        turn.span.setAttribute(SWITCHBOARD.turnAgent, event.to);
        current(turn).span.addEvent(SWITCHBOARD.escalationStartEvent, { [SWITCHBOARD.handoffFrom]: event.from, [SWITCHBOARD.handoffTo]: event.to }, at.at);
        return;
      }
      case 'escalation-end': {
        // A person answered: a new invocation, linked to the turn that waited for them (when this process saw it).
        const links = takeWait(key, undefined);
        const turn = turns.get(key) ?? openTurn(key, undefined, at, links);
        // The hand-back itself follows as a handoff-accept, before the turn ends.
        turn.span.addEvent(SWITCHBOARD.escalationEndEvent, { [ATTRIBUTE.agentName]: event.agent, ...(event.handBackTo !== undefined ? { [SWITCHBOARD.handoffTo]: event.handBackTo } : {}) }, at.at);
        return;
      }
      case 'approval-start': {
        // Like an escalation: the turn stops here until a person decides, and its span ends with this step.
        const turn = turns.get(key);
        if (!turn) return;
        turn.waiting = true;
        // The agent whose handoff waits holds the conversation meanwhile (the turn's result names it too).
        turn.span.setAttribute(SWITCHBOARD.turnAgent, event.from);
        current(turn).span.addEvent(
          SWITCHBOARD.approvalStartEvent,
          {
            [SWITCHBOARD.handoffFrom]: event.from,
            [SWITCHBOARD.handoffTo]: event.to,
            [SWITCHBOARD.handoffTool]: event.tool,
            ...(content ? { [SWITCHBOARD.handoffPayload]: json(event.payload) } : {}),
          },
          at.at,
        );
        return;
      }
      case 'approval-end': {
        const attributes: Attributes = {
          [SWITCHBOARD.handoffFrom]: event.from,
          [SWITCHBOARD.handoffTo]: event.to,
          [SWITCHBOARD.handoffTool]: event.tool,
          [SWITCHBOARD.approvalApproved]: event.approved,
          ...(event.withdrawn ? { [SWITCHBOARD.approvalWithdrawn]: true } : {}),
          ...(content && event.operator !== undefined ? { [SWITCHBOARD.approvalOperator]: event.operator } : {}),
          ...(content && event.reason !== undefined ? { [SWITCHBOARD.approvalReason]: event.reason } : {}),
        };
        if (event.withdrawn) {
          // Nobody decided: the waiting turn never goes on (the user's new message is a turn of its own).
          waiting.delete(key);
          const turn = turns.get(key);
          if (turn) current(turn).span.addEvent(SWITCHBOARD.approvalEndEvent, attributes, at.at);
          return;
        }
        // A person decided: the turn goes on in a new invocation. Its step opened the span already
        // (linked, when this process saw the wait); a decision taken where the wait was not seen
        // still marks the span as a resume.
        const turn = turns.get(key) ?? openTurn(key, undefined, at, takeWait(key, undefined));
        turn.span.setAttribute(SWITCHBOARD.turnResumed, true);
        current(turn).span.addEvent(SWITCHBOARD.approvalEndEvent, attributes, at.at);
        return;
      }
      case 'fallback-start':
      case 'model-fallback': {
        const turn = turns.get(key);
        if (!turn) return;
        const name = event.type === 'fallback-start' ? SWITCHBOARD.fallbackEvent : SWITCHBOARD.modelFallbackEvent;
        current(turn).span.addEvent(name, { [SWITCHBOARD.handoffFrom]: event.from, [SWITCHBOARD.handoffTo]: event.to, [ATTRIBUTE.errorType]: event.reason }, at.at);
        return;
      }
      case 'model-retry': {
        const turn = turns.get(key);
        if (!turn) return;
        current(turn).span.addEvent(SWITCHBOARD.modelRetryEvent, { 'switchboard.model.retry.attempt': event.attempt, 'switchboard.model.retry.delay_ms': event.delayMs, [ATTRIBUTE.errorType]: event.reason }, at.at);
        return;
      }
      case 'limit-reach': {
        const turn = turns.get(key);
        if (!turn) return;
        current(turn).span.addEvent(
          SWITCHBOARD.limitEvent,
          { 'switchboard.limit.code': event.limit, 'switchboard.limit.action': event.action, ...(event.to !== undefined ? { [SWITCHBOARD.handoffTo]: event.to } : {}) },
          at.at,
        );
        return;
      }
      case 'handoff-request':
      case 'usage':
      case 'message-end':
      case 'text-delta':
        // handoff-accept and handoff-refuse tell what became of a request; usage is on the chat spans.
        return;
      default:
        return;
    }
  };
}

function agentKey(at: EventContext, agent: string): string {
  return `${at.tree ?? ''}\u0000${agent}`;
}

/** `gen_ai.provider.name`: what the response says (LangChain's `model_provider`), else the model's kind. */
function providerOf(model: string, output: AIMessage | undefined, fallback: string): string {
  const said = (output?.response_metadata as { model_provider?: unknown } | undefined)?.model_provider;
  if (typeof said === 'string' && said !== '') return said;
  return model === 'offline' ? 'switchboard.offline' : fallback;
}

function responseAttributes(output: AIMessage): Attributes {
  const metadata = (output.response_metadata ?? {}) as { model_name?: unknown; provider_message_id?: unknown };
  const finishReason = finishReasonOf(output);
  return {
    ...(typeof metadata.model_name === 'string' ? { [ATTRIBUTE.responseModel]: metadata.model_name } : {}),
    ...(typeof metadata.provider_message_id === 'string' ? { [ATTRIBUTE.responseId]: metadata.provider_message_id } : {}),
    ...(finishReason ? { [ATTRIBUTE.responseFinishReasons]: [finishReason] } : {}),
  };
}

function json(value: unknown): string {
  try {
    return JSON.stringify(value) ?? '';
  } catch {
    return '';
  }
}

function remember<TValue>(map: Map<string, TValue>, key: string, value: TValue, max: number): void {
  map.delete(key);
  if (map.size >= max) map.delete(map.keys().next().value as string);
  map.set(key, value);
}
