/**
 * A person in the tree (`kind: human`). Reaching one pauses the thread with LangGraph's
 * `interrupt()`, carrying what an operator needs; resuming delivers the person's reply and,
 * optionally, hands the conversation back to an agent.
 *
 * LangGraph re-runs this node from the top on resume, so nothing before `interrupt()` has a side
 * effect: it only reads state.
 */
import { randomUUID } from 'node:crypto';
import { AIMessage } from '@langchain/core/messages';
import { Command, END } from '@langchain/langgraph';
import type { LangGraphRunnableConfig } from '@langchain/langgraph';
import type { Logger } from 'pino';
import { z } from 'zod';
import { SwitchboardError } from '../errors/switchboard-error.js';
import type { AgentRuntime, TreeRuntime } from './context.js';
import { isBlank, textOf, wellFormed } from '../models/messages.js';
import { emit } from './events.js';
import { PERSON_TRANSCRIPT_TURNS, transcript } from '../state/history.js';
import type { HandoffRecord, SwitchboardState } from '../state/schema.js';
import { refusedText, runHandoffHook } from './hooks.js';
import type { HookOutcome } from './hooks.js';
import { pauseUntil } from './pause.js';
import { incomingHandoff } from './prompt.js';
import { currentTurn, lastUserMessage, logFields, overCharacterLimit, threadIdOf, turnDurationMs } from './turn.js';

/** What an operator sees for a thread waiting for a person. */
export interface EscalationRequest {
  type: 'escalation';
  threadId: string;
  /** The human agent of the tree the thread waits for. */
  agent: string;
  /** Who escalated (or `user` when the person already owns the conversation). */
  from: string;
  reason: string | undefined;
  payload: Record<string, unknown>;
  turn: number;
  /** The user's latest message. */
  message: string;
  /** The last turns, one line a message. */
  transcript: string;
  /** Agents the person may hand the conversation back to. */
  handBackTargets: string[];
}

/** The person's answer: the reply the user sees, and optionally who owns the conversation next. */
export const HumanReplySchema = z.strictObject({
  // Malformed UTF-16 (half an emoji) is shown as U+FFFD: providers refuse it, and every later turn sends the reply.
  reply: z
    .string()
    .refine((reply) => !isBlank(reply), { error: 'the reply is empty' })
    .transform(wellFormed),
  handBackTo: z.string().optional(),
  // As an approval's operator is held (nodes/approval.ts): a name, not a document.
  operator: z.string().max(200).optional(),
});
export type HumanReply = z.output<typeof HumanReplySchema>;

/**
 * The person's answer as the schema reads it (a plain string is the reply alone); a malformed one
 * is `INVALID_REPLY`.
 */
export function parseReply(raw: unknown): HumanReply {
  const parsed = HumanReplySchema.safeParse(typeof raw === 'string' ? { reply: raw } : raw);
  if (!parsed.success) throw new SwitchboardError('INVALID_REPLY', `The reply is invalid: ${parsed.error.issues.map((issue) => issue.message).join('; ')}.`);
  return parsed.data;
}

/**
 * Refuses (`INVALID_REPLY`) a reply the person `agent` cannot give: longer than their
 * `messageChars` (the reply joins the thread, and every later turn's agents are sent it, as a
 * user's message is), or handing the conversation back to an agent not in `targets`.
 */
export function checkReply(agent: AgentRuntime, answer: HumanReply, targets: readonly string[]): void {
  // Characters as a person counts them (grapheme clusters), as a user's message is counted.
  const over = overCharacterLimit(answer.reply, agent.limits.messageChars);
  if (over !== undefined) throw new SwitchboardError('INVALID_REPLY', `The reply has ${over}; the limit is ${agent.limits.messageChars}.`);
  if (answer.handBackTo !== undefined && !targets.includes(answer.handBackTo)) {
    throw new SwitchboardError('INVALID_REPLY', `${agent.name} cannot hand the conversation to "${answer.handBackTo}". Allowed: ${targets.join(', ')}.`);
  }
}

/**
 * Who a person may hand the conversation back to: the agent that escalated to them (or that a limit
 * or a fallback redirected from), every agent on the path that led to them this turn, and the tree's
 * own hand-back edges (whoever can hand off to them, their parent, the root). Agents only: never a
 * person, never a helper.
 */
function handBackTargets(runtime: TreeRuntime, agent: AgentRuntime, path: readonly string[], handoff: HandoffRecord | undefined): string[] {
  const candidates = [...(handoff ? [handoff.from] : []), ...[...path].reverse(), ...agent.ends];
  const isAgent = (name: string) => name !== agent.name && runtime.tree.agents[name] !== undefined && (runtime.tree.agents[name].kind ?? 'agent') === 'agent';
  return [...new Set(candidates.filter((name) => Object.hasOwn(runtime.tree.agents, name) && isAgent(name)))];
}

/**
 * Who the person `agent` waiting in `state` may hand the conversation back to, by the tree as it is
 * now (the list in a waiting request was made by the tree of its day): what the node checks the
 * person's reply against when it runs on.
 */
export function handBackTargetsOf(runtime: TreeRuntime, agent: AgentRuntime, state: SwitchboardState): string[] {
  const { turn } = currentTurn(state, agent.name, new Date());
  const incoming = incomingHandoff(state, agent.name);
  return handBackTargets(runtime, agent, turn.path, incoming?.turn === turn.number ? incoming : undefined);
}

