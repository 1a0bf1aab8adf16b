export { resolveFlow, findTopLevelDefinition, type FlowReference } from './detect.js';
