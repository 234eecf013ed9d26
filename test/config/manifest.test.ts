import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';

interface Manifest {
  display_information: { name: string };
  features: { app_home: { home_tab_enabled: boolean }; bot_user: { display_name: string }; slash_commands: { command: string; url: string; usage_hint: string }[] };
  oauth_config: { scopes: { bot: string[] } };
  settings: { event_subscriptions: { request_url: string; bot_events: string[] }; interactivity: { is_enabled: boolean; request_url: string }; socket_mode_enabled: boolean };
}

describe('manifest.yml', () => {
  const manifest = parse(readFileSync('manifest.yml', 'utf8')) as Manifest;

  it('declares /promote, interactivity, App Home and the events Shipgate listens to, all under /slack/events', () => {
    expect(manifest.features.slash_commands.map((c) => c.command)).toEqual(['/promote']);
    const urls = [manifest.features.slash_commands[0]!.url, manifest.settings.interactivity.request_url, manifest.settings.event_subscriptions.request_url];
    for (const url of urls) expect(new URL(url).pathname).toBe('/slack/events');
    expect(manifest.settings.interactivity.is_enabled).toBe(true);
    expect(manifest.features.app_home.home_tab_enabled).toBe(true);
    expect(manifest.settings.event_subscriptions.bot_events).toEqual(['app_home_opened']);
    expect(manifest.settings.socket_mode_enabled).toBe(false);
  });

  it('asks for exactly the bot scopes the code uses', () => {
    const source = ['src/slack/directory.ts', 'src/slack/message-publisher.ts', 'src/slack/listeners/promote-modal.ts', 'src/slack/listeners/app-home.ts', 'src/slack/listeners/promote-command.ts', 'src/cli/doctor-slack.ts']
      .map((f) => readFileSync(f, 'utf8'))
      .join('\n');
    const used = new Set(['commands']);
    if (/chat\.(postMessage|update|postEphemeral)/.test(source)) used.add('chat:write');
    if (/usergroups\.users\.list/.test(source)) used.add('usergroups:read');
    if (/conversations\.info/.test(source)) used.add('channels:read');
    expect(new Set(manifest.oauth_config.scopes.bot)).toEqual(used);
  });
});
