import { destinationConformance, sourceConformance } from './cases.js';
import { contentfulDestinationHarness, contentfulSource } from './contentful.js';

sourceConformance(contentfulSource);
destinationConformance(contentfulDestinationHarness);
