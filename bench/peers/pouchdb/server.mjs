// PouchDB's HTTP server on loopback, in memory; prints its URL, stops on SIGTERM.
import express from 'express';
import expressPouchdb from 'express-pouchdb';
import http from 'pouchdb-adapter-http';
import memory from 'pouchdb-adapter-memory';
import PouchDB from 'pouchdb-core';
import mapreduce from 'pouchdb-mapreduce';
import replication from 'pouchdb-replication';

const Pouch = PouchDB.plugin(memory).plugin(http).plugin(mapreduce).plugin(replication).defaults({
  adapter: 'memory',
});
const app = express();
app.use('/', expressPouchdb(Pouch, { mode: 'minimumForPouchDB', inMemoryConfig: true }));
const server = app.listen(0, '127.0.0.1', () => {
  process.stdout.write(`listening on http://127.0.0.1:${server.address().port}\n`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
