#!/usr/bin/env node
import 'reflect-metadata';
import { parseConsoleCommand, startConsole, UsageError, USAGE, type ConsoleCommand } from './console-command.js';

/** `npx nestjs-elastic-job console ...`: the console on its own, for any namespace. */
async function main(args: string[]): Promise<number> {
  let command: ConsoleCommand | 'help';
  try {
    command = parseConsoleCommand(args);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    process.stderr.write(`nestjs-elastic-job: ${error.message}\n\n${USAGE}\n`);
    return 2;
  }
  if (command === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const app = await startConsole(command);
  const url = (await app.getUrl()).replace('[::1]', '127.0.0.1');
  const path = (command.console.path ?? 'elastic-job').replace(/^\/+|\/+$/g, '');
  const login = command.madeUp ? ` (user ${command.madeUp.name}, password ${command.madeUp.password})` : '';
  process.stdout.write(
    `ElasticJob console for namespace "${command.module.zookeeper.namespace}": ${url}/${path}${login}\n`,
  );
  return -1;
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code >= 0) process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`nestjs-elastic-job: ${(error as Error)?.message ?? String(error)}\n`);
    process.exitCode = 1;
  },
);
