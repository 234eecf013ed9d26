import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../support/eventually.js';
import { PEOPLE, startShipgate, type Harness } from '../support/start-shipgate.js';

const { alice } = PEOPLE;

describe('the promote modal and App Home', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startShipgate({ calendars: { 'production.yml': 'timezone: UTC\nwindows:\n  - days: [mon]\n    start: "10:00"\n    end: "11:00"\n' } });
  });
  afterAll(async () => h.close());

  type ModalView = Parameters<Harness['slack']['submitView']>[1] & { blocks: { element?: { options?: { value: string }[] } }[] };
  async function openModal(): Promise<ModalView> {
    const before = h.fake.callsTo('views.open').length;
    const ack = await h.slack.command(alice, '/promote', { channel: 'C0TEAM' });
    expect(ack).toEqual({ status: 200, text: '' });
    const call = await eventually(() => {
      const opened = h.fake.callsTo('views.open')[before];
      if (!opened) throw new Error('no views.open yet');
      return opened;
    });
    expect(call.args.trigger_id).toMatch(/^trigger-/);
    return call.args.view as ModalView;
  }

  it('opens a modal with the configured apps and environments, and a submission asks for the promotion', async () => {
    const view = await openModal();
    expect(view.callback_id).toBe('promote_modal');
    expect(view.blocks[0]!.element!.options!.map((o) => o.value)).toEqual(['web']);
    expect(view.blocks[2]!.element!.options!.map((o) => o.value)).toEqual(['development', 'staging', 'production']);

    const submitted = await h.slack.submitView(alice, view, { app: 'web', version: '5.0.0', environment: 'development', reason: 'from the modal' });
    expect(submitted.status).toBe(200);
    await eventually(async () => expect(await h.shipgate.live('web', 'development')).toBe('5.0.0'));
    const ephemeral = await eventually(() => {
      const sent = h.fake.callsTo('chat.postEphemeral').at(-1);
      if (!sent) throw new Error('no ephemeral yet');
      return sent.args;
    });
    expect(ephemeral).toMatchObject({ channel: 'C0TEAM', user: alice, text: 'Deploying web 5.0.0 to development (sg-1).' });
  });

  it('keeps the modal open with a field error for a malformed version, and records nothing', async () => {
    const view = await openModal();
    const count = await h.shipgate.promotionCount();
    const submitted = await h.slack.submitView(alice, view, { app: 'web', version: 'latest', environment: 'staging' });
    expect(submitted.body).toEqual({ response_action: 'errors', errors: { version: expect.stringMatching(/Not a version/) as string } });
    expect(await h.shipgate.promotionCount()).toBe(count);
  });

  it('publishes App Home with what runs where and each environment\'s window', async () => {
    await eventually(async () => expect(await h.shipgate.live('web', 'development')).toBe('5.0.0'));
    expect((await h.slack.event({ type: 'app_home_opened', user: alice, channel: 'D0HOME', tab: 'home' })).status).toBe(200);
    const published = await eventually(() => {
      const call = h.fake.callsTo('views.publish').at(-1);
      if (!call) throw new Error('no views.publish yet');
      return call.args;
    });
    expect(published.user_id).toBe(alice);
    const texts = (published.view as { blocks: { text?: { text: string } }[] }).blocks.map((b) => b.text?.text ?? '');
    const after = (env: string) => texts[texts.indexOf(env) + 1] + '\n' + texts[texts.indexOf(env) + 2];
    expect(after('development')).toMatch(/\*web\*: 5\.0\.0 since/);
    expect(after('staging')).toMatch(/\*Window:\* no calendar, always open/);
    expect(after('production')).toMatch(/\*Window:\* :(red|large_green)_circle: (open, closes|closed \(outside the release windows)/);
  });
});
