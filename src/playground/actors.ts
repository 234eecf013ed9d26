import type { Promotion } from '../domain/promotion.js';
import type { PromotionStore } from '../store/promotion-store.js';
import { CHANNELS, PEOPLE } from './people.js';
import { buttonsOf, type SignedSlack } from './signed-slack.js';
import type { SlackStandIn, StoredMessage } from './slack-stand-in.js';

export const APP = 'web';
export const PATH = ['development', 'staging', 'production'] as const;
export type Environment = (typeof PATH)[number];

/** Who approves each step of the playground's path. */
const APPROVER: Record<Environment, string | null> = { development: null, staging: PEOPLE.quinn.id, production: PEOPLE.rita.id };

export const channelOf = (env: Environment) => (env === 'production' ? CHANNELS.production.id : CHANNELS.deploys.id);

const WAIT_MS = 30_000;

/** Reads the promotion id a Shipgate message carries (its buttons' value, or `sg-N` in its context). */
export function promotionIdOf(message: StoredMessage): string | null {
  const fromButton = buttonsOf(message)[0]?.value;
  if (fromButton && /^sg-\d+$/.test(fromButton)) return fromButton;
  return /\bsg-\d+\b/.exec(JSON.stringify(message.blocks))?.[0] ?? null;
}

/**
 * The people of the playground acting through the same signed requests as the page,
 * and waiting on what Shipgate records in Redis. Scenarios are written with these.
 */
export class Actors {
  private nextMinor = 1;

  constructor(
    private readonly signed: SignedSlack,
    private readonly slack: SlackStandIn,
    private readonly store: PromotionStore,
  ) {}

  async waitFor<T>(what: string, probe: () => Promise<T | null | undefined | false> | T | null | undefined | false, timeoutMs = WAIT_MS): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const value = await probe();
      if (value !== null && value !== undefined && value !== false) return value;
      if (Date.now() > deadline) throw new Error(`Waited ${timeoutMs / 1000} s for ${what}, in vain.`);
      await new Promise((resolve) => setTimeout(resolve, 150));
    }
  }

  async live(env: Environment): Promise<string | null> {
    return (await this.store.current(APP, env))?.version ?? null;
  }

  async history(env: Environment): Promise<string[]> {
    return (await this.store.history(APP, env)).map((h) => h.version);
  }

  /** Versions a rollback undid in ENV. */
  async bad(env: Environment): Promise<Map<string, string>> {
    return this.store.bad(APP, env);
  }

  async promotion(message: StoredMessage): Promise<Promotion> {
    const id = promotionIdOf(this.current(message));
    const stored = id ? await this.store.get(id) : null;
    if (!stored) throw new Error('The message names no promotion Shipgate knows.');
    return stored.promotion;
  }

  /** A version no promotion has used yet. */
  async freshVersion(): Promise<string> {
    const used = new Set((await this.store.recent(500)).map((p) => p.version));
    while (used.has(`1.${this.nextMinor}.0`)) this.nextMinor++;
    return `1.${this.nextMinor++}.0`;
  }

  /** USER types TEXT in CHANNEL; resolves with the promotion message it produced. */
  async ask(user: string, text: string, channel: string): Promise<StoredMessage> {
    const before = this.slack.messages.length;
    const answersBefore = this.slack.ephemerals.length;
    await this.signed.command(user, text, channel);
    return this.waitFor(`the message of "${text}"`, () => {
      const posted = this.slack.messages.slice(before).find((m) => m.channel === channel && !m.thread_ts && promotionIdOf(m));
      if (posted) return posted;
      // A refusal leaves no message behind, and its answer names no promotion: say what Shipgate said.
      const refusal = this.slack.ephemerals.slice(answersBefore).find((e) => e.user === user && !/\bsg-\d+\b/.test(e.text));
      if (refusal) throw new Error(`Shipgate answered: ${refusal.text}`);
      return null;
    });
  }

  /** USER clicks the button whose label starts with LABEL on MESSAGE (as it reads now). */
  async click(user: string, message: StoredMessage, label: string): Promise<void> {
    const current = this.current(message);
    const button = await this.waitFor(`a "${label}" button`, () => buttonsOf(this.current(message)).find((b) => b.text.text.startsWith(label)));
    await this.signed.click(user, current.channel, current.ts, button.action_id, button.value);
  }

  current(message: StoredMessage): StoredMessage {
    return this.slack.message(message.channel, message.ts) ?? message;
  }

  async until(message: StoredMessage, state: Promotion['state'] | Promotion['state'][]): Promise<Promotion> {
    const wanted = Array.isArray(state) ? state : [state];
    let seen = '';
    try {
      return await this.waitFor(`the promotion to be ${wanted.join(' or ')}`, async () => {
        const p = await this.promotion(message);
        seen = p.state;
        return wanted.includes(p.state) ? p : null;
      });
    } catch (error) {
      throw new Error(`${(error as Error).message} It is ${seen}.`);
    }
  }

  /** Walks VERSION up the path to ENV, each step approved by its approver. */
  async bring(version: string, env: Environment): Promise<void> {
    for (const step of PATH.slice(0, PATH.indexOf(env) + 1)) {
      if ((await this.live(step)) === version) continue;
      const message = await this.ask(PEOPLE.ada.id, `/promote ${APP} ${version} to ${step}`, channelOf(step));
      const approver = APPROVER[step];
      if (approver) {
        await this.until(message, ['awaiting_approval', 'deploying', 'deployed', 'blocked']);
        await this.click(approver, message, 'Approve');
      }
      await this.until(message, 'deployed');
    }
  }
}
