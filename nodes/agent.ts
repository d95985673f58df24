/**
 * The agent node: one graph node per agent. Each run of the node does one thing and returns a
 * `Command`: call the model, or run the tool calls of the model's last response (so a response
 * whose tools may have side effects is checkpointed before they run), then reply (END), continue
 * (the node again), or move control (`goto` another agent, with the handoff in the update).
 */
import { AIMessage, RemoveMessage, SystemMessage } from '@langchain/core/messages';
import type { BaseMessage, ToolCall } from '@langchain/core/messages';
import { Command, END } from '@langchain/langgraph';
import type { LangGraphRunnableConfig } from '@langchain/langgraph';
import type { Logger } from 'pino';
import { aiMessage, textOf, unusableUserMessage, usageOf } from '../models/messages.js';
import type { AgentRuntime, TreeRuntime } from './context.js';
import { emit } from './events.js';
import { addUsage } from '../state/schema.js';
import type { CallUsage, HandoffRecord, SwitchboardState, Turn, Usage } from '../state/schema.js';
import { roundedCosts, tokensUsed, usageOfTurn } from '../state/turn-usage.js';
import { cutAtMaxTokens } from '../models/reply-check.js';
import { callModel, ModelCallFailure } from './model-call.js';
import type { ModelCallResult, ModelTry } from './model-call.js';
import { buildModelInput } from './prompt.js';
import { answerToolCalls, needsExecution, toolAnswer } from './tool-calls.js';
import type { ChosenHandoff, LaterHandoff, ToolStep } from './tool-calls.js';
import { agentCount, count, currentTurn, lastUserMessage, logFields, messageTooLong, threadIdOf, turnDurationMs } from './turn.js';
import { accountFailedModel, accountUsage, modelPartEvents } from './usage.js';
import { removalsBeforeWindow } from './hot-window.js';
import { turnWriteOf } from '../state/turn-write.js';
import { repeatedRound } from '../state/trail.js';
import { modelsForCall } from './conditions.js';
import { awaitApproval, deniedText, needsCheckpointBeforeHandoff, requiresApproval } from './approval.js';
import type { DecidedApproval } from './approval.js';
import { hookFailureEndsTurn, refusedText, runHandoffHook } from './hooks.js';
import type { HookOutcome } from './hooks.js';
import type { HandoffRefuseCode } from './events.js';

/**
 * Stable codes of a turn's `error` (`state.turn.error.code`, `result.error.code`, the `turn-end`
 * event's and the turn summary's): the errors that end a turn, and what went wrong in a turn that
 * is `done` all the same (a person's hand-back a hook refused).
 */
export type TurnErrorCode =
  | 'MESSAGE_TOO_LONG'
  /** A message `graph.invoke` was given that no model can be shown (not text, empty, malformed): it leaves the thread. */
  | 'INVALID_INPUT'
  | 'HANDOFF_LIMIT'
  | 'PING_PONG'
  | 'MODEL_CALL_LIMIT'
  | 'TOOL_CALL_LIMIT'
  | 'TOKEN_LIMIT'
  | 'MODEL_FAILED'
  | 'CONTEXT_TOO_LONG'
  | 'EMPTY_REPLY'
  | 'TOOL_FAILED'
  /** A function tool did not answer within `toolTimeoutMs`: the turn ends, since whether the tool took effect is not known. */
  | 'TOOL_TIMEOUT'
  | 'REFUSED'
  /**
   * A handoff hook threw, timed out or returned bad fields, and `hooks.onError` is `'fail-turn'`; or
   * it did so for a person's hand-back (the turn is `done`: the reply was delivered, the person keeps the conversation).
   */
  | 'HOOK_FAILED'
  /** The receiving agent's hook refused a person's hand-back: the turn is `done` (the reply was delivered), the person keeps the conversation. */
  | 'HOOK_REFUSED'
  /** A turn cut short in an agent the YAML has lost since, closed by whatever came next on the thread; the root takes the conversation. */
  | 'AGENT_REMOVED'
  /** A message handled before (`replayed: true`) whose turn gave no reply: on that result only, nothing ran again. */
  | 'NO_REPLY';

