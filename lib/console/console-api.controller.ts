import {
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  Param,
  Patch,
  Post,
  Query,
  Req,
  SetMetadata,
  Sse,
  UseFilters,
  UseGuards,
} from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { map, merge, timer, type Observable } from 'rxjs';
import { ElasticJobOrchestrator } from '../elastic-job.orchestrator.js';
import { JobEventStream } from '../events/job-event-stream.js';
import { ElasticJobErrorFilter } from '../elastic-job-error.filter.js';
import { InvalidHistoryQueryError } from '../errors/invalid-history-query.error.js';
import { InvalidJobOptionsError } from '../errors/invalid-job-options.error.js';
import type { ExecutionQuery, StatisticsQuery } from '../interfaces/execution-history.interface.js';
import type { JobConfigurationChanges } from '../interfaces/job-configuration-changes.interface.js';
import type { TriggerOptions } from '../interfaces/trigger-options.interface.js';
import type { NamespaceJobBrief } from '../interfaces/namespace-view.interface.js';
import type { JobRunStatistics } from '../interfaces/execution-history.interface.js';
import { ExecutionHistory } from '../tracing/execution-history.js';
import { ExecutionLog } from '../tracing/execution-log.js';
import { CONSOLE_WRITE, ConsoleAccessGuard, type ConsoleIdentity } from './console-access.guard.js';
import { ConsoleNamespace } from './console-namespace.js';
import { describeConsoleApi } from './console-openapi.js';

/** Marks a route that changes the cluster (admins only, with the console's header). */
const Writes = () => SetMetadata(CONSOLE_WRITE, true);

type QueryText = Record<string, string | string[] | undefined>;

function one(query: QueryText, name: string): string | undefined {
  const value = query[name];
  if (Array.isArray(value)) {
    throw new InvalidHistoryQueryError(
      `Invalid history query field ${name}: given ${value.length} times, allowed once.`,
    );
  }
  return value === '' ? undefined : value;
}

function integer(query: QueryText, name: string): number | undefined {
  const value = one(query, name);
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value)) {
    throw new InvalidHistoryQueryError(`Invalid history query field ${name} "${value}": a whole number.`);
  }
  return Number(value);
}

function date(query: QueryText, name: string): Date | undefined {
  const value = one(query, name);
  if (value === undefined) return undefined;
  const parsed = new Date(/^\d+$/.test(value) ? Number(value) : value);
  if (Number.isNaN(parsed.getTime())) {
    throw new InvalidHistoryQueryError(
      `Invalid history query field ${name} "${value}": an ISO 8601 time (2026-11-24T10:00:00Z) or epoch milliseconds.`,
    );
  }
  return parsed;
}

/**
 * The parsed fields, and the ones the query has that are not known, as given: the history
 * refuses those, naming the closest known one.
 */
function withUnknown<T extends object>(parsed: T, query: QueryText): T {
  const known = Object.keys(parsed);
  return Object.fromEntries([
    ...Object.entries(parsed).filter(([, value]) => value !== undefined),
    ...Object.keys(query)
      .filter((key) => !known.includes(key))
      .map((key) => [key, query[key]]),
  ]) as T;
}

function itemOf(jobName: string, text: string): number {
  if (!/^\d+$/.test(text)) {
    throw new InvalidJobOptionsError([`Job "${jobName}": item "${text}" is not an item number.`]);
  }
  return Number(text);
}

/** A job at a glance, with its last day from the execution log when the app keeps one. */
export interface ConsoleJobBrief extends NamespaceJobBrief {
  /** Runs completed in the last 24 hours, their success rate, and when the last one started. */
  lastDay: Pick<JobRunStatistics, 'runs' | 'failures' | 'successRate' | 'lastStartTime'> | undefined;
}

/**
 * The console's JSON API, under `{path}/api`: what its pages use, and what scripts may call.
 * Every job of the namespace is shown and operated, whoever runs it (this app, another, Java
 * ElasticJob): reads come from a watch-kept cache of the namespace and the execution log,
 * writes are ElasticJob's nodes, checked as at startup. Errors answer with their status: 400
 * for bad input, 404 for an unknown job, 409 for a removal refused, 401 / 403 for access, 503
 * when the cluster or the log cannot answer.
 */
