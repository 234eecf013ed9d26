import { generateKeyPairSync } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { gitHubSignature } from '../../src/github/webhook-signature.js';
import { eventually, sleep } from '../support/eventually.js';
import { FakeGateTarget, REPORTS } from '../support/fake-gate-target.js';
import { FakeGitHub } from '../support/fakes/github.js';
import { PEOPLE, startShipgate, type Harness } from '../support/start-shipgate.js';

const { alice, lead } = PEOPLE;
const WEBHOOK_SECRET = 'whsec-shipgate-tests-0123456789';
const APP_ID = '424242';
const INSTALLATION = 77;
const RUN = 9_100_001;

/** The README's example: staging and production of acme/web guarded by Shipgate, versions from the tag. */
function protectionConfig(github: FakeGitHub, gates: FakeGateTarget | null) {
  return (_deployUrl: string, prefix: string) => `
slack: { channel: C0DEPLOYS, usergroup_cache: 1s }
apps:
  web: { executor: github }
environments:
  staging:
    approvals: { required: 1, approvers: [S0QA, U0LEAD] }
    ${gates ? 'gates: [coverage]' : ''}
  production:
    from: staging
    channel: C0PROD
    approvals: { required: 2, approvers: [S0REL] }
executors:
  github: { type: github-protection-rule, attempts: 3, backoff: 50ms }
github:
  app: { id: ${APP_ID}, private_key: "\${GITHUB_APP_PRIVATE_KEY}", webhook_secret: "\${GITHUB_WEBHOOK_SECRET}" }
  api_url: ${github.url}
  protection_rules:
    - repository: acme/web
      app: web
      environments: { staging: staging, production: production }
      version: "{ref}"
${gates ? `gates:\n  coverage: { type: coverage, url: "${gates.url}/{app}/{version}/coverage", min_lines: 80, timeout: 2s }` : ''}
queue: { prefix: "${prefix}", lock_duration: 2s, stalled_interval: 1s }
`;
}

