/**
 * A pino logger that keeps its records in memory, for asserting on logs.
 */
import { Writable } from 'node:stream';
import { pino } from 'pino';
import type { Logger } from 'pino';

export interface CapturedLogs {
  logger: Logger;
  /** Every record, parsed. */
  records: Record<string, unknown>[];
  /** Every record as the JSON line pino wrote. */
  lines: string[];
}

export function captureLogs(level: pino.LevelWithSilent = 'debug'): CapturedLogs {
  const records: Record<string, unknown>[] = [];
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      for (const line of chunk.toString('utf8').split('\n')) {
        if (!line) continue;
        lines.push(line);
        records.push(JSON.parse(line) as Record<string, unknown>);
      }
      callback();
    },
  });
  return { logger: pino({ level }, sink), records, lines };
}
