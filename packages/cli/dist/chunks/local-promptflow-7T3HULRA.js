#!/usr/bin/env node
import { createRequire as __llmopsCreateRequire } from 'node:module';
const require = __llmopsCreateRequire(import.meta.url);
import{a}from"./chunk-J6EQSP26.js";import"./chunk-NJDNUNI6.js";import"./chunk-GQ2AVBX2.js";import"./chunk-47A7CVY6.js";import"./chunk-Z56SJ6MH.js";import"./chunk-CBYN4WOW.js";import"./chunk-BJAYN2PU.js";import"./chunk-Z7XLI7SL.js";import"./chunk-PEGRTJAV.js";export{a as runLocally};
