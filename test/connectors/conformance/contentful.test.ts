import { sourceConformance } from './cases.js';
import { contentfulSource } from './contentful.js';

sourceConformance(contentfulSource);
