// Routes declared with zod: requests are validated with the contracts' schemas (or route-local ones built
// from their pieces) and the OpenAPI document is generated from the same schemas.
import { countSchema, instantString, nameText } from '@vigil/model'
import type { FastifyError, FastifyInstance } from 'fastify'
import { serializerCompiler, validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod'
import { z } from 'zod'

/**
 * Switches an encapsulated route plugin to zod validation and serialization and returns it typed by its
 * schemas. Only for plugins whose every route schema (querystring, body, params, response) is zod.
 */
export function zodRoutes(fastify: FastifyInstance) {
  fastify.setValidatorCompiler(validatorCompiler)
  fastify.setSerializerCompiler(serializerCompiler)
  return fastify.withTypeProvider<ZodTypeProvider>()
}

/**
 * Query parameters arrive as text; a page size is an integer from 1 to `max` (the api's largest page),
 * `fallback` when absent.
 */
export function pageLimit(max: number, fallback = 100) {
  return z.coerce
    .number({ error: notANumber })
    .int({ error: 'expected an integer' })
    .min(1)
    .max(max)
    .default(fallback)
}

/** A name used as a filter (target, vantage, region, city): 1 to 200 characters. */
export const scopeName = () => nameText(200)

/** An RFC 3339 instant parameter within the bounds the store and date arithmetic can hold. */
export const instantParam = (description: string) => instantString().describe(description)

/** `:id` of a stored row: a positive integer a bigint column and a JavaScript number both hold exactly. */
export const idParams = z.strictObject({
  id: z.coerce.number({ error: notANumber }).pipe(countSchema().min(1)),
})

// Only a value that is no number at all (coerced to NaN) gets this wording; bounds keep zod's own.
function notANumber(issue: { code?: string }): string | undefined {
  return issue.code === 'invalid_type' ? 'expected an integer' : undefined
}

/** The response format of a list route: CSV also with `Accept: text/csv`. */
export const listFormat = z.enum(['json', 'csv']).describe('csv also with Accept: text/csv')

interface SchemaError {
  instancePath?: string
  message?: string
  keyword?: string
  params?: Record<string, unknown>
}

/**
 * Fastify's wording of a validation failure (`querystring/limit must be >= 1`), for ajv and zod alike,
 * except that a key zod does not accept is named in the path (`querystring/colour is not accepted`) rather
 * than left at the object's root.
 */
export function formatSchemaErrors(errors: SchemaError[], dataVar: string): FastifyError {
  const parts = errors.map((error) => {
    const path = `${dataVar}${error.instancePath === '/' ? '' : (error.instancePath ?? '')}`
    const keys = error.keyword === 'unrecognized_keys' ? (error.params?.keys as unknown) : undefined
    if (Array.isArray(keys) && keys.length > 0) {
      return keys.map((key) => `${path}/${String(key)} is not accepted here`).join(', ')
    }
    return `${path} ${error.message ?? 'is not valid'}`
  })
  return new Error(parts.join(', ')) as FastifyError
}
