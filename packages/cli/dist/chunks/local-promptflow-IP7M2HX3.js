#!/usr/bin/env node
import { createRequire as __llmopsCreateRequire } from 'node:module';
const require = __llmopsCreateRequire(import.meta.url);
import{a}from"./chunk-AKR5TDOD.js";import"./chunk-T4F5R5FC.js";import"./chunk-4YJM6PO6.js";import"./chunk-Z56SJ6MH.js";import"./chunk-CBYN4WOW.js";import"./chunk-BJAYN2PU.js";import"./chunk-Z7XLI7SL.js";import"./chunk-PEGRTJAV.js";export{a as runLocally};
