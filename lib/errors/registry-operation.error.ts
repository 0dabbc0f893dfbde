import {
  REGISTRY_ACCESS_DENIED,
  REGISTRY_CLOSED,
  REGISTRY_NOT_CONNECTED,
  REGISTRY_OPERATION_FAILED,
  REGISTRY_SESSION_CHANGED,
} from '../elastic-job.messages.js';
import { ElasticJobError } from './elastic-job.error.js';

/** A ZooKeeper operation failed; `code` is ZooKeeper's return code (e.g. -101 NONODE). */
export class RegistryOperationError extends ElasticJobError {
  constructor(
    readonly operation: string,
    readonly path: string,
    readonly code: number,
    readonly codeName: string,
    message = REGISTRY_OPERATION_FAILED(operation, path, code, codeName),
  ) {
    super(message);
  }
}

/** ZooKeeper answered NOAUTH: the node's ACL belongs to another digest. */
export class RegistryAccessDeniedError extends RegistryOperationError {
  constructor(operation: string, path: string, namespace: string, code: number) {
    super(operation, path, code, 'NOAUTH', REGISTRY_ACCESS_DENIED(path, namespace, operation));
  }
}

/** The session an operation started in expired before it completed; it is not retried. */
export class RegistrySessionExpiredError extends RegistryOperationError {
  constructor(operation: string, path: string, code: number, codeName: string) {
    super(operation, path, code, codeName, REGISTRY_SESSION_CHANGED(operation, path));
  }
}

/** No connection came back within the operation's bound. */
export class RegistryNotConnectedError extends RegistryOperationError {
  constructor(operation: string, path: string, code: number, codeName: string, waitedMs: number) {
    super(operation, path, code, codeName, REGISTRY_NOT_CONNECTED(operation, path, waitedMs));
  }
}

/** The registry center was closed. */
export class RegistryClosedError extends RegistryOperationError {
  constructor(operation: string, path: string) {
    super(operation, path, -116, 'CLOSING', REGISTRY_CLOSED(operation, path));
  }
}
