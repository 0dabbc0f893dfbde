export interface ZooKeeperInstallation {
  java: string;
  classpath: string;
  source: string;
}
export declare function locateZooKeeper(): ZooKeeperInstallation | undefined;
export declare function ensureZooKeeper(log?: (message: string) => void): ZooKeeperInstallation;
export declare const INSTALL_HELP: string;
