import { sourceConformance } from './cases.js';
import { restSource } from './rest.js';

sourceConformance(restSource);
