import type { LoggerService } from '@nestjs/common';
import { jobList } from './elastic-job.messages.js';
import type { JobEvent, JobEventOf, JobEventType } from './interfaces/job-event.interface.js';

/** The events the log tells. */
const TOLD = [
  'instance-joined',
  'instance-left',
  'leader-changed',
  'resharded',
  'fire-skipped',
  'fire-scheduled',
] as const;
type ClusterEvent = JobEventOf<(typeof TOLD)[number]>;

/** What the log reads events from. */
export interface JobEventSource {
  on(listener: (event: JobEvent) => void, types?: readonly JobEventType[]): () => void;
}

function jobsPhrase(jobs: readonly string[]): string {
  return jobs.length === 1 ? `job ${jobList(jobs)}` : `${jobs.length} jobs: ${jobList(jobs)}`;
}

/** `10.0.0.1@-@7 → 0, 1; 10.0.0.2@-@8 → 2` */
function ownersPhrase(items: Readonly<Record<string, string>>): string {
  const byOwner = new Map<string, number[]>();
  for (const [item, owner] of Object.entries(items)) byOwner.set(owner, [...(byOwner.get(owner) ?? []), Number(item)]);
  return [...byOwner]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([owner, owned]) => `${owner} → ${owned.sort((x, y) => x - y).join(', ')}`)
    .join('; ');
}

const time = (at: Date | number) => new Date(at).toISOString().slice(11, 23);

/**
 * Tells the cluster's story through the app's logger: joins and leaves, leadership and
 * resharding at `log` level, fires skipped for want of ZooKeeper at `warn`, the fires that ran
 * items here at `debug`. Events of one kind that come together (an instance joining 1,000
 * jobs, 1,000 jobs firing each second) are told in one line per window, not one per job.
 */
export class ClusterLog {
  private readonly pending = new Map<string, { level: 'log' | 'warn' | 'debug'; events: ClusterEvent[] }>();
  private timer: NodeJS.Timeout | undefined;
  private readonly detach: () => void;

  constructor(
    private readonly logger: LoggerService,
    private readonly self: string,
    source: JobEventSource,
    private readonly windowMs = 1_000,
  ) {
    // Fires are told at debug level only: without it, they are not even asked for.
    const told = this.logger.debug ? TOLD : TOLD.filter((type) => type !== 'fire-scheduled');
    this.detach = source.on((event) => this.record(event as ClusterEvent), told);
  }

  private record(event: ClusterEvent): void {
    if (event.type === 'fire-scheduled' && (event.items.length === 0 || !this.logger.debug)) return;
    const key =
      event.type === 'instance-joined' || event.type === 'instance-left' || event.type === 'leader-changed'
        ? `${event.type} ${event.instance}`
        : event.type;
    const level = event.type === 'fire-skipped' ? 'warn' : event.type === 'fire-scheduled' ? 'debug' : 'log';
    const entry = this.pending.get(key) ?? { level, events: [] };
    entry.events.push(event);
    this.pending.set(key, entry);
    if (!this.timer) {
      this.timer = setTimeout(() => this.flush(), this.windowMs);
      this.timer.unref();
    }
  }

  /** Logs what is pending now. */
  flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const batches = [...this.pending.values()];
    this.pending.clear();
    for (const { level, events } of batches) this.logger[level]?.(this.describe(events), 'ElasticJob');
  }

  close(): void {
    this.detach();
    this.flush();
  }

  private describe(events: ClusterEvent[]): string {
    const first = events[0]!;
    const jobs = [...new Set(events.map((event) => event.job))];
    const who = (instance: string) => (instance === this.self ? `This instance (${instance})` : `Instance ${instance}`);
    switch (first.type) {
      case 'instance-joined':
        return `${who(first.instance)} joined ${jobsPhrase(jobs)}`;
      case 'instance-left':
        return `${who(first.instance)} left ${jobsPhrase(jobs)}`;
      case 'leader-changed':
        return `${who(first.instance)} is the leader of ${jobsPhrase(jobs)}`;
      case 'resharded': {
        // A job resharded twice within the window is told once, with its newest assignment.
        const latest = [...new Map(events.map((event) => [event.job, event])).values()];
        const described = latest.slice(0, 3).map((event) => {
          const resharded = event as JobEventOf<'resharded'>;
          const from = resharded.from === undefined ? '' : ` from the fire at ${time(resharded.from)}`;
          return `"${resharded.job}"${from}: ${ownersPhrase(resharded.items)}`;
        });
        const more = latest.length > 3 ? `; and ${latest.length - 3} more` : '';
        return `Resharded ${latest.length === 1 ? 'job' : `${latest.length} jobs`} as leader: ${described.join('; ')}${more}`;
      }
      case 'fire-skipped': {
        const fires = events.map((event) => `"${event.job}" at ${time((event as { fireTime: Date }).fireTime)}`);
        const shown = fires.slice(0, 5).join(', ') + (fires.length > 5 ? ` and ${fires.length - 5} more` : '');
        return `Skipped ${events.length} fire(s) (${(first as { reason: string }).reason}): ${shown}`;
      }
      case 'fire-scheduled': {
        const fires = events.map((event) => {
          const fire = event as JobEventOf<'fire-scheduled'>;
          return `"${fire.job}" ${time(fire.fireTime)} (${fire.source}): items ${fire.items.join(', ')}`;
        });
        const more = fires.length > 10 ? `; and ${fires.length - 10} more` : '';
        return `Ran ${fires.length} fire(s) here: ${fires.slice(0, 10).join('; ')}${more}`;
      }
      default:
        return '';
    }
  }
}
