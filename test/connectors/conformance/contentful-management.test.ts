import { sourceConformance } from './cases.js';
import { contentfulManagementSource } from './contentful.js';

sourceConformance(contentfulManagementSource);