const EMPTY_REPLY_NUDGE = 'Your last reply was empty. Answer the user, call one of your tools, or hand off.';

export function createAgentNode(runtime: TreeRuntime, agent: AgentRuntime) {
  const logger = runtime.logger.child({ agent: agent.name });
  return async function agentNode(state: SwitchboardState, config: LangGraphRunnableConfig): Promise<Command> {
    if (runtime.observers.length === 0) return new AgentStep(runtime, agent, logger, state, config).run();
    // Observers see the step as a span: its start and its end (also when it throws).
    const started = performance.now();
    const turn = currentTurn(state, agent.name, new Date()).turn.number;
    const log = { thread_id: threadIdOf(config) };
    emit(config, logger, { type: 'step-start', agent: agent.name, turn, model: agent.models[0]?.id }, log, runtime.observers);
    try {
      return await new AgentStep(runtime, agent, logger, state, config).run();
    } finally {
      emit(config, logger, { type: 'step-end', agent: agent.name, turn, durationMs: performance.now() - started }, log, runtime.observers);
    }
  };
}

interface Move {
  to: string;
  kind: HandoffRecord['kind'];
  tool?: string | undefined;
  payload: Record<string, unknown>;
  reason?: string | undefined;
}

/** One run of an agent node: what it writes is collected here and returned as one Command. */
class AgentStep {
  private turn: Turn;
  private readonly started: boolean;
  private readonly now = new Date();
  private readonly threadId: string;
  private readonly messages: BaseMessage[] = [];
  /** What an earlier turn left unsettled (a crash nobody finished): settled by this turn's first step. */
  private readonly leftover: { moves: HandoffRecord[]; usage: Usage | undefined };
  /** The model calls of this step (helpers' included), in order: the step's write adds them to the turn's. */
  private readonly stepCalls: CallUsage[] = [];
  /** Handoffs called after the response's chosen one: refused once that one is done or refused. */
  private laterHandoffs: LaterHandoff[] = [];

  constructor(
    private readonly runtime: TreeRuntime,
    private readonly agent: AgentRuntime,
    private readonly logger: Logger,
    private readonly state: SwitchboardState,
    private readonly config: LangGraphRunnableConfig,
  ) {
    const { turn, started } = currentTurn(state, agent.name, this.now);
    this.turn = turn;
    this.started = started;
    this.threadId = threadIdOf(config);
    const previous = state.turn;
    this.leftover = started && previous.status === 'running' ? { moves: previous.moves ?? [], usage: usageOfTurn(previous) } : { moves: [], usage: undefined };
  }

  async run(): Promise<Command> {
    if (this.started) {
      this.emit({ type: 'turn-start', threadId: this.threadId, turn: this.turn.number, agent: this.agent.name });
      const user = lastUserMessage(this.state.messages);
      // A message `graph.invoke` took as it came (runTurn refuses these before they are saved).
      const unusable = user && unusableUserMessage(user);
      if (user && unusable) {
        // It leaves the thread: every later turn would show it to a model.
        if (user.id) this.messages.push(new RemoveMessage({ id: user.id }));
        return this.endWithError('INVALID_INPUT', unusable);
      }
      // Earlier turns past the tree's largest history window leave the checkpoint (the journal has them).
      this.messages.push(...(await removalsBeforeWindow(this.runtime, this.threadId, this.state.messages)));
      const tooLong = user && messageTooLong(textOf(user), this.agent);
      if (user && tooLong) {
        // The oversized message leaves the thread: it would poison every later turn.
        if (user.id) this.messages.push(new RemoveMessage({ id: user.id }));
        return this.endWithError('MESSAGE_TOO_LONG', tooLong);
      }
    }
    const last = this.state.messages.at(-1);
    if (last instanceof AIMessage && last.name === this.agent.name && last.tool_calls?.length) {
      // A handoff into an agent that requires approval pauses here, before any tool runs.
      const approval = this.awaitApproval(last);
      return this.finishToolStep(await answerToolCalls(this.runtime, this.agent, this.state, last, this.turn, this.config), approval);
    }
    return this.modelStep();
  }

