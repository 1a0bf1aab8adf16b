import path from 'node:path';

// Not from tests/promptflow/support.ts: importing that one fails the run in CI without a venv,
// and the config tests here need no Python.
export const builtinDir = path.resolve(import.meta.dirname, '../fixtures/builtin');
export const malformedDir = path.join(builtinDir, 'malformed');
