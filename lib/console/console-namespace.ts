import { Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import type { ResolvedModuleOptions } from '../config/module-options.js';
import { NamespaceView } from '../coordination/namespace-view.js';
import { ELASTIC_JOB_REGISTRY_CENTER, ELASTIC_JOB_RESOLVED_OPTIONS } from '../elastic-job.constants.js';
import { ElasticJobOrchestrator } from '../elastic-job.orchestrator.js';
import { JOBS_DISABLED } from '../elastic-job.messages.js';
import { JobsUnavailableError } from '../errors/jobs-unavailable.error.js';
import type { RegistryCenter } from '../registry/registry-center.interface.js';

/**
 * The namespace the console shows: every job in it, this app's and any other's (Java
 * ElasticJob's included), from one watch-kept cache over the app's own ZooKeeper session.
 * Loaded once the app is up; a request before that waits for it.
 */
@Injectable()
export class ConsoleNamespace implements OnApplicationBootstrap {
  private opening: Promise<NamespaceView> | undefined;

  constructor(private readonly moduleRef: ModuleRef) {}

  onApplicationBootstrap(): void {
    // Loaded ahead of the first request; a failure is told to the requests that need it.
    this.view().catch(() => undefined);
  }

  view(): Promise<NamespaceView> {
    this.opening ??= this.open().catch((error: unknown) => {
      this.opening = undefined;
      throw error;
    });
    return this.opening;
  }

  private async open(): Promise<NamespaceView> {
    const options = this.moduleRef.get<ResolvedModuleOptions>(ELASTIC_JOB_RESOLVED_OPTIONS, { strict: false });
    if (!options.enabled) throw new JobsUnavailableError(JOBS_DISABLED('The ElasticJob console'));
    await this.moduleRef.get(ElasticJobOrchestrator, { strict: false }).waitUntilReady();
    const registry = this.moduleRef.get<RegistryCenter>(ELASTIC_JOB_REGISTRY_CENTER, { strict: false });
    return NamespaceView.open(registry, options.logger);
  }
}
