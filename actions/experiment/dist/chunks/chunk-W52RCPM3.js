import { createRequire as __llmopsCreateRequire } from 'node:module';
const require = __llmopsCreateRequire(import.meta.url);
import{a as r}from"./chunk-XWMUVPUZ.js";var o=r(n=>n.replace(/\|/g,"\\|").replace(/\r?\n/g," "),"cell");function i(n,t){return[`| ${n.map(o).join(" | ")} |`,`| ${n.map(()=>"---").join(" | ")} |`,...t.map(e=>`| ${e.map(o).join(" | ")} |`)].join(`
`)}r(i,"markdownTable");var p=r(n=>`\`${n.replace(/`/g,"'")}\``,"code");export{i as a,p as b};
