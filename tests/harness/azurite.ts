import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createSelfSignedCertificate, type SelfSignedCertificate } from './azure-emulator/cert.js';

/** Azurite's documented development account. */
export const AZURITE_ACCOUNT = 'devstoreaccount1';
export const AZURITE_WELL_KNOWN_KEY =
  'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';

export interface AzuriteOptions {
  /**
   * Account key to run devstoreaccount1 with (base64). Give a canary value to prove a key never
   * reaches logs; the well-known key by default.
   */
  accountKey?: string;
  /** Serve https with a certificate made for this run (needed for OAuth / bearer access). */
  https?: boolean;
  /** Accept bearer tokens (Azurite's `--oauth basic`; requires https). */
  oauth?: boolean;
}

export interface Azurite {
  /** For BlobServiceClient.fromConnectionString. */
  connectionString: string;
  /** http(s)://127.0.0.1:<port>/devstoreaccount1 */
  blobEndpoint: string;
  accountName: string;
  accountKey: string;
  port: number;
  /** The certificate to trust when `https` was asked for. */
  caCertPem?: string;
  stop(): Promise<void>;
}

const STARTUP_TIMEOUT_MS = 30_000;

/**
 * Starts Azurite's blob service (the `azurite` npm package, Microsoft's storage emulator) on
 * 127.0.0.1 and a port the OS picks, storing everything in memory, with telemetry off so a test
 * run never talks to anything but loopback.
 */
export async function startAzurite(options: AzuriteOptions = {}): Promise<Azurite> {
  const accountKey = options.accountKey ?? AZURITE_WELL_KNOWN_KEY;
  // Azurite's working directory; with in-memory persistence nothing should land here, but any
  // stray debug file stays out of the repository.
  const workdir = mkdtempSync(join(tmpdir(), 'llmops-azurite-'));
  let certificate: SelfSignedCertificate | undefined;
  if (options.https || options.oauth) certificate = createSelfSignedCertificate();

  const args = [
    azuriteBlobMain(),
    '--blobHost', '127.0.0.1',
    '--blobPort', '0',
    '--inMemoryPersistence',
    '--extentMemoryLimit', '256',
    '--skipApiVersionCheck',
    '--disableTelemetry',
    // Account from the path (127.0.0.1:port/devstoreaccount1), never from the host name.
    '--disableProductStyleUrl',
    '--silent',
  ];
  if (certificate) args.push('--cert', certificate.certPath, '--key', certificate.keyPath);
  if (options.oauth) args.push('--oauth', 'basic');

  const child = spawn(process.execPath, args, {
    cwd: workdir,
    env: { ...process.env, AZURITE_ACCOUNTS: `${AZURITE_ACCOUNT}:${accountKey}` },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const cleanup = () => {
    certificate?.dispose();
    rmSync(workdir, { recursive: true, force: true });
  };

  let port: number;
  try {
    port = await waitForPort(child);
  } catch (error) {
    await stopChild(child);
    cleanup();
    throw error;
  }

  const protocol = certificate ? 'https' : 'http';
  const blobEndpoint = `${protocol}://127.0.0.1:${port}/${AZURITE_ACCOUNT}`;
  return {
    connectionString:
      `DefaultEndpointsProtocol=${protocol};AccountName=${AZURITE_ACCOUNT};AccountKey=${accountKey};` +
      `BlobEndpoint=${blobEndpoint};`,
    blobEndpoint,
    accountName: AZURITE_ACCOUNT,
    accountKey,
    port,
    caCertPem: certificate?.certPem,
    stop: async () => {
      await stopChild(child);
      cleanup();
    },
  };
}

function azuriteBlobMain(): string {
  const require = createRequire(import.meta.url);
  const packageJson = require.resolve('azurite/package.json');
  const { bin } = require('azurite/package.json') as { bin: Record<string, string> };
  return join(dirname(packageJson), bin['azurite-blob']!);
}

/** Azurite prints "... successfully listens on http://127.0.0.1:<port>" even with --silent. */
function waitForPort(child: ChildProcess): Promise<number> {
  return new Promise((resolve, reject) => {
    let output = '';
    const timer = setTimeout(() => fail(new Error(`Azurite did not start within ${STARTUP_TIMEOUT_MS} ms:\n${output}`)), STARTUP_TIMEOUT_MS);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /successfully listens on https?:\/\/127\.0\.0\.1:(\d+)/.exec(output);
      if (match) {
        done();
        resolve(Number(match[1]));
      }
    };
    const onExit = (code: number | null) => fail(new Error(`Azurite exited (code ${code}) before listening:\n${output}`));
    const done = () => {
      clearTimeout(timer);
      child.stdout?.off('data', onData);
      child.stderr?.off('data', onData);
      child.off('exit', onExit);
      // Keep draining so a chatty Azurite never blocks on a full pipe.
      child.stdout?.resume();
      child.stderr?.resume();
    };
    const fail = (error: Error) => {
      done();
      reject(error);
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', onExit);
  });
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
  await exited;
  clearTimeout(timer);
}
