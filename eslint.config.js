// Biome does formatting and most linting; ESLint runs only the type-aware rules that catch async
// bugs in the long-running socket host (STYLE.md: no floating promises).
import tseslint from 'typescript-eslint';

export default tseslint.config({
  files: ['socket-host/**/*.ts'],
  extends: [tseslint.configs.base],
  languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
  rules: {
    '@typescript-eslint/no-floating-promises': 'error',
    '@typescript-eslint/no-misused-promises': 'error',
    '@typescript-eslint/switch-exhaustiveness-check': ['error', { considerDefaultExhaustiveForUnions: true }],
  },
});