describe('Shipgate as a GitHub custom deployment protection rule', () => {
  let h: Harness;
  let github: FakeGitHub;
  let gates: FakeGateTarget | null = null;
  afterEach(async () => {
    await h?.close();
    await github?.close();
    await gates?.close();
    gates = null;
  });

  async function start() {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048, privateKeyEncoding: { type: 'pkcs8', format: 'pem' }, publicKeyEncoding: { type: 'spki', format: 'pem' } });
    github = await new FakeGitHub().withApp(APP_ID, String(INSTALLATION), publicKey).start();
    h = await startShipgate({ config: protectionConfig(github, gates), env: { GITHUB_APP_PRIVATE_KEY: privateKey, GITHUB_WEBHOOK_SECRET: WEBHOOK_SECRET } });
  }

  const receiver = () => h.shipgate.receivers[0]!;
  const send = (environment: string, options: { delivery?: string; secret?: string; ref?: string } = {}) =>
    github.sendProtectionRule(receiver(), options.secret ?? WEBHOOK_SECRET, { environment, runId: RUN, ref: options.ref ?? 'v1.4.2', installationId: INSTALLATION, ...(options.delivery ? { delivery: options.delivery } : {}) });
  const reviewCalls = () => github.calls.filter((c) => c.path.endsWith('/deployment_protection_rule'));

  it('opens a promotion for the waiting job, and answers GitHub approved once Slack approves', async () => {
    await start();
    const sent = await send('staging');
    expect(sent.status).toBe(201);
    const id = sent.body.promotion as string;
    const message = await eventually(() => h.fake.topLevelIn('C0DEPLOYS')[0] ?? Promise.reject(new Error('no promotion message yet')));
    const p = await h.shipgate.promotion(message);
    expect(p).toMatchObject({ id, app: 'web', version: 'v1.4.2', environment: 'staging', requester: 'github:octocat', state: 'awaiting_approval' });
    // Nothing is answered while the promotion waits for its approvals.
    await sleep(300);
    expect(github.reviewOf(RUN, 'staging')).toBeNull();

    await h.slack.click(lead, message, 'Approve');
    const review = await eventually(() => github.reviewOf(RUN, 'staging') ?? Promise.reject(new Error('GitHub has no answer yet')));
    expect(review.state).toBe('approved');
    expect(review.comment).toBe(`Approved by Shipgate ${id}: web v1.4.2 to staging, approved by ${lead}.`);
    await eventually(async () => expect((await h.shipgate.promotion(id)).state).toBe('deployed'));
    expect(await h.shipgate.live('web', 'staging')).toBe('v1.4.2');
    // Answered as the App's installation, with a token minted from the App's JWT.
    const [answer, ...more] = reviewCalls();
    expect(more).toHaveLength(0);
    expect(answer!.path).toBe(`/repos/acme/web/actions/runs/${RUN}/deployment_protection_rule`);
    expect(answer!.body).toEqual({ environment_name: 'staging', state: 'approved', comment: review.comment });
    expect(answer!.headers.authorization).toMatch(/^Bearer ghs_installation/);
    expect(github.callsTo('token').map((c) => c.path)).toEqual([`/app/installations/${INSTALLATION}/access_tokens`]);
    // Shipgate's own deploy target is never called: GitHub's job deploys.
    expect(h.deployTarget.calls).toHaveLength(0);
  });

  it('answers GitHub rejected, saying who rejected it, when an approver rejects in Slack', async () => {
    await start();
    const sent = await send('staging');
    const id = sent.body.promotion as string;
    const message = await eventually(() => h.fake.topLevelIn('C0DEPLOYS')[0] ?? Promise.reject(new Error('no promotion message yet')));
    await h.slack.click(lead, message, 'Reject');
    const review = await eventually(() => github.reviewOf(RUN, 'staging') ?? Promise.reject(new Error('GitHub has no answer yet')));
    expect(review).toEqual({ state: 'rejected', comment: `Shipgate ${id} (web v1.4.2 to staging) was rejected by ${lead} (no reason given).` });
    expect((await h.shipgate.promotion(id)).state).toBe('rejected');
    // Later changes (the message re-rendered) answer nothing more.
    await sleep(300);
    expect(reviewCalls()).toHaveLength(1);
  });

  it('answers rejected with the reason when the promotion is cancelled', async () => {
    await start();
    const id = (await send('staging')).body.promotion as string;
    await h.slack.command(lead, `/promote cancel ${id}`);
    const review = await eventually(() => github.reviewOf(RUN, 'staging') ?? Promise.reject(new Error('GitHub has no answer yet')));
    expect(review.state).toBe('rejected');
    expect(review.comment).toContain(`Shipgate ${id} (web v1.4.2 to staging) was cancelled by ${lead}`);
  });

  it('answers rejected with the failing gate when the promotion is blocked', async () => {
    gates = await new FakeGateTarget().start();
    gates.answer('/web/v1.4.2/coverage', REPORTS.coverage(61.5));
    await start();
    const id = (await send('staging')).body.promotion as string;
    const review = await eventually(() => github.reviewOf(RUN, 'staging') ?? Promise.reject(new Error('GitHub has no answer yet')));
    expect((await h.shipgate.promotion(id)).state).toBe('blocked');
    expect(review.state).toBe('rejected');
    expect(review.comment).toMatch(new RegExp(`^Shipgate ${id} \\(web v1\\.4\\.2 to staging\\) is blocked: coverage: coverage 61\\.5% .*80%.*Re-run the job in GitHub to ask again\\.$`));
  });

  it('answers rejected, saying what to fix, for a GitHub environment Shipgate does not map, and opens nothing', async () => {
    await start();
    const sent = await send('qa');
    expect(sent.status).toBe(202);
    const review = await eventually(() => github.reviewOf(RUN, 'qa') ?? Promise.reject(new Error('GitHub has no answer yet')));
    expect(review.state).toBe('rejected');
    expect(review.comment).toBe('Shipgate: Shipgate maps no environment "qa" of acme/web (it maps staging, production): add it under github.protection_rules in shipgate.yml, or remove the Shipgate rule from this environment.');
    expect(await h.shipgate.promotionCount()).toBe(0);
  });

  it('answers rejected with the refusal when the promotion cannot be asked for (the path rule)', async () => {
    await start();
    const sent = await send('production');
    expect(sent.status).toBe(202);
    const review = await eventually(() => github.reviewOf(RUN, 'production') ?? Promise.reject(new Error('GitHub has no answer yet')));
    expect(review.state).toBe('rejected');
    expect(review.comment).toMatch(/^Shipgate: .*v1\.4\.2.*staging/);
    expect(await h.shipgate.promotionCount()).toBe(0);
  });

  it('refuses a forged signature with 401 and records nothing', async () => {
    await start();
    const sent = await send('staging', { secret: 'not-the-webhook-secret-at-all' });
    expect(sent.status).toBe(401);
    await sleep(300);
    expect(await h.shipgate.promotionCount()).toBe(0);
    expect(h.fake.topLevelIn('C0DEPLOYS')).toHaveLength(0);
    expect(reviewCalls()).toHaveLength(0);
    expect(await h.shipgate.redis.keys(`${h.shipgate.prefix}:github:*`)).toEqual([]);
  });

  it('opens one promotion for a delivery GitHub sends twice', async () => {
    await start();
    const first = await send('staging', { delivery: '72d3162e-cc78-11e3-81ab-4c9367dc0958' });
    const again = await send('staging', { delivery: '72d3162e-cc78-11e3-81ab-4c9367dc0958' });
    expect(first.status).toBe(201);
    expect(again).toMatchObject({ status: 200, body: { duplicate: true, promotion: first.body.promotion } });
    await sleep(300);
    expect(await h.shipgate.promotionCount()).toBe(1);
    expect(h.fake.topLevelIn('C0DEPLOYS')).toHaveLength(1);
  });

  it('has a fake GitHub that refuses a review as GitHub does', async () => {
    await start();
    await send('staging');
    const url = `${github.url}/repos/acme/web/actions/runs/${RUN}/deployment_protection_rule`;
    const post = (body: object, token = 'ghs_notAToken') => fetch(url, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    expect((await post({ environment_name: 'staging', state: 'approved' })).status).toBe(401);
    github.tokens.add('ghp_reviewer');
    expect((await post({ state: 'approved' }, 'ghp_reviewer')).status).toBe(422);
    expect((await post({ environment_name: 'staging', state: 'waiting' }, 'ghp_reviewer')).status).toBe(422);
    expect(github.reviewOf(RUN, 'staging')).toBeNull();
  });

  it('answers ping, ignores other events, and refuses an unsigned body', async () => {
    await start();
    const post = (event: string, body: string, signature: string | null) =>
      fetch(`${receiver()}/github/webhook`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-github-event': event, 'x-github-delivery': 'd-1', ...(signature ? { 'x-hub-signature-256': signature } : {}) }, body });
    const ping = JSON.stringify({ zen: 'Keep it logically awesome.', hook_id: 1 });
    expect((await post('ping', ping, gitHubSignature(ping, WEBHOOK_SECRET))).status).toBe(200);
    const push = JSON.stringify({ ref: 'refs/heads/main' });
    expect((await post('push', push, gitHubSignature(push, WEBHOOK_SECRET))).status).toBe(202);
    expect((await post('ping', ping, null)).status).toBe(401);
    const broken = '{"action": "requested"';
    expect((await post('deployment_protection_rule', broken, gitHubSignature(broken, WEBHOOK_SECRET))).status).toBe(400);
    expect(await h.shipgate.promotionCount()).toBe(0);
  });

  it('does not deploy a /promote from Slack for an app GitHub deploys, and says why', async () => {
    await start();
    const { message } = await h.ask(alice, '/promote web 1.0.0 to staging', 'C0DEPLOYS');
    await h.slack.click(lead, message, 'Approve');
    await eventually(async () => expect((await h.shipgate.promotion(message)).state).toBe('failed'));
    expect((await h.shipgate.promotion(message)).deployment?.error).toMatch(/deploys to staging through GitHub Actions: .*Run the workflow in GitHub instead of \/promote/);
    expect(reviewCalls()).toHaveLength(0);
  });
});