/** The person's reply, once one is valid (see `pauseUntil`: a malformed one is asked again). */
function awaitReply(agent: AgentRuntime, request: EscalationRequest, logger: Logger): HumanReply {
  return pauseUntil(
    request,
    (raw) => {
      try {
        const answer = parseReply(raw);
        checkReply(agent, answer, request.handBackTargets);
        return { value: answer };
      } catch (error) {
        if (!(error instanceof SwitchboardError)) throw error;
        return { invalid: error.code };
      }
    },
    // What was wrong, never the reply: it is what the person wrote.
    { onInvalid: (code) => logger.warn({ event: 'reply-invalid', thread_id: request.threadId, code }, 'a malformed reply was ignored; the thread waits for the person again') },
  );
}

/**
 * The error of a turn whose reply was delivered but whose hand-back a hook refused (`HOOK_REFUSED`)
 * or could not check (`HOOK_FAILED`, whatever `onError` says: the reply is already the person's).
 */
function handBackRefusal(person: string, to: string, hooked: Exclude<HookOutcome, { action: 'accept' }>): { code: 'HOOK_REFUSED' | 'HOOK_FAILED'; message: string } {
  return {
    code: hooked.action === 'refuse' ? 'HOOK_REFUSED' : 'HOOK_FAILED',
    message: `the reply was delivered, but the hand-back to ${to} was ${refusedText(hooked)}; ${person} keeps the conversation`,
  };
}

export function createHumanNode(runtime: TreeRuntime, agent: AgentRuntime) {
  const logger = runtime.logger.child({ agent: agent.name });
  return async function humanNode(state: SwitchboardState, config: LangGraphRunnableConfig): Promise<Command> {
    const now = new Date();
    const threadId = threadIdOf(config);
    const { turn } = currentTurn(state, agent.name, now);
    // The handoff that brought the person this turn; a person who already owns the conversation
    // hears from the user directly.
    const incoming = incomingHandoff(state, agent.name);
    const handoff = incoming?.turn === turn.number ? incoming : undefined;
    const user = lastUserMessage(state.messages);
    const request: EscalationRequest = {
      type: 'escalation',
      threadId,
      agent: agent.name,
      from: handoff?.from ?? 'user',
      reason: typeof handoff?.payload.reason === 'string' ? handoff.payload.reason : handoff?.reason,
      payload: handoff?.payload ?? {},
      turn: turn.number,
      message: user ? textOf(user) : '',
      transcript: transcript(state.messages, PERSON_TRANSCRIPT_TURNS),
      handBackTargets: handBackTargetsOf(runtime, agent, state),
    };

    const answer = awaitReply(agent, request, logger);
    // Everything below runs once: after the person answered.
    const log = { thread_id: threadId, ...logFields(turn) };
    // Its own id, made here: LangGraph's reducer gives a message without one a new id each time it
    // applies the write, so a reply saved before a crash would be a new message at every read.
    const message = new AIMessage({ content: answer.reply, name: agent.name, id: randomUUID(), ...(answer.operator ? { additional_kwargs: { operator: answer.operator } } : {}) });
    // The hand-back runs the receiving agent's `onHandoff` hook (once, by its key): a refusal leaves
    // the conversation with the person; the reply is delivered either way.
    const payload = answer.operator ? { operator: answer.operator } : {};
    const hooked = answer.handBackTo === undefined ? undefined : await runHandoffHook(runtime, { from: agent.name, to: answer.handBackTo, kind: 'resume', tool: '', toolCallId: '', payload }, state, turn.number, config, logger);
    const notMade = hooked?.action === 'accept' ? undefined : hooked;
    const refused = notMade && answer.handBackTo !== undefined ? handBackRefusal(agent.name, answer.handBackTo, notMade) : undefined;
    if (refused && notMade && answer.handBackTo !== undefined) {
      emit(config, logger, { type: 'handoff-refuse', from: agent.name, tool: '', to: answer.handBackTo, reason: refusedText(notMade), code: refused.code }, log, runtime.observers);
    }
    const handBackTo = hooked === undefined || hooked.action === 'accept' ? answer.handBackTo : undefined;
    emit(config, logger, { type: 'escalation-end', agent: agent.name, handBackTo }, log, runtime.observers);
    emit(config, logger, { type: 'message-end', agent: agent.name, text: answer.reply }, log, runtime.observers);
    // The turn is done (the reply is delivered) even when the hand-back was refused: its `error` says
    // the person keeps the conversation, so that whoever resumed the thread is not told it moved.
    const done = { ...turn, status: 'done' as const, ...(refused ? { error: refused } : {}) };
    const owner = handBackTo ?? agent.name;
    const handoffs: HandoffRecord[] = handBackTo === undefined ? [] : [{ from: agent.name, to: handBackTo, kind: 'resume', payload, turn: turn.number, at: now.toISOString() }];
    const fields = hooked?.action === 'accept' && Object.keys(hooked.fields).length > 0 ? { fields: hooked.fields } : {};
    // The hand-back is part of the turn: its event comes before the turn's end, as every move's does.
    if (handBackTo) emit(config, logger, { type: 'handoff-accept', from: agent.name, to: handBackTo, kind: 'resume', payload: {} }, log, runtime.observers);
    emit(config, logger, { type: 'turn-end', threadId, turn: turn.number, agent: agent.name, status: 'done', ...(refused ? { error: refused } : {}), durationMs: turnDurationMs(turn, new Date()) }, log, runtime.observers);
    return new Command({ goto: END, update: { messages: [message], activeAgent: owner, turn: done, ...fields, ...(handoffs.length ? { handoffs } : {}) } });
  };
}
