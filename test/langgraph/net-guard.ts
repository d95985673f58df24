/**
 * A preload for child processes (through NODE_OPTIONS) that records every TCP connection to a
 * host other than this machine, so a test can prove a server made no outside request.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const SOURCE = `// Written by test/langgraph/net-guard.ts.
import net from 'node:net';
import { appendFileSync } from 'node:fs';
const log = process.env.SWITCHBOARD_NET_LOG;
const local = new Set(['127.0.0.1', '::1', 'localhost', '0.0.0.0', '::', '::ffff:127.0.0.1']);
const connect = net.Socket.prototype.connect;
net.Socket.prototype.connect = function (...args) {
  const first = Array.isArray(args[0]) ? args[0][0] : args[0];
  const options = typeof first === 'object' && first !== null ? first : { port: first, host: typeof args[1] === 'string' ? args[1] : undefined };
  if (log && options.path === undefined && !local.has(options.host ?? 'localhost')) {
    appendFileSync(log, process.pid + ' ' + process.argv.slice(1, 3).join(' ') + ' -> ' + options.host + ':' + options.port + '\\n');
  }
  return connect.apply(this, args);
};
`;

/** Writes the preload into `dir`; returns the NODE_OPTIONS flag that loads it and the log it writes. */
export function writeNetGuard(dir: string): { nodeOption: string; log: string } {
  const file = join(dir, 'net-guard.mjs');
  const log = join(dir, 'outside-connections.log');
  writeFileSync(file, SOURCE);
  writeFileSync(log, '');
  return { nodeOption: `--import ${pathToFileURL(file).href}`, log };
}
