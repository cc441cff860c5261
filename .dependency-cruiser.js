/**
 * The layers of lib/, from the top down. A module may import modules of its own
 * layer or of any layer below it, never one above, and no import may close a
 * cycle (type-only imports included: a cycle of types is still a cycle for a
 * reader). docs/architecture.md draws the same order.
 *
 * `npm test` runs this check first (scripts/check-layers.js); so does CI.
 */
const LAYERS = [
  { name: 'entry', paths: ['lib/cli/', 'lib/index.ts'] },
  { name: 'composition', paths: ['lib/server.ts', 'lib/mirror.ts', 'lib/catalog.ts', 'lib/engine/'] },
  { name: 'surface', paths: ['lib/router.ts', 'lib/middleware/', 'lib/admin/', 'lib/runtime/'] },
  { name: 'services', paths: ['lib/services.ts'] },
  { name: 'features', paths: ['lib/metrics/', 'lib/auth/', 'lib/cache/', 'lib/teleport/', 'lib/referrers/', 'lib/containerd/', 'lib/clients/', 'lib/warm/'] },
  { name: 'transport', paths: ['lib/http/', 'lib/upstream/', 'lib/resilience/'] },
  { name: 'foundations', paths: ['lib/runmd/', 'lib/oci/', 'lib/errors.ts', 'lib/log.ts', 'lib/clock.ts', 'lib/malloc-threshold.ts'] },
];

const escape = (path) => path.replace(/[.]/g, '\\.');
const pattern = (paths) => `^(${paths.map(escape).join('|')})`;

/** Layer i may not import layers 0..i-1. */
const upward = LAYERS.slice(1).map((layer, i) => ({
  name: `no-upward-from-${layer.name}`,
  comment: `${layer.name} sits below ${LAYERS.slice(0, i + 1).map((l) => l.name).join(', ')}: it may not import them`,
  severity: 'error',
  from: { path: pattern(layer.paths) },
  to: { path: pattern(LAYERS.slice(0, i + 1).flatMap((l) => l.paths)) },
}));

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      comment: 'an import cycle: the modules in it cannot be read or tested one at a time',
      severity: 'error',
      from: { path: '^lib/' },
      to: { circular: true },
    },
    {
      name: 'every-module-has-a-layer',
      comment: 'a module of lib/ outside every layer: add its path to LAYERS in .dependency-cruiser.js',
      severity: 'error',
      from: { path: '^lib/', pathNot: pattern(LAYERS.flatMap((l) => l.paths)) },
      to: {},
    },
    ...upward,
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    includeOnly: '^lib/',
    // Type-only imports are edges too.
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { extensions: ['.ts', '.js'] },
  },
};
