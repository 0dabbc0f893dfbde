/**
 * Finds a ZooKeeper server installation (and Java) for the testing servers, the test suite
 * and the demo; installs Debian's `zookeeper` package when allowed.
 */
import { spawnSync } from 'node:child_process';
import { installDebianPackage } from './debian-package.js';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

const DEBIAN_JAR = '/usr/share/java/zookeeper.jar';

/** What it takes to start a server: the Java binary and the server's class path. */
export interface ZooKeeperInstallation {
  java: string;
  classpath: string;
  /** Where it was found, for messages. */
  source: string;
}

function javaBinary(): string | undefined {
  if (process.env.JAVA_HOME && existsSync(join(process.env.JAVA_HOME, 'bin', 'java'))) {
    return join(process.env.JAVA_HOME, 'bin', 'java');
  }
  const probe = spawnSync('java', ['-version'], { stdio: 'ignore' });
  return probe.status === 0 ? 'java' : undefined;
}

function classpathFromHome(home: string): string | undefined {
  const lib = join(home, 'lib');
  if (!existsSync(lib)) return undefined;
  const jars = readdirSync(lib).filter((f) => f.endsWith('.jar'));
  if (!jars.some((f) => f.startsWith('zookeeper-'))) return undefined;
  return [join(home, 'conf'), ...jars.map((f) => join(lib, f))].join(':');
}

/**
 * Returns `{ java, classpath, source }` for a usable ZooKeeper server, or `undefined`.
 * Looked up in order: `ZOOKEEPER_HOME` (an Apache release), then Debian's package.
 */
export function locateZooKeeper(): ZooKeeperInstallation | undefined {
  const java = javaBinary();
  if (!java) return undefined;
  const home = process.env.ZOOKEEPER_HOME;
  if (home) {
    const classpath = classpathFromHome(home);
    if (classpath) return { java, classpath, source: `ZOOKEEPER_HOME=${home}` };
  }
  if (existsSync(DEBIAN_JAR)) {
    // Debian's jar names its dependencies in its manifest Class-Path.
    return { java, classpath: DEBIAN_JAR, source: `Debian package (${DEBIAN_JAR})` };
  }
  return undefined;
}

export const INSTALL_HELP =
  'A ZooKeeper server (3.5 or newer) and Java are needed to run the tests and the demo.\n' +
  '  Debian/Ubuntu:  sudo apt-get update && sudo apt-get install -y zookeeper\n' +
  '  elsewhere:      install Java 11+, unpack an Apache ZooKeeper release and set\n' +
  '                  ZOOKEEPER_HOME to its folder (the one holding lib/ and conf/).';

/** Makes sure ZooKeeper is there, installing Debian's package when we are root. */
export function ensureZooKeeper(log: (message: string) => void = console.log): ZooKeeperInstallation {
  const found = locateZooKeeper();
  if (found) return found;
  return installDebianPackage('zookeeper', 'ZooKeeper', locateZooKeeper, INSTALL_HELP, log);
}
