import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { DiscoveryService, MetadataScanner } from '@nestjs/core';
import type { ResolvedModuleOptions } from './config/module-options.js';
import { ELASTIC_JOB_RESOLVED_OPTIONS } from './elastic-job.constants.js';
import { NON_STATIC_LISTENER, NON_STATIC_PROVIDER } from './elastic-job.messages.js';
import type { ListenerDefinition } from './config/listener-options.js';
import { dataflowDefinition } from './config/dataflow-options.js';
import { ElasticJobMetadataAccessor } from './elastic-job-metadata.accessor.js';
import type { JobDefinition } from './config/job-definitions.js';
import { ElasticJobOrchestrator } from './elastic-job.orchestrator.js';

/**
 * Finds `@ElasticJob()` methods and `@JobListener()` classes on singleton providers and controllers (request-scoped ones
 * are warned about and skipped, as `@nestjs/schedule` does), then has them registered in
 * ZooKeeper, on module init so that `app.init()` fails when registration fails.
 */
@Injectable()
export class ElasticJobExplorer implements OnModuleInit {
  constructor(
    private readonly discovery: DiscoveryService,
    private readonly scanner: MetadataScanner,
    private readonly accessor: ElasticJobMetadataAccessor,
    private readonly orchestrator: ElasticJobOrchestrator,
    @Inject(ELASTIC_JOB_RESOLVED_OPTIONS) private readonly options: ResolvedModuleOptions,
  ) {}

  async onModuleInit(): Promise<void> {
    const { jobs, listeners } = this.explore();
    await this.orchestrator.register(jobs, listeners);
  }

  explore(): { jobs: JobDefinition[]; listeners: ListenerDefinition[] } {
    const definitions: JobDefinition[] = [];
    const listeners: ListenerDefinition[] = [];
    const seen = new Set<object>();
    for (const wrapper of [...this.discovery.getControllers(), ...this.discovery.getProviders()]) {
      const { instance } = wrapper;
      if (!instance || typeof instance !== 'object' || wrapper.isAlias) continue;
      const prototype = Object.getPrototypeOf(instance) as object | null;
      if (!prototype || seen.has(instance)) continue;
      seen.add(instance);
      // The class: for a factory provider (`useFactory`), `metatype` is the factory.
      const type = wrapper.inject || !wrapper.metatype ? instance.constructor : wrapper.metatype;
      const typeName = (type as { name?: string }).name ?? instance.constructor.name;
      const dataflow = this.accessor.getDataflowOptions(type);
      if (dataflow) {
        if (wrapper.isDependencyTreeStatic()) definitions.push(dataflowDefinition(dataflow, instance, typeName));
        else this.options.logger.warn(NON_STATIC_PROVIDER(typeName, 'fetchData'), 'ElasticJob');
      }
      const listenerOptions = this.accessor.getListenerOptions(type);
      if (listenerOptions) {
        if (wrapper.isDependencyTreeStatic())
          listeners.push({ instance, className: typeName, options: listenerOptions });
        else this.options.logger.warn(NON_STATIC_LISTENER(typeName), 'ElasticJob');
      }
      for (const methodName of this.scanner.getAllMethodNames(prototype)) {
        const options = this.accessor.getJobOptions((prototype as Record<string, unknown>)[methodName]);
        if (!options) continue;
        const className = (wrapper.metatype as { name?: string } | undefined)?.name ?? instance.constructor.name;
        if (!wrapper.isDependencyTreeStatic()) {
          this.options.logger.warn(NON_STATIC_PROVIDER(className, methodName), 'ElasticJob');
          continue;
        }
        const method = (prototype as Record<string, unknown>)[methodName];
        const cron = this.accessor.getScheduleCron(method);
        definitions.push({
          options,
          instance,
          methodName,
          className,
          ...(cron.taken ? { scheduleCron: cron.taken } : {}),
          ...(cron.after ? { scheduleCronAfter: true } : {}),
        });
      }
    }
    return { jobs: definitions, listeners };
  }
}
