/**
 * One competing writer for the race tests: hash <source>, wait at the barrier so that all
 * writers start together, register, print the result as one JSON line.
 *
 *   node --import tsx register-child.ts <registryRoot> <source> <barrierDir> <id>
 */
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { contentHash } from '../../packages/core/src/hash/index.js';
import { LocalRegistry } from '../../packages/core/src/registry/local.js';

const [registryRoot, source, barrier, id] = process.argv.slice(2) as [string, string, string, string];

const { hash, files } = await contentHash(source);
const registry = new LocalRegistry(registryRoot);

await writeFile(join(barrier, `ready-${id}`), '');
while (!existsSync(join(barrier, 'go'))) await sleep(2);

const result = await registry.register({
  kind: 'data',
  name: 'shared-dataset',
  hash,
  sourcePath: source,
  files: files.map((file) => file.path),
  tags: { writer: id },
});
process.stdout.write(`${JSON.stringify(result)}\n`);
