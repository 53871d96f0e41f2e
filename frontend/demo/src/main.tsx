/** The demo page: the scenario buttons on top, then one pane per admin or customer. */
import { StrictMode, type ReactNode } from 'react';
import { createRoot } from 'react-dom/client';
import { fetchConfig, type DemoConfig } from './api.js';
import { Pane } from './Pane.js';
import { panesFor, type PaneSpec } from './panes.js';
import { Scenario } from './Scenario.js';

function DemoPage({
  config,
  panes,
  since,
}: {
  config: DemoConfig;
  panes: readonly PaneSpec[];
  since: number | undefined;
}): ReactNode {
  return (
    <>
      <header className="page-header">
        <h1>AlexHo Invoice Realtime</h1>
        <p>
          Each pane is its own app with its own WebSocket connection to <code>{config.websocketUrl}</code> and its own
          token. Publish the seed scenario and watch who sees what: the admin sees every step, the invoice's customer
          sees it from <strong>SENT</strong> on, and the other customer sees nothing of it.
        </p>
        <Scenario steps={config.steps} customerIds={config.customerIds} />
      </header>
      <main className="panes">
        {panes.map((spec) => (
          <Pane key={spec.key} spec={spec} websocketUrl={config.websocketUrl} since={since} />
        ))}
      </main>
    </>
  );
}

async function start(): Promise<void> {
  const root = document.getElementById('root');
  if (root === null) return;
  try {
    const config = await fetchConfig();
    const panes = panesFor(window.location.search, config.customerIds);
    createRoot(root).render(
      <StrictMode>
        <DemoPage config={config} panes={panes} since={sinceFrom(window.location.search)} />
      </StrictMode>,
    );
  } catch (failure) {
    root.textContent = `The demo page could not reach the local stack: ${failure instanceof Error ? failure.message : String(failure)}`;
  }
}

/** `?since=<epoch ms>`, when it is one. */
function sinceFrom(search: string): number | undefined {
  const value = new URLSearchParams(search).get('since');
  if (value === null || !/^\d{1,13}$/.test(value)) return undefined;
  return Number(value);
}

void start();
