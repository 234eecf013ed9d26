import type { IncomingMessage, ServerResponse } from 'node:http';
import { listen } from '../http-server.js';

/** A vendor fake served on a free loopback port: `start`, `url`, `close`; each fake answers in `handle`. */
export abstract class LoopbackFake {
  url = '';
  private server: Awaited<ReturnType<typeof listen>> | null = null;

  protected abstract handle(req: IncomingMessage, res: ServerResponse): Promise<void>;

  async start(): Promise<this> {
    this.server = await listen((req, res) => this.handle(req, res));
    this.url = this.server.url;
    return this;
  }

  async close(): Promise<void> {
    await this.server?.close();
  }
}
