import type { ServerResponse } from 'node:http';
import type { CustomRoute } from '@slack/bolt';
import getRawBody from 'raw-body';
import { protectionRuleEvent } from '../github/protection-request.js';
import type { IntakeAnswer, ProtectionRuleIntake } from '../github/protection-rule-intake.js';
import { hasGitHubSignature } from '../github/webhook-signature.js';

/** GitHub caps webhook payloads at 25 MB; a protection rule request is a few KB. */
export const MAX_GITHUB_BODY = 1_000_000;

function reply(res: ServerResponse, status: number, body: object, headers: Record<string, string> = {}) {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}

/**
 * POST /github/webhook, the GitHub App's webhook. Bolt's custom routes get the raw request,
 * so the route checks GitHub's signature itself. Order: size (413), signature (401), then
 * the event: `ping` 200, anything but `deployment_protection_rule` 202 and ignored; JSON
 * and shape (400); then the intake. Nothing is recorded for a refused request.
 */
export function githubWebhookRoute(secret: string, intake: ProtectionRuleIntake): CustomRoute {
  return {
    path: '/github/webhook',
    method: ['POST'],
    handler: async (req, res) => {
      let body: Buffer;
      try {
        body = await getRawBody(req, { limit: MAX_GITHUB_BODY });
      } catch (error) {
        const tooLarge = (error as { type?: string }).type === 'entity.too.large';
        return reply(res, tooLarge ? 413 : 400, { error: tooLarge ? `the body is larger than ${MAX_GITHUB_BODY / 1_000_000} MB` : 'the body could not be read' }, { connection: 'close' });
      }
      if (!hasGitHubSignature(req.headers['x-hub-signature-256'], body, secret)) return reply(res, 401, { error: 'missing or wrong X-Hub-Signature-256: check the webhook secret of the GitHub App' });
      const event = req.headers['x-github-event'];
      if (event === 'ping') return reply(res, 200, { ok: true });
      if (event !== 'deployment_protection_rule') return reply(res, 202, { ignored: `Shipgate does not act on ${String(event ?? 'unnamed')} events` });
      const delivery = req.headers['x-github-delivery'];
      if (typeof delivery !== 'string' || !delivery) return reply(res, 400, { error: 'no X-GitHub-Delivery header' });
      let json: unknown;
      try {
        json = JSON.parse(body.toString('utf8'));
      } catch {
        return reply(res, 400, { error: 'the body is not JSON' });
      }
      const parsed = protectionRuleEvent.safeParse(json);
      if (!parsed.success) {
        const issue = parsed.error.issues[0];
        return reply(res, 400, { error: `wrong shape: ${issue ? `${issue.path.join('.') || '(root)'}: ${issue.message}` : 'invalid'}` });
      }
      if (parsed.data.action !== 'requested') return reply(res, 202, { ignored: `Shipgate does not act on action ${parsed.data.action}` });
      let answer: IntakeAnswer;
      try {
        answer = await intake.receive(delivery, parsed.data);
      } catch (error) {
        return reply(res, 503, { error: `could not record the request (${(error as Error).message}); redeliver it` });
      }
      reply(res, answer.status, answer.body);
    },
  };
}
