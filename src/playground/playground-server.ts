import { existsSync, readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { PlaygroundDeployTarget, DeployMode } from './deploy-target.js';
import type { Evidence, PlaygroundGateTarget } from './gate-target.js';
import type { MovableClock } from './movable-clock.js';
import { CHANNELS, PEOPLE } from './people.js';
import { listenOnLoopback, readBody, sendJson } from './loopback-server.js';
import type { RehearsalStore } from './rehearsal-store.js';
import { SCENARIOS, type ScenarioRunner } from './scenarios.js';
import { PlaygroundRefusal, type SignedSlack } from './signed-slack.js';
import type { SlackStandIn } from './slack-stand-in.js';

export interface PlaygroundParts {
  slack: SlackStandIn;
  signed: SignedSlack;
  deployTarget: PlaygroundDeployTarget;
  gateTarget: PlaygroundGateTarget;
  clock: MovableClock;
  advanceClock(ms: number): Promise<void>;
  scenarios: ScenarioRunner;
  rehearsals: RehearsalStore;
  onChange: Set<() => void>;
  log: Logger;
}

/** What /healthz and /readyz of a playground say, so no load balancer takes it for a production bot. */
export const NOT_A_BOT = 'playground, not a production bot\n';

const STATIC: Record<string, string> = {
  '/playground': 'index.html',
  '/playground/': 'index.html',
  '/playground/app.js': 'app.js',
  '/playground/block-kit.js': 'block-kit.js',
  '/playground/style.css': 'style.css',
};
const TYPES: Record<string, string> = { html: 'text/html; charset=utf-8', js: 'text/javascript; charset=utf-8', css: 'text/css; charset=utf-8' };

/** The page's files: beside this module when run from source, under src/ when run from dist/. */
function pageDirectory(): string {
  const here = import.meta.dirname;
  for (const dir of [join(here, 'page'), join(here, '../../src/playground/page')]) if (existsSync(join(dir, 'index.html'))) return dir;
  throw new Error('The playground page (src/playground/page) is missing from this installation.');
}

const people = Object.values(PEOPLE);
const isPerson = (id: unknown): id is string => people.some((p) => p.id === id);
const isChannel = (id: unknown): id is string => Object.values(CHANNELS).some((c) => c.id === id);

/**
 * The page at /playground and the calls it makes, on 127.0.0.1 only. A POST must be
 * JSON from this origin: another site open in the same browser cannot drive it.
 */
export async function startPlaygroundServer(port: number, parts: PlaygroundParts) {
  const dir = pageDirectory();
  const { slack, signed, deployTarget, gateTarget, clock, scenarios, rehearsals } = parts;

  const state = async (user: string) => ({
    people,
    channels: Object.values(CHANNELS),
    messages: slack.messages,
    ephemerals: slack.ephemerals.filter((e) => e.user === user),
    home: slack.homes.get(user) ?? null,
    modal: slack.modals.get(user) ?? null,
    deploy: { mode: deployTarget.mode, deployments: deployTarget.deployments.slice(-8) },
    evidence: gateTarget.evidence,
    clock: { now: clock.now(), offsetMs: clock.offsetMs },
    scenarios: SCENARIOS.map(({ name, title, summary }) => ({ name, title, summary })),
    run: scenarios.state,
    rehearsals: await rehearsals.list(),
  });

  const actions: Record<string, (body: Record<string, unknown>) => Promise<unknown>> = {
    command: async ({ user, channel, text }) => {
      if (!isPerson(user) || !isChannel(channel)) throw new PlaygroundRefusal('Pick a person and a channel.');
      if (typeof text !== 'string' || !/^\s*\/promote\b/.test(text)) throw new PlaygroundRefusal('The playground knows one slash command: /promote (try /promote help).');
      return signed.command(user, text, channel);
    },
    click: async ({ user, channel, ts, actionId, value }) => {
      if (!isPerson(user) || !isChannel(channel) || typeof ts !== 'string' || typeof actionId !== 'string') throw new PlaygroundRefusal('That click names no button.');
      return signed.click(user, channel, ts, actionId, typeof value === 'string' ? value : undefined);
    },
    home: async ({ user }) => {
      if (!isPerson(user)) throw new PlaygroundRefusal('Pick a person first.');
      return signed.openHome(user);
    },
    modal: async ({ user, values }) => {
      if (!isPerson(user) || typeof values !== 'object' || values === null) throw new PlaygroundRefusal('That dialog has no values.');
      return signed.submitModal(user, values as Record<string, string>);
    },
    'close-modal': async ({ user }) => {
      if (isPerson(user)) slack.modals.delete(user);
      return { ok: true };
    },
    'deploy-mode': async ({ mode }) => {
      if (mode !== 'succeed' && mode !== 'fail' && mode !== 'hang') throw new PlaygroundRefusal('The deploy target can succeed, fail or hang.');
      deployTarget.mode = mode as DeployMode;
      if (mode !== 'hang') deployTarget.release();
      return { ok: true };
    },
    evidence: async ({ gate, evidence }) => {
      if ((gate !== 'coverage' && gate !== 'junit') || (evidence !== 'passing' && evidence !== 'failing')) throw new PlaygroundRefusal('Each gate’s evidence is passing or failing.');
      gateTarget.evidence[gate] = evidence as Evidence;
      return { ok: true };
    },
    clock: async ({ advanceMs }) => {
      if (typeof advanceMs !== 'number' || !(advanceMs > 0) || advanceMs > 400 * 86_400_000) throw new PlaygroundRefusal('The clock moves forward by a positive amount, at most 400 days.');
      await parts.advanceClock(advanceMs);
      return { ok: true, now: clock.now() };
    },
    scenario: async ({ name }) => {
      scenarios.start(String(name));
      return { ok: true };
    },
  };

  const events = new Set<ServerResponse>();
  let pending: NodeJS.Timeout | null = null;
  const notify = () => {
    // Many Web API calls land together; one redraw per burst is enough.
    pending ??= setTimeout(() => {
      pending = null;
      for (const res of events) res.write('event: change\ndata: {}\n\n');
    }, 50);
  };
  parts.onChange.add(notify);

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const path = url.pathname;
    if (path === '/healthz' || path === '/readyz') {
      res.writeHead(503, { 'content-type': 'text/plain; charset=utf-8' });
      return res.end(NOT_A_BOT);
    }
    if (req.method === 'GET' && path === '/') {
      res.writeHead(302, { location: '/playground' });
      return res.end();
    }
    if (req.method === 'GET' && STATIC[path]) {
      const file = STATIC[path]!;
      res.writeHead(200, { 'content-type': TYPES[file.split('.').pop()!]!, 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' });
      return res.end(readFileSync(join(dir, file)));
    }
    if (req.method === 'GET' && path === '/playground/api/state') return sendJson(res, 200, await state(url.searchParams.get('user') ?? ''));
    if (req.method === 'GET' && path === '/playground/api/events') {
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store', connection: 'keep-alive' });
      res.write('event: change\ndata: {}\n\n');
      events.add(res);
      req.on('close', () => events.delete(res));
      return;
    }
    const action = req.method === 'POST' && path.startsWith('/playground/api/') ? actions[path.slice('/playground/api/'.length)] : undefined;
    if (!action) return sendJson(res, 404, { ok: false, error: `Nothing at ${req.method} ${path}; the playground is at /playground.` });
    const origin = req.headers.origin;
    if (!(req.headers['content-type'] ?? '').startsWith('application/json') || (origin !== undefined && origin !== `http://${req.headers.host}`)) {
      return sendJson(res, 403, { ok: false, error: 'The playground takes requests from its own page only.' });
    }
    try {
      const body = JSON.parse((await readBody(req)) || '{}') as Record<string, unknown>;
      const result = await action(body);
      notify();
      return sendJson(res, 200, { ok: true, result });
    } catch (error) {
      if (error instanceof PlaygroundRefusal || error instanceof SyntaxError || /^(There is no scenario|".*" is still running|The playground clock)/.test((error as Error).message)) {
        return sendJson(res, 400, { ok: false, error: (error as Error).message });
      }
      parts.log.error({ err: error, action: path }, 'a playground action failed');
      return sendJson(res, 500, { ok: false, error: (error as Error).message });
    }
  };

  const listening = await listenOnLoopback(handle, port);
  return {
    url: listening.url,
    port: listening.port,
    async close() {
      parts.onChange.delete(notify);
      if (pending) clearTimeout(pending);
      for (const res of events) res.end();
      events.clear();
      await listening.close();
    },
  };
}
