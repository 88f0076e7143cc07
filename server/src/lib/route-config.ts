/**
 * The permission a route needs, in its config (`'public'` for everyone). The authorization
 * hook reads it; where it declares this property itself, this declaration can go.
 */
declare module 'fastify' {
  interface FastifyContextConfig {
    permission?: string;
  }
}

export {};
