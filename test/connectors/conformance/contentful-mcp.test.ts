import { destinationConformance } from './cases.js';
import { contentfulMcpDestinationHarness } from './contentful-mcp.js';

destinationConformance(contentfulMcpDestinationHarness);
