/**
 * A TCP proxy in front of a real server, for network faults between one client and it: added
 * latency (each chunk held back, order kept, both directions) and a cut (every connection reset,
 * new ones refused) that can be lifted again. The server and every other client are untouched.
 */
import { createServer, type Server, Socket } from 'node:net';
import { registerCleanup } from './services.js';

export interface TcpProxy {
  readonly port: number;
  /** hold every chunk this long in each direction (0 = none) */
  setLatency(ms: number): void;
  /** reset every open connection and refuse new ones until restore() */
  cut(): void;
  restore(): void;
  /** connections accepted so far */
  accepted(): number;
  close(): Promise<void>;
}

/** One direction of a connection: chunks written to `to` in order, each `latency()` ms after it came. */
function pipeDelayed(from: Socket, to: Socket, latency: () => number): void {
  let chain = Promise.resolve();
  from.on('data', (chunk: Buffer) => {
    const ms = latency();
    if (ms <= 0) {
      chain = chain.then(() => void to.write(chunk));
      return;
    }
    const due = Date.now() + ms;
    chain = chain.then(
      () =>
        new Promise<void>((resolve) =>
          setTimeout(
            () => {
              if (!to.destroyed) to.write(chunk);
              resolve();
            },
            Math.max(0, due - Date.now()),
          ),
        ),
    );
  });
  from.on('end', () => void chain.then(() => to.end()));
}

export async function tcpProxy(target: { host: string; port: number }): Promise<TcpProxy> {
  let latency = 0;
  let isCut = false;
  let accepted = 0;
  const open = new Set<Socket>();
  const server: Server = createServer((client) => {
    accepted++;
    if (isCut) {
      client.resetAndDestroy();
      return;
    }
    const upstream = new Socket();
    open.add(client);
    open.add(upstream);
    const drop = () => {
      open.delete(client);
      open.delete(upstream);
      client.destroy();
      upstream.destroy();
    };
    client.on('error', drop);
    upstream.on('error', drop);
    client.on('close', drop);
    upstream.on('close', drop);
    upstream.connect(target.port, target.host);
    pipeDelayed(client, upstream, () => latency);
    pipeDelayed(upstream, client, () => latency);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  const proxy: TcpProxy = {
    port,
    setLatency: (ms) => void (latency = ms),
    cut() {
      isCut = true;
      for (const s of open) s.resetAndDestroy();
      open.clear();
    },
    restore: () => void (isCut = false),
    accepted: () => accepted,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of open) s.destroy();
        server.close(() => resolve());
      }),
  };
  registerCleanup(() => proxy.close());
  return proxy;
}
