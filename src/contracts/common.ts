import { Type, type TSchema } from 'typebox';

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

export const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);
