import { sourceConformance } from './cases.js';
import { youtubeSource } from './youtube.js';

sourceConformance(youtubeSource);
