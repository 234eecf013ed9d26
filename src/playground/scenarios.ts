import { randomBytes } from 'node:crypto';
import { APP, channelOf, type Actors } from './actors.js';
import type { PlaygroundGateTarget } from './gate-target.js';
import { CHANNELS, PEOPLE } from './people.js';
import type { RehearsalStore } from './rehearsal-store.js';
import { ScenarioRun, type ScenarioRunState } from './scenario-run.js';
import type { StoredMessage, SlackStandIn } from './slack-stand-in.js';

const HOUR = 3_600_000;
const { ada, quinn, rita, omar } = PEOPLE;

/** What the scenarios need of the playground besides its people. */
export interface ScenarioWorld {
  actors: Actors;
  slack: SlackStandIn;
  gates: PlaygroundGateTarget;
  rehearsals: RehearsalStore;
  now(): number;
  advanceClock(ms: number): Promise<void>;
  setFreeze(freeze: { start: number; end: number } | null): void;
  /** Posts an Alertmanager webhook to the real /alerts/alertmanager route, with the configured token. */
  sendAlert(payload: unknown): Promise<number>;
}

export interface Scenario {
  name: string;
  title: string;
  summary: string;
  run(world: ScenarioWorld, run: ScenarioRun): Promise<void>;
}

async function productionWithPrevious(world: ScenarioWorld, run: ScenarioRun): Promise<{ live: string; previous: string }> {
  const { actors } = world;
  const live = await actors.live('production');
  const bad = await actors.bad('production');
  const good = (await actors.history('production')).find((v) => v !== live && !bad.has(v));
  if (live && good) return { live, previous: good };
  return run.step('Set the stage: a new release reaches production', 'Ada promotes a version all the way up, Quinn and Rita approve; a rollback needs a known-good version to go back to.', async () => {
    const first = live ?? (await actors.freshVersion());
    await actors.bring(first, 'production');
    const second = await actors.freshVersion();
    await actors.bring(second, 'production');
    return { live: second, previous: first };
  });
}

const happyPath: Scenario = {
  name: 'happy-path',
  title: 'Happy path: development → staging → production',
  summary: 'Ada promotes a release; the gates pass, Quinn approves staging, Rita approves production.',
  async run({ actors }, run) {
    const version = await actors.freshVersion();
    await run.step(`Ada: /promote web ${version} to development`, 'Development is the entry environment: no approvals, no gates. Shipgate deploys at once.', async () => {
      const m = await actors.ask(ada.id, `/promote ${APP} ${version} to development`, CHANNELS.deploys.id);
      await actors.until(m, 'deployed');
    });
    const staging = await run.step(`Ada: /promote web ${version} to staging`, 'Staging runs two gates (coverage ≥ 80%, no failed JUnit test) in the workers, then waits for QA.', async () => {
      const m = await actors.ask(ada.id, `/promote ${APP} ${version} to staging`, CHANNELS.deploys.id);
      await actors.until(m, 'awaiting_approval');
      return m;
    });
    await run.step('Quinn (QA) clicks Approve', 'Shipgate checks Quinn is in the QA group, records the approval in the audit log, and deploys.', async () => {
      await actors.click(quinn.id, staging, 'Approve');
      await actors.until(staging, 'deployed');
    });
    const production = await run.step(`Ada: /promote web ${version} to production`, 'Production takes only what runs in staging, checks its calendar, and needs the release manager.', async () => {
      const m = await actors.ask(ada.id, `/promote ${APP} ${version} to production`, CHANNELS.production.id);
      await actors.until(m, 'awaiting_approval');
      return m;
    });
    await run.step('Rita (release) clicks Approve', 'The deployment runs in a worker; the message now offers a Roll back button.', async () => {
      await actors.click(rita.id, production, 'Approve');
      await actors.until(production, 'deployed');
    });
  },
};

const failingGate: Scenario = {
  name: 'failing-gate',
  title: 'A failing coverage gate, fixed and re-run',
  summary: 'Coverage drops to 71%; the promotion is blocked until the evidence passes and someone clicks Re-run gates.',
  async run({ actors, gates }, run) {
    const version = await actors.freshVersion();
    await run.step(`Ada brings web ${version} to development`, 'The starting point of every promotion to staging.', () => actors.bring(version, 'development'));
    const message = await run.step('Coverage falls to 71.3%', `The gate target now serves a coverage summary below the 80% threshold. Ada asks for staging.`, async () => {
      gates.evidence.coverage = 'failing';
      const m = await actors.ask(ada.id, `/promote ${APP} ${version} to staging`, CHANNELS.deploys.id);
      await actors.until(m, 'blocked');
      return m;
    });
    await run.step('The team adds tests; Ada clicks Re-run gates', 'Coverage is back at 86.4%. The gates run again, with their evidence linked on the message.', async () => {
      gates.evidence.coverage = 'passing';
      await actors.click(ada.id, message, 'Re-run gates');
      await actors.until(message, 'awaiting_approval');
    });
    await run.step('Quinn approves; staging deploys', 'A blocked promotion needed no new request: the same message carries on.', async () => {
      await actors.click(quinn.id, message, 'Approve');
      await actors.until(message, 'deployed');
    });
  },
};

