import { sourceConformance } from './cases.js';
import { githubSource } from './github.js';

sourceConformance(githubSource);
