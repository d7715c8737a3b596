// The layers of src/, checked by `npm run lint` (depcruise src --config .dependency-cruiser.mjs).
// CONTRIBUTING.md ("Layout") says what each folder may do; these rules make the imports say it
// too. __tests__/docs/layers.test.ts shows each kind of violation being reported.

import {URL, fileURLToPath} from 'node:url'

/** Node builtins that reach the file system, other processes or the network. */
const IO_BUILTINS =
  '^(node:)?(fs|fs/promises|child_process|net|http|http2|https|dgram|dns|dns/promises|tls|' +
  'readline|worker_threads|cluster)$'

/** @type {import('dependency-cruiser').IConfiguration} */
export default {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment:
        'A cycle means neither module can be read, tested or moved without the other, and its ' +
        'load order decides which one sees the other half-initialised. Type-only imports count ' +
        '(tsPreCompilationDeps): a type cycle is still two modules that cannot be understood ' +
        'apart, and the next value import turns it into a runtime one.',
      from: {path: '^src/'},
      to: {circular: true},
    },
    {
      name: 'plan-imports-only-pure-code',
      severity: 'error',
      comment:
        'plan/ is pure (no I/O, table-tested): of src/ it may import plan/, model/ and errors.ts ' +
        'only, so not config/, adapters/, release/, steps/, the step folders (signing/, cleanup/, ' +
        'repositories/, pull-secret/), report/ nor the wiring. Inputs come in as model/ types; ' +
        'what config/ read, what the adapters fetched and the clock are passed in as arguments.',
      from: {path: '^src/plan/'},
      to: {path: '^src/', pathNot: '^src/(plan|model)/|^src/errors\\.ts$'},
    },
    {
      name: 'plan-does-no-io',
      severity: 'error',
      comment:
        'plan/ does no I/O: no file system, processes or network. (eslint forbids every node: ' +
        'import in plan/ as well; this keeps the layer rule in one place with the others.)',
      from: {path: '^src/plan/'},
      to: {dependencyTypes: ['core'], path: IO_BUILTINS},
    },
    {
      name: 'plan-uses-no-toolkit-or-sdk',
      severity: 'error',
      comment:
        'plan/ does not talk to GitHub or OCI: no @actions/*, @octokit/* or oci-* package. The ' +
        'region table is generated into plan/oci-regions.generated.ts instead of read from ' +
        'oci-common.',
      from: {path: '^src/plan/'},
      to: {path: '(^|/)node_modules/(@actions/|@octokit/|oci-)'},
    },
    {
      name: 'model-is-a-leaf',
      severity: 'error',
      comment:
        'model/ holds the types (and the few pure helpers) that plan/, config/, the adapters and ' +
        'the steps share. It imports nothing but itself and errors.ts, so everyone can import it ' +
        'and no cycle runs through it.',
      from: {path: '^src/model/'},
      to: {path: '^src/', pathNot: '^src/model/|^src/errors\\.ts$'},
    },
    {
      name: 'config-does-not-connect',
      severity: 'error',
      comment:
        'config/ reads and checks inputs; it connects to nothing. It may not import the ' +
        'adapters, nor the modules of the step folders that reach the outside world (signers, ' +
        'the cleanup run, the release order, the report), nor the wiring that does.',
      from: {path: '^src/config/'},
      to: {
        path:
          '^src/(adapters|release|report)/' +
          '|^src/(signing|cleanup|repositories|pull-secret)/(?!step\\.ts$)' +
          '|^src/(index|main|post|connect|pipeline|run-facts|resolve-identity)\\.ts$',
      },
    },
    {
      name: 'config-sees-steps-as-types',
      severity: 'error',
      comment:
        "config/ reads each step's inputs through the ReleaseStep interface; it may name the " +
        "steps' types, but loading a step module (and with it what the step connects) is the " +
        "wiring's job.",
      from: {path: '^src/config/'},
      to: {
        path: '^src/(steps|signing|cleanup|repositories|pull-secret)/',
        dependencyTypesNot: ['type-only'],
      },
    },
    {
      name: 'adapters-know-no-callers',
      severity: 'error',
      comment:
        'An adapter implements a port (ports.ts) over one outside system; it may use model/, ' +
        'plan/, ports.ts and the shared helpers, but not the config reader, the release order, ' +
        'the steps, the report or the wiring that calls it: those depend on it, not it on them.',
      from: {path: '^src/adapters/'},
      to: {
        path:
          '^src/(config|release|steps|signing|cleanup|repositories|pull-secret|report)/' +
          '|^src/(index|main|post|state|connect|pipeline|run-facts|resolve-identity)\\.ts$',
        // Exception: config/checkout-files.ts, the one guarded reader of checkout files (realpath
        // inside the workspace, regular files only, size caps), is shared by config/, the
        // adapters, release/ and pull-secret/, and imports only errors.ts. It belongs beside the
        // adapters rather than in config/; until it moves, only it is exempt.
        pathNot: '^src/config/checkout-files\\.ts$',
      },
    },
    {
      name: 'no-test-or-tooling-imports',
      severity: 'error',
      comment:
        'Production code never imports tests, fixtures, benchmarks or scripts: they are not ' +
        'bundled, may do anything, and would drag test doubles into dist/.',
      from: {path: '^src/'},
      to: {path: '^(__tests__|bench|scripts)/'},
    },
    {
      name: 'no-orphans',
      severity: 'error',
      comment:
        'A module of src/ that imports nothing and that nothing imports is dead code (or a ' +
        'forgotten entry point). The one entry point is index.ts (ncc bundles it; it runs main.ts ' +
        'or post.ts); post.ts is named too, as the post step action.yml runs.',
      from: {orphan: true, path: '^src/', pathNot: '^src/(index|post)\\.ts$'},
      to: {},
    },
    {
      name: 'no-unreachable-modules',
      severity: 'error',
      comment:
        'Orphans are only the modules with no imports either way; a module that imports others ' +
        'but that no path from the entry point reaches is just as dead, and dist/ never has it. ' +
        'Type-only paths count: a module of types the bundle needs only at compile time is used.',
      from: {path: '^src/index\\.ts$'},
      to: {path: '^src/', pathNot: '^src/index\\.ts$', reachable: false},
    },
    {
      name: 'not-to-unresolvable',
      severity: 'error',
      comment:
        'An import depcruise cannot resolve is one whose layer it cannot check (and usually a ' +
        'typo, or a package missing from package.json).',
      from: {},
      to: {couldNotResolve: true},
    },
  ],
  options: {
    // Type-only imports are dependencies too: a cycle through `import type` is still a cycle.
    tsPreCompilationDeps: true,
    // Resolve the .js specifiers of src/ to their .ts files as tsc does. An absolute path, so the
    // fixture tree of __tests__/docs/layers.test.ts is checked with the same config from its folder.
    tsConfig: {fileName: fileURLToPath(new URL('tsconfig.json', import.meta.url))},
    doNotFollow: {path: 'node_modules'},
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      mainFields: ['module', 'main', 'types', 'typings'],
    },
    reporterOptions: {text: {highlightFocused: true}},
  },
}
