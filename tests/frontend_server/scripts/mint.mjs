// Mints tokens with the server entry for the requests on stdin (JSON:
// {"options": {...ConnectTokenMinterOptions, "nowMs": n}, "requests": [...]}); prints them as JSON.
import { text } from 'node:stream/consumers';
import { ConnectTokenMinter } from '@alexho/invoice-realtime/server';

const { options, requests } = JSON.parse(await text(process.stdin));
const { nowMs, ...minterOptions } = options;
const minter = new ConnectTokenMinter({ ...minterOptions, now: () => nowMs });
const tokens = [];
for (const request of requests) tokens.push(await minter.mint(request));
console.log(JSON.stringify(tokens));
