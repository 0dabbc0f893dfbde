import { Controller, Get, HttpCode, Param, ParseIntPipe, Post, Query } from '@nestjs/common';
import { ExecutionHistory, JobOperator } from 'nestjs-elastic-job';

/**
 * Operating the cluster's jobs over HTTP with `JobOperator`. Any instance answers for the
 * whole cluster: the state is ZooKeeper's.
 */
@Controller('jobs')
export class JobsController {
  constructor(
    private readonly operator: JobOperator,
    private readonly history: ExecutionHistory,
  ) {}

  /** The jobs of this application, with their configuration as it stands in ZooKeeper. */
  @Get()
  list() {
    return this.operator.getJobNames().map((name) => {
      const config = this.operator.getJobConfiguration(name);
      return {
        name,
        cron: config.cron,
        shardingTotalCount: config.shardingTotalCount,
        failover: config.failover,
        disabled: config.disabled,
        description: config.description,
      };
    });
  }

  @Get(':name')
  configuration(@Param('name') name: string) {
    return this.operator.getJobConfiguration(name);
  }

  /** Who owns which item, and whether it is running, disabled or failing over. */
  @Get(':name/sharding')
  sharding(@Param('name') name: string) {
    return this.operator.getShardingInfo(name);
  }

  /**
   * The job's last runs, newest first, from the execution log (with `TRACING_URL` set; a 503
   * otherwise). `?outcome=failed` for the failures.
   */
  @Get(':name/history')
  runs(@Param('name') name: string, @Query('outcome') outcome?: 'succeeded' | 'failed' | 'running') {
    return this.history.executions({ jobName: name, outcome, limit: 50 });
  }

  /** The live instances: server, leadership, items. */
  @Get(':name/instances')
  instances(@Param('name') name: string) {
    return this.operator.getInstances(name);
  }

  /**
   * Fires the job once on every live instance. With `?wait=true`, answers with this
   * instance's run (its items, each with its result or error).
   */
  @Post(':name/trigger')
  @HttpCode(202)
  async trigger(@Param('name') name: string, @Query('wait') wait?: string) {
    if (wait === 'true') return this.operator.triggerAndWait(name, { timeoutMs: 30_000 });
    await this.operator.trigger(name);
    return { triggered: name };
  }

  /** Takes a server's instances out of the job from the next assignment on (default: this server). */
  @Post(':name/servers/:ip/disable')
  @HttpCode(204)
  disableServer(@Param('name') name: string, @Param('ip') ip: string) {
    return this.operator.disableServer(name, ip);
  }

  @Post(':name/servers/:ip/enable')
  @HttpCode(204)
  enableServer(@Param('name') name: string, @Param('ip') ip: string) {
    return this.operator.enableServer(name, ip);
  }

  /** Skips one item wherever it is assigned, until enabled again. */
  @Post(':name/items/:item/disable')
  @HttpCode(204)
  disableItem(@Param('name') name: string, @Param('item', ParseIntPipe) item: number) {
    return this.operator.disableItem(name, item);
  }

  @Post(':name/items/:item/enable')
  @HttpCode(204)
  enableItem(@Param('name') name: string, @Param('item', ParseIntPipe) item: number) {
    return this.operator.enableItem(name, item);
  }
}
