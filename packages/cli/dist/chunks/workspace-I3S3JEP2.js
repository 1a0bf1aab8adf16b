#!/usr/bin/env node
import { createRequire as __llmopsCreateRequire } from 'node:module';
const require = __llmopsCreateRequire(import.meta.url);
import{a,b,c}from"./chunk-PWYBKCAU.js";import"./chunk-WZ4HE4NS.js";import"./chunk-PEGRTJAV.js";export{a as CLOUD_ENV,b as PUBLIC_ARM_ENDPOINT,c as openAzureMlWorkspace};
