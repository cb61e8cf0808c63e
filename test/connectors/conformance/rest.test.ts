import { destinationConformance, sourceConformance } from './cases.js';
import { restDestinationHarness, restPostDestinationHarness, restSource } from './rest.js';

sourceConformance(restSource);
destinationConformance(restDestinationHarness);
destinationConformance(restPostDestinationHarness);
