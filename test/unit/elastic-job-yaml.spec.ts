import { describe, expect, it } from 'vitest';
import {
  dumpAsMap,
  instanceYaml,
  javaPropertiesOrder,
  parseElasticJobYaml,
  toElasticJobYaml,
} from '../../lib/config/elastic-job-yaml.js';
import { javaStringHashCode } from '../../lib/utils/java-string-hash.js';
import { JOB_DEFAULTS, type JobConfiguration } from '../../lib/config/job-configuration.js';

describe('ElasticJob YAML', () => {
  it('writes the example of ElasticJob JobConfigurationPOJOTest byte for byte', () => {
    const config: JobConfiguration = {
      ...JOB_DEFAULTS,
      jobName: 'test_job',
      cron: '0/1 * * * * ?',
      shardingTotalCount: 3,
      shardingItemParameters: '0=A,1=B,2=C',
      jobParameter: 'param',
      monitorExecution: false,
      misfire: false,
      reconcileIntervalMinutes: 0,
      jobShardingStrategyType: 'AVG_ALLOCATION',
      jobErrorHandlerType: 'IGNORE',
      description: 'Job description',
      props: { key: 'value' },
      extra: { jobExecutorThreadPoolSizeProviderType: 'CPU' },
    };
    expect(toElasticJobYaml(config)).toBe(
      [
        'cron: 0/1 * * * * ?',
        'description: Job description',
        'disabled: false',
        'failover: false',
        'jobErrorHandlerType: IGNORE',
        'jobExecutorThreadPoolSizeProviderType: CPU',
        'jobName: test_job',
        'jobParameter: param',
        'jobShardingStrategyType: AVG_ALLOCATION',
        'maxTimeDiffSeconds: -1',
        'misfire: false',
        'monitorExecution: false',
        'overwrite: false',
        'props:',
        '  key: value',
        'reconcileIntervalMinutes: 0',
        'shardingItemParameters: 0=A,1=B,2=C',
        'shardingTotalCount: 3',
        'staticSharding: false',
        '',
      ].join('\n'),
    );
  });

  it('keeps empty strings as quoted, drops unset types and empty props, puts timeZone last', () => {
    const config: JobConfiguration = {
      ...JOB_DEFAULTS,
      jobName: 'order-sync',
      cron: '0/5 * * * * ?',
      timeZone: 'GMT+08:00',
      shardingTotalCount: 3,
      props: {},
      extra: {},
    };
    expect(toElasticJobYaml(config)).toBe(
      "cron: 0/5 * * * * ?\ndescription: ''\ndisabled: false\nfailover: false\njobName: order-sync\njobParameter: ''\n" +
        'maxTimeDiffSeconds: -1\nmisfire: true\nmonitorExecution: true\noverwrite: false\nreconcileIntervalMinutes: 10\n' +
        "shardingItemParameters: ''\nshardingTotalCount: 3\nstaticSharding: false\ntimeZone: GMT+08:00\n",
    );
  });

  it('quotes and folds scalars as SnakeYAML 1.33 dumpAsMap does', () => {
    // Expected output produced by SnakeYAML 1.33 `new Yaml().dumpAsMap(map)` on Java 17.
    const props: Record<string, string> = {};
    props.key = 'value';
    props.other = '1';
    const yaml = dumpAsMap({
      a1: ': colon start',
      a2: 'has: colon',
      a3: 'hash #x',
      a4: "quote'inside",
      a5: 'line\nbreak',
      a6: 'null',
      a7: '~',
      a8: '@at',
      a9: '1.5',
      b1: 'A very long description that goes on and on beyond eighty characters to see how the dumper folds it',
      b2: ' leading space',
      b3: '10.0.0.5@-@4242',
      b4: '-dash',
      b5: '0x1F',
      b6: 'on',
      b7: '{brace}',
      b8: 'ünïcode',
      b9: 'tab\there',
      cron: '0/5 * * * * ?',
      description: '',
      failover: false,
      jobName: 'order-sync',
      jobParameter: 'yes',
      label: '123',
      maxTimeDiffSeconds: -1,
      props,
      shardingItemParameters: '0=Beijing,1=Shanghai,2=Guangzhou',
      timeZone: 'GMT+08:00',
    });
    expect(yaml).toBe(
      [
        "a1: ': colon start'",
        "a2: 'has: colon'",
        "a3: 'hash #x'",
        "a4: quote'inside",
        'a5: |-',
        '  line',
        '  break',
        "a6: 'null'",
        "a7: '~'",
        "a8: '@at'",
        "a9: '1.5'",
        'b1: A very long description that goes on and on beyond eighty characters to see how',
        '  the dumper folds it',
        "b2: ' leading space'",
        'b3: 10.0.0.5@-@4242',
        'b4: -dash',
        "b5: '0x1F'",
        "b6: 'on'",
        "b7: '{brace}'",
        'b8: ünïcode',
        'b9: "tab\\there"',
        'cron: 0/5 * * * * ?',
        "description: ''",
        'failover: false',
        'jobName: order-sync',
        "jobParameter: 'yes'",
        "label: '123'",
        'maxTimeDiffSeconds: -1',
        'props:',
        "  other: '1'",
        '  key: value',
        'shardingItemParameters: 0=Beijing,1=Shanghai,2=Guangzhou',
        'timeZone: GMT+08:00',
        '',
      ].join('\n'),
    );
  });

  it('orders Properties keys like Java 17 and hashes like String.hashCode', () => {
    expect(javaStringHashCode('key')).toBe(106079);
    expect(javaStringHashCode('other')).toBe(106069776);
    expect(javaStringHashCode('order-sync')).toBe(710219194);
    expect(javaStringHashCode('test_job')).toBe(-1146456432);
    expect(javaStringHashCode('polygenelubricants')).toBe(-2147483648);
    expect(javaPropertiesOrder(['key', 'other'])).toEqual(['other', 'key']);
  });

  it('writes instance nodes as ElasticJob JobInstance YAML and reads configs back', () => {
    expect(instanceYaml('10.0.0.5@-@4242', '10.0.0.5')).toBe('jobInstanceId: 10.0.0.5@-@4242\nserverIp: 10.0.0.5\n');
    expect(parseElasticJobYaml("jobParameter: 'yes'\nshardingTotalCount: 3\nfailover: false\n")).toEqual({
      jobParameter: 'yes',
      shardingTotalCount: 3,
      failover: false,
    });
    expect(() => parseElasticJobYaml('- a\n- b\n')).toThrow(/not a YAML mapping/);
  });
});
