import type { Type } from '@nestjs/common';
import { UPDATABLE_FIELDS } from '../config/job-options.validator.js';
import { loadOptional } from '../utils/optional-package.js';
import { CONSOLE_WRITE_HEADER } from './console-access.guard.js';

type Decorator = (target: object, key?: string | symbol, descriptor?: PropertyDescriptor) => void;

/** The parts of `@nestjs/swagger` used here. */
interface Swagger {
  ApiTags(...tags: string[]): Decorator;
  ApiOperation(options: { summary: string; description?: string }): Decorator;
  ApiResponse(options: { status: number; description: string }): Decorator;
  ApiHeader(options: { name: string; required: boolean; description: string }): Decorator;
  ApiParam(options: { name: string; description: string }): Decorator;
  ApiQuery(options: { name: string; required: boolean; description: string }): Decorator;
  ApiBody(options: { description: string; schema: object }): Decorator;
  ApiProduces(...types: string[]): Decorator;
  ApiExcludeController(): Decorator;
}

interface Route {
  summary: string;
  description?: string;
  params?: Record<string, string>;
  query?: Record<string, string>;
  responses: Record<number, string>;
  write?: boolean;
  body?: { description: string; schema: object };
  produces?: string;
}

const JOB = { name: 'The job name, as in the namespace.' };
const READ = { 401: 'Not logged in.', 403: 'Refused by the access rule.' };
const WRITE = {
  ...READ,
  400: 'Invalid input: the message says what is wrong and what is allowed; nothing is written.',
  403: `Not an admin, or the ${CONSOLE_WRITE_HEADER} header is missing (cross-site requests cannot send it).`,
  404: 'No such job in the namespace.',
  503: 'ZooKeeper could not take the change, or it is not seen yet.',
};

/** The console's API, route by route (the controller's method names). */
const ROUTES: Record<string, Route> = {
  me: {
    summary: 'Who is calling, their role, the namespace, and whether a history is kept',
    responses: { 200: 'The caller.', ...READ },
  },
  jobs: {
    summary: 'Every job of the namespace at a glance',
    description:
      "ElasticJob's JobBriefInfo (status OK, CRASHED, DISABLED or SHARDING_FLAG), with the leader, the next fires in the job's zone, and the last day's runs and success rate from the execution log.",
    responses: { 200: 'The jobs, by name.', ...READ },
  },
  job: {
    summary: 'One job: configuration, items, instances, servers',
    params: JOB,
    responses: { 200: 'The job.', 404: 'No such job in the namespace.', ...READ },
  },
  servers: {
    summary: 'The servers by IP: instances, jobs, disabled jobs',
    responses: { 200: 'The servers.', ...READ },
  },
  fires: {
    summary: "Fires of this app's jobs as they come (server-sent events)",
    description:
      'Events: `ready` once listening; `fire` (job, fireTime, source, owners: item → instance); `outcome` (this instance’s items and their status).',
    produces: 'text/event-stream',
    responses: { 200: 'An event stream.', ...READ },
  },
  trigger: {
    summary: 'Fire the job once on every live instance',
    description: 'An optional JSON body { "jobParameter": "..." } gives this run its own job parameter.',
    params: JOB,
    write: true,
    body: {
      description: 'Optional: the run’s own job parameter.',
      schema: { type: 'object', properties: { jobParameter: { type: 'string' } } },
    },
    responses: { 202: 'Triggered.', ...WRITE },
  },
  configure: {
    summary: 'Change the configuration, checked as @ElasticJob() options are',
    params: JOB,
    write: true,
    body: {
      description: 'The fields to change.',
      schema: { type: 'object', properties: Object.fromEntries(UPDATABLE_FIELDS.map((field) => [field, {}])) },
    },
    responses: { 200: 'The configuration now in force.', ...WRITE },
  },
  disableItem: {
    summary: 'Disable an item (skipped, not reassigned)',
    params: { ...JOB, item: 'The item, from 0.' },
    write: true,
    responses: { 204: 'Disabled.', ...WRITE },
  },
  enableItem: {
    summary: 'Enable an item again',
    params: { ...JOB, item: 'The item, from 0.' },
    write: true,
    responses: { 204: 'Enabled.', ...WRITE },
  },
  disableServer: {
    summary: 'Disable a server (IP) for the job: its instances get no items',
    params: { ...JOB, ip: 'A server IP the job has.' },
    write: true,
    responses: { 204: 'Disabled.', ...WRITE },
  },
  enableServer: {
    summary: 'Enable a server (IP) for the job again',
    params: { ...JOB, ip: 'A server IP the job has.' },
    write: true,
    responses: { 204: 'Enabled.', ...WRITE },
  },
  shutdownInstance: {
    summary: "Shut the job down on one instance (ElasticJob's shutdown)",
    description: 'The instance stops the job (items running finish; its process runs on); the others take its items.',
    params: { ...JOB, instanceId: 'A live instance of the job.' },
    write: true,
    responses: { 204: 'Shut down.', ...WRITE },
  },
  removeJob: {
    summary: 'Remove the job from the namespace, everything under it',
    params: JOB,
    write: true,
    responses: { 204: 'Removed.', ...WRITE, 409: 'The job still has a live instance: shut them down first.' },
  },
  executions: {
    summary: 'Item runs from the execution log, newest first',
    query: {
      jobName: 'A job name.',
      item: 'An item.',
      instanceId: 'The instance that ran it.',
      ip: 'The IP that ran it.',
      from: 'Started at or after (ISO 8601 or epoch ms).',
      to: 'Started before (ISO 8601 or epoch ms).',
      outcome: 'succeeded, failed or running.',
      source: 'NORMAL_TRIGGER, MISFIRE or FAILOVER.',
      offset: 'Rows to skip.',
      limit: 'Rows to return (default 50, at most 1000).',
    },
    responses: {
      200: 'A page of runs and the total.',
      400: 'An invalid query.',
      503: 'No execution log, or it cannot answer.',
      ...READ,
    },
  },
  statusTrace: {
    summary: "A task's status changes, oldest first",
    params: { taskId: "ElasticJob's task id." },
    responses: { 200: 'The status rows.', 503: 'No execution log, or it cannot answer.', ...READ },
  },
  statistics: {
    summary: 'Per job: runs, failures, success rate, durations (default: the last 24 h)',
    query: { jobName: 'A job name.', from: 'From (ISO 8601 or epoch ms).', to: 'To (ISO 8601 or epoch ms).' },
    responses: {
      200: 'The statistics by job.',
      400: 'An invalid query.',
      503: 'No execution log, or it cannot answer.',
      ...READ,
    },
  },
};

