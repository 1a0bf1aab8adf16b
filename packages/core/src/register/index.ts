export * from './assets.js';
export * from './manifest.js';
export * from './metric-comparison.js';
export * from './open-registry.js';
export * from './register-assets.js';
