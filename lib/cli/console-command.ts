import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { Module, type DynamicModule, type INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ElasticJobConsoleModule } from '../console/elastic-job-console.module.js';
import type { ConsoleUser, ElasticJobConsoleOptions } from '../console/console-options.js';
import { ElasticJobModule } from '../elastic-job.module.js';
import type { ElasticJobModuleOptions } from '../interfaces/elastic-job-module-options.interface.js';

export const USAGE = `Usage: nestjs-elastic-job console --zookeeper <host:port[,host:port]> --namespace <namespace> [options]

The ElasticJob console for any namespace (jobs of Nest apps and of Java ElasticJob alike),
served on its own.

Options:
  --zookeeper <list>     ZooKeeper servers, host:port,host:port (required)
  --namespace <name>     the namespace whose jobs it shows (required)
  --digest <user:pw>     ZooKeeper digest credentials, when the namespace uses them
                         (better: ELASTIC_JOB_ZOOKEEPER_DIGEST)
  --tracing <url>        postgres://... of the execution log: history, runs and success rates
                         (better: ELASTIC_JOB_TRACING, when the URL holds a password)
  --port <port>          HTTP port (default 8899; 0 for any free one)
  --host <address>       address to listen on (default 127.0.0.1)
  --path <path>          where the console is served (default elastic-job)
  --no-auth              no login at all (only behind protection of your own)
  -h, --help             this text

Secrets are best given in the environment, never on the command line (which other users of
the machine can read). Users come only from there: ELASTIC_JOB_CONSOLE_ADMIN and ELASTIC_JOB_CONSOLE_GUEST, each "name:password"
(at least 8 characters). With neither, an admin with a random password is made up and
printed once.`;

/** A command-line mistake: told with the usage, exit code 2. */
export class UsageError extends Error {}

export interface ConsoleCommand {
  module: ElasticJobModuleOptions;
  console: ElasticJobConsoleOptions;
  port: number;
  host: string;
  /** The made-up admin, printed once. */
  madeUp: ConsoleUser | undefined;
}

function userFrom(variable: string, role: ConsoleUser['role']): ConsoleUser | undefined {
  const value = process.env[variable];
  if (value === undefined || value === '') return undefined;
  const colon = value.indexOf(':');
  if (colon <= 0) throw new UsageError(`${variable} must be "name:password".`);
  return { name: value.slice(0, colon), password: value.slice(colon + 1), role };
}

/** The options of `console`, checked; throws UsageError naming what is wrong. */
export function parseConsoleCommand(args: string[]): ConsoleCommand | 'help' {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      allowPositionals: true,
      strict: true,
      options: {
        zookeeper: { type: 'string' },
        namespace: { type: 'string' },
        digest: { type: 'string' },
        tracing: { type: 'string' },
        port: { type: 'string' },
        host: { type: 'string' },
        path: { type: 'string' },
        'no-auth': { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const { values, positionals } = parsed;
  if (values.help) return 'help';
  if (positionals[0] !== 'console' || positionals.length > 1) {
    throw new UsageError(
      positionals.length === 0
        ? 'Name a command: console.'
        : `Unknown command "${positionals.join(' ')}": the command is console.`,
    );
  }
  if (!values.zookeeper) throw new UsageError('--zookeeper is required (host:port,host:port).');
  if (!values.namespace) throw new UsageError('--namespace is required.');
  const digest = values.digest ?? process.env.ELASTIC_JOB_ZOOKEEPER_DIGEST;
  const tracing = values.tracing ?? process.env.ELASTIC_JOB_TRACING;
  const port = Number(values.port ?? 8899);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    throw new UsageError(`--port "${values.port}" is not a port (0 to 65535).`);
  }
  let madeUp: ConsoleUser | undefined;
  let auth: ElasticJobConsoleOptions['auth'];
  const users = [userFrom('ELASTIC_JOB_CONSOLE_ADMIN', 'admin'), userFrom('ELASTIC_JOB_CONSOLE_GUEST', 'guest')].filter(
    (user): user is ConsoleUser => user !== undefined,
  );
  if (values['no-auth']) {
    if (users.length > 0) throw new UsageError('--no-auth and console users in the environment contradict each other.');
    auth = false;
  } else if (users.length > 0) {
    auth = { users };
  } else {
    madeUp = { name: 'admin', password: randomBytes(12).toString('base64url'), role: 'admin' };
    auth = { users: [madeUp] };
  }
  return {
    module: {
      zookeeper: { serverLists: values.zookeeper, namespace: values.namespace, digest: digest || undefined },
      runJobs: false,
      ...(tracing ? { tracing: { type: 'RDB' as const, dataSource: tracing } } : {}),
    },
    console: { auth, ...(values.path === undefined ? {} : { path: values.path }) },
    port,
    host: values.host ?? '127.0.0.1',
    madeUp,
  };
}

@Module({})
class StandaloneConsole {}

/** Starts the console; resolves with the app once it listens. */
export async function startConsole(command: ConsoleCommand): Promise<INestApplication> {
  const root: DynamicModule = {
    module: StandaloneConsole,
    imports: [ElasticJobModule.forRoot(command.module), ElasticJobConsoleModule.forRoot(command.console)],
  };
  const app = await NestFactory.create(root, { logger: ['warn', 'error'], abortOnError: false });
  app.enableShutdownHooks(['SIGINT', 'SIGTERM']);
  try {
    await app.listen(command.port, command.host);
  } catch (error) {
    // Not listening (the port taken, say): nothing keeps the process, its session included.
    await app.close().catch(() => undefined);
    throw error;
  }
  return app;
}
