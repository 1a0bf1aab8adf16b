#!/usr/bin/env node
import { createRequire as __llmopsCreateRequire } from 'node:module';
const require = __llmopsCreateRequire(import.meta.url);
import{d as n,g as i}from"./chunk-R7KQ3ZYP.js";import{a as e}from"./chunk-PEGRTJAV.js";async function r(t,s){return n(await i(t),s)}e(r,"contentHash");async function y(t){let{hash:s,files:o}=await r(t);return{hash:s,files:o.map(a=>a.path)}}e(y,"hashCommand");export{r as a,y as b};
