/**
 * A TCP proxy in front of PostgreSQL that a test can break the ways a network or a database breaks:
 * cut one connection or all of them, refuse new ones (a database that is down), or black-hole the
 * traffic (a stalled network: nothing forwarded, nothing closed) and let it flow again later.
 */
import { createConnection, createServer } from 'node:net';
import type { AddressInfo, Socket } from 'node:net';

/** One client connection through the proxy. */
export interface ProxiedConnection {
  /** 1, 2, 3… in the order connections opened. */
  readonly id: number;
  /** The port PostgreSQL sees this connection come from (`pg_stat_activity.client_port`). */
  readonly upstreamPort: number | undefined;
}

export interface TcpProxy {
  port: number;
  /** The connections open now, oldest first. */
  connections(): ProxiedConnection[];
  /** Cuts the connections `which` selects (every one by default); returns how many. */
  cut(which?: (connection: ProxiedConnection) => boolean): number;
  /** Cuts every open connection and refuses new ones. */
  down(): void;
  /** Accepts connections again. */
  up(): void;
  /**
   * Stops forwarding, in both directions, on the connections `which` selects (by default every
   * connection, open or new), and closes nothing: a side that closes meanwhile is not told to the
   * other. Bytes are held, as TCP would retransmit them.
   */
  blackHole(which?: (connection: ProxiedConnection) => boolean): void;
  /**
   * Black-holes the next connection `which` selects that sends anything, from that first byte on
   * (a request is sent and never answered); resolves with it.
   */
  blackHoleNext(which?: (connection: ProxiedConnection) => boolean): Promise<ProxiedConnection>;
  /** Ends every black hole: held bytes are delivered in order, then the closes that were held back. */
  flow(): void;
  close(): Promise<void>;
}

/** One direction of a connection: what it forwards, and what it holds while the proxy is stalled. */
interface Direction {
  from: Socket;
  to: Socket;
  held: Buffer[];
  /** `from` closed while stalled: close `to` once the held bytes are delivered. */
  closed: boolean;
}

interface Link extends ProxiedConnection {
  directions: [Direction, Direction];
  stalled: boolean;
}

export async function startTcpProxy(targetPort: number, targetHost = '127.0.0.1'): Promise<TcpProxy> {
  const links = new Set<Link>();
  let accepting = true;
  /** Every connection, new ones included, is black-holed. */
  let stalled = false;
  /** Armed by blackHoleNext: the next connection it selects that sends is black-holed. */
  let next: { which: (connection: ProxiedConnection) => boolean; found: (connection: ProxiedConnection) => void } | undefined;
  let opened = 0;

  const destroy = (link: Link) => {
    links.delete(link);
    for (const direction of link.directions) direction.from.destroy();
  };
  /** Delivers what `direction` held; when its source closed meanwhile, the close follows the bytes. */
  const release = (link: Link, direction: Direction) => {
    for (const chunk of direction.held.splice(0)) direction.to.write(chunk);
    if (direction.closed) {
      links.delete(link);
      direction.to.end(() => direction.to.destroy());
    }
  };

  const server = createServer((client) => {
    if (!accepting) {
      client.destroy();
      return;
    }
    const upstream = createConnection({ port: targetPort, host: targetHost });
    const directions: [Direction, Direction] = [
      { from: client, to: upstream, held: [], closed: false },
      { from: upstream, to: client, held: [], closed: false },
    ];
    const link: Link = {
      id: (opened += 1),
      get upstreamPort() {
        return upstream.localPort;
      },
      directions,
      stalled,
    };
    links.add(link);
    for (const direction of directions) {
      direction.from.on('error', () => undefined);
      direction.from.on('data', (chunk: Buffer) => {
        if (next && direction.from === client && next.which(link)) {
          link.stalled = true;
          next.found(link);
          next = undefined;
        }
        if (link.stalled || direction.held.length > 0) direction.held.push(chunk);
        else direction.to.write(chunk);
      });
      direction.from.on('close', () => {
        direction.closed = true;
        if (!link.stalled) release(link, direction);
      });
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));

  const cut = (which: (connection: ProxiedConnection) => boolean = () => true) => {
    const chosen = [...links].filter(which);
    for (const link of chosen) destroy(link);
    return chosen.length;
  };
  return {
    port: (server.address() as AddressInfo).port,
    connections: () => [...links].map(({ id, upstreamPort }) => ({ id, upstreamPort })),
    cut,
    down() {
      accepting = false;
      cut();
    },
    up() {
      accepting = true;
    },
    blackHole(which) {
      if (!which) stalled = true;
      for (const link of links) if (!which || which(link)) link.stalled = true;
    },
    blackHoleNext(which = () => true) {
      return new Promise((found) => (next = { which, found }));
    },
    flow() {
      stalled = false;
      for (const link of [...links]) {
        link.stalled = false;
        for (const direction of link.directions) release(link, direction);
      }
    },
    close: () =>
      new Promise<void>((resolve) => {
        cut();
        server.close(() => resolve());
      }),
  };
}
