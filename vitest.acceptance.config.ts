// Acceptance checks of whole capabilities that Vigil does not yet pass in full: run with
// `pnpm test:acceptance`, on the embedded store and, when DATABASE_URL is set, on PostgreSQL too. They are
// not part of `pnpm test` until they pass; the README says which steps fail today.
import { defineConfig } from 'vitest/config'

const databaseUrl = process.env.DATABASE_URL

export default defineConfig({
  test: {
    reporters: ['default'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    projects: [
      {
        extends: true as const,
        test: {
          name: 'embedded',
          include: ['test/acceptance/**/*.accept.ts'],
          env: { VIGIL_TEST_STORE: 'embedded' },
          globalSetup: ['test/setup/global.ts'],
        },
      },
      ...(databaseUrl
        ? [
            {
              extends: true as const,
              test: {
                name: 'postgres',
                include: ['test/acceptance/**/*.db.accept.ts'],
                env: { VIGIL_TEST_STORE: 'postgres', VIGIL_TEST_DATABASE_URL: databaseUrl },
                globalSetup: ['test/setup/global.ts'],
              },
            },
          ]
        : []),
    ],
  },
})
