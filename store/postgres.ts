/**
 * `switchboard/postgres`: the PostgreSQL parts for code that builds its own store (`openCheckpointer`
 * with a postgres:// URL builds all of them). Needs the optional peer dependencies:
 * `npm install pg @langchain/langgraph-checkpoint-postgres`.
 */
export { BatchedPostgresSaver } from './postgres-saver.js';
export { PostgresLedger } from './ledger.js';
export { createPostgresThreadLock } from './postgres-thread-lock.js';
export type { PostgresThreadLockOptions } from './postgres-thread-lock.js';
export { openPostgresStore } from './postgres-store.js';
export { PostgresJournal } from './postgres-journal.js';
