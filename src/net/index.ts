export { createSecretBox, generateSecretKey, parseSecretKey, type SecretBox } from './secret-box.js';
