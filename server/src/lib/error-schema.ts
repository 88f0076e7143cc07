import { Type } from '@sinclair/typebox';

/** The body of every error response (see `ErrorBody` in errors.ts), for response schemas and the API document. */
export const ErrorResponse = Type.Object(
  {
    statusCode: Type.Integer(),
    error: Type.String(),
    message: Type.String(),
    field: Type.Optional(Type.String()),
    details: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
    requestId: Type.Optional(Type.String()),
  },
  { $id: undefined, description: 'What was wrong and how to fix it' },
);
