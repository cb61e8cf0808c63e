import { asanaDestinationHarness } from './asana.js';
import { destinationConformance } from './cases.js';

destinationConformance(asanaDestinationHarness);
