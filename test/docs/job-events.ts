import { Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { JobEventStream } from 'nestjs-elastic-job';

@Injectable()
export class SlowItemAlert implements OnModuleInit {
  private readonly logger = new Logger(SlowItemAlert.name);

  constructor(private readonly events: JobEventStream) {}

  onModuleInit(): void {
    this.events.ofType('item-finished').subscribe((event) => {
      if (event.status !== 'SUCCEEDED' || event.durationMs > 60_000) {
        this.logger.warn(`${event.job} item ${event.item}: ${event.status} after ${event.durationMs} ms`);
      }
    });
  }
}
