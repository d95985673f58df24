/**
 * Conditional edges at run time: before each model call, the conditions of the agent's handoffs
 * are evaluated against the shared state and the clock; a handoff whose condition is false is not
 * among the tools the model is sent, and is refused if the model calls it anyway. An agent without
 * conditions pays nothing: its models stay bound once, at compile time.
 */
import type { Logger } from 'pino';
import type { CompiledCondition } from '../config/conditions.js';
import type { SwitchboardState } from '../state/schema.js';
import { currentFields } from './context.js';
import type { AgentRuntime, BoundModel } from './context.js';

/** What an agent with conditional handoffs needs at each model call. */
export interface AgentConditions {
  /** Handoff tool → the conditions that must all hold for it to be offered. */
  byTool: ReadonlyMap<string, readonly CompiledCondition[]>;
  /** The agent's models bound to every tool but `hidden` (cached by the hidden set). */
  modelsWithout(hidden: ReadonlySet<string>): BoundModel[];
}

/** Where the clock and the log come from (the tree runtime). */
export interface ConditionScope {
  clock: () => Date;
  logger: Logger;
}

const NOTHING_HIDDEN: ReadonlySet<string> = new Set();

/**
 * The handoff tools of `agent` whose condition is false now (or cannot be decided: a field it reads
 * has no value, a time zone read from the state is not one), by tool name.
 */
export function hiddenHandoffs(scope: ConditionScope, agent: AgentRuntime, state: Pick<SwitchboardState, 'fields'>): ReadonlySet<string> {
  const conditions = agent.conditions;
  if (!conditions) return NOTHING_HIDDEN;
  const now = scope.clock();
  // Only what the tree declares now, with its declared type (as the prompt shows them).
  const fields = currentFields(agent, state.fields);
  const hidden = new Set<string>();
  for (const [tool, list] of conditions.byTool) {
    for (const condition of list) {
      if (holds(scope.logger, agent.name, tool, condition, fields, now)) continue;
      hidden.add(tool);
      break;
    }
  }
  return hidden;
}

/** The code cel-js gives a condition that reads a variable with no value. */
const UNSET_FIELD = 'unknown_variable';

function holds(logger: Logger, agent: string, tool: string, condition: CompiledCondition, fields: Record<string, unknown>, now: Date): boolean {
  try {
    return condition.test(fields, now);
  } catch (error) {
    // Undecided is closed: the target is not offered. The log names the edge and the library's code, never a value.
    const code = (error as { code?: unknown }).code;
    // A field with no value makes the condition false, as the README says: an everyday case (most
    // callers are not VIPs), logged at debug; anything else is a warning.
    const level = code === UNSET_FIELD ? 'debug' : 'warn';
    logger[level]({ event: 'condition-error', agent, tool, code: typeof code === 'string' ? code : 'error' }, 'a handoff condition could not be decided (a field without a value?); the handoff is not offered');
    return false;
  }
}

/** The models to call now: bound to the handoffs whose conditions hold (the agent's own models when nothing is hidden). */
export function modelsForCall(scope: ConditionScope, agent: AgentRuntime, state: Pick<SwitchboardState, 'fields'>): BoundModel[] {
  if (!agent.conditions) return agent.models;
  const hidden = hiddenHandoffs(scope, agent, state);
  return hidden.size === 0 ? agent.models : agent.conditions.modelsWithout(hidden);
}
