/** Every contender, by name, in the order the tables list them. */
import type { ContenderFactory } from '../workload.js';
import { create as loop } from './loop.js';
import { create as switchboard } from './switchboard.js';
import { create as langgraph } from './langgraph.js';
import { create as swarm } from './swarm.js';
import { create as openaiAgents } from './openai-agents.js';

export const CONTENDERS: Record<string, ContenderFactory> = { loop, 'openai-agents': openaiAgents, switchboard, langgraph, swarm };
