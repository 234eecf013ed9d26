import type { GateConfig } from '../config/gate-schema.js';
import { CoverageGate } from './coverage-gate.js';
import { DataScanGate } from './data-scan-gate.js';
import type { Gate } from './gate.js';
import { HttpJsonGate } from './http-json-gate.js';
import { JunitGate } from './junit-gate.js';
import { PrometheusGate } from './prometheus-gate.js';
import { SettingsGate, type SettingsFacts } from './settings-gate.js';
import { SoakGate, type SoakFacts } from './soak-gate.js';
import { RollbackRehearsedGate, type RehearsalFacts } from './rollback-rehearsed-gate.js';

/** For callers that know no settings: every environment sets none. */
const NO_SETTINGS: SettingsFacts = { settings: () => null, from: () => null };
/** For callers that know no drills: none ever ran. */
const NO_DRILLS: RehearsalFacts = { drills: async () => [], from: () => null };

/** One case per gate type; a new type is one file, one schema entry and one line here. */
export function createGate(config: GateConfig, facts: SoakFacts, settings: SettingsFacts = NO_SETTINGS, rehearsals: RehearsalFacts = NO_DRILLS): Gate {
  const http = { headers: config.headers, timeoutMs: config.timeout, maxBytes: config.max_size };
  // Evidence links show the URL as written (secrets as `${NAME}`), never the expanded one.
  const shownUrl = 'url' in config ? (config.url_as_written ?? config.url) : '';
  switch (config.type) {
    case 'http-json':
      return new HttpJsonGate({ ...http, url: config.url, shownUrl, expect: config.expect });
    case 'coverage':
      return new CoverageGate({ ...http, url: config.url, shownUrl, minLines: config.min_lines });
    case 'junit':
      return new JunitGate({ ...http, url: config.url, shownUrl, maxFailures: config.max_failures });
    case 'prometheus':
      return new PrometheusGate({ ...http, url: config.url, shownUrl, query: config.query, below: config.below ?? null, above: config.above ?? null });
    case 'data-scan':
      return new DataScanGate({ ...http, url: config.url, shownUrl, forbid: config.forbid });
    case 'settings':
      return new SettingsGate({ required: config.required }, settings);
    case 'soak':
      return new SoakGate({ in: config.in, atLeastMs: config.at_least, withoutAlerts: config.without_alerts }, facts);
    case 'rollback-rehearsed':
      return new RollbackRehearsedGate({ withinMs: config.within, environment: config.environment ?? null }, rehearsals);
  }
}
