import path from 'node:path';
import type { NextConfig } from 'next';

const nextConfig: NextConfig = {
  cacheComponents: true,
  partialPrefetching: true,
  // The package is installed from ../../frontend (a symlink out of this folder): Turbopack only
  // reads files under its root, so the root is the repository.
  turbopack: { root: path.join(import.meta.dirname, '..', '..') },
};

export default nextConfig;
