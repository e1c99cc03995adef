// One ESLint config for the whole repo (typescript-eslint, flat config). `npm run lint`.
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules/**', 'client/dist/**', 'dist-server/**', 'bench/results/**', '**/*.vue'] },
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-explicit-any': 'off',
      'no-restricted-syntax': ['error', { selector: 'ExportDefaultDeclaration', message: 'named exports only (STYLE.md)' }],
    },
  },
  { files: ['eslint.config.js', 'tests/global-setup.ts', 'vite.config.ts', '**/*.d.ts'], rules: { 'no-restricted-syntax': 'off' } },
);
