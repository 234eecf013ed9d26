import type { App } from '@slack/bolt';
import type { EnvironmentDashboard } from '../../domain/home-dashboard.js';
import { appHome } from '../views/app-home.js';
import type { CalendarReport } from '../../service/calendar-report.js';

export function registerAppHome(app: App, readHome: () => Promise<EnvironmentDashboard[]>, readWindows: () => CalendarReport[] | Promise<CalendarReport[]>) {
  app.event('app_home_opened', async ({ event, client }) => {
    if (event.tab !== 'home') return;
    await client.views.publish({ user_id: event.user, view: appHome(await readHome(), await readWindows()) });
  });
}
