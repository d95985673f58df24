/**
 * A PostgreSQL thread lock whose take fails on this side (no answer within its time limit: a stalled
 * network) must not put its connection back in the pool: the server may still run the statement
 * once the traffic flows, and the session would then hold the thread's advisory lock with nobody
 * knowing, keeping every other worker out of the thread for as long as the pooled connection lives.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { openCheckpointer } from '../../store/checkpointer.js';
import { startTcpProxy } from './tcp-proxy.js';
import { PG_URL, uniqueThread } from './workers.js';

const proxy = await startTcpProxy(Number(new URL(PG_URL).port || 5432), new URL(PG_URL).hostname);
afterAll(() => proxy.close());

function through(): string {
  const url = new URL(PG_URL);
  url.hostname = '127.0.0.1';
  url.port = String(proxy.port);
  return url.toString();
}

describe('a thread lock whose take gets no answer', () => {
  it('drops the connection, so the take the server runs later holds nothing: another worker gets the thread', async () => {
    // One lock connection, short limits: the take's own time limit is the wait plus the statement limit.
    const stalled = await openCheckpointer(through(), { lockConnections: 1, lock: { waitMs: 200, statementTimeoutMs: 300 } });
    const other = await openCheckpointer(PG_URL, { lock: { waitMs: 10_000 } });
    try {
      const warm = uniqueThread('warm');
      await stalled.threadLock.withLock(warm, async () => undefined); // the pool now has its one connection, idle
      const thread = uniqueThread('stalled-take');
      // The take is held by the network: the server sees nothing until the traffic flows again.
      const held = proxy.blackHoleNext();
      const taking = stalled.threadLock.withLock(thread, async () => 'ran');
      await held;
      await expect(taking).rejects.toThrow();
      // The take reaches the server now, and is granted there (nobody holds the thread).
      proxy.flow();
      // Another worker waits its turn and gets the thread: the stalled session holds nothing for long.
      await expect(other.threadLock.withLock(thread, async () => 'taken')).resolves.toBe('taken');
    } finally {
      proxy.flow();
      await Promise.all([stalled.close(), other.close()]);
    }
  });
});
