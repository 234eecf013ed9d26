import { z } from 'zod';
import type { ProtectionRule } from './github-config.js';

/** The parts of the `deployment_protection_rule` webhook (action `requested`) Shipgate reads, as docs.github.com describes them. */
export const protectionRuleEvent = z.object({
  action: z.string(),
  environment: z.string().min(1),
  event: z.string().optional(),
  deployment_callback_url: z.url(),
  deployment: z
    .object({
      sha: z.string().min(1),
      ref: z.string().min(1),
      environment: z.string().optional(),
      payload: z.union([z.record(z.string(), z.unknown()), z.string()]).nullish(),
    })
    .loose(),
  installation: z.object({ id: z.number().int().positive() }).loose(),
  repository: z.object({ full_name: z.string().regex(/^[^/\s]+\/[^/\s]+$/), html_url: z.url().optional() }).loose(),
  sender: z.object({ login: z.string().min(1) }).loose().optional(),
});

export type ProtectionRuleEvent = z.output<typeof protectionRuleEvent>;

/** Where and how to answer one waiting job: the review endpoint GitHub named, and who asks. Holds no secret. */
export interface ReviewTarget {
  callbackUrl: string;
  environmentName: string;
  installationId: string;
  repository: string;
  runId: string | null;
  /** The workflow run's page, for people. */
  runLink: string | null;
}

/** The requester of promotions asked for by GitHub: `github:LOGIN`, never a Slack id, so nobody in Slack counts as the requester. */
export const GITHUB_REQUESTER = 'github:';

export type MappedRequest =
  | { ok: true; review: ReviewTarget; ask: { app: string; environment: string; version: string; reason: string; requester: string } }
  | { ok: false; review: ReviewTarget; reason: string };

/**
 * Turns a protection rule request into a promotion to ask for, by the repository's rule in
 * shipgate.yml; a repository or environment Shipgate does not map is answered rejected with
 * the reason (left alone, the job would wait out GitHub's 30 days).
 */
export function mapProtectionRequest(event: ProtectionRuleEvent, rules: readonly ProtectionRule[]): MappedRequest {
  const repository = event.repository.full_name;
  const runId = /\/actions\/runs\/(\d+)\//.exec(event.deployment_callback_url)?.[1] ?? null;
  const review: ReviewTarget = {
    callbackUrl: event.deployment_callback_url,
    environmentName: event.environment,
    installationId: String(event.installation.id),
    repository,
    runId,
    runLink: runId && event.repository.html_url ? `${event.repository.html_url}/actions/runs/${runId}` : null,
  };
  const rule = rules.find((r) => r.repository.toLowerCase() === repository.toLowerCase());
  if (!rule) return { ok: false, review, reason: `Shipgate has no protection rule for ${repository}: add it under github.protection_rules in shipgate.yml, or remove the Shipgate rule from this environment.` };
  const environment = rule.environments[event.environment];
  if (!environment) {
    return { ok: false, review, reason: `Shipgate maps no environment "${event.environment}" of ${repository} (it maps ${Object.keys(rule.environments).join(', ')}): add it under github.protection_rules in shipgate.yml, or remove the Shipgate rule from this environment.` };
  }
  const version = fillVersion(rule.version, event.deployment);
  if (!version.ok) return { ok: false, review, reason: version.reason };
  const run = review.runId ? ` run ${review.runId}` : '';
  return {
    ok: true,
    review,
    ask: {
      app: rule.app,
      environment,
      version: version.value,
      reason: `GitHub Actions${run} of ${repository} waits on environment ${event.environment} (${shortRef(event.deployment.ref)} at ${event.deployment.sha.slice(0, 7)})`,
      requester: `${GITHUB_REQUESTER}${event.sender?.login ?? 'unknown'}`,
    },
  };
}

type Filled = { ok: true; value: string } | { ok: false; reason: string };

/** Fills `{sha}`, `{sha:N}`, `{ref}` and `{payload.KEY}` from the deployment. */
export function fillVersion(template: string, deployment: ProtectionRuleEvent['deployment']): Filled {
  const payload = typeof deployment.payload === 'object' && deployment.payload !== null ? deployment.payload : {};
  let missing: string | null = null;
  const value = template.replace(/\{(sha(?::(\d{1,2}))?|ref|payload\.([A-Za-z0-9_.-]+))\}/g, (_, key: string, length?: string, field?: string) => {
    if (key === 'ref') return shortRef(deployment.ref);
    if (field !== undefined) {
      const found = payload[field];
      if (typeof found === 'string' || typeof found === 'number') return String(found);
      missing = `the deployment payload has no "${field}"`;
      return '';
    }
    return length ? deployment.sha.slice(0, Number(length)) : deployment.sha;
  });
  if (missing) return { ok: false, reason: `Shipgate could not read the version: ${missing} (github.protection_rules version is "${template}").` };
  return { ok: true, value };
}

function shortRef(ref: string): string {
  return ref.replace(/^refs\/(heads|tags)\//, '');
}
