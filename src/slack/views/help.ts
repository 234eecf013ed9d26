export const HELP_TEXT = [
  '*Shipgate* moves a version from one environment to the next, with approvals and a rollback button.',
  '• `/promote APP VERSION to ENV [reason…]`: ask for a promotion (the word `to` is optional)',
  '• `/promote APP VERSION to ENV --emergency reason…`: bypass the release calendar (never the approvals), where ENV has an emergency policy',
  '• `/promote APP VERSION to ENV --force-bad reason…`: promote a version a rollback undid in ENV (marked bad there); approvers see why',
  '• `/promote rollback APP ENV [to VERSION]`: roll ENV back (to the last version known good by default); it takes priority over promotions that wait',
  '• `/promote status [APP]`: what runs where, and what waits',
  '• `/promote calendar ENV`: is ENV open now, why, when that changes, and the coming freezes',
  '• `/promote report [APP] [ENV] [--since 30d]`: deployments, lead time, change failure rate and time to restore per environment',
  '• `/promote cancel ID`: cancel a promotion you asked for',
  '• `/promote help`: this text',
  'Example: `/promote web 1.4.2 to production fixes checkout timeout`',
].join('\n');
