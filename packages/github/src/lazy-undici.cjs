// @actions/http-client imports undici at the top for one thing: a ProxyAgent, built only when a
// proxy is configured for fetch-style requests (getIDToken through a proxy). Evaluating all of
// undici at start-up costs every action more than 100 ms; this shim, swapped in by the bundler,
// defers it to the first ProxyAgent. The require below still bundles the real undici.
let undici;
exports.ProxyAgent = function ProxyAgent(options) {
  undici ??= require('undici');
  return new undici.ProxyAgent(options);
};