  private async modelStep(): Promise<Command> {
    const { limits } = this.agent;
    if (this.turn.modelCalls >= this.runtime.limits.modelCallsPerTurn || agentCount(this.turn, this.agent.name, 'modelCalls') >= limits.modelCallsPerTurn) {
      return this.limit('MODEL_CALL_LIMIT', `more than ${Math.min(limits.modelCallsPerTurn, this.runtime.limits.modelCallsPerTurn)} model calls in one turn`);
    }
    const overBudget = this.tokenLimit();
    if (overBudget) return overBudget;

    let input = buildModelInput(this.agent, this.state);
    let result = await this.call(input);
    // The calls sent for this answer: the error says how many were made, the re-ask included.
    let attempts = result instanceof ModelCallFailure ? result.attempts : 0;
    if (result instanceof ModelCallFailure && result.kind === 'context-length') {
      // Once: retry with only the current turn, without earlier tool traffic. (No budget check
      // first: the failed call spent no tokens, so the check made before it still holds.)
      input = buildModelInput(this.agent, this.state, { turns: 1, toolCalls: false });
      result = await this.call(input);
      if (result instanceof ModelCallFailure) attempts += result.attempts;
    }
    if (result instanceof ModelCallFailure) {
      const code = result.kind === 'context-length' ? 'CONTEXT_TOO_LONG' : 'MODEL_FAILED';
      return this.failed(code, `the model failed (${result.kind}) after ${attempts} attempt(s): ${result.message}`);
    }
    let message = result.message;
    if (isEmpty(message)) {
      // The empty reply's tokens count: asking again could take the session past its budget by more than one call.
      const spent = this.tokenLimit();
      if (spent) return spent;
      // Asked of the model that answered: the models before it in the list have just failed.
      const retry = await this.call([...input, new SystemMessage(EMPTY_REPLY_NUDGE)], result.modelId);
      if (retry instanceof ModelCallFailure) return this.failed('MODEL_FAILED', `the model failed (${retry.kind}): ${retry.message}`);
      message = retry.message;
      // A reply cut at maxTokens before any text (a reasoning model can spend them all thinking) is no model's silence.
      if (isEmpty(message)) return this.failed('EMPTY_REPLY', `the model replied with nothing, twice${cutAtMaxTokens(message) ? ' (cut at its maxTokens before any text: raise the model\'s maxTokens)' : ''}`);
    }
    const refusal = refusalOf(message);
    if (refusal !== undefined && this.nextFallback() !== undefined) {
      // Fallbacks that their hooks all refuse leave the refusal as the reply, as with none.
      const taken = await this.fallBack('REFUSED', `the model refused: ${refusal}`);
      if (taken instanceof Command) return taken;
    }
    if (refusal !== undefined && textOf(message).trim() === '') {
      message = aiMessage({ content: refusal, id: message.id, name: this.agent.name, usage: usageOf(message) });
      // The provider streamed it as a refusal, not as text: the stream's readers get it as the reply's text.
      this.emit({ type: 'text-delta', agent: this.agent.name, delta: refusal });
    }

    if (!message.tool_calls?.length) return this.reply(message);
    // Words said beside tool calls or a handoff were streamed to the user and stay in the thread: their
    // message ends here (a `model-retry` later in the turn discards nothing said before it).
    if (textOf(message).trim() !== '') this.emit({ type: 'message-end', agent: this.agent.name, text: textOf(message) });
    if (needsExecution(this.agent, message) || needsCheckpointBeforeHandoff(this.runtime, this.agent, message)) {
      // Checkpoint the response before tools with side effects run (the next step runs them), and
      // before a handoff that waits for approval or runs a hook (so a replay meets the same call).
      this.messages.push(message);
      return this.command(this.agent.name, {});
    }
    this.messages.push(message);
    return this.finishToolStep(await answerToolCalls(this.runtime, this.agent, this.state, message, this.turn, this.config));
  }

