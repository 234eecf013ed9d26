import type { Promotion } from '../../domain/promotion.js';
import type { DeployedVersion } from '../../domain/request.js';
import { escapeMrkdwn, slackDate, user } from './mrkdwn.js';

export interface AppStatus {
  app: string;
  environments: { name: string; live: DeployedVersion | null; waiting: Promotion[] }[];
}

/** `/promote status`: what runs where, and what waits, per app and environment. */
export function statusText(apps: AppStatus[]): string {
  const lines: string[] = [];
  for (const app of apps) {
    lines.push(`*${escapeMrkdwn(app.app)}*`);
    for (const env of app.environments) {
      const live = env.live ? `${escapeMrkdwn(env.live.version)} (since ${slackDate(env.live.at)})` : 'nothing deployed';
      lines.push(`• ${env.name}: ${live}`);
      for (const p of env.waiting) {
        lines.push(`    ◦ ${p.id}: ${escapeMrkdwn(p.version)} ${p.state.replace('_', ' ')}, asked by ${user(p.requester)}`);
      }
    }
  }
  return lines.join('\n') || 'No apps are configured.';
}
