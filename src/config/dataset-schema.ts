import { z } from 'zod';
import { PII_KINDS } from '../gates/data-scan-gate.js';
import { productionEnvironments } from '../domain/refresh.js';
import { duration } from './duration.js';
import { size } from './size.js';

const name = z.string().regex(/^[a-z0-9][a-z0-9_-]{0,39}$/, 'expected a lower-case name (letters, digits, - and _)');
const approver = z.string().regex(/^[UWS][A-Z0-9]{2,}$/, 'expected a Slack user id (U…, W…) or user group id (S…)');

/** `{dataset}`, `{environment}` (the target) and `{refresh}` (its id) are filled in, URL-encoded. */
export const SAMPLE_PLACEHOLDERS = /\{(dataset|environment|refresh)\}/g;

const sampleUrl = z.string().refine((u) => {
  try {
    return ['http:', 'https:'].includes(new URL(u.replace(SAMPLE_PLACEHOLDERS, 'x')).protocol);
  } catch {
    return false;
  }
}, 'expected an http or https URL ({dataset}, {environment} and {refresh} are filled in)');

/** Where the copy's sample is read for the masking check, and what it must not contain. */
const sample = z
  .object({
    url: sampleUrl,
    // Filled in by the loader: the URL as written, secrets unexpanded, for anything shown.
    url_as_written: z.string().optional(),
    headers: z.record(z.string(), z.string()).default({}),
    forbid: z.array(z.enum(PII_KINDS)).min(1).default([...PII_KINDS]),
    timeout: duration.default(60_000),
    max_size: size.default(10_000_000),
    /** How often a sample that could not be read is tried again before the refresh fails. */
    retries: z.number().int().min(0).max(10).default(2),
  })
  .strict();

/**
 * One dataset that may be copied between environments, masked on the way: from where,
 * to where, who approves, which masking profile the copy applies, which executor copies.
 */
export const datasetSchema = z
  .object({
    from: z.array(name).min(1, 'list the environments this dataset may be copied from'),
    to: z.array(name).min(1, 'list the environments this dataset may be copied into'),
    approvers: z.array(approver).min(1, 'list who may approve a refresh: user ids (U…) or group ids (S…)'),
    required: z.number().int().min(1, 'a refresh needs at least 1 approval').default(1),
    masking: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, 'expected the name of a masking profile (letters, digits, ".", "-" and "_")'),
    executor: name,
    sample: sample.optional(),
  })
  .strict();

export type DatasetConfig = z.output<typeof datasetSchema>;
export type SampleConfig = NonNullable<DatasetConfig['sample']>;

/** Executor types that can copy a dataset (they implement CopyExecutor). */
export const COPYING_EXECUTORS: readonly string[] = ['webhook'];

interface ReferencedConfig {
  environments: Record<string, { from?: string | undefined }>;
  executors: Record<string, { type: string }>;
  datasets: Record<string, DatasetConfig>;
}

/** Datasets name environments and executors that exist, and never write into production. */
export function datasetReferences(config: ReferencedConfig, ctx: z.core.$RefinementCtx): void {
  const envs = config.environments;
  const production = productionEnvironments(Object.entries(envs).map(([n, e]) => ({ name: n, from: e.from ?? null })));
  for (const [datasetName, dataset] of Object.entries(config.datasets)) {
    const at = ['datasets', datasetName];
    for (const side of ['from', 'to'] as const) {
      for (const [index, env] of dataset[side].entries()) {
        if (!(env in envs)) ctx.addIssue({ code: 'custom', path: [...at, side, index], message: `no environment called "${env}"` });
      }
    }
    for (const [index, env] of dataset.to.entries()) {
      if (production.has(env)) ctx.addIssue({ code: 'custom', path: [...at, 'to', index], message: `"${env}" is at the end of the promotion path, so it holds production data: it can never receive a refresh` });
    }
    const executor = config.executors[dataset.executor];
    if (!executor) ctx.addIssue({ code: 'custom', path: [...at, 'executor'], message: `no executor called "${dataset.executor}"` });
    else if (!COPYING_EXECUTORS.includes(executor.type)) {
      ctx.addIssue({ code: 'custom', path: [...at, 'executor'], message: `executor "${dataset.executor}" is of type ${executor.type}, which cannot copy data: use one of type ${COPYING_EXECUTORS.join(', ')}` });
    }
    const users = dataset.approvers.filter((a) => !a.startsWith('S'));
    if (users.length === dataset.approvers.length && dataset.required > users.length) {
      ctx.addIssue({ code: 'custom', path: [...at, 'required'], message: `${dataset.required} approvals required but only ${users.length} people are listed in approvers` });
    }
  }
}