const freeze: Scenario = {
  name: 'freeze',
  title: 'A release freeze: scheduled, then released at the opening',
  summary: 'Production freezes for two hours; an approved promotion waits and deploys when the freeze ends (the clock moves forward).',
  async run(world, run) {
    const { actors } = world;
    const version = await actors.freshVersion();
    await run.step(`Ada brings web ${version} to staging`, 'Development, then staging with its gates and Quinn’s approval.', () => actors.bring(version, 'staging'));
    const message = await run.step('Production freezes for two hours', 'The calendar file calendars/production.yml gets a freeze from now on; Shipgate reads it again when it changes. Ada asks for production.', async () => {
      world.setFreeze({ start: world.now() - 60_000, end: world.now() + 2 * HOUR });
      const m = await actors.ask(ada.id, `/promote ${APP} ${version} to production`, CHANNELS.production.id);
      await actors.until(m, 'awaiting_approval');
      return m;
    });
    await run.step('Rita approves: the promotion is scheduled', 'Everything holds but the calendar, so Shipgate schedules the deployment for the opening.', async () => {
      await actors.click(rita.id, message, 'Approve');
      await actors.until(message, 'scheduled');
    });
    await run.step('The clock moves forward two hours', 'The playground’s clock jumps past the end of the freeze; the window check that was waiting runs, and production deploys.', async () => {
      await world.advanceClock(2 * HOUR + 60_000);
      await actors.until(message, 'deployed');
    });
  },
};

const alertRollback: Scenario = {
  name: 'alert-rollback',
  title: 'An Alertmanager alert, and the rollback from its message',
  summary: 'Alertmanager reports errors in production; Omar (on-call) rolls back from the alert message.',
  async run(world, run) {
    const { actors } = world;
    const { live, previous } = await productionWithPrevious(world, run);
    const alert = await run.step('Alertmanager fires HighErrorRate for web in production', `Alertmanager posts to /alerts/alertmanager with its bearer token; Shipgate links the alert to the deployment of ${live}.`, async () => {
      const before = world.slack.messages.length;
      const status = await world.sendAlert(alertmanagerPayload(new Date(world.now()).toISOString()));
      if (status !== 200) throw new Error(`/alerts/alertmanager answered ${status}.`);
      return actors.waitFor('the alert message', () =>
        world.slack.messages.slice(before).find((m): m is StoredMessage => m.channel === CHANNELS.production.id && !m.thread_ts && /Alert/.test(m.text + JSON.stringify(m.blocks))),
      );
    });
    await run.step(`Omar clicks "Roll back to ${previous}"`, 'Only on-call may roll production back; a rollback needs no second approval and ignores the calendar.', async () => {
      await actors.click(omar.id, alert, 'Roll back');
      await actors.waitFor(`${previous} to run in production again`, async () => (await actors.live('production')) === previous);
    });
  },
};

const rehearsal: Scenario = {
  name: 'rollback-rehearsal',
  title: 'A rollback rehearsal, timed',
  summary: 'Omar rolls production back, Ada and Rita roll forward again; both are timed and the result is kept.',
  async run(world, run) {
    const { actors } = world;
    const { live, previous } = await productionWithPrevious(world, run);
    const rollbackMs = await run.step(`Omar: /promote rollback web production`, `Production goes back to ${previous}, the last version known good.`, async () => {
      const started = Date.now();
      await actors.ask(omar.id, `/promote rollback ${APP} production`, CHANNELS.production.id);
      await actors.waitFor(`${previous} in production`, async () => (await actors.live('production')) === previous);
      return Date.now() - started;
    });
    const rollForwardMs = await run.step(`Ada rolls forward to ${live}; Rita approves`, `${live} is now marked bad in production, so Ada says why it may come back (--force-bad).`, async () => {
      const started = Date.now();
      const m = await actors.ask(ada.id, `/promote ${APP} ${live} to production --force-bad rehearsal: rolling forward`, channelOf('production'));
      await actors.until(m, 'awaiting_approval');
      await actors.click(rita.id, m, 'Approve');
      await actors.until(m, 'deployed');
      return Date.now() - started;
    });
    await run.step('The rehearsal is recorded', `Rollback ${seconds(rollbackMs)}, roll-forward ${seconds(rollForwardMs)}: kept in Redis under the playground's prefix.`, () =>
      world.rehearsals.record({ at: world.now(), app: APP, environment: 'production', from: live, to: previous, rollbackMs, rollForwardMs }),
    );
  },
};

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

function alertmanagerPayload(startsAt: string) {
  const labels = { alertname: 'HighErrorRate', app: APP, environment: 'production', severity: 'critical' };
  return {
    version: '4',
    groupKey: '{}:{alertname="HighErrorRate"}',
    status: 'firing',
    receiver: 'shipgate',
    alerts: [{ status: 'firing', labels, annotations: { summary: 'Error rate above 5% on web' }, startsAt, generatorURL: 'http://prometheus.playground.invalid/graph', fingerprint: randomBytes(8).toString('hex') }],
  };
}

export const SCENARIOS: readonly Scenario[] = [happyPath, failingGate, freeze, alertRollback, rehearsal];

/** Runs one scenario at a time and keeps the narration of the latest. */
export class ScenarioRunner {
  private latest: ScenarioRun | null = null;

  constructor(
    private readonly world: ScenarioWorld,
    private readonly onChange: () => void,
    private readonly paceMs: number,
  ) {}

  get state(): ScenarioRunState | null {
    return this.latest?.state ?? null;
  }

  /** Starts NAME; resolves when it has started, with the promise of its end. */
  start(name: string): { done: Promise<ScenarioRunState> } {
    const scenario = SCENARIOS.find((s) => s.name === name);
    if (!scenario) throw new Error(`There is no scenario "${name}"; pick one of ${SCENARIOS.map((s) => s.name).join(', ')}.`);
    if (this.latest?.state.status === 'running') throw new Error(`"${this.latest.state.title}" is still running; wait for it to end.`);
    const run = new ScenarioRun(scenario.name, scenario.title, this.onChange, this.paceMs);
    this.latest = run;
    this.onChange();
    const done = scenario.run(this.world, run).then(
      () => run.finish(null),
      (error: unknown) => run.finish((error as Error).message),
    );
    return { done: done.then(() => run.state) };
  }
}
