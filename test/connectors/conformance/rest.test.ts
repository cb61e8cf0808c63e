import { destinationConformance, sourceConformance } from './cases.js';
import { restDestinationHarness, restSource } from './rest.js';

sourceConformance(restSource);
destinationConformance(restDestinationHarness);
