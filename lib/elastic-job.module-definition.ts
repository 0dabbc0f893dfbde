import { ConfigurableModuleBuilder } from '@nestjs/common';
import { ELASTIC_JOB_MODULE_OPTIONS } from './elastic-job.constants.js';
import type { ElasticJobModuleOptions } from './interfaces/elastic-job-module-options.interface.js';

/** What a `useClass` / `useExisting` options factory implements. */
export interface ElasticJobOptionsFactory {
  createElasticJobOptions(): ElasticJobModuleOptions | Promise<ElasticJobModuleOptions>;
}

export const { ConfigurableModuleClass, OPTIONS_TYPE, ASYNC_OPTIONS_TYPE } =
  new ConfigurableModuleBuilder<ElasticJobModuleOptions>({
    optionsInjectionToken: ELASTIC_JOB_MODULE_OPTIONS,
  })
    .setClassMethodName('forRoot')
    .setFactoryMethodName('createElasticJobOptions')
    .setExtras({ isGlobal: false }, (definition, extras) => ({ ...definition, global: extras.isGlobal }))
    .build();
