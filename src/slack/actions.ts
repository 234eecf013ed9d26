/** Action ids of Shipgate's buttons. Button values carry the promotion id only; drift buttons carry `app/environment`. */
export const ACTIONS = {
  approve: 'promotion_approve',
  reject: 'promotion_reject',
  cancel: 'promotion_cancel',
  rollback: 'promotion_rollback',
  rerunGates: 'promotion_rerun_gates',
  driftAdopt: 'drift_adopt',
  driftRollback: 'drift_rollback',
  /** Data refresh buttons carry the refresh id (rf-…). */
  refreshApprove: 'refresh_approve',
  refreshReject: 'refresh_reject',
} as const;
