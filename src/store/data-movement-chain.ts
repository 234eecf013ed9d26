import type { Refresh } from '../domain/refresh.js';
import type { AuditSubject } from './audit-chain.js';

/**
 * Data movements have an audit chain per dataset, apart from the app and environment
 * chains, so they can be exported on their own. `/` appears in no app or environment
 * name, so no other chain can take one of these names.
 */
export const DATA_MOVEMENT_PREFIX = 'data-movement/';

export function dataMovementChain(dataset: string): string {
  return `${DATA_MOVEMENT_PREFIX}${dataset}`;
}

export function isDataMovementChain(chain: string): boolean {
  return chain.startsWith(DATA_MOVEMENT_PREFIX);
}

/** Every data-movement entry says which refresh, which dataset, from where to where, with which masking, asked by whom. */
export function dataMovementSubject(r: Pick<Refresh, 'id' | 'dataset' | 'from' | 'to' | 'masking' | 'requester' | 'config'>): AuditSubject {
  return {
    promotion: null,
    app: null,
    environment: r.to,
    version: null,
    config: r.config,
    // A refused request never got an id.
    detail: { refresh: r.id || null, dataset: r.dataset, source: r.from, target: r.to, masking: r.masking, requested_by: r.requester },
  };
}
