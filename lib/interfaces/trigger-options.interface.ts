/** A manual run's own settings (`JobOperator.trigger(jobName, options)`). */
export interface TriggerOptions {
  /**
   * The job parameter this run's items see in `ShardingContext.jobParameter`, instead of the
   * configuration's (which stays as it is). A Java ElasticJob instance of the job runs the
   * trigger with its configured parameter: ElasticJob's trigger carries none.
   */
  jobParameter?: string;
}
