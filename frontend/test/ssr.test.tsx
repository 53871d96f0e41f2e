/**
 * Server rendering (Node, no DOM): the modules import without `window`, and `renderToString`
 * calls no `getToken` and opens no socket.
 */
import { createElement, type ReactNode } from 'react';
import { renderToString } from 'react-dom/server';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { ProtocolServer } from './support/protocol-server.js';

let server: ProtocolServer;

beforeEach(async () => {
  server = await ProtocolServer.start();
});

afterEach(async () => {
  await server.stop();
});

it('imports without window and renders on the server without a socket', async () => {
  expect(typeof (globalThis as { window?: unknown }).window).toBe('undefined');
  const core = await import('../src/index.js');
  const react = await import('../src/react/index.js');
  expect(typeof core.AlexHoWebSocketClient).toBe('function');
  let tokenCalls = 0;
  const getToken = (): string => {
    tokenCalls++;
    return 'token';
  };
  function Page(): ReactNode {
    const { status, events } = react.useAlexHoWebSocket({ enabled: true, userType: 'ADMIN', showNotifications: true });
    return createElement('p', null, `${status}/${events.length}`);
  }
  function OwnClient(): ReactNode {
    const { status } = react.useAlexHoWebSocket({ url: server.url, getToken });
    return createElement('p', null, status);
  }
  const html = renderToString(
    createElement(
      react.AlexHoRealtimeProvider,
      { url: server.url, getToken },
      createElement(Page),
      createElement(OwnClient),
    ),
  );
  expect(html).toBe('<p>idle/0</p><p>idle</p>');
  await new Promise((resolve) => setTimeout(resolve, 200));
  expect(tokenCalls).toBe(0);
  expect(server.tokensOffered).toEqual([]);
  expect(server.connections).toEqual([]);
});
