export * from './errors.js';
export * from './host.js';
export * from './spec.js';
export * from './inputs.js';
export * from './run-stage.js';
export * from './cancellation.js';
export * from './suggest.js';
export * from './markdown.js';
