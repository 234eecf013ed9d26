import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuditEntry } from '../../src/store/audit-chain.js';
import { spawnShipgate } from '../support/child-shipgate.js';
import { buttonsOf } from '../support/fake-slack.js';
import { FakeGateTarget } from '../support/fake-gate-target.js';
import { eventually } from '../support/eventually.js';
import { PEOPLE, standardConfig, startShipgate, type Harness } from '../support/start-shipgate.js';

async function run(args: string[], env: Record<string, string>) {
  const child = spawnShipgate(args, env);
  const code = await child.exited;
  return { code, output: child.output() };
}

const parse = (text: string) => text.trim().split('\n').map((l) => JSON.parse(l) as AuditEntry);

// Each test starts the real command line several times from source; on a busy machine each start takes a while.
describe('shipgate audit export --type data-movement', { timeout: 180_000 }, () => {
  let samples: FakeGateTarget;
  let h: Harness;
  let env: Record<string, string>;
  beforeAll(async () => {
    samples = await new FakeGateTarget().start();
    samples.answer('/samples/customers.jsonl', { body: '{"id":1,"name":"masked"}' });
    h = await startShipgate({
      config: (deployUrl, prefix) =>
        standardConfig(
          deployUrl,
          prefix,
          `datasets:
  customers: { from: [production], to: [staging], approvers: [S0REL], masking: customers-v2, executor: copy, sample: { url: "${samples.url}/samples/{dataset}.jsonl" } }
`,
        ).replace('executors:\n', `executors:\n  copy: { type: webhook, url: "${deployUrl}", secret: "\${DEPLOY_SECRET}" }\n`),
    });
    // A promotion too, so the export has other chains to leave out.
    await h.bring('1.0.0', 'development');
    const { message } = await h.ask(PEOPLE.alice, '/promote refresh customers from production to staging', 'C0DEPLOYS');
    const id = buttonsOf(message)[0]!.value;
    await h.slack.click(PEOPLE.rita, message, 'Approve');
    await eventually(async () => expect(await h.shipgate.redis.hget(h.shipgate.keys.refresh(id), 'json')).toMatch(/"state":"completed"/));
    env = h.shipgate.cliEnv();
  });
  afterAll(async () => {
    await h.close();
    await samples.close();
  });

  it('exports only the data-movement log, verifiable entry by entry, to stdout or to a file', async () => {
    expect(await h.shipgate.audit.chains()).toEqual(['data-movement/customers', 'web:development']);

    const movements = await run(['audit', 'export', '--type', 'data-movement'], env);
    expect(movements.code).toBe(0);
    const entries = parse(movements.output);
    expect(entries.map((e) => e.type)).toEqual(['refresh_requested', 'refresh_approved', 'refresh_copy_started', 'refresh_copied', 'refresh_completed']);
    expect(entries.every((e) => e.chain === 'data-movement/customers')).toBe(true);
    expect(entries[0]!.detail).toMatchObject({ dataset: 'customers', source: 'production', target: 'staging', masking: 'customers-v2', requested_by: PEOPLE.alice });
    expect(entries.at(-1)!.detail).toMatchObject({ approved_by: PEOPLE.rita, records: 1, email: 0, phone: 0, iban: 0, credit_card: 0 });
    expect(entries[1]!.prev).toBe(entries[0]!.mac);

    const file = join(mkdtempSync(join(tmpdir(), 'shipgate-export-')), 'movements.jsonl');
    const toFile = await run(['audit', 'export', '--type', 'data-movement', '--output', file], env);
    expect(toFile).toEqual({ code: 0, output: '' });
    expect(readFileSync(file, 'utf8')).toBe(movements.output);

    expect(await run(['audit', 'verify', '--type', 'data-movement'], env)).toEqual({ code: 0, output: `chain data-movement/customers: intact, ${entries.length} entries\naudit log intact: 1 chain, ${entries.length} entries\n` });
  });

  it('refuses an unknown type, and --output outside export', async () => {
    const unknown = await run(['audit', 'export', '--type', 'deploys'], env);
    expect(unknown).toEqual({ code: 2, output: 'shipgate: --type takes one of data-movement (got "deploys").\n' });
    expect(await run(['audit', 'verify', '--output', 'x.jsonl'], env)).toEqual({ code: 2, output: 'shipgate: --output belongs to "shipgate audit export".\n' });
  });

  it('detects an edited data-movement entry', async () => {
    const key = h.shipgate.keys.auditLog('data-movement/customers');
    const original = await h.shipgate.redis.lindex(key, 0);
    await h.shipgate.redis.lset(key, 0, original!.replace('"target":"staging"', '"target":"development"'));
    try {
      const verified = await run(['audit', 'verify', '--type', 'data-movement'], env);
      expect(verified.code).toBe(1);
      expect(verified.output).toMatch(/chain data-movement\/customers: BROKEN at entry 1: its content does not match its MAC/);
    } finally {
      await h.shipgate.redis.lset(key, 0, original!);
    }
  });
});
