import lockfile from 'proper-lockfile';
import { join } from 'node:path';

/**
 * A cross-process lock on one asset (<root>/<kind>/<name>/.lock), held around
 * "read latest -> compare hash -> create version" so that concurrent registrations of the same
 * content make one version. proper-lockfile uses an atomic mkdir, refreshes the lock's mtime
 * while held, and takes over a lock whose owner stopped refreshing it (a crashed process).
 */
export interface AssetLock {
  /** Throws when the lock was lost (e.g. the event loop stalled past the stale limit). */
  assertHeld(): void;
  release(): Promise<void>;
}

export interface AssetLockOptions {
  /** A lock not refreshed for this long belongs to a dead process and is taken over. */
  staleMs?: number;
  /** How long to wait for another writer before giving up. */
  waitMs?: number;
}

export const LOCK_NAME = '.lock';

export async function lockAsset(assetDirectory: string, options: AssetLockOptions = {}): Promise<AssetLock> {
  const staleMs = options.staleMs ?? 10_000;
  const waitMs = options.waitMs ?? 10 * 60_000;
  const maxRetryDelayMs = 250;
  let lost: Error | undefined;

  const lockPath = join(assetDirectory, LOCK_NAME);
  const release = await lockfile.lock(assetDirectory, {
    lockfilePath: lockPath,
    realpath: false,
    stale: staleMs,
    update: Math.max(1000, Math.floor(staleMs / 4)),
    retries: {
      retries: Math.ceil(waitMs / maxRetryDelayMs),
      factor: 1.5,
      minTimeout: 10,
      maxTimeout: maxRetryDelayMs,
      randomize: true,
    },
    // The default throws from a timer, which would crash the process; we refuse to commit instead.
    onCompromised: (error) => {
      lost = error;
    },
  }).catch((error: unknown) => {
    if ((error as NodeJS.ErrnoException).code !== 'ELOCKED') throw error;
    throw new Error(
      `waited ${Math.round(waitMs / 1000)} s for ${lockPath}: another registration of this asset is still running ` +
        `(if none is, the lock is refreshed by a live process that is stuck)`,
    );
  });

  return {
    assertHeld() {
      if (lost) throw new Error(`lost the registry lock on ${assetDirectory}: ${lost.message}`);
    },
    async release() {
      if (lost) return;
      await release();
    },
  };
}
