import { destinationConformance } from './cases.js';
import { notionMcpDestinationHarness } from './notion-mcp.js';

destinationConformance(notionMcpDestinationHarness);
