#!/usr/bin/env node
import { createRequire as __llmopsCreateRequire } from 'node:module';
const require = __llmopsCreateRequire(import.meta.url);
import{a}from"./chunk-H7RNTMZQ.js";import"./chunk-YPPRBJFG.js";import"./chunk-R4SDKXBL.js";import"./chunk-Z56SJ6MH.js";import"./chunk-CBYN4WOW.js";import"./chunk-Z7XLI7SL.js";import"./chunk-PEGRTJAV.js";export{a as runLocally};
