/**
 * The package as users install it: ESM, `exports` and `types` that point at what `tsc` emits, no
 * runtime dependency, React only behind `./react` (a 'use client' module), and the built entry
 * points importable by plain Node (no bundler, no `window`).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf-8'));
let outDir: string;

beforeAll(() => {
  // Build into a scratch folder with the package's own build config (dist/ is left alone),
  // inside the package so that `react` resolves from its node_modules as it would for a user.
  outDir = mkdtempSync(join(root, '.build-test-'));
  const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
  execFileSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.build.json'), '--outDir', outDir], { stdio: 'pipe' });
}, 60_000);

afterAll(() => {
  rmSync(outDir, { recursive: true, force: true });
});

/** `./dist/x.js` in package.json → the same file in the scratch build. */
const built = (path: string): string => join(outDir, path.replace(/^\.\/dist\//, ''));

/** Every bare (package) import reachable from `entry`, following relative imports. */
function bareImports(entry: string, seen = new Set<string>()): Set<string> {
  const found = new Set<string>();
  if (seen.has(entry)) return found;
  seen.add(entry);
  const source = readFileSync(entry, 'utf-8');
  for (const match of source.matchAll(
    /(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|import\(['"]([^'"]+)['"]\)/g,
  )) {
    const specifier = match[1] ?? match[2]!;
    if (specifier.startsWith('.')) {
      for (const inner of bareImports(resolve(dirname(entry), specifier), seen)) found.add(inner);
    } else {
      found.add(specifier);
    }
  }
  return found;
}

describe('package.json', () => {
  it('is an ESM package with types, exports and React as an optional peer', () => {
    expect(manifest.name).toBe('@alexho/invoice-realtime');
    expect(manifest.type).toBe('module');
    expect(manifest.dependencies ?? {}).toEqual({});
    expect(manifest.peerDependencies).toEqual({
      '@aws-sdk/client-secrets-manager': '^3.400.0',
      '@aws-sdk/client-sns': '^3.400.0',
      react: '>=18',
    });
    for (const peer of Object.keys(manifest.peerDependencies)) {
      expect(manifest.peerDependenciesMeta[peer]).toEqual({ optional: true });
    }
    expect(manifest.types).toBe('./dist/index.d.ts');
    expect(Object.keys(manifest.exports)).toEqual(['.', './react', './server', './package.json']);
    for (const entry of ['.', './react', './server']) {
      const { types, default: main } = manifest.exports[entry];
      expect(existsSync(built(types))).toBe(true);
      expect(existsSync(built(main))).toBe(true);
    }
  });

  it('keeps React out of the main entry point and marks ./react as a client module', () => {
    expect([...bareImports(built(manifest.exports['.'].default))]).toEqual([]);
    expect([...bareImports(built(manifest.exports['./react'].default))].sort()).toEqual(['react', 'react/jsx-runtime']);
    expect(readFileSync(built(manifest.exports['./react'].default), 'utf-8').startsWith("'use client';")).toBe(true);
  });

  it('keeps node-only code and the AWS SDK behind ./server, the SDK loaded lazily', () => {
    expect([...bareImports(built(manifest.exports['./server'].default))].sort()).toEqual([
      '@aws-sdk/client-secrets-manager',
      '@aws-sdk/client-sns',
      'node:crypto',
    ]);
    const staticImports = /(?:import|export)\s[^'"]*?from\s*['"]@aws-sdk/;
    const serverDir = dirname(built(manifest.exports['./server'].default));
    for (const file of ['aws-sdk.js', 'event-publisher.js', 'signing-key.js']) {
      expect(readFileSync(join(serverDir, file), 'utf-8')).not.toMatch(staticImports);
    }
    // The public types never name the optional SDK packages (an app without them type-checks).
    const typesOf = (path: string): string => readFileSync(path, 'utf-8').replace(/\/\*[\s\S]*?\*\//g, '');
    for (const file of ['index.d.ts', 'token-minter.d.ts', 'event-publisher.d.ts', 'aws-client.d.ts']) {
      expect(typesOf(join(serverDir, file))).not.toContain('@aws-sdk');
    }
  });

  it('imports in plain Node without a window', () => {
    const script = `
      const core = await import(${JSON.stringify(built(manifest.exports['.'].default))});
      const react = await import(${JSON.stringify(built(manifest.exports['./react'].default))});
      console.log(JSON.stringify([typeof window, Object.keys(core).sort(), Object.keys(react).sort()]));`;
    const output = execFileSync(process.execPath, ['--input-type=module', '-e', script], { cwd: root }).toString();
    const [windowType, core, react] = JSON.parse(output) as [string, string[], string[]];
    expect(windowType).toBe('undefined');
    expect(core).toEqual(
      expect.arrayContaining(['AlexHoWebSocketClient', 'InvoiceStore', 'EVENT_TYPES', 'isInvoiceEvent']),
    );
    expect(core).not.toContain('useAlexHoWebSocket');
    expect(react).toEqual(expect.arrayContaining(['AlexHoRealtimeProvider', 'useAlexHoWebSocket']));
  });
});
