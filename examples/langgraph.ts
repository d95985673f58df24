/**
 * The example trees as graph factories for LangGraph's own server: `langgraph.json` names them, and
 * `npx @langchain/langgraph-cli dev --no-browser` serves them (offline unless OPENAI_API_KEY is set).
 * Each call reads the YAML again, so saved edits show in the next request.
 */
import { createExampleTools, createGraphFactory } from 'switchboard';

// One set of tools (and side-effect ledger) for the life of the server.
const tools = createExampleTools();
const configTree = (name: string) => new URL(`../config/${name}.yaml`, import.meta.url);

/** config/support.yaml: triage, billing, technical, sales, a manager and a person. */
export const support = createGraphFactory(configTree('support'), { tools });
/** config/clinic.yaml: a three-level clinic desk with two people to escalate to. */
export const clinic = createGraphFactory(configTree('clinic'), { tools });
/** config/hybrid.yaml: handoffs for routing, helper agents as tools. */
export const hybrid = createGraphFactory(configTree('hybrid'), { tools });
/** config/after-hours.yaml: the fallback ladder. */
export const afterHours = createGraphFactory(configTree('after-hours'), { tools });
/** examples/desk.yaml: the smallest tree of the README. */
export const desk = createGraphFactory(new URL('./desk.yaml', import.meta.url), { tools });
