import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { DeployRequest } from '../../src/executors/executor.js';
import { GitHubActionsExecutor, githubActionsExecutorSchema } from '../../src/executors/github-actions-executor.js';
import { FakeGitHub, GITHUB_TOKEN } from '../support/fakes/github.js';

const request: DeployRequest = { promotion_id: 'sg-7', kind: 'promote', app: 'web', version: '1.2.0', environment: 'staging', previous_version: '1.1.0', requested_by: 'UALICE', approved_by: [], reason: '' };

describe('the github-actions executor against a strict fake GitHub', () => {
  let github: FakeGitHub;
  beforeEach(async () => {
    github = await new FakeGitHub().start();
  });
  afterEach(async () => github.close());

  const executor = (extra: Record<string, unknown> = {}) =>
    new GitHubActionsExecutor(
      githubActionsExecutorSchema.parse({ type: 'github-actions', api_url: github.url, token: GITHUB_TOKEN, repository: 'acme/web', workflow: 'deploy.yml', ref: 'main', inputs: { version: '{version}', environment: '{environment}', promotion: '{promotion}' }, ...extra }),
    );

  it('starts one run per promotion: a second start (a worker died before storing the handle) finds the first', async () => {
    const first = await executor().start(request);
    const second = await executor().start(request);
    expect(second).toEqual(first);
    expect(github.callsTo('dispatch')).toHaveLength(1);
    // sg-7 is not sg-70: a longer id is another promotion.
    expect(await executor().start({ ...request, promotion_id: 'sg-70' })).not.toEqual(first);
  });

  it('finds the run by its name when GitHub answers the dispatch 204 without run details', async () => {
    github.returnsRunDetails = false;
    const started = await executor().start(request);
    expect(started.link).toBeNull();
    const run = github.runs[0]!;
    github.progress(run.id, 'completed', 'timed_out');
    github.conclude = null;
    expect(await executor().status(started.handle)).toEqual({ state: 'failed', reason: 'the workflow run "Deploy 1.2.0 (sg-7)" ended with conclusion timed_out', link: run.html_url });
  });

  it('gives up at once, in GitHub’s words, on an input the workflow does not declare or an unknown workflow', async () => {
    const undeclared = await executor({ inputs: { version: '{version}', environment: '{environment}', promotion: '{promotion}', region: 'eu' } }).start(request).catch((e: unknown) => e);
    expect(undeclared).toMatchObject({ permanent: true, message: expect.stringContaining('(422 Unexpected inputs provided: ["region"])') });
    const unknown = await executor({ workflow: 'nope.yml' }).start(request).catch((e: unknown) => e);
    expect(unknown).toMatchObject({ permanent: true, message: expect.stringContaining('404 Not Found') });
    expect(github.runs).toHaveLength(0);
  });

  it('refuses a configuration with both a token and an app, or neither', () => {
    const base = { type: 'github-actions', repository: 'acme/web', workflow: 'deploy.yml', ref: 'main' };
    expect(githubActionsExecutorSchema.safeParse(base).success).toBe(false);
    expect(githubActionsExecutorSchema.safeParse({ ...base, token: 't', app: { id: 1, private_key: '-----BEGIN PRIVATE KEY-----', installation_id: 2 } }).success).toBe(false);
    expect(githubActionsExecutorSchema.parse({ ...base, token: 't' })).toMatchObject({ api_url: 'https://api.github.com', timeout: 30 * 60_000, poll_every: 10_000 });
  });
});
