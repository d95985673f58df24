/**
 * Backend code: one turn per user message, threads in PostgreSQL shared by every worker.
 * (Type-checked in CI; the README shows it.) Run: npx tsx examples/backend.ts (in the repository,
 * after `npm run build`), or `npx tsx node_modules/switchboard/examples/backend.ts` in an app.
 */
import { fileURLToPath } from 'node:url';
import { compileTree, createExampleTools, loadTree, openCheckpointer, runTurn, LOG_REDACT_PATHS } from 'switchboard';
import { pino } from 'pino';

// The package's own support tree; your app passes its own file.
const supportTree = fileURLToPath(new URL('../config/support.yaml', import.meta.url));

const store = await openCheckpointer(process.env.DATABASE_URL ?? 'memory'); // or a SQLite path, or postgres://…
const tools = createExampleTools({ ledger: store.ledger }); // your own LangChain tools, by name
const logger = pino({ redact: LOG_REDACT_PATHS });
const graph = compileTree(await loadTree(supportTree, { tools }), { tools, checkpointer: store.saver, threadLock: store.threadLock, logger });

const result = await runTurn(graph, { threadId: 'customer-42', message: 'Why was I charged $99 twice in May?', fields: { customer_id: 'cus_42' } });
process.stdout.write(`${result.agent}: ${result.reply ?? `(${result.status})`}\n`);
for (const handoff of result.handoffs) process.stdout.write(`  ${handoff.from} → ${handoff.to} ${JSON.stringify(handoff.payload)}\n`);
process.stdout.write(`  cost this turn: $${result.usage.total.costUsd.toFixed(5)}\n`);
await store.close();
