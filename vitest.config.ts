// Every test runs on the embedded store; tests that touch the database (`*.db.test.ts`) run a second
// time against the PostgreSQL server named by DATABASE_URL when it is set.
import { defineConfig } from 'vitest/config'

const databaseUrl = process.env.DATABASE_URL

export default defineConfig({
  test: {
    reporters: ['default', './test/setup/summary-reporter.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    projects: [
      {
        extends: true as const,
        test: {
          name: 'embedded',
          include: ['packages/*/test/**/*.test.ts', 'services/*/test/**/*.test.ts', 'test/**/*.test.ts'],
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
                include: [
                  'packages/*/test/**/*.db.test.ts',
                  'services/*/test/**/*.db.test.ts',
                  'test/**/*.db.test.ts',
                ],
                env: { VIGIL_TEST_STORE: 'postgres', VIGIL_TEST_DATABASE_URL: databaseUrl },
                globalSetup: ['test/setup/global.ts'],
              },
            },
          ]
        : []),
    ],
  },
})
