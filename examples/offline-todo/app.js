// The whole app: local-first reads and writes through keepsync/client, no framework.
import { createSyncClient, openIndexedDbStore } from '/keepsync-client.js';

const user = new URLSearchParams(location.search).get('user') ?? 'demo';
const list = document.querySelector('#list');
const status = document.querySelector('#status');
const log = document.querySelector('#log');

function note(text) {
  const item = document.createElement('li');
  item.textContent = text;
  log.prepend(item);
}

const client = await createSyncClient({
  url: location.origin,
  collections: ['todos'],
  // One database per user: tabs of the same user share it (one of them syncs).
  store: await openIndexedDbStore({ name: `offline-todo-${user}` }),
  getToken: async () => {
    const response = await fetch(`/token?user=${encodeURIComponent(user)}`);
    return (await response.json()).token;
  },
  onConnectionChange: ({ connection }) => {
    status.textContent = connection;
    status.dataset.connection = connection;
  },
  onConflict: ({ id, winner, server }) =>
    note(
      winner === 'local'
        ? `conflict on ${id}: your edit won`
        : `conflict on ${id}: kept "${server.data?.title ?? '(deleted)'}" from another device`,
    ),
  onReject: ({ id, error }) => note(`rejected edit of ${id}: ${error}`),
});

// Rows are kept per id and updated in place, so a title being typed is never overwritten.
const rows = new Map();
const current = new Map();

function row(id) {
  const item = document.createElement('li');
  item.dataset.id = id;
  const done = document.createElement('input');
  done.type = 'checkbox';
  done.className = 'done';
  done.addEventListener('change', () =>
    client.put('todos', id, { ...current.get(id), done: done.checked }),
  );
  const title = document.createElement('input');
  title.className = 'title';
  title.addEventListener('change', () =>
    client.put('todos', id, { ...current.get(id), title: title.value }),
  );
  const remove = document.createElement('button');
  remove.className = 'remove';
  remove.textContent = 'Delete';
  remove.addEventListener('click', () => client.delete('todos', id));
  item.append(done, title, remove);
  return item;
}

function render(documents) {
  const seen = new Set();
  for (const doc of documents) {
    seen.add(doc.id);
    current.set(doc.id, doc.data);
    let item = rows.get(doc.id);
    if (!item) {
      item = row(doc.id);
      rows.set(doc.id, item);
    }
    item.dataset.pending = String(doc.pending);
    const [done, title] = item.children;
    done.checked = doc.data.done === true;
    if (document.activeElement !== title) title.value = doc.data.title ?? '';
    list.append(item);
  }
  for (const [id, item] of rows) {
    if (!seen.has(id)) {
      item.remove();
      rows.delete(id);
      current.delete(id);
    }
  }
}

client.subscribe('todos', ({ documents }) => render(documents));

document.querySelector('#add').addEventListener('submit', async (event) => {
  event.preventDefault();
  const input = document.querySelector('#new-title');
  // Time-ordered ids keep the list in creation order.
  const id = `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
  await client.put('todos', id, { title: input.value, done: false });
  input.value = '';
});

await client.start();
status.textContent = client.connection;
status.dataset.connection = client.connection;
// For the end-to-end tests and the curious: the client in the console.
window.todoClient = client;
