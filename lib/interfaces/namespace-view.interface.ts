import type { JobBriefInfo } from './job-status.interface.js';

/** A job of the namespace at a glance, as the console's job list shows it. */
export interface NamespaceJobBrief extends JobBriefInfo {
  timeZone: string | undefined;
  /** The instance that leads the job (`leader/election/instance`), if any. */
  leader: string | undefined;
  /** What the job root node names: the job's class (a Java class, or ours), or its type. */
  jobClass: string | undefined;
  /** The next fires: the instant, and the wall time in the job's zone (`yyyy-MM-dd HH:mm:ss`). */
  nextFireTimes: Array<{ time: string; local: string }>;
  /** Why the `config` node cannot run as written (it is shown as written). */
  problem: string | undefined;
}

/** ElasticJob's `ServerBriefInfo`: one server IP across the namespace. */
export interface NamespaceServer {
  serverIp: string;
  /** Live instances on that IP, of any job. */
  instances: string[];
  /** Jobs whose `servers/{ip}` is enabled. */
  jobs: string[];
  /** Jobs whose `servers/{ip}` is disabled. */
  disabledJobs: string[];
}
