#!/usr/bin/env node
import { createRequire as __llmopsCreateRequire } from 'node:module';
const require = __llmopsCreateRequire(import.meta.url);
import{a}from"./chunk-AJMSLEBW.js";import"./chunk-FT3NIQ35.js";import"./chunk-KUIWKYKR.js";import"./chunk-3ZC3JLTA.js";import"./chunk-T7U6AEHG.js";import"./chunk-CBYN4WOW.js";import"./chunk-BJAYN2PU.js";import"./chunk-WZ4HE4NS.js";import"./chunk-PEGRTJAV.js";export{a as runLocally};
