/**
 * The Host header the dev server accepts: this machine's names with its port, and without the port
 * on port 80, where browsers leave it out (`dev --port 80` answered every request 403).
 */
import { request as httpRequest } from 'node:http';
import { describe, expect, it } from 'vitest';
import { isDevHost, startDevServer } from '../../dev/server.js';
import { SwitchboardError } from '../../errors/switchboard-error.js';
import { captureLogs } from '../../testing/capture-logs.js';
import { createExampleTools } from '../../tools/examples.js';
import { examplePath } from '../helpers.js';

/** The status of GET /api/tree on `port` with this Host header. */
function statusWithHost(port: number, host: string): Promise<number | undefined> {
  return new Promise((resolve, reject) => {
    const request = httpRequest({ host: '127.0.0.1', port, path: '/api/tree', headers: { host } }, (response) => {
      response.resume();
      resolve(response.statusCode);
    });
    request.on('error', reject);
    request.end();
  });
}

describe('the Host header of a dev page request', () => {
  it('names this machine, with the port, or without it on port 80', () => {
    expect(isDevHost('127.0.0.1:4310', 4310)).toBe(true);
    expect(isDevHost('localhost:4310', 4310)).toBe(true);
    expect(isDevHost('127.0.0.1', 4310)).toBe(false);
    expect(isDevHost('127.0.0.1', 80)).toBe(true);
    expect(isDevHost('localhost', 80)).toBe(true);
    expect(isDevHost('127.0.0.1:80', 80)).toBe(true);
    expect(isDevHost('attacker.example', 80)).toBe(false);
    expect(isDevHost('127.0.0.1:4311', 4310)).toBe(false);
  });

  it('is answered on port 80 when the browser leaves the port out (where this machine lets a test listen on 80)', async (context) => {
    let server;
    try {
      server = await startDevServer({
        file: examplePath('support'),
        port: 80,
        tools: createExampleTools(),
        model: 'offline',
        logger: captureLogs('warn').logger,
      });
    } catch (error) {
      if (error instanceof SwitchboardError && (error.code === 'PORT_IN_USE' || error.code === 'PORT_UNAVAILABLE')) return context.skip();
      throw error;
    }
    try {
      expect(await statusWithHost(80, '127.0.0.1')).toBe(200);
      expect(await statusWithHost(80, 'localhost')).toBe(200);
      expect(await statusWithHost(80, 'attacker.example')).toBe(403);
    } finally {
      await server.close();
    }
  });
});