/** Leaves the console's page (HTML, not API) out of the app's OpenAPI document. */
export function excludeFromOpenApi(controller: Type): void {
  loadOptional<Swagger>('@nestjs/swagger')?.ApiExcludeController()(controller);
}

/**
 * Describes the console's API in the app's OpenAPI document, when the app uses
 * `@nestjs/swagger` (looked up, never required: without it, nothing is loaded or done).
 */
export function describeConsoleApi(controller: Type): void {
  const swagger = loadOptional<Swagger>('@nestjs/swagger');
  if (!swagger) return;
  swagger.ApiTags('ElasticJob console')(controller);
  const prototype = controller.prototype as Record<string, unknown>;
  for (const [method, route] of Object.entries(ROUTES)) {
    const descriptor = Object.getOwnPropertyDescriptor(prototype, method);
    if (!descriptor) throw new Error(`internal: the console API has no method ${method}`);
    const decorators: Decorator[] = [
      swagger.ApiOperation({ summary: route.summary, description: route.description }),
      ...Object.entries(route.responses).map(([status, description]) =>
        swagger.ApiResponse({ status: Number(status), description }),
      ),
      ...Object.entries(route.params ?? {}).map(([name, description]) => swagger.ApiParam({ name, description })),
      ...Object.entries(route.query ?? {}).map(([name, description]) =>
        swagger.ApiQuery({ name, required: false, description }),
      ),
    ];
    if (route.write) {
      decorators.push(
        swagger.ApiHeader({
          name: CONSOLE_WRITE_HEADER,
          required: true,
          description: 'Any value: a write must carry it (a guard against requests from other sites).',
        }),
      );
    }
    if (route.body) decorators.push(swagger.ApiBody(route.body));
    if (route.produces) decorators.push(swagger.ApiProduces(route.produces));
    for (const decorate of decorators) decorate(prototype, method, descriptor);
  }
}
