#!/usr/bin/env node
import { createRequire as __llmopsCreateRequire } from 'node:module';
const require = __llmopsCreateRequire(import.meta.url);
import{a}from"./chunk-Q74EL4OB.js";import"./chunk-ULEYCEZ5.js";import"./chunk-WG7TQTTZ.js";import"./chunk-CBYN4WOW.js";import"./chunk-Z7XLI7SL.js";import"./chunk-PEGRTJAV.js";export{a as runLocally};
