import { Type, type TSchema } from '@sinclair/typebox';
import { Described } from '../lib/response-schemas.ts';

/**
 * Response schemas of the GeoReport v2 routes, for the API document. The routes write their
 * bodies themselves (JSON or XML by the path's extension), so these only describe them.
 */
const both = (schema: TSchema) => ({
  content: {
    'application/json': { schema },
    'text/xml': { schema: Type.String({ description: 'the same document as GeoReport v2 XML' }) },
  },
});

const ServiceRequest = Described('a service request (GeoReport v2)', {
  service_request_id: Type.String(),
  status: Type.String(),
  service_code: Type.String(),
  service_name: Type.String(),
  description: Type.String(),
  requested_datetime: Type.String(),
  updated_datetime: Type.String(),
  lat: Type.Number(),
  long: Type.Number(),
});
const Error311 = Type.Array(Type.Object({ code: Type.Integer(), description: Type.String() }), { description: 'GeoReport v2 errors' });

export const Discovery = { 200: both(Described('endpoints and formats', { changeset: Type.String(), contact: Type.String(), endpoints: Type.Array(Type.Unknown()) })), 400: both(Error311) };
export const Services = { 200: both(Type.Array(Described('a service (case category)', { service_code: Type.String(), service_name: Type.String(), group: Type.String() }))), 400: both(Error311) };
export const ServiceDefinition = { 200: both(Described('the attributes of a service', { service_code: Type.String(), attributes: Type.Array(Type.Unknown()) })), 400: both(Error311), 404: both(Error311) };
export const Requests = { 200: both(Type.Array(ServiceRequest)), 400: both(Error311), 404: both(Error311) };
export const Created = { 200: both(Type.Array(Described('the new request', { service_request_id: Type.String(), service_notice: Type.String() }))), 400: both(Error311) };
