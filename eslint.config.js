import js from '@eslint/js'
import globals from 'globals'
import tseslint from 'typescript-eslint'

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'coverage/', '.bench-build/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', ignoreRestSiblings: true }
      ],
      '@typescript-eslint/consistent-type-imports': 'error'
    }
  },
  {
    files: ['src/**/*.ts'],
    rules: {
      // Node's ES module of node:util reads its colour settings as it loads, before the CLI
      // settles FORCE_COLOR against NO_COLOR, and warns when both are set.
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          paths: ['node:util', 'util'].map((name) => ({
            name,
            message: "use process.getBuiltinModule('node:util') (see src/cli.ts)",
            allowTypeImports: true
          }))
        }
      ]
    }
  }
)