  /**
   * The session's token budget (the tree's, or this agent's) is spent: the limit's redirect or the
   * turn's end. Checked before every model call, retries included, so a session ends above its
   * budget by at most one call's tokens.
   */
  private tokenLimit(): Promise<Command> | undefined {
    const { tokensPerSession } = this.runtime.limits;
    // The thread's settled turns, plus this turn so far (and what an unsettled earlier turn used).
    const tokens = tokensUsed([this.state.usage, this.leftover.usage], this.turn.calls, this.agent.name);
    if (tokens.session < tokensPerSession && tokens.agent < this.agent.limits.tokensPerSession) return undefined;
    const sessionSpent = tokens.session >= tokensPerSession;
    // Which budget ran out: the tree's (the whole session's) or this agent's own share of it.
    const message = sessionSpent
      ? `the session used ${tokens.session} tokens; the limit is ${tokensPerSession}`
      : `${this.agent.name} used ${tokens.agent} tokens of its own limit of ${this.agent.limits.tokensPerSession} in this session`;
    // With the session's own budget spent, no model agent can answer either: only a person can take it.
    return this.limit('TOKEN_LIMIT', message, undefined, { personOnly: sessionSpent });
  }

  /**
   * Calls the model, accounting every attempt to the model that made it (a model that failed
   * before a fallback model answered has its own usage and model-call events); returns the failure
   * instead of throwing it.
   */
  private async call(input: BaseMessage[], fromModel?: string): Promise<ModelCallResult | ModelCallFailure> {
    const onModelFailed = (tried: ModelTry, failure: ModelCallFailure) => this.accountFailedModel(input, tried, failure);
    const models = modelsForCall(this.runtime, this.agent, this.state);
    const from = fromModel === undefined ? -1 : models.findIndex((model) => model.id === fromModel);
    try {
      const result = await callModel(this.runtime, this.agent.name, from > 0 ? models.slice(from) : models, input, this.config, { turn: this.turn, onModelFailed });
      this.accountAnswer(input, result);
      return result;
    } catch (error) {
      // Every model's failure was accounted as it failed.
      if (!(error instanceof ModelCallFailure)) throw error;
      return error;
    }
  }

  /** The answering model's own attempts, tokens and times. */
  private accountAnswer(input: BaseMessage[], result: ModelCallResult): void {
    const accounted = accountUsage(this.runtime, this.agent.name, this.turn, { ...result, attempts: result.answered.attempts }, input);
    this.turn = accounted.turn;
    this.stepCalls.push(accounted.call);
    for (const event of modelPartEvents(this.runtime, this.agent.name, accounted, { tried: result.answered, input, output: result.message })) this.emit(event);
  }

  /** A model whose attempts all failed: model calls with no tokens (the provider answered none), its own. */
  private accountFailedModel(input: BaseMessage[], tried: ModelTry, failure: ModelCallFailure): void {
    const accounted = accountFailedModel(this.runtime, this.agent.name, this.turn, tried);
    this.turn = accounted.turn;
    this.stepCalls.push(accounted.call);
    for (const event of modelPartEvents(this.runtime, this.agent.name, accounted, { tried, input, failure })) this.emit(event);
  }

  private async finishToolStep(step: ToolStep, approval?: DecidedApproval): Promise<Command> {
    this.messages.push(...step.messages);
    this.laterHandoffs = step.laterHandoffs ?? [];
    // The step's turn carries the usage of the helpers it ran (see accountUsage).
    this.turn = step.turn;
    this.stepCalls.push(...step.calls);
    if (step.toolTimeout) {
      if (step.handoff) this.answer(step.handoff.call, `Not done: ${step.toolTimeout.tool} did not answer in time, so the turn ends.`);
      return this.endWithError('TOOL_TIMEOUT', `${step.toolTimeout.tool} did not answer within ${this.runtime.toolTimeoutMs} ms; whether it took effect is not known`);
    }
    if (step.toolFailure && this.nextFallback() !== undefined) {
      // Fallbacks that their hooks all refuse leave the failure with the model, as with none.
      const pending = step.handoff ? { call: step.handoff.call, why: `${step.toolFailure.tool} failed` } : undefined;
      const taken = await this.fallBack('TOOL_FAILED', step.toolFailure.message, pending);
      if (taken instanceof Command) return taken;
    }
    if (step.handoff) {
      const moved = await this.handOff(step.handoff, approval);
      if (moved) return moved;
    }
    if (step.limitHit) return this.limit('TOOL_CALL_LIMIT', `more than ${Math.min(this.agent.limits.toolCallsPerTurn, this.runtime.limits.toolCallsPerTurn)} tool calls in one turn`);
    return this.command(this.agent.name, {});
  }

