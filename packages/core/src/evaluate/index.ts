export * from './metrics.js';
export * from './gates.js';
export * from './format.js';
export * from './markdown-text.js';
export * from './report-model.js';
export * from './report-csv.js';
export * from './report-html.js';
export * from './report-markdown.js';
