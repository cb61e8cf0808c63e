import { destinationConformance, sourceConformance } from './cases.js';
import { notionDestinationHarness, notionSource } from './notion.js';

sourceConformance(notionSource);
destinationConformance(notionDestinationHarness);
