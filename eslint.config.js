// ESLint flat config. Not a style guide: each rule here enforces an invariant of
// docs/ARCHITECTURE.md that review alone kept before (section 7, invariant 3, and the layers of
// section 6). Formatting is left alone.
import tseslint from 'typescript-eslint';

/**
 * Host modules that hold sandbox values (the membrane's copy out, turns, thrown values, rejections):
 * they reach them only through src/commons.ts, never through a method looked up at call time.
 * Not here: membrane/to-sandbox.ts and worker/protocol.ts, which read host values only (what goes
 * in, and host copies already made by the membrane).
 */
const touchesSandboxValues = [
  'src/membrane/from-sandbox.ts',
  'src/membrane/membrane.ts',
  'src/membrane/bounded-promise.ts',
  'src/run/*.ts',
];

const ownReaders = [
  'keys',
  'values',
  'entries',
  'assign',
  'getOwnPropertyNames',
  'getOwnPropertySymbols',
  'getOwnPropertyDescriptor',
  'getOwnPropertyDescriptors',
  'getPrototypeOf',
];

// Restated in every block that sets no-restricted-globals: a later block's options replace these.
const performanceGlobal = {
  name: 'performance',
  message: 'Use now() of src/commons.ts: the first read of `performance` in a thread loads perf_hooks (~1-3 ms in a new one).',
};

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'fixtures/', '.ci/', 'coverage/'] },
  {
    files: ['src/**/*.ts'],
    languageOptions: { parser: tseslint.parser },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: { 'no-restricted-globals': ['error', performanceGlobal] },
  },
  {
    files: touchesSandboxValues,
    rules: {
      'no-restricted-globals': [
        'error',
        { name: 'Reflect', message: 'Use the Reflect* functions src/commons.ts captured when esm-sandbox loaded.' },
        performanceGlobal,
      ],
      'no-restricted-properties': [
        'error',
        ...ownReaders.map((property) => ({
          object: 'Object',
          property,
          message:
            'On a sandbox value this can run its Proxy traps or getters: read own data properties through ReflectOwnKeys/ReflectGetOwnPropertyDescriptor of src/commons.ts (after isProxy), as from-sandbox.ts does.',
        })),
        { object: 'Array', property: 'isArray', message: 'Use ArrayIsArray of src/commons.ts.' },
      ],
      'no-restricted-syntax': [
        'error',
        {
          selector:
            "CallExpression[callee.type='MemberExpression'][callee.object.type!='Super'][callee.property.name=/^(then|catch|finally)$/]",
          message:
            'A `then` looked up on a sandbox promise or thenable is sandbox code: subscribe with observeQuietly (bounded-promise.ts, the captured Promise.prototype.then) or observe the promise inside a turn.',
        },
        {
          selector: "BinaryExpression[operator='instanceof']",
          message:
            "`instanceof` walks the left side's prototype chain, which a sandbox Proxy answers with its own code: use isNativeError/isPromise/isHostObject of src/commons.ts.",
        },
      ],
    },
  },
  {
    // The lowest layers import nothing of esm-sandbox's, so every layer may use them.
    files: ['src/constants.ts', 'src/realm-protocol.ts'],
    rules: {
      'no-restricted-syntax': [
        'error',
        {
          selector: 'ImportDeclaration',
          message: 'constants.ts and realm-protocol.ts import nothing: every layer, and the realm source, depends on them.',
        },
      ],
    },
  },
  {
    // docs/ARCHITECTURE.md, section 6: errors/ is below everything but the constants and commons.
    files: ['src/errors/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['../*', '!../constants.js', '!../realm-protocol.js', '!../commons.js'],
              message: 'errors/ is the lowest layer after constants and commons: a type it needs lives in errors/ (as Diagnostic does).',
            },
          ],
        },
      ],
    },
  },
  {
    // The realm depends on nothing above it: the membrane, the graph and the isolations call it.
    files: ['src/run/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: [
                '../membrane/*',
                '../link/*',
                '../sandbox/*',
                '../worker/*',
                '../config/*',
                '../cli/*',
                '../std/*',
                '../../membrane/*',
                '../../link/*',
                '../../sandbox/*',
                '../../worker/*',
              ],
              message: 'run/ sits below membrane/, link/, sandbox/ and worker/ (docs/ARCHITECTURE.md, section 6).',
            },
          ],
        },
      ],
    },
  },
  {
    // Context isolation sits below worker and process isolation; src/create.ts, above both, chooses.
    files: ['src/sandbox/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['../worker/*', '../process/*', '../create.js', '../plugins/*', '../cli/*', '../config/*'],
              message:
                'sandbox/ (context isolation) sits below worker/ and process/; createSandbox lives in src/create.ts (docs/ARCHITECTURE.md, section 6).',
            },
          ],
        },
      ],
    },
  },
  {
    // The pipeline's first steps (docs/ARCHITECTURE.md, section 2) know nothing of a realm: `check`
    // runs them without one, so they cannot import the steps that compile, link and run.
    files: ['src/analyze/**/*.ts', 'src/transform/**/*.ts', 'src/resolve/**/*.ts', 'src/load/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: [
                '**/link/*',
                '**/run/*',
                '**/membrane/*',
                '**/sandbox/*',
                '**/worker/*',
                '**/process/*',
                '**/create.js',
                '**/plugins/*',
                '**/expression/*',
                '**/config/*',
                '**/cli/*',
              ],
              message:
                'analyze/, transform/, resolve/ and load/ come before link/ and run/ in the pipeline, and `check` runs them without a realm (docs/ARCHITECTURE.md, section 2).',
            },
          ],
        },
      ],
    },
  },
);
