// Prints the server entry's contract constants as JSON (a Set as its sorted members).
import * as server from '@alexho/invoice-realtime/server';

const names = Object.keys(server).filter((name) => /^[A-Z][A-Z0-9_]+$/.test(name));
const plain = (value) => (value instanceof Set ? [...value].sort() : value);
console.log(JSON.stringify(Object.fromEntries(names.map((name) => [name, plain(server[name])]))));
