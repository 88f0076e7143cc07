import type { FastifyInstance } from 'fastify';
import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';

/**
 * The OpenAPI 3 document, generated from the route schemas, at /docs/json (and /docs/yaml),
 * and a browsable page at /docs. The page's scripts and styles ship inside the package and
 * are served from here, so the documentation works with no internet access.
 *
 * Registered before the domains: the generator collects routes as they are added.
 */
export async function registerDocs(app: FastifyInstance): Promise<void> {
  await app.register(fastifySwagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'cityops API',
        description:
          'Cases, KPIs, whistles, service coverage, vector tiles, Open311 GeoReport v2 and OGC API – Features of the urban-operations command center.',
        version: '0.1.0',
      },
      tags: [
        { name: 'ogc', description: 'OGC API – Features Part 1 (read by GDAL/OGR and QGIS)' },
        { name: 'exports', description: 'Downloads: XLSX, CSV and GeoJSON' },
      ],
    },
  });
  await app.register(fastifySwaggerUi, {
    routePrefix: '/docs',
    uiConfig: { docExpansion: 'list', deepLinking: true, validatorUrl: null },
    // The UI's own assets only: no external validator, fonts or CDN. (The package's default
    // policy adds upgrade-insecure-requests, which breaks the page on plain http.)
    staticCSP: "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; script-src 'self'; object-src 'none'; base-uri 'self'; frame-ancestors 'self'",
    uiHooks: {},
    logLevel: 'warn',
  });
}
