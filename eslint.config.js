// ESLint flat config: typescript-eslint's `strict` set for the library, its tests, the bench, the examples and the
// scripts. Formatting is Prettier's job (`npm run format`), so no stylistic rules here.
import eslint from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: ['**/dist/', 'build/', 'coverage/', 'node_modules/', 'test/apps/', '**/*.d.ts'],
  },
  eslint.configs.recommended,
  tseslint.configs.strict,
  {
    rules: {
      // Nest's modules, and classes that exist only for their decorators, are empty by design.
      '@typescript-eslint/no-extraneous-class': ['error', { allowWithDecorator: true }],
      // A leading underscore marks a parameter a signature requires (Express's error handler) or a property left out of a rest.
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_', ignoreRestSiblings: true },
      ],
    },
  },
  {
    files: ['test/**'],
    rules: {
      // Tests read response bodies and decoded payloads of any shape and assert on them.
      '@typescript-eslint/no-explicit-any': 'off',
    },
  },
  {
    files: ['test/**', 'src/**/*.spec.ts', 'bench/**'],
    rules: {
      // A test or a bench reads back what it just made: a `!` there that is wrong fails the run at once, loudly.
      // The library itself (src/) has none: each invariant is spelled out.
      '@typescript-eslint/no-non-null-assertion': 'off',
    },
  },
  {
    languageOptions: {
      ecmaVersion: 2023,
      sourceType: 'module',
      globals: {
        console: 'readonly',
        process: 'readonly',
        URL: 'readonly',
        Buffer: 'readonly',
        setTimeout: 'readonly',
        clearTimeout: 'readonly',
        setInterval: 'readonly',
        clearInterval: 'readonly',
        setImmediate: 'readonly',
      },
    },
  },
);
