#!/usr/bin/env node
import { createRequire as __llmopsCreateRequire } from 'node:module';
const require = __llmopsCreateRequire(import.meta.url);
import{a as h,b as i}from"./chunk-QXGXO2OE.js";import{a,b,c,d,e,f,g}from"./chunk-R7KQ3ZYP.js";import"./chunk-WZ4HE4NS.js";import"./chunk-PEGRTJAV.js";export{e as BUILT_IN_IGNORES,a as CONTENT_HASH_ALGORITHM,b as HASH_PREFIX,f as IGNORE_FILE_NAMES,c as comparePaths,h as contentHash,i as hashCommand,d as hashListing,g as listAssetFiles};