  /** The handoff, once allowed (approval, limits, hook); undefined when it was refused and the model told why. */
  private async handOff({ target, payload, call }: ChosenHandoff, approval?: DecidedApproval): Promise<Command | undefined> {
    if (approval && approval.toolCallId === call.id && !approval.approved) return this.refuseHandoff(call, target.to, 'APPROVAL_DENIED', deniedText(approval, this.agent.name));
    // A gated handoff moves only on a person's approval of this very call (a condition that changed
    // while the thread waited can make the tool step accept another call than the one approved).
    if (approval?.toolCallId !== call.id && requiresApproval(this.runtime, this.agent.name, target.to)) {
      return this.refuseHandoff(call, target.to, 'APPROVAL_DENIED', `Refused: the handoff to ${target.to} needs a person's approval, and none was given for this call. ${this.agent.name} keeps the conversation: call ${call.name} again on its own to ask for it.`);
    }
    const max = Math.min(this.agent.limits.handoffsPerTurn, this.runtime.limits.handoffsPerTurn);
    if (this.turn.handoffs >= this.runtime.limits.handoffsPerTurn || agentCount(this.turn, this.agent.name, 'handoffs') >= this.agent.limits.handoffsPerTurn) {
      return this.limit('HANDOFF_LIMIT', `more than ${max} handoffs in one turn`, call);
    }
    const round = repeatedRound(this.turn.moves ?? [], this.agent.name, target.to);
    if (round) return this.limit('PING_PONG', pingPongText(round), call);
    const hooked = await runHandoffHook(this.runtime, { from: this.agent.name, to: target.to, kind: target.kind, tool: call.name, toolCallId: call.id ?? '', payload }, this.state, this.turn.number, this.config, this.logger);
    if (hooked?.action === 'refuse') {
      return this.refuseHandoff(call, target.to, 'HOOK_REFUSED', `Refused: the handoff to ${target.to} is not allowed: ${hooked.reason}. ${this.agent.name} keeps the conversation: help the user yourself, or choose another way.`);
    }
    if (hooked?.action === 'fail') {
      if (hookFailureEndsTurn(this.runtime)) {
        this.answer(call, `Not done: the handoff to ${target.to} could not be checked. The turn ends.`);
        return this.endWithError('HOOK_FAILED', `the handoff hook for ${target.to} failed: ${hooked.message}`);
      }
      return this.refuseHandoff(call, target.to, 'HOOK_FAILED', `Refused: the handoff to ${target.to} could not be checked right now (${hooked.kind === 'timeout' ? 'the check took too long' : 'the check failed'}). ${this.agent.name} keeps the conversation: help the user yourself, or try again later.`);
    }
    this.turn = count(this.turn, this.agent.name, 'handoffs');
    return this.move({ to: target.to, kind: target.kind, tool: call.name, payload }, call, `Transferred to ${target.to}: ${target.to} now owns the conversation.`, target.sets, hooked?.fields);
  }

  /** Pauses for a person when this response's handoff needs approval; the decision once given. */
  private awaitApproval(message: AIMessage): DecidedApproval | undefined {
    return awaitApproval(this.runtime, this.agent, this.state, message, this.turn.number, this.config, {
      onPause: (request) => this.emit({ type: 'approval-start', from: request.from, to: request.to, tool: request.tool, payload: request.payload }),
      onDecision: (decision) => this.emit({ type: 'approval-end', from: this.agent.name, to: decision.to, tool: decision.tool, approved: decision.approved, ...(decision.operator !== undefined ? { operator: decision.operator } : {}), ...(decision.reason !== undefined ? { reason: decision.reason } : {}) }),
      // What was wrong, never the value: it may quote what the person wrote.
      onInvalid: (problems) => this.logger.warn({ event: 'decision-invalid', thread_id: threadIdOf(this.config), problems: problems.slice(0, 500) }, 'a malformed approval decision was ignored; the thread waits again'),
    });
  }

