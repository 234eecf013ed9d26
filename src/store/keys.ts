/**
 * Every key shares one prefix. The default, `{shipgate}`, is a Redis Cluster hash tag,
 * so the multi-key commit script stays within one slot on a cluster.
 */
export function keysFor(prefix: string) {
  const k = (...parts: string[]) => [prefix, ...parts].join(':');
  return {
    promotion: (id: string) => k('promotion', id),
    sequence: k('seq', 'promotion'),
    /** One promotion in flight per app and environment. */
    inFlight: (app: string, env: string) => k('inflight', app, env),
    ledger: (app: string, env: string) => k('ledger', app, env),
    /** What runs in every app and environment (`app environment` -> the ledger's entry as JSON, `null`: nothing), one hash a status reads whole. */
    live: k('ledgers', 'live'),
    history: (app: string, env: string) => k('history', app, env),
    /** Versions undone by a rollback in an environment: version -> the rollback's id. */
    bad: (app: string, env: string) => k('bad', app, env),
    all: k('promotions'),
    /** Promotions not yet in a final state (holding the slot, or queued behind it). */
    active: k('promotions', 'active'),
    /** Follow-up work committed with each change, turned into jobs by the relay (a stream). */
    outbox: k('outbox'),
    /** One audit chain per app and environment (and one for unscoped facts): its entries and its "seq:mac" head. */
    auditLog: (chain: string) => k('audit', 'log', chain),
    auditHead: (chain: string) => k('audit', 'head', chain),
    /** "seq:mac" of the last entry of a chain moved to the archive; the chain's list in Redis starts after it. */
    auditArchived: (chain: string) => k('audit', 'archived', chain),
    /** Held by the one archival running (see Retention). */
    archiveLock: k('archive-lock'),
    /** The names of every audit chain, so verification finds them all. */
    auditChains: k('audit', 'chains'),
    /** The outcome of the last `shipgate audit verify` (a hash: at, ok), for /metrics. */
    auditVerified: k('audit', 'verified'),
    usergroup: (id: string) => k('usergroup', id),
    renderLock: (id: string) => k('render-lock', id),
    rendered: (id: string) => k('rendered', id),
    alerts: (app: string, env: string) => k('alerts', app, env),
    alert: (key: string) => k('alert', key),
    alertsOfPromotion: (promotionId: string) => k('alerts-of', promotionId),
    alertRenderLock: (key: string) => k('alert-render-lock', key),
    alertRendered: (key: string) => k('alert-rendered', key),
    /** A Slack post about to be made (or made, with its ts not yet stored): see PostOnce. */
    posting: (what: string) => k('posting', what),
    /** The thread notes of a promotion in commit order (JSON), and how many of them are posted. */
    notes: (id: string) => k('notes', id),
    notesPosted: (id: string) => k('notes-posted', id),
    noteLock: (id: string) => k('note-lock', id),
    /** Marks an alert's note as appended to a promotion's notes, with its position. */
    alertNoted: (key: string) => k('alert-noted', key),
    /** What runs against what the ledger says, per app and environment (JSON, rev, and `running` while drifted). */
    drift: (app: string, env: string) => k('drift', app, env),
    driftRenderLock: (app: string, env: string) => k('drift-render-lock', app, env),
    driftRendered: (app: string, env: string) => k('drift-rendered', app, env),
    /** The locks of an environment (JSON list) and a revision every lock and unlock bumps, which commits expect. */
    locks: (env: string) => k('locks', env),
    /** One notice of a coming freeze: claimed (with its audit entry) once, then posted once, per environment, start and rule. */
    freezeNotice: (env: string, start: number, rule: string) => k('freeze-notice', env, String(start), rule),
    /** Approval rights handed on (JSON list) and a revision every change bumps. */
    delegations: k('delegations'),
    /** Rollback drills of an app in an environment once ended, newest first (JSON DrillRecord). */
    drills: (app: string, env: string) => k('drills', app, env),
    /** Live, unaudited gate progress of a promotion while its gates run: `r<run>:<gate>` -> JSON (see GateProgress). */
    gateProgress: (id: string) => k('gate-progress', id),
    /** The write budget of one Slack channel (see ChannelRate). */
    channelRate: (channel: string) => k('channel-rate', channel),
    /** Data refreshes: each record (json, rev), the id counter, all of them by time, and one in flight per dataset and target. */
    refresh: (id: string) => k('refresh', id),
    refreshCounter: k('seq', 'refresh'),
    refreshes: k('refreshes'),
    /** Refreshes not yet final, for the sweep. */
    refreshesActive: k('refreshes', 'active'),
    refreshSlot: (dataset: string, env: string) => k('refresh-inflight', dataset, env),
    /** Targets whose data is not known to be masked (a refresh failed its check): `env/dataset` -> TargetFlag JSON. */
    refreshFlags: k('refresh-flags'),
    refreshRenderLock: (id: string) => k('refresh-render-lock', id),
    refreshRendered: (id: string) => k('refresh-rendered', id),
  };
}

export type Keys = ReturnType<typeof keysFor>;
