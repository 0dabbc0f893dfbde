import { EVENT_LISTENER_FAILED } from '../elastic-job.messages.js';
import { Injectable, Logger, type LoggerService } from '@nestjs/common';
import { Observable, Subject, filter } from 'rxjs';
import type { JobEvent, JobEventOf, JobEventType } from '../interfaces/job-event.interface.js';
import type { JobEventInput } from './job-event-sink.js';

/**
 * The job event stream: every fire, item run and cluster change this instance sees, typed, in
 * the order they happen here. The cluster log reads it, and so can the app:
 *
 * ```ts
 * constructor(events: JobEventStream) {
 *   events.ofType('item-finished').subscribe((event) => metrics.observe(event.durationMs));
 * }
 * ```
 *
 * Telling an event costs nothing when nobody listens, and never waits for a listener: a
 * listener that needs to do I/O should buffer. A listener added with `on()` that throws is
 * logged and stays subscribed; one that subscribes to `events$` follows RxJS's rules.
 * @publicApi
 */
@Injectable()
export class JobEventStream {
  private readonly subject = new Subject<JobEvent>();
  private instanceId = '';
  private logger: LoggerService = new Logger('ElasticJob');
  /** Subscribers to every event, and to events of one type: an event nobody wants is not built. */
  private everyType = 0;
  private readonly byType = new Map<JobEventType, number>();

  /** Every event, as it happens. Hot: a subscriber sees what happens after it subscribes. */
  readonly events$: Observable<JobEvent> = this.interested(undefined);

  /** The events of the given types only. */
  ofType<T extends JobEventType>(...types: T[]): Observable<JobEventOf<T>> {
    const wanted = new Set<JobEventType>(types);
    return this.interested(types).pipe(filter((event): event is JobEventOf<T> => wanted.has(event.type)));
  }

  /**
   * Calls `listener` with every event (of `types`, when given) until the returned function is
   * called. What the listener throws is logged, never passed on.
   */
  on(listener: (event: JobEvent) => void, types?: readonly JobEventType[]): () => void {
    const wanted = types ? new Set<JobEventType>(types) : undefined;
    const subscription = this.interested(types).subscribe((event) => {
      if (wanted && !wanted.has(event.type)) return;
      try {
        listener(event);
      } catch (error) {
        this.logger.error(EVENT_LISTENER_FAILED(event.type, error), undefined, 'ElasticJob');
      }
    });
    return () => subscription.unsubscribe();
  }

  /** Whether anyone listens to events of `type` (any type, when not given). */
  observed(type?: JobEventType): boolean {
    if (this.everyType > 0) return true;
    return type === undefined ? this.byType.size > 0 : (this.byType.get(type) ?? 0) > 0;
  }

  /** @internal Who tells the events, and where a failing listener is reported. */
  bind(instanceId: string, logger: LoggerService): void {
    this.instanceId = instanceId;
    this.logger = logger;
  }

  /** @internal Tells an event; stamps this instance and the time. */
  emit(event: JobEventInput): void {
    if (!this.observed(event.type)) return;
    this.subject.next({ ...event, instanceId: this.instanceId, at: new Date() } as JobEvent);
  }

  /** @internal The app is closing: subscribers complete. */
  complete(): void {
    this.subject.complete();
  }

  /** The subject's events, counting the subscription as interest in `types` (all, when not given). */
  private interested(types: readonly JobEventType[] | undefined): Observable<JobEvent> {
    return new Observable<JobEvent>((subscriber) => {
      this.count(types, 1);
      const inner = this.subject.subscribe(subscriber);
      return () => {
        inner.unsubscribe();
        this.count(types, -1);
      };
    });
  }

  private count(types: readonly JobEventType[] | undefined, delta: number): void {
    if (!types) {
      this.everyType += delta;
      return;
    }
    for (const type of new Set(types)) {
      const next = (this.byType.get(type) ?? 0) + delta;
      if (next > 0) this.byType.set(type, next);
      else this.byType.delete(type);
    }
  }
}
