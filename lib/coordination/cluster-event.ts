/** What the cluster did, as this instance saw it: the events its log tells. */
export type ClusterEvent =
  | { type: 'instance-joined'; job: string; instance: string }
  | { type: 'instance-left'; job: string; instance: string }
  | { type: 'leader'; job: string; instance: string }
  /** This instance, as the job's leader, published a new assignment. */
  | { type: 'resharded'; job: string; items: Readonly<Record<string, string>>; from: number | undefined }
  | { type: 'fire-skipped'; job: string; fireTime: Date; reason: string }
  | { type: 'fire'; job: string; fireTime: Date; source: string; items: readonly number[] };