  /** The handoff does not happen: the model is told why (control stays with this agent). */
  private refuseHandoff(call: ToolCall, to: string, code: HandoffRefuseCode, reason: string): undefined {
    this.emit({ type: 'handoff-refuse', from: this.agent.name, tool: call.name, to, reason, code });
    this.messages.push(toolAnswer(call, reason, 'error'));
    this.refuseLaterHandoffs();
    return undefined;
  }

  /**
   * The handoffs called after the response's chosen one, refused now that its outcome is out (its
   * move, its refusal, or the turn's end): the stream, the thread and the journal show it first.
   */
  private refuseLaterHandoffs(): void {
    const later = this.laterHandoffs;
    this.laterHandoffs = [];
    for (const { call, to, reason } of later) {
      this.emit({ type: 'handoff-request', from: this.agent.name, to, tool: call.name, payload: call.args });
      this.emit({ type: 'handoff-refuse', from: this.agent.name, tool: call.name, to, reason, code: 'SECOND_HANDOFF' });
      this.messages.push(toolAnswer(call, reason, 'error'));
    }
  }

  /**
   * A limit was crossed: the tree's escalation target takes over once a turn (when its hook lets it);
   * otherwise the turn ends with an error.
   */
  private async limit(code: TurnErrorCode, message: string, pendingCall?: ToolCall, options: { personOnly?: boolean } = {}): Promise<Command> {
    const target = this.runtime.tree.escalation;
    const unable = options.personOnly === true && target !== undefined && this.runtime.agents.get(target)?.spec.kind !== 'human';
    if (unable) message = `${message} (${target}, the tree's escalation, is a model agent and could not answer either)`;
    const canEscalate = target !== undefined && target !== this.agent.name && !this.turn.redirected && this.runtime.agents.has(target) && !unable;
    const hooked = canEscalate ? await this.runMoveHook(target, 'limit', message) : undefined;
    const escalate = canEscalate && (hooked === undefined || hooked.action === 'accept');
    this.emit({ type: 'limit-reach', agent: this.agent.name, limit: code, action: escalate ? 'escalate' : 'end', to: escalate ? target : undefined });
    if (escalate) {
      this.turn = { ...this.turn, handoffs: 0, modelCalls: 0, toolCalls: 0, byAgent: {}, redirected: true };
      const fields = hooked?.action === 'accept' ? hooked.fields : {};
      return this.move({ to: target, kind: 'limit', payload: { reason: message }, reason: code }, pendingCall, `Not done: ${message}. The conversation goes to ${target}.`, [], fields);
    }
    if (pendingCall) this.answer(pendingCall, `Not done: ${message}. The turn ends.`);
    if (hooked === undefined || hooked.action === 'accept') return this.endWithError(code, message);
    if (hooked.action === 'fail' && hookFailureEndsTurn(this.runtime)) return this.endWithError('HOOK_FAILED', `the handoff hook for ${target} failed: ${hooked.message}`);
    return this.endWithError(code, `${message}; the move to ${target} was ${refusedText(hooked)}`);
  }

  /** The agent failed: its next fallback (that its hook lets take over) does, or the turn ends with an error. */
  private async failed(code: TurnErrorCode, message: string): Promise<Command> {
    const taken = await this.fallBack(code, message);
    return taken instanceof Command ? taken : this.endWithError(code, [message, ...taken].join('; '));
  }

