/**
 * The baseline of bench/ack-latency.ts, run in a process of its own as Shipgate's
 * receiver is: a Bolt app that only acks /promote and button clicks.
 * Reads PORT, SLACK_API_URL, SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET.
 */
import { App } from '@slack/bolt';

const app = new App({ token: process.env.SLACK_BOT_TOKEN!, signingSecret: process.env.SLACK_SIGNING_SECRET!, clientOptions: { slackApiUrl: process.env.SLACK_API_URL! } });
app.command('/promote', async ({ ack }) => ack());
app.action({ type: 'block_actions' }, async ({ ack }) => ack());
await app.start(Number(process.env.PORT));
console.log('ready');
