// Lint: type-checked rules, no `any`, no floating promises, and the house bans on hidden time and randomness.
import tseslint from 'typescript-eslint';

const timeAndRandomness = [
  { name: 'setTimeout', message: 'Use the injected Clock (src/core/clock.ts).' },
  { name: 'setInterval', message: 'Use the injected Clock (src/core/clock.ts).' },
];

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'bin/**', 'bench/results/**', 'eslint.config.js', 'test/fixtures/**/*.mjs'] },
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: { arguments: false } }],
      '@typescript-eslint/switch-exhaustiveness-check': ['error', { considerDefaultExhaustiveForUnions: true }],
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/require-await': 'off',
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true, allowBoolean: true }],
    },
  },
  {
    files: ['src/**/*.ts'],
    ignores: ['src/core/clock.ts', 'src/core/rng.ts'],
    rules: {
      'no-restricted-globals': ['error', ...timeAndRandomness],
      'no-restricted-properties': ['error',
        { object: 'Date', property: 'now', message: 'Use the injected Clock.' },
        { object: 'Math', property: 'random', message: 'Use an Rng (src/core/rng.ts).' },
      ],
    },
  },
  {
    files: ['src/api/**/*.ts', 'src/core/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [
        { group: ['**/transport/**', '**/coordination/**', '**/master/**', '**/agent/**', '**/scheduler/**', '**/cli/**'], message: 'api and core sit at the bottom of the layers.' },
      ] }],
    },
  },
  {
    files: ['src/master/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: [{ group: ['**/agent/**', '**/scheduler/**', '**/cli/**'], message: 'master must not depend on agent, scheduler or cli.' }] }] },
  },
  {
    files: ['src/agent/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: [{ group: ['**/master/**', '**/scheduler/**', '**/cli/**'], message: 'agent must not depend on master, scheduler or cli.' }] }] },
  },
  {
    files: ['src/apps/**/*.ts', 'src/jobs/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: [{ group: ['**/master/**', '**/agent/**', '**/cli/**'], message: 'frameworks reach the master only through the scheduler SDK.' }] }] },
  },
  {
    files: ['src/scheduler/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: [{ group: ['**/master/**', '**/agent/**', '**/cli/**'], message: 'the SDK talks to the master only over HTTP.' }] }] },
  },
);
