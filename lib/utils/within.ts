/**
 * What `work` resolves with, or undefined once `ms` have passed (it rejects when `work` does).
 * Leaves no timer behind. No work: undefined at once.
 */
export async function within<T>(work: Promise<T> | undefined, ms: number): Promise<T | undefined> {
  if (!work) return undefined;
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      work,
      new Promise<undefined>((resolve) => {
        timer = setTimeout(() => resolve(undefined), Math.max(ms, 0));
      }),
    ]);
  } finally {
    if (timer) clearTimeout(timer);
  }
}
