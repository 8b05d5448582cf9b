import { Type, type Static, type TSchema } from 'typebox';

/** `{"error":{"code","message"}}`, with `errorId` on 5xx and `details` where a code has them. */
export const ErrorBody = Type.Object(
  {
    error: Type.Object({
      code: Type.String({ description: 'A stable SB_ERR_* code; see docs/ERRORS.md.' }),
      message: Type.String(),
      errorId: Type.Optional(Type.String({ description: 'Present on 5xx; the same id is in the server log.' })),
      details: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
    }),
  },
);

export const Id = Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9_-]+$' });
export const Timestamp = Type.String({ format: 'date-time' });
export const Name = Type.String({ minLength: 1, maxLength: 200 });

export const TenantParams = Type.Object({ tenantId: Id });
export const TenantItemParams = Type.Object({ tenantId: Id, id: Id });

export const PageQuery = Type.Object(
  {
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, default: 50 })),
    cursor: Type.Optional(Type.String({ maxLength: 512 })),
  },
  { additionalProperties: false },
);

export function Page<T extends TSchema>(item: T) {
  return Type.Object({ items: Type.Array(item), nextCursor: Type.Union([Type.String(), Type.Null()]) });
}

/**
 * A nullable scalar as `type: [T, "null"]` rather than `anyOf: [T, null]`: the response serializer
 * (fast-json-stringify) writes the former directly but must run a validator per value to choose
 * an `anyOf` branch, which made a page of 20 conversations several times slower to serialise.
 */
export const Nullable = <T extends TSchema>(schema: T) => {
  const plain = JSON.parse(JSON.stringify(schema)) as { type?: unknown };
  if (typeof plain.type !== 'string') throw new Error('Nullable() takes a schema with a single type');
  return Type.Unsafe<Static<T> | null>({ ...plain, type: [plain.type, 'null'] });
};

/** A string that is one of `values`, as a JSON Schema enum typed as their union. */
export const literals = <T extends readonly string[]>(values: T) => Type.Unsafe<T[number]>({ type: 'string', enum: [...values] });