  /**
   * The first fallback whose hook lets it take over does (a handoff call of the same response,
   * `pending`, is answered that it was not done); a hook that fails ends the turn with
   * `onError: 'fail-turn'`. Otherwise what each hook said, and nothing moved.
   */
  private async fallBack(code: TurnErrorCode, message: string, pending?: { call: ToolCall; why: string }): Promise<Command | string[]> {
    const refusals: string[] = [];
    for (const fallback of this.fallbacks()) {
      const hooked = await this.runMoveHook(fallback, 'fallback', message);
      if (hooked === undefined || hooked.action === 'accept') {
        if (pending) this.answer(pending.call, `Not done: ${pending.why}, so ${this.agent.name}'s fallback takes over.`);
        this.emit({ type: 'fallback-start', from: this.agent.name, to: fallback, reason: code });
        return this.move({ to: fallback, kind: 'fallback', payload: { reason: message }, reason: code }, undefined, undefined, [], hooked?.fields);
      }
      if (hooked.action === 'fail' && hookFailureEndsTurn(this.runtime)) {
        if (pending) this.answer(pending.call, `Not done: ${pending.why}. The turn ends.`);
        return this.endWithError('HOOK_FAILED', `the handoff hook for ${fallback} failed: ${hooked.message}`);
      }
      refusals.push(`the fallback to ${fallback} was ${refusedText(hooked)}`);
    }
    return refusals;
  }

  /**
   * Runs the hook of a move no model chose (a fallback, a limit's redirect); a refusal or a failure
   * is reported as a refused handoff (the move does not happen).
   */
  private async runMoveHook(to: string, kind: 'fallback' | 'limit', reason: string): Promise<HookOutcome | undefined> {
    const hooked = await runHandoffHook(this.runtime, { from: this.agent.name, to, kind, tool: '', toolCallId: '', payload: { reason } }, this.state, this.turn.number, this.config, this.logger);
    if (hooked && hooked.action !== 'accept') {
      this.emit({ type: 'handoff-refuse', from: this.agent.name, tool: '', to, reason: refusedText(hooked), code: hooked.action === 'refuse' ? 'HOOK_REFUSED' : 'HOOK_FAILED' });
    }
    return hooked;
  }

  /** The fallbacks that can take over now, in order (none already on this turn's path). */
  private fallbacks(): string[] {
    return this.agent.fallbacks.filter((name) => this.runtime.agents.has(name) && !this.turn.path.includes(name));
  }

  private nextFallback(): string | undefined {
    return this.fallbacks()[0];
  }

  private move(move: Move, call: ToolCall | undefined, toolText?: string, sets: [string, string][] = [], hookFields: Record<string, unknown> = {}): Command {
    if (call) this.answer(call, toolText ?? `Transferred to ${move.to}.`);
    const record: HandoffRecord = {
      from: this.agent.name,
      to: move.to,
      kind: move.kind,
      ...(move.tool ? { tool: move.tool } : {}),
      payload: move.payload,
      turn: this.turn.number,
      at: this.now.toISOString(),
      ...(move.reason ? { reason: move.reason } : {}),
    };
    const fields: Record<string, unknown> = {};
    for (const [payloadField, stateField] of sets) if (move.payload[payloadField] !== undefined) fields[stateField] = move.payload[payloadField];
    // A hook's fields (backend code) win over the payload's.
    Object.assign(fields, hookFields);
    const toHuman = this.runtime.tree.agents[move.to]?.kind === 'human';
    this.turn = { ...this.turn, path: [...this.turn.path, move.to], moves: [...(this.turn.moves ?? []), record], status: toHuman ? 'waiting' : 'running' };
    this.emit({ type: 'handoff-accept', from: this.agent.name, to: move.to, kind: move.kind, tool: move.tool, payload: move.payload });
    // Before a person's wait starts: a turn that waits ends its stream at `escalation-start`.
    this.refuseLaterHandoffs();
    if (toHuman) this.emit({ type: 'escalation-start', from: this.agent.name, to: move.to, payload: move.payload });
    // The owner is written when the turn settles (here only when a person takes it): one write fewer a move.
    return this.command(move.to, { ...(toHuman ? { activeAgent: move.to } : {}), ...(Object.keys(fields).length ? { fields } : {}) });
  }