@Controller('api')
@UseGuards(ConsoleAccessGuard)
@UseFilters(ElasticJobErrorFilter)
export class ConsoleApiController {
  constructor(
    private readonly moduleRef: ModuleRef,
    private readonly namespace: ConsoleNamespace,
  ) {}

  private get history(): ExecutionHistory {
    return this.moduleRef.get(ExecutionHistory, { strict: false });
  }

  private get historyKept(): boolean {
    return this.moduleRef.get(ExecutionLog, { strict: false }).configured;
  }

  /** Who is calling (and so what the pages offer), the namespace, and whether a history is kept. */
  @Get('me')
  async me(@Req() request: { consoleUser?: ConsoleIdentity }) {
    const view = await this.namespace.view();
    return {
      name: request.consoleUser?.name,
      role: request.consoleUser?.role,
      namespace: view.namespace,
      history: this.historyKept,
      localJobs: this.moduleRef.get(ElasticJobOrchestrator, { strict: false }).jobNames(),
    };
  }

  /**
   * Every job of the namespace at a glance: status, cron and next fires in its zone, items,
   * instances, leader, and the last day's runs and success rate from the execution log.
   */
  @Get('jobs')
  async jobs(): Promise<ConsoleJobBrief[]> {
    const view = await this.namespace.view();
    const now = new Date();
    const lastDay = new Map<string, JobRunStatistics>();
    if (this.historyKept) {
      for (const entry of await this.history.statistics({ to: now })) lastDay.set(entry.jobName, entry);
    }
    return view.jobNames().map((name) => {
      const day = lastDay.get(name);
      return {
        ...view.brief(name, now),
        lastDay: day && {
          runs: day.runs,
          failures: day.failures,
          successRate: day.successRate,
          lastStartTime: day.lastStartTime,
        },
      };
    });
  }

  /** One job: its brief, configuration, items (owner, status, failover), instances and servers. */
  @Get('jobs/:name')
  async job(@Param('name') name: string) {
    const view = await this.namespace.view();
    return {
      brief: view.brief(name),
      configuration: view.configuration(name),
      items: await view.items(name),
      instances: view.instances(name),
      servers: view.servers(name),
    };
  }

  /** The servers, by IP, as ElasticJob's console shows them: instances, jobs, disabled jobs. */
  @Get('servers')
  async servers() {
    return (await this.namespace.view()).serverBriefs();
  }

  /**
   * Fires of this app's jobs as they come, over server-sent events: for every fire, who owns
   * each item (`fire`: item → instance, from the assignment every instance follows), and what
   * this instance's items did (`outcome`). Nothing is asked of ZooKeeper for it.
   */
  @Sse('fires')
  fires(): Observable<{ type: string; data: object }> {
    const events = this.moduleRef.get(JobEventStream, { strict: false });
    const orchestrator = this.moduleRef.get(ElasticJobOrchestrator, { strict: false });
    const told = events.ofType('fire-scheduled', 'fire-finished').pipe(
      map((event) =>
        event.type === 'fire-scheduled'
          ? {
              type: 'fire',
              data: {
                job: event.job,
                fireTime: event.fireTime,
                source: event.source,
                jobParameter: event.jobParameter,
                owners: orchestrator
                  .job(event.job)
                  .coordinator.status.ownersAt(event.fireTime, event.source === 'MANUAL'),
              },
            }
          : {
              type: 'outcome',
              data: {
                job: event.job,
                fireTime: event.fireTime,
                source: event.source,
                instanceId: event.instanceId,
                items: event.items.map(({ item, status }) => ({ item, status })),
              },
            },
      ),
    );
    // `ready` once listening (told a turn later, once the response is under way): a page
    // knows from then on that no fire is missed.
    return merge(told, timer(0).pipe(map(() => ({ type: 'ready', data: {} }))));
  }

