import { openPostgresStore } from '../../src/store/index.js';
import { freshDatabase } from '../support/postgres.js';
import { describeTwoWayStoreConformance } from './store-conformance.js';

const database = freshDatabase('twoway');

describeTwoWayStoreConformance(
  'PostgreSQL',
  async () => openPostgresStore({ connectionString: await database.url() }),
  () => database.drop(),
);
