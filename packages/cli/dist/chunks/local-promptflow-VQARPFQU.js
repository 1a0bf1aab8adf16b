#!/usr/bin/env node
import { createRequire as __llmopsCreateRequire } from 'node:module';
const require = __llmopsCreateRequire(import.meta.url);
import{a}from"./chunk-5SLTLCQU.js";import"./chunk-L4R3DSE5.js";import"./chunk-KSEW64CR.js";import"./chunk-MRAT7N6H.js";import"./chunk-T7U6AEHG.js";import"./chunk-CBYN4WOW.js";import"./chunk-BJAYN2PU.js";import"./chunk-ARPBUENM.js";import"./chunk-WZ4HE4NS.js";import"./chunk-PEGRTJAV.js";export{a as runLocally};
