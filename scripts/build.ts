/** npm run build: regenerate every spec-derived file, then the bundles. Commit the result. */
import fs from 'node:fs/promises';
import path from 'node:path';
import { buildBundles, repoRoot } from './bundle.js';
import { generatedFiles } from './generate.js';

for (const [file, content] of generatedFiles()) {
  const target = path.join(repoRoot, file);
  await fs.mkdir(path.dirname(target), { recursive: true });
  await fs.writeFile(target, content);
}
const bundles = await buildBundles(repoRoot);
console.log(`generated ${generatedFiles().size} files from the stage specs and ${bundles.length} bundle files`);
