import { z } from 'zod';
import { duration } from '../config/duration.js';

const numericId = z.union([z.number().int().positive(), z.string().regex(/^\d+$/, 'expected a number')]).transform(String);
const shipgateName = z.string().regex(/^[a-z0-9][a-z0-9_-]{0,39}$/, 'expected a lower-case name (letters, digits, - and _)');

/** One repository whose GitHub environments Shipgate guards, and how its requests become promotions. */
const protectionRule = z
  .object({
    repository: z.string().regex(/^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/, 'expected OWNER/REPO'),
    /** The Shipgate app the repository deploys. */
    app: shipgateName,
    /** GitHub environment name → Shipgate environment. A GitHub environment not listed is answered rejected. */
    environments: z.record(z.string().min(1), shipgateName).refine((e) => Object.keys(e).length > 0, 'map at least one GitHub environment'),
    /**
     * The version promoted: `{sha}`, `{sha:N}` (the first N characters), `{ref}` (the branch or
     * tag name, without refs/heads/ or refs/tags/) and `{payload.KEY}` (the deployment payload)
     * are filled in. The result must be a version Shipgate accepts (`1.4.2`, `v2.0.0-rc.1`,
     * `0.0.0+{sha:7}`).
     */
    version: z.string().min(1).default('{ref}'),
  })
  .strict();

/**
 * The `github:` section: Shipgate as a GitHub App, registered as a custom deployment
 * protection rule. GitHub posts `deployment_protection_rule` to POST /github/webhook,
 * signed with `webhook_secret`; Shipgate answers through the API with an installation token.
 */
export const githubSchema = z
  .object({
    app: z
      .object({
        id: numericId,
        private_key: z.string().includes('PRIVATE KEY', { message: 'expected a PEM private key (write "${GITHUB_APP_PRIVATE_KEY}")' }),
        webhook_secret: z.string().min(16, 'expected the GitHub App\'s webhook secret, at least 16 characters (write "${GITHUB_WEBHOOK_SECRET}")'),
      })
      .strict(),
    /** https://api.github.com, or https://HOST/api/v3 for GitHub Enterprise Server. */
    api_url: z.url({ protocol: /^https?$/, error: 'expected an http or https URL' }).default('https://api.github.com'),
    protection_rules: z.array(protectionRule).default([]),
    /** How long one call to GitHub may take. */
    request_timeout: duration.default(10_000),
  })
  .strict();

export type GitHubConfig = z.output<typeof githubSchema>;
export type ProtectionRule = GitHubConfig['protection_rules'][number];
