import { Module } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { ElasticJobErrorFilter } from 'nestjs-elastic-job';

@Module({ providers: [{ provide: APP_FILTER, useClass: ElasticJobErrorFilter }] })
export class AppModule {}