  private reply(message: AIMessage): Command {
    this.messages.push(message);
    this.turn = { ...this.turn, status: 'done' };
    // A reply cut at maxTokens is still the reply (asked again, it would be cut again), marked so
    // the backend and the log see it (a warning) and can tell the user or raise the model's maxTokens.
    const truncated = cutAtMaxTokens(message);
    this.emit({ type: 'message-end', agent: this.agent.name, text: textOf(message), ...(truncated ? { truncated: true as const } : {}) });
    this.emitTurnEnd();
    // The replying agent owns the conversation (written only when that changed: one write fewer a step).
    return this.command(END, this.state.activeAgent === this.agent.name ? {} : { activeAgent: this.agent.name });
  }

  private endWithError(code: TurnErrorCode, message: string): Command {
    this.refuseLaterHandoffs();
    this.turn = { ...this.turn, status: 'error', error: { code, message } };
    this.emitTurnEnd();
    // After moves, the agent the turn ended in owns the conversation (as the last move made it).
    const moved = (this.turn.moves?.length ?? 0) > 0 && this.state.activeAgent !== this.agent.name;
    return this.command(END, moved ? { activeAgent: this.agent.name } : {});
  }

  private answer(call: ToolCall, content: string): void {
    this.messages.push(toolAnswer(call, content));
  }

  private command(goto: string, update: Record<string, unknown>): Command {
    // Every call gets its answer, whichever way the step ends.
    this.refuseLaterHandoffs();
    return new Command({
      goto,
      update: {
        ...update,
        ...(this.messages.length ? { messages: this.messages } : {}),
        // The turn's counters, and only the moves and usage this step added (see state/turn-write.ts).
        turn: turnWriteOf(this.state.turn, this.turn, this.stepCalls),
        ...this.settlement(),
      },
    });
  }

  /**
   * Until the turn settles (an answer, an error, a wait for a person), a step writes its bookkeeping
   * to `turn` alone; then the trail takes the turn's moves and the thread's usage its usage, once.
   */
  private settlement(): { handoffs?: HandoffRecord[]; usage?: Usage } {
    const settled = this.turn.status !== 'running';
    const moves = settled && this.turn.moves?.length ? [...this.leftover.moves, ...this.turn.moves] : this.leftover.moves;
    const turnUsage = settled ? usageOfTurn(this.turn) : undefined;
    const usages = turnUsage ? [turnUsage] : [];
    if (this.leftover.usage) usages.unshift(this.leftover.usage);
    return { ...(moves.length ? { handoffs: moves } : {}), ...(usages.length ? { usage: roundedCosts(usages.reduce(addUsage)) } : {}) };
  }

  private emitTurnEnd(): void {
    this.emit({
      type: 'turn-end',
      threadId: this.threadId,
      turn: this.turn.number,
      agent: this.agent.name,
      status: this.turn.status,
      error: this.turn.error,
      // Measured when the turn ends, not when this step began (a one-step turn is not 0 ms long).
      durationMs: turnDurationMs(this.turn, new Date()),
    });
  }

  private emit(event: Parameters<typeof emit>[2]): void {
    emit(this.config, this.logger, event, { thread_id: this.threadId, ...logFields(this.turn) }, this.runtime.observers);
  }
}

/** The turn error of a ping-pong round (`[a, b, a]`): who bounced the conversation, and the move refused. */
function pingPongText(round: readonly string[]): string {
  const agents = round.slice(0, -1);
  const who = agents.length === 2 ? `between ${agents[0]} and ${agents[1]}` : `among ${agents.slice(0, -1).join(', ')} and ${agents.at(-1)}`;
  return `ping-pong ${who} (${[...round, round[1]].join('→')})`;
}

function isEmpty(message: AIMessage): boolean {
  return textOf(message).trim() === '' && !message.tool_calls?.length && refusalOf(message) === undefined;
}

/** The refusal text of an OpenAI response (`message.refusal`), if the model refused. */
function refusalOf(message: AIMessage): string | undefined {
  const refusal = (message.additional_kwargs as { refusal?: unknown } | undefined)?.refusal;
  return typeof refusal === 'string' && refusal.trim() !== '' ? refusal : undefined;
}
