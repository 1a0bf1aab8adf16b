export * from './pull-request-comments.js';
export * from './pull-request.js';
export * from './rest.js';
