/**
 * The files `shipgate init` writes: a small, commented configuration that is valid as written,
 * so `shipgate check-config --no-env` passes before anything is edited.
 */
export const STARTER_CONFIG = `# Shipgate configuration, written by "shipgate init".
# Check it with: shipgate check-config     (and everything else with: shipgate doctor)
# Reference: the "shipgate.yml" section of the README; a fuller example: shipgate.example.yml.

slack:
  # Channel id (not its name) where promotion messages go: in Slack, open the channel,
  # click its name, and copy the id at the bottom (C…). Invite the bot there: /invite @shipgate
  channel: C0DEPLOYS
  usergroup_cache: 60s            # how long user group members are cached

apps:
  web:                            # one entry per app you deploy; the name is what /promote takes
    executor: deploy-hook

environments:
  development: {}                 # entry environment: any version, no approvals
  staging:
    from: development             # only the version running in development may come here
    approvals:
      required: 1
      approvers: [U0REPLACEME]    # Slack user ids (U…) or user group ids (S…)
  production:
    from: staging
    approvals:
      required: 2
      approvers: [S0REPLACEME]    # a user group, such as your release managers
      self_approval: false        # the requester cannot approve their own promotion
      expire_after: 4h            # older approvals stop counting
    rollback:
      approvals: { required: 1, approvers: [S0REPLACEME] }
    # The release calendar of production is calendars/production.yml (the environment's name).

executors:
  deploy-hook:
    type: webhook                 # Shipgate POSTs each deployment here, signed with the secret
    url: https://deploy.example.com/hook
    secret: "\${DEPLOY_WEBHOOK_SECRET}"   # read from the environment (or .env), never logged
    timeout: 10s
    attempts: 5
    backoff: 2s

queue:
  prefix: "{shipgate}"            # Redis key prefix; the braces keep one Redis Cluster slot
`;

export const STARTER_CALENDAR = `# Release calendar of production, written by "shipgate init".
# Outside the windows, or inside a freeze, a promotion whose approvals are complete waits
# (scheduled) and deploys by itself when the next window opens.
# Check it with: shipgate calendar production

timezone: UTC                     # your team's IANA zone, such as Europe/Berlin or America/New_York

windows:                          # when production may deploy (local time in the zone above)
  - days: [mon, tue, wed, thu]
    start: "09:00"
    end: "16:00"

freezes:                          # never deploy inside these; they win over the windows
  - name: Weekend
    cron_start: "0 16 * * FRI"
    cron_end: "0 9 * * MON"
  # - name: Year-end freeze
  #   start: 2026-12-18T00:00
  #   end: 2027-01-04T09:00

# holidays: { country: DE, region: BE }   # public holidays freeze the whole day
`;
