import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { CustomRoute } from '@slack/bolt';

export interface RouteServer {
  port: number;
  close(): Promise<void>;
}

type Handler = (req: IncomingMessage, res: ServerResponse) => void | Promise<void>;

/**
 * The same routes `shipgate serve` mounts on Bolt, on a plain HTTP server of their own, so a
 * process without a Slack receiver (`shipgate worker`) has health checks and metrics too.
 */
export async function serveRoutes(routes: CustomRoute[], port: number): Promise<RouteServer> {
  const server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    const route = routes.find((r) => r.path === path);
    if (!route) return reply(res, 404, 'not found\n');
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    if (!methods.includes(req.method ?? 'GET')) return reply(res, 405, 'method not allowed\n');
    Promise.resolve((route.handler as Handler)(req, res)).catch(() => {
      if (!res.headersSent) reply(res, 500, 'internal error\n');
      else res.end();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function reply(res: ServerResponse, status: number, body: string): void {
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8' });
  res.end(body);
}
