import { generateKeyPairSync } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { eventually } from '../support/eventually.js';
import { textOf } from '../support/fake-slack.js';
import { FakeGitHub, GITHUB_TOKEN } from '../support/fakes/github.js';
import { PEOPLE, startShipgate, type Harness } from '../support/start-shipgate.js';

const { alice } = PEOPLE;

const ACTIONS = `
    type: github-actions
    repository: acme/web
    workflow: deploy.yml
    ref: main
    inputs: { version: "{version}", environment: "{environment}", promotion: "{promotion}" }
    poll_every: 100ms
    timeout: 30m
    attempts: 3
    backoff: 50ms`;

/** The README's example, against the fake GitHub: a token, or a GitHub App. */
function actionsConfig(github: FakeGitHub, credentials = 'token: "${GITHUB_TOKEN}"') {
  return (_deployUrl: string, prefix: string) => `
slack: { channel: C0DEPLOYS, usergroup_cache: 1s }
apps:
  web: { executor: actions }
environments:
  development:
    rollback: { approvals: { required: 0, approvers: [${alice}] } }
executors:
  actions:
    api_url: ${github.url}
    ${credentials}${ACTIONS}
queue: { prefix: "${prefix}", lock_duration: 2s, stalled_interval: 1s }
`;
}

describe('the github-actions executor', () => {
  let h: Harness;
  let github: FakeGitHub;
  afterEach(async () => {
    await h?.close();
    await github?.close();
  });

  async function start(options: { token?: string; noWorker?: boolean; credentials?: string; env?: Record<string, string> } = {}) {
    github = await new FakeGitHub().start();
    h = await startShipgate({ config: actionsConfig(github, options.credentials), noWorker: options.noWorker ?? false, env: { GITHUB_TOKEN: options.token ?? GITHUB_TOKEN, ...options.env } });
  }

  it('dispatches the workflow once, follows the run it started to success, and keeps its link', async () => {
    await start();
    const { message } = await h.ask(alice, '/promote web 1.0.0 to development', 'C0DEPLOYS');
    await eventually(async () => expect((await h.shipgate.promotion(message)).state).toBe('deployed'));
    const p = await h.shipgate.promotion(message);
    const [dispatch, ...more] = github.callsTo('dispatch');
    expect(more).toHaveLength(0);
    expect(dispatch!.path).toBe('/repos/acme/web/actions/workflows/deploy.yml/dispatches');
    expect(dispatch!.body).toEqual({ ref: 'main', inputs: { version: '1.0.0', environment: 'development', promotion: p.id }, return_run_details: true });
    expect(dispatch!.headers).toMatchObject({ authorization: `Bearer ${GITHUB_TOKEN}`, 'x-github-api-version': '2022-11-28', accept: 'application/vnd.github+json' });
    const run = github.runs[0]!;
    expect(run.display_title).toBe(`Deploy 1.0.0 (${p.id})`);
    expect(p.deployment).toMatchObject({ handle: JSON.stringify({ run: run.id }), link: run.html_url });
    expect(github.callsTo('get').every((c) => c.path === `/repos/acme/web/actions/runs/${run.id}`)).toBe(true);
    expect(await h.shipgate.live('web', 'development')).toBe('1.0.0');
    const audit = (await h.shipgate.auditEntries()).map((e) => e.type);
    expect(audit).toEqual(['requested', 'deploy_started', 'deploy_called', 'deploy_started_remote', 'deployed']);
  });

  it('fails with the run’s conclusion and its link in the thread', async () => {
    await start();
    github.conclude = 'failure';
    const { message } = await h.ask(alice, '/promote web 1.0.0 to development', 'C0DEPLOYS');
    await eventually(async () => expect((await h.shipgate.promotion(message)).state).toBe('failed'));
    const run = github.runs[0]!;
    await eventually(() => {
      const note = h.fake.thread(message).map(textOf).find((t) => t.includes('failed:'));
      expect(note).toContain('ended with conclusion failure');
      expect(note).toContain(`<${run.html_url}|the run>`);
    });
    expect(await h.shipgate.live('web', 'development')).toBeNull();
  });

  it('shows the run while it deploys, and fails and cancels a run that never completes within the timeout', async () => {
    await start();
    github.conclude = null;
    const { message } = await h.ask(alice, '/promote web 1.0.0 to development', 'C0DEPLOYS');
    await eventually(async () => expect((await h.shipgate.promotion(message)).deployment?.handle).toBeTruthy());
    const run = github.runs[0]!;
    await eventually(() => expect(textOf(h.fake.refreshed(message))).toContain(`Deploying… (<${run.html_url}|the run>)`));
    expect(github.callsTo('cancel')).toHaveLength(0);
    h.shipgate.clock.advance(31 * 60_000);
    await eventually(async () => expect((await h.shipgate.promotion(message)).state).toBe('failed'));
    expect((await h.shipgate.promotion(message)).deployment?.error).toMatch(/did not finish within 30 minutes/);
    expect(github.callsTo('cancel').map((c) => c.path)).toEqual([`/repos/acme/web/actions/runs/${run.id}/cancel`]);
    expect(run.conclusion).toBe('cancelled');
    expect(github.callsTo('dispatch')).toHaveLength(1);
  });

  it('follows the same run to its end after the worker is killed mid-rollout: one dispatch only', async () => {
    await start({ noWorker: true });
    github.conclude = null;
    const doomed = h.shipgate.spawnWorker();
    try {
      const { message } = await h.ask(alice, '/promote web 2.0.0 to development', 'C0DEPLOYS');
      await eventually(() => expect(github.callsTo('dispatch')).toHaveLength(1), { timeoutMs: 20_000 });
      doomed.kill('SIGKILL');
      expect(await doomed.exited).toBeNull();
      await h.shipgate.startWorker();
      const run = github.runs[0]!;
      await eventually(() => expect(github.callsTo('get').length).toBeGreaterThan(2), { timeoutMs: 20_000 });
      github.progress(run.id, 'completed', 'success');
      await eventually(async () => expect((await h.shipgate.promotion(message)).state).toBe('deployed'), { timeoutMs: 20_000 });
      expect(github.callsTo('dispatch')).toHaveLength(1);
      expect(github.runs).toHaveLength(1);
      expect(new Set(github.callsTo('get').map((c) => c.path))).toEqual(new Set([`/repos/acme/web/actions/runs/${run.id}`]));
      expect((await h.shipgate.promotion(message)).deployment?.handle).toBe(JSON.stringify({ run: run.id }));
    } finally {
      doomed.kill('SIGKILL');
    }
  });

  it('rolls back by dispatching the same workflow with the earlier version', async () => {
    await start();
    for (const version of ['1.0.0', '1.1.0']) {
      await h.ask(alice, `/promote web ${version} to development`, 'C0DEPLOYS');
      await eventually(async () => expect(await h.shipgate.live('web', 'development')).toBe(version));
    }
    await h.ask(alice, '/promote rollback web development', 'C0DEPLOYS');
    await eventually(async () => expect(await h.shipgate.live('web', 'development')).toBe('1.0.0'));
    const dispatches = github.callsTo('dispatch');
    expect(dispatches.map((c) => c.path)).toEqual(Array(3).fill('/repos/acme/web/actions/workflows/deploy.yml/dispatches'));
    expect(dispatches.map((c) => (c.body!.inputs as Record<string, string>).version)).toEqual(['1.0.0', '1.1.0', '1.0.0']);
  });

  it('fails at once, with a sentence that says what to check, when GitHub refuses the token', async () => {
    await start({ token: 'ghp_notTheRightToken0123456789abcdef' });
    const { message } = await h.ask(alice, '/promote web 1.0.0 to development', 'C0DEPLOYS');
    await eventually(async () => expect((await h.shipgate.promotion(message)).state).toBe('failed'));
    const error = (await h.shipgate.promotion(message)).deployment?.error ?? '';
    expect(error).toMatch(/^GitHub refused to list runs of workflow deploy\.yml in acme\/web \(401 Bad credentials\): check the token/);
    expect(error).not.toContain('ghp_notTheRightToken');
    // Not retried: trying again cannot help.
    expect(github.calls.filter((c) => c.status === 401)).toHaveLength(1);
    expect(github.runs).toHaveLength(0);
  });

  it('deploys with GitHub App credentials, minting one installation token for the whole rollout', async () => {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048, privateKeyEncoding: { type: 'pkcs8', format: 'pem' }, publicKeyEncoding: { type: 'spki', format: 'pem' } });
    await start({ credentials: 'app: { id: 424242, private_key: "${GITHUB_APP_KEY}", installation_id: 77 }', env: { GITHUB_APP_KEY: privateKey } });
    github.withApp('424242', '77', publicKey);
    const { message } = await h.ask(alice, '/promote web 1.0.0 to development', 'C0DEPLOYS');
    await eventually(async () => expect((await h.shipgate.promotion(message)).state).toBe('deployed'));
    expect(github.callsTo('token').map((c) => c.path)).toEqual(['/app/installations/77/access_tokens']);
    const [minted] = [...github.installationTokens.keys()];
    expect(github.callsTo('dispatch')[0]!.headers.authorization).toBe(`Bearer ${minted}`);
  });
});
