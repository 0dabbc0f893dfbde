/** setTimeout's longest delay (about 24.8 days): Node fires a longer one after 1 ms instead. */
export const MAX_TIMEOUT_MS = 2_147_483_647;

export interface LongTimeout {
  clear(): void;
}

/**
 * `callback` once `delayMs` have passed, however long that is (a yearly cron's next fire is
 * months away): waited in steps no longer than setTimeout takes. Unref'd: it holds no process.
 */
export function setLongTimeout(callback: () => void, delayMs: number): LongTimeout {
  const due = Date.now() + Math.max(delayMs, 0);
  let handle: NodeJS.Timeout;
  const arm = () => {
    handle = setTimeout(
      () => (Date.now() >= due ? callback() : arm()),
      Math.min(Math.max(due - Date.now(), 0), MAX_TIMEOUT_MS),
    );
    handle.unref();
  };
  arm();
  return { clear: () => clearTimeout(handle) };
}
