type Env = Readonly<Record<string, string | undefined>>;

const isSet = (value: string | undefined) => value !== undefined && value !== '';

const SLACK_VARIABLES = ['SLACK_BOT_TOKEN', 'SLACK_SIGNING_SECRET', 'SLACK_APP_TOKEN'] as const;

/**
 * Whether `shipgate start` runs the playground instead: only with no Slack variable at
 * all (half a Slack setup is a mistake to report), and never for what looks like a
 * deployment: NODE_ENV=production, SHIPGATE_CONFIG set, or a shipgate.yml in the working
 * directory. Those keep today's "Slack is not configured" stop.
 */
export function startsPlaygroundInstead(env: Env, shipgateYmlInWorkingDirectory: boolean): boolean {
  if (SLACK_VARIABLES.some((name) => isSet(env[name]))) return false;
  return env.NODE_ENV !== 'production' && !isSet(env.SHIPGATE_CONFIG) && !shipgateYmlInWorkingDirectory;
}

/** Why `shipgate playground` refuses to start here, or null. */
export function playgroundRefusal(env: Env): string | null {
  if (env.NODE_ENV === 'production') {
    return 'The playground does not run with NODE_ENV=production: it fakes Slack and deployments. Unset NODE_ENV to try Shipgate locally, or set the Slack variables and run "shipgate start".';
  }
  return null;
}
