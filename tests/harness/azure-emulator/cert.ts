import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface SelfSignedCertificate {
  certPem: string;
  keyPem: string;
  /** The certificate as a file, for NODE_EXTRA_CA_CERTS of child processes. */
  certPath: string;
  keyPath: string;
  /** Removes the temporary directory holding the key and certificate. */
  dispose(): void;
}

/**
 * A throw-away certificate for 127.0.0.1, made with the openssl CLI so no package has to ship
 * key generation. It is its own CA (basicConstraints CA:TRUE), so trusting it as a root is
 * enough for Node's verifier; the IP SAN is what Node checks for https://127.0.0.1 URLs.
 */
export function createSelfSignedCertificate(): SelfSignedCertificate {
  const dir = mkdtempSync(join(tmpdir(), 'llmops-emulator-cert-'));
  const keyPath = join(dir, 'key.pem');
  const certPath = join(dir, 'cert.pem');
  try {
    execFileSync(
      'openssl',
      [
        'req', '-x509', '-nodes',
        '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1',
        '-days', '2',
        '-subj', '/CN=llmops test emulator',
        '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost',
        '-addext', 'basicConstraints=critical,CA:TRUE',
        '-addext', 'extendedKeyUsage=serverAuth',
        '-keyout', keyPath,
        '-out', certPath,
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`could not create a test certificate with openssl: ${(error as Error).message}`);
  }
  return {
    certPem: readFileSync(certPath, 'utf8'),
    keyPem: readFileSync(keyPath, 'utf8'),
    certPath,
    keyPath,
    dispose: () => rmSync(dir, { recursive: true, force: true }),
  };
}
