import type { IncomingHttpHeaders } from 'node:http';
import type { DeployRequest } from '../../src/executors/executor.js';
import { listen, readBody } from './http-server.js';

export interface DeployCall {
  headers: IncomingHttpHeaders;
  raw: string;
  body: DeployRequest;
}

type Behaviour = { status: number } | 'hang';

/** A deploy webhook on loopback that records every call; answers 200 unless told otherwise. */
export class FakeDeployTarget {
  readonly calls: DeployCall[] = [];
  private readonly script: Behaviour[] = [];
  private readonly hanging: (() => void)[] = [];
  url = '';
  private closeServer: () => Promise<void> = async () => undefined;

  /** The next calls get these answers, in order; after them, 200. */
  answerNext(...behaviours: Behaviour[]): this {
    this.script.push(...behaviours);
    return this;
  }

  async start(): Promise<this> {
    const { url, close } = await listen(async (req, res) => {
      const raw = await readBody(req);
      this.calls.push({ headers: req.headers, raw, body: JSON.parse(raw) as DeployRequest });
      const behaviour = this.script.shift() ?? { status: 200 };
      if (behaviour === 'hang') {
        await new Promise<void>((resolve) => this.hanging.push(resolve));
        res.destroy();
        return;
      }
      res.writeHead(behaviour.status, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ ok: behaviour.status < 300 }));
    });
    this.url = `${url}/deploy`;
    this.closeServer = close;
    return this;
  }

  async close(): Promise<void> {
    for (const release of this.hanging.splice(0)) release();
    await this.closeServer();
  }
}
