import { App, LogLevel, type CustomRoute, type Logger as BoltLogger } from '@slack/bolt';
import type { Logger } from 'pino';
import { GuardedReceiver } from './guarded-receiver.js';

export interface SlackAppOptions {
  botToken: string;
  signingSecret: string | null;
  appToken: string | null;
  apiUrl: string | null;
  port: number;
  routes: CustomRoute[];
  log: Logger;
}

/** Bolt's logger interface over pino, so Bolt's lines are structured like ours. */
function boltLogger(log: Logger): BoltLogger {
  const child = log.child({ component: 'bolt' });
  return {
    debug: (...m: unknown[]) => child.debug(m.map(String).join(' ')),
    info: (...m: unknown[]) => child.info(m.map(String).join(' ')),
    warn: (...m: unknown[]) => child.warn(m.map(String).join(' ')),
    error: (...m: unknown[]) => child.error(m.map(String).join(' ')),
    setLevel: () => undefined,
    getLevel: () => LogLevel.INFO,
    setName: () => undefined,
  };
}

/** HTTP receiver on PORT, or Socket Mode when an app-level token is given. */
export function createSlackApp(options: SlackAppOptions): App {
  const logger = boltLogger(options.log);
  const common = { token: options.botToken, logger, ...(options.apiUrl ? { clientOptions: { slackApiUrl: options.apiUrl } } : {}) };
  if (options.appToken) {
    return new App({ ...common, customRoutes: options.routes, socketMode: true, appToken: options.appToken, installerOptions: { port: options.port } });
  }
  const receiver = new GuardedReceiver({ signingSecret: options.signingSecret ?? '', port: options.port, customRoutes: options.routes, logger, log: options.log });
  return new App({ ...common, receiver });
}
