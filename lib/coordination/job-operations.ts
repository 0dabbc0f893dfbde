import { applyConfigurationChanges } from '../config/job-options.validator.js';
import { toElasticJobYaml } from '../config/elastic-job-yaml.js';
import type { JobConfiguration } from '../config/job-configuration.js';
import {
  INVALID_JOB_OPTION,
  JOB_HAS_LIVE_INSTANCES,
  OWN_WRITE_NOT_SEEN,
  UNKNOWN_OPTION,
} from '../elastic-job.messages.js';
import { InvalidJobOptionsError } from '../errors/invalid-job-options.error.js';
import { JobConflictError } from '../errors/job-conflict.error.js';
import type { TriggerOptions } from '../interfaces/trigger-options.interface.js';
import { unknownKeys } from '../utils/closest-name.js';
import { OperationNotVisibleError } from '../errors/operation-not-visible.error.js';
import type { JobConfigurationChanges } from '../interfaces/job-configuration-changes.interface.js';
import { readRegistryConfiguration } from './job-configuration.store.js';
import type { ExecutionService } from './execution.service.js';
import type { InstanceService } from './instance.service.js';
import { waitForCache, type JobScope } from './job-context.js';
import type { ServerService } from './server.service.js';
import type { TriggerService } from './trigger.service.js';

const TRIGGER_KEYS = ['jobParameter'];
/** A trigger's parameter travels in its `trigger/{id}` nodes: kept well under ZooKeeper's 1 MB. */
const MAX_TRIGGER_PARAMETER = 65_536;

/** Throws InvalidJobOptionsError naming every problem of a trigger's options. */
export function checkTriggerOptions(jobName: string, options: TriggerOptions): void {
  if (!options || typeof options !== 'object' || Array.isArray(options)) {
    throw new InvalidJobOptionsError([
      INVALID_JOB_OPTION(jobName, 'trigger options', options, 'an object { jobParameter? }'),
    ]);
  }
  const problems = unknownKeys(options, TRIGGER_KEYS).map(({ key, closest }) =>
    UNKNOWN_OPTION(`the trigger of job "${jobName}"`, key, closest, TRIGGER_KEYS),
  );
  const { jobParameter } = options;
  if (jobParameter !== undefined && (typeof jobParameter !== 'string' || jobParameter.length > MAX_TRIGGER_PARAMETER)) {
    problems.push(
      INVALID_JOB_OPTION(
        jobName,
        'jobParameter',
        jobParameter,
        `a string of at most ${MAX_TRIGGER_PARAMETER} characters`,
      ),
    );
  }
  if (problems.length > 0) throw new InvalidJobOptionsError(problems);
}

/** How long an operator write waits for this instance's own view to show it. */
const OWN_WRITE_VISIBLE_MS = 10_000;

/**
 * What an operator writes (ElasticJob's `JobOperateAPI` and `JobConfigurationAPI`): the
 * configuration, servers and items enabled or disabled, triggers. Each resolves once this
 * instance's own view shows the write, so what the caller does next sees it.
 */
export class JobOperations {
  constructor(
    private readonly scope: JobScope,
    private readonly services: {
      servers: ServerService;
      instances: InstanceService;
      execution: ExecutionService;
      triggers: TriggerService;
    },
  ) {}

  /**
   * Validates `changes` like the decorator's options and writes the result to `config`; every
   * instance applies it from its cache. Nothing is written when a value is invalid.
   */
  async updateConfiguration(changes: JobConfigurationChanges): Promise<JobConfiguration> {
    const { registry, path, jobName, cache } = this.scope;
    const yaml = await registry.getDirectly(path.config);
    const current =
      yaml === null ? this.scope.config() : readRegistryConfiguration(yaml, jobName, registry.namespace + path.config);
    const { config, problems } = applyConfigurationChanges(current, changes);
    if (problems.length > 0) throw new InvalidJobOptionsError(problems);
    const written = toElasticJobYaml(config);
    await registry.update(path.config, written);
    await this.awaitOwnWrite('the configuration', () => cache.get(path.config) === written);
    return config;
  }

