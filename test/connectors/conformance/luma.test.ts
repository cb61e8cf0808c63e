import { destinationConformance, sourceConformance } from './cases.js';
import { lumaDestinationHarness, lumaSource } from './luma.js';

sourceConformance(lumaSource);
destinationConformance(lumaDestinationHarness);
