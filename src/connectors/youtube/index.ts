export type {
  YouTubeClient,
  YouTubePlaylistItem,
  YouTubePlaylistPage,
  YouTubeVideo,
} from './client.js';
export { nextPacificMidnight } from './errors.js';
export { source, type YouTubeSourceOptions } from './source.js';
