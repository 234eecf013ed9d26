/** Action ids of Shipgate's buttons. Button values carry the promotion id only. */
export const ACTIONS = {
  approve: 'promotion_approve',
  reject: 'promotion_reject',
  cancel: 'promotion_cancel',
  rollback: 'promotion_rollback',
  rerunGates: 'promotion_rerun_gates',
} as const;