  /**
   * Fires the job once on every live instance, a job waiting for sharding included; a JSON body
   * `{ jobParameter }` gives the run its own job parameter.
   */
  @Post('jobs/:name/trigger')
  @Writes()
  @HttpCode(202)
  async trigger(@Param('name') name: string, @Body() body: TriggerOptions | null | undefined) {
    // No body (or JSON null) is a plain trigger; anything else is checked as trigger options.
    const options = body ?? {};
    await (await this.namespace.view()).trigger(name, options);
    return { triggered: name, ...options };
  }

  /** Changes the configuration, checked exactly as `@ElasticJob()` options; nothing is written when it fails. */
  @Patch('jobs/:name/configuration')
  @Writes()
  async configure(@Param('name') name: string, @Body() changes: JobConfigurationChanges) {
    const view = await this.namespace.view();
    if (!changes || typeof changes !== 'object' || Array.isArray(changes)) {
      throw new InvalidJobOptionsError([`Job "${name}": the body must be a JSON object of configuration changes.`]);
    }
    return view.updateConfiguration(name, changes);
  }

  @Post('jobs/:name/items/:item/disable')
  @Writes()
  @HttpCode(204)
  async disableItem(@Param('name') name: string, @Param('item') item: string) {
    await (await this.namespace.view()).setItemEnabled(name, itemOf(name, item), false);
  }

  @Post('jobs/:name/items/:item/enable')
  @Writes()
  @HttpCode(204)
  async enableItem(@Param('name') name: string, @Param('item') item: string) {
    await (await this.namespace.view()).setItemEnabled(name, itemOf(name, item), true);
  }

  @Post('jobs/:name/servers/:ip/disable')
  @Writes()
  @HttpCode(204)
  async disableServer(@Param('name') name: string, @Param('ip') ip: string) {
    await (await this.namespace.view()).setServerEnabled(name, ip, false);
  }

  @Post('jobs/:name/servers/:ip/enable')
  @Writes()
  @HttpCode(204)
  async enableServer(@Param('name') name: string, @Param('ip') ip: string) {
    await (await this.namespace.view()).setServerEnabled(name, ip, true);
  }

  /** ElasticJob's shutdown: the instance stops the job (its process runs on); the others take its items. */
  @Post('jobs/:name/instances/:instanceId/shutdown')
  @Writes()
  @HttpCode(204)
  async shutdownInstance(@Param('name') name: string, @Param('instanceId') instanceId: string) {
    await (await this.namespace.view()).shutdownInstance(name, instanceId);
  }

  /** Deletes the job from the namespace; refused (409) while it has a live instance. */
  @Delete('jobs/:name')
  @Writes()
  @HttpCode(204)
  async removeJob(@Param('name') name: string) {
    await (await this.namespace.view()).removeJob(name);
  }

  /** Item runs from the execution log, newest first: `?jobName&item&instanceId&ip&from&to&outcome&source&offset&limit`. */
  @Get('history/executions')
  executions(@Query() query: QueryText) {
    const parsed: ExecutionQuery = {
      jobName: one(query, 'jobName'),
      item: integer(query, 'item'),
      instanceId: one(query, 'instanceId'),
      ip: one(query, 'ip'),
      from: date(query, 'from'),
      to: date(query, 'to'),
      outcome: one(query, 'outcome') as ExecutionQuery['outcome'],
      source: one(query, 'source') as ExecutionQuery['source'],
      offset: integer(query, 'offset'),
      limit: integer(query, 'limit'),
    };
    return this.history.executions(withUnknown(parsed, query));
  }

  /** A task's status rows, oldest first. */
  @Get('history/tasks/:taskId')
  statusTrace(@Param('taskId') taskId: string) {
    return this.history.statusTrace(taskId);
  }

  /** Per job: runs, failures, success rate, duration percentiles (`?jobName&from&to`, default the last 24 h). */
  @Get('history/statistics')
  statistics(@Query() query: QueryText) {
    const parsed: StatisticsQuery = {
      jobName: one(query, 'jobName'),
      from: date(query, 'from'),
      to: date(query, 'to'),
    };
    return this.history.statistics(withUnknown(parsed, query));
  }
}

describeConsoleApi(ConsoleApiController);