  async setServerEnabled(serverIp: string, enabled: boolean): Promise<void> {
    const { cache, path, jobName, identity } = this.scope;
    const known = cache.getChildren(path.servers) ?? [];
    // A server that never ran the job has no node: writing one would invent it.
    if (serverIp !== identity.serverIp && !known.includes(serverIp)) {
      throw new InvalidJobOptionsError([
        INVALID_JOB_OPTION(jobName, 'server', serverIp, `a server of the job (${known.join(', ') || 'none yet'})`),
      ]);
    }
    const status = enabled ? 'ENABLED' : 'DISABLED';
    await this.services.servers.setStatus(serverIp, status);
    await this.awaitOwnWrite(
      `server ${serverIp}`,
      () => this.scope.cache.get(this.scope.path.server(serverIp)) === status,
    );
  }

  async setItemEnabled(item: number, enabled: boolean): Promise<void> {
    const { registry, path, jobName } = this.scope;
    const count = this.scope.config().shardingTotalCount;
    if (!Number.isInteger(item) || item < 0 || item >= count) {
      throw new InvalidJobOptionsError([INVALID_JOB_OPTION(jobName, 'item', item, `an item from 0 to ${count - 1}`)]);
    }
    if (enabled) await registry.remove(path.itemDisabled(item));
    else await registry.persist(path.itemDisabled(item), '');
    await this.awaitOwnWrite(`item ${item}`, () => this.services.execution.isDisabled(item) === !enabled);
  }

  /**
   * Cluster-wide trigger: one `trigger/{id}` node per live instance, with the run's own job
   * parameter when one is given (checked first: nothing is written for a bad one).
   */
  async triggerAll(options: TriggerOptions = {}): Promise<void> {
    checkTriggerOptions(this.scope.jobName, options);
    await this.services.triggers.triggerAll(this.services.instances.onlineInstances(), options);
  }

  /**
   * ElasticJob's shutdown of one instance: its `instances/{id}` node is deleted. That instance
   * stops the job (its items running finish; its process runs on) and the others reshard
   * without it. Only a live instance of the job may be named.
   */
  async shutdownInstance(instanceId: string): Promise<void> {
    const { registry, path, jobName, cache } = this.scope;
    const online = this.services.instances.onlineInstances();
    if (!online.includes(instanceId)) {
      throw new InvalidJobOptionsError([
        INVALID_JOB_OPTION(
          jobName,
          'instance',
          instanceId,
          `a live instance of the job (${online.join(', ') || 'none'})`,
        ),
      ]);
    }
    // It stands for its runs until they end, as a graceful leaver does: what it still runs is
    // not failed over meanwhile. The marker is this session's; the instance removes it once its
    // items have ended (a Java one leaves it until this session ends).
    const stat = await registry.getStat(path.instance(instanceId));
    if (stat) await registry.persistEphemeral(path.leaving(instanceId), String(stat.czxid));
    await registry.remove(path.instance(instanceId));
    await this.awaitOwnWrite(`instance ${instanceId}`, () => !cache.has(path.instance(instanceId)));
  }

  /**
   * Deletes the job's subtree, `/{job}` and everything under it. Refused while the job has a
   * live instance (shut them down first), so no running instance sees its nodes vanish
   * under it.
   */
  async removeJob(): Promise<void> {
    const { registry, path, jobName, cache } = this.scope;
    const online = this.services.instances.onlineInstances();
    if (online.length > 0) throw new JobConflictError(JOB_HAS_LIVE_INSTANCES(jobName, online));
    await registry.remove(path.root);
    await this.awaitOwnWrite('the removal', () => !cache.has(path.root));
  }

  private async awaitOwnWrite(what: string, visible: () => boolean): Promise<void> {
    if (await waitForCache(this.scope.cache, visible, OWN_WRITE_VISIBLE_MS)) return;
    throw new OperationNotVisibleError(OWN_WRITE_NOT_SEEN(this.scope.jobName, what, OWN_WRITE_VISIBLE_MS));
  }
}
