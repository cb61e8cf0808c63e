import { destinationConformance, sourceConformance } from './cases.js';
import { jiraDestinationHarness, jiraSource } from './jira.js';

sourceConformance(jiraSource);
destinationConformance(jiraDestinationHarness);
