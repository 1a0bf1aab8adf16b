/**
 * An isolated promptflow home for one stage invocation. promptflow keeps its run records
 * (pf.sqlite), run folders (.runs/<name>/), connections and config under ~/.promptflow; on a CI
 * runner or a laptop we must neither read a user's state nor leave ours behind, so every
 * executor gets its own PF_HOME_DIRECTORY under the output dir.
 *
 * Everything here was checked against promptflow 1.18.5's sources:
 * - telemetry: only the config key `telemetry.enabled` in <home>/pf.yaml turns it off (there is no
 *   environment variable). Even with it off, the SDK log handler constructs an Azure Monitor
 *   exporter, which calls settings.sdk.monitor.azure.com (control plane) and starts statsbeat;
 *   APPLICATIONINSIGHTS_CONTROLPLANE_DISABLED and APPLICATIONINSIGHTS_STATSBEAT_DISABLED_ALL stop that.
 * - trace service: `pf run create` starts a detached local trace server (pfs, waitress) unless
 *   PF_TRACING_SKIP_LOCAL_SETUP=true; `trace.destination: none` says the same in config.
 * - token counts: tracing is OFF by default in 1.18 (PF_DISABLE_TRACING defaults to "true"), and
 *   then no LLM call is recorded, so system_metrics report 0 tokens. PF_DISABLE_TRACING=false
 *   records them in-process; with the local setup skipped, spans are not exported anywhere.
 * - version check: the first `pf run create` of a home asks pypi.org for the latest version
 *   (_version_hint_utils.check_latest_version, no switch to turn it off); a fresh
 *   pf_version_check.json makes it wait 7 days, i.e. never for our short-lived homes.
 * - keyring: connection secrets are encrypted with a key kept in the OS keyring. Headless Linux
 *   has none; keyrings.alt's PlaintextKeyring works everywhere, and keyring's
 *   KEYRING_PROPERTY_FILE_PATH puts its file where we want: in a private temp folder outside the
 *   output dir (CI uploads output dirs as artifacts), removed when the executor closes.
 */
import { randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

export interface PromptflowHome {
  /** PF_HOME_DIRECTORY. */
  dir: string;
  /** Run folders: <dir>/.runs/<run name>/. */
  runsDir: string;
  /** Private temp folder with the keyring file; deleted by dispose(). */
  keyringDir: string;
  keyringFile: string;
  /** Environment for every promptflow process that uses this home. */
  env: Record<string, string>;
  dispose(): Promise<void>;
}

/** The variables llmops sets for promptflow; exported for tests and docs. */
export const PROMPTFLOW_ENV = {
  home: 'PF_HOME_DIRECTORY',
  skipTraceService: 'PF_TRACING_SKIP_LOCAL_SETUP',
  disableTracing: 'PF_DISABLE_TRACING',
  workerCount: 'PF_WORKER_COUNT',
  keyringBackend: 'PYTHON_KEYRING_BACKEND',
  keyringFile: 'KEYRING_PROPERTY_FILE_PATH',
  azureMonitorControlPlane: 'APPLICATIONINSIGHTS_CONTROLPLANE_DISABLED',
  azureMonitorStatsbeat: 'APPLICATIONINSIGHTS_STATSBEAT_DISABLED_ALL',
} as const;

/**
 * promptflow rewrites pf.yaml on first use (set_config: the privacy notice's `first_run`, the
 * `cli.installation_id`), without locking. Parallel runs in a fresh home then read each other's
 * half-written file: the run fails with a YAML error, or loses telemetry: false and tries to
 * reach Application Insights. Writing both keys up front leaves promptflow nothing to write.
 */
function pfConfig(installationId: string): string {
  return `# Written by llmops: an isolated promptflow home for one stage invocation.
telemetry:
  enabled: false
trace:
  destination: none
first_run: true
cli:
  installation_id: ${installationId}
`;
}

/**
 * Create a fresh home under `parentDir` (a new folder each time: run names only need to be unique
 * within one home, and an earlier invocation's runs are never touched), or reopen `existing`:
 * evaluation runs must live in the home of the runs they evaluate (`pf run create --run`).
 * A reopened home gets a new keyring file, so its connections must be created again.
 */
export async function createPromptflowHome(
  parentDir: string,
  promptflowVersion: string,
  existing?: string,
): Promise<PromptflowHome> {
  await mkdir(parentDir, { recursive: true });
  const dir = existing ? path.resolve(existing) : await mkdtemp(path.join(path.resolve(parentDir), 'pf-home-'));
  if (existing) await mkdir(dir, { recursive: true });
  const keyringDir = await mkdtemp(path.join(os.tmpdir(), 'llmops-keyring-'));
  const keyringFile = path.join(keyringDir, 'keyring_pass.cfg');

  await writeFile(path.join(dir, 'pf.yaml'), pfConfig(randomUUID()));
  // Same keys and time format as promptflow/_sdk/_version_hint_utils.py.
  const now = pythonDatetime(new Date());
  await writeFile(
    path.join(dir, 'pf_version_check.json'),
    JSON.stringify({
      current_version: promptflowVersion,
      latest_version: promptflowVersion,
      last_check_time: now,
      last_hint_time: now,
    }),
    { mode: 0o600 },
  );

  const env: Record<string, string> = {
    [PROMPTFLOW_ENV.home]: dir,
    [PROMPTFLOW_ENV.skipTraceService]: 'true',
    [PROMPTFLOW_ENV.disableTracing]: 'false',
    [PROMPTFLOW_ENV.keyringBackend]: 'keyrings.alt.file.PlaintextKeyring',
    [PROMPTFLOW_ENV.keyringFile]: keyringFile,
    [PROMPTFLOW_ENV.azureMonitorControlPlane]: 'true',
    [PROMPTFLOW_ENV.azureMonitorStatsbeat]: 'true',
    // promptflow prints run JSON and logs; make Python's stdio UTF-8 whatever the locale.
    PYTHONIOENCODING: 'utf-8',
    PYTHONUTF8: '1',
  };

  return {
    dir,
    runsDir: path.join(dir, '.runs'),
    keyringDir,
    keyringFile,
    env,
    async dispose() {
      await rm(keyringDir, { recursive: true, force: true });
    },
  };
}

/** `2026-11-22 09:47:20.626322`, what Python's str(datetime.now()) gives. */
function pythonDatetime(date: Date): string {
  const pad = (n: number, width = 2) => String(n).padStart(width, '0');
  return (
    `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())} ` +
    `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}.${pad(date.getMilliseconds() * 1000, 6)}`
  );
}
