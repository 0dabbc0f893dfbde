import { Injectable } from '@nestjs/common';
import { JobExecutionDecorator, type ShardingContext } from 'nestjs-elastic-job';

/** One line per item start and end, for the cluster demo's live view. */
export interface ExecutionEvent {
  event: 'item-start' | 'item-end';
  job: string;
  item: number;
  parameter?: string;
  source: string;
  fireTime: number;
  at: number;
  status?: 'SUCCEEDED' | 'FAILED';
  error?: string;
}

/**
 * Wraps every item execution (module option `executionDecorator`) and writes a JSON line to
 * stdout when it starts and ends. The same seam serves tracing or metrics in a real app.
 */
@Injectable()
export class ExecutionEventsDecorator extends JobExecutionDecorator {
  constructor(private readonly write: (line: string) => void = (line) => process.stdout.write(line)) {
    super();
  }

  override decorate(invoke: () => Promise<unknown>, context: ShardingContext): () => Promise<unknown> {
    return async () => {
      const base = {
        job: context.jobName,
        item: context.shardingItem,
        parameter: context.shardingParameter,
        source: context.executionSource,
        fireTime: context.fireTime.getTime(),
      };
      this.emit({ event: 'item-start', ...base, at: Date.now() });
      try {
        const result = await invoke();
        this.emit({ event: 'item-end', ...base, at: Date.now(), status: 'SUCCEEDED' });
        return result;
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        this.emit({ event: 'item-end', ...base, at: Date.now(), status: 'FAILED', error: message });
        throw error;
      }
    };
  }

  private emit(event: ExecutionEvent): void {
    this.write(`${JSON.stringify(event)}\n`);
  }
}
