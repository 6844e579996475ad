import { z } from 'zod'

/** One event variant: its `type` literal first, then its fields. */
export function variant<T extends string, S extends z.ZodRawShape>(type: T, shape: S) {
  return z.object({ type: z.literal(type), ...shape })
}

/** Each variant's field names in order (`type` first), keyed by its type. */
export function fieldsOf(
  variants: readonly { shape: { type: { value: string } } & z.ZodRawShape }[]
): Readonly<Record<string, readonly string[]>> {
  return Object.fromEntries(
    variants.map(schema => [schema.shape.type.value, Object.keys(schema.shape)])
  )
}
