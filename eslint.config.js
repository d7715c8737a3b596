import js from '@eslint/js'
import tseslint from 'typescript-eslint'

export default tseslint.config(
  {
    ignores: [
      'dist/**',
      'node_modules/**',
      'coverage/**',
      'bench/**',
      'scripts/**',
      'eslint.config.js',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['src/**/*.ts', '__tests__/**/*.ts'],
    languageOptions: {parserOptions: {projectService: true, tsconfigRootDir: import.meta.dirname}},
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/explicit-function-return-type': ['error', {allowExpressions: true}],
    },
  },
  {
    files: ['__tests__/**/*.ts'],
    rules: {'@typescript-eslint/explicit-function-return-type': 'off'},
  },
  {
    // plan/ is pure: no I/O, no SDKs, no action toolkit. Time and git facts come in as arguments.
    files: ['src/plan/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {regex: '^@actions/', message: 'plan/ is pure: pass values in instead'},
            {regex: '^oci-', message: 'plan/ is pure: pass the region table in'},
            {regex: '^(node:|(fs|child_process|https?|net)$)', message: 'plan/ does no I/O'},
          ],
        },
      ],
    },
  },
)
