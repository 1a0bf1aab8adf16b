// @actions/http-client imports undici at the top for one thing: a ProxyAgent, built only when a
// proxy is configured for fetch-style requests (getIDToken through a proxy). The bundler swaps
// this shim in for that import and keeps the require below a runtime require of undici.cjs, a
// separate file beside the bundle (scripts/bundle.ts), so start-up neither evaluates nor parses
// undici: it loads on the first ProxyAgent.
let undici;
exports.ProxyAgent = function ProxyAgent(options) {
  undici ??= require('undici');
  return new undici.ProxyAgent(options);
};
