import { describeDifferences, type JobConfiguration } from '../config/job-configuration.js';
import { configurationFromRegistry, validateJobConfiguration } from '../config/job-options.validator.js';
import { parseElasticJobYaml, toElasticJobYaml } from '../config/elastic-job-yaml.js';
import {
  INVALID_CONFIG_KEPT_LAST,
  INVALID_REGISTRY_CONFIG,
  JAVA_TYPED_JOB,
  JOB_CONFLICT,
  REGISTRY_CONFIG_DIFFERS,
} from '../elastic-job.messages.js';
import { InvalidJobOptionsError } from '../errors/invalid-job-options.error.js';
import { JobConflictError } from '../errors/job-conflict.error.js';
import type { RegistryCenter } from '../registry/registry-center.interface.js';
import type { JobContext } from './job-context.js';
import type { JobNodePath } from './job-node-path.js';

/** ElasticJob's typed jobs, run by a Java process (a command line, an HTTP call): the job root holds the type. */
export const JAVA_TYPED_JOBS: readonly string[] = ['SCRIPT', 'HTTP'];

/** Parses and checks a `config` node; throws InvalidJobOptionsError naming the node. */
export function readRegistryConfiguration(yaml: string, jobName: string, nodePath: string): JobConfiguration {
  let config: JobConfiguration;
  try {
    config = configurationFromRegistry(parseElasticJobYaml(yaml));
  } catch (error) {
    throw new InvalidJobOptionsError([INVALID_REGISTRY_CONFIG(jobName, nodePath, [(error as Error).message])]);
  }
  const problems = validateJobConfiguration(config);
  if (config.jobName !== jobName)
    problems.push(`jobName "${config.jobName}" does not match the node's job "${jobName}"`);
  if (problems.length > 0) throw new InvalidJobOptionsError([INVALID_REGISTRY_CONFIG(jobName, nodePath, problems)]);
  return config;
}

/** ElasticJob's `ConfigurationService`: the job's identity, its `config` node, and the configuration that runs. */
export class JobConfigurationStore {
  /** Throws JobConflictError when the job root names another job class. Reads only. */
  static async checkConflict(registry: RegistryCenter, path: JobNodePath, jobClassName: string): Promise<void> {
    const registered = await registry.getDirectly(path.root);
    if (registered && JAVA_TYPED_JOBS.includes(registered)) {
      throw new JobConflictError(JAVA_TYPED_JOB(path.jobName, registered, jobClassName));
    }
    if (registered && registered !== jobClassName) {
      throw new JobConflictError(JOB_CONFLICT(path.jobName, registered, jobClassName));
    }
  }

  /**
   * ElasticJob's rule: the code's configuration is written (with the job root's identity)
   * when there is none yet or `overwrite` is set; otherwise the registry's runs.
   */
  static async setUp(
    registry: RegistryCenter,
    path: JobNodePath,
    code: JobConfiguration,
    jobClassName: string,
    log: (message: string) => void,
  ): Promise<JobConfiguration> {
    await JobConfigurationStore.checkConflict(registry, path, jobClassName);
    const existing = code.overwrite ? null : await registry.getDirectly(path.config);
    if (existing === null) {
      await registry.persist(path.config, toElasticJobYaml(code));
      await registry.persist(path.root, jobClassName);
      return code;
    }
    const registered = readRegistryConfiguration(existing, path.jobName, registry.namespace + path.config);
    const differences = describeDifferences(registered, code);
    if (differences.length > 0) log(REGISTRY_CONFIG_DIFFERS(path.jobName, differences));
    if (!(await registry.getDirectly(path.root))) await registry.persist(path.root, jobClassName);
    return registered;
  }

  private lastGood: JobConfiguration;
  private lastYaml: string | undefined;

  constructor(
    private readonly context: JobContext,
    initial: JobConfiguration,
  ) {
    this.lastGood = initial;
  }

  /**
   * The configuration in force: the cached node when it is valid; otherwise the last good one
   * (a hand-edited node with a mistake is logged, never run).
   */
  current(): JobConfiguration {
    const yaml = this.context.cache.get(this.context.path.config);
    if (yaml === undefined || yaml === this.lastYaml) return this.lastGood;
    this.lastYaml = yaml;
    try {
      this.lastGood = readRegistryConfiguration(
        yaml,
        this.context.path.jobName,
        this.context.registry.namespace + this.context.path.config,
      );
    } catch (error) {
      this.context.logger.error(INVALID_CONFIG_KEPT_LAST((error as Error).message), 'ElasticJob');
    }
    return this.lastGood;
  }
}
