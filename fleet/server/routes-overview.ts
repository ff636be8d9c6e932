import type { FastifyInstance } from 'fastify';
import type { Registry } from '../../registry/registry.js';
import { type DeviceStatusQuery, MAX_PAGE, deviceStatusPage, fleetOverview } from '../overview.js';

/** Aggregates for dashboards (read tokens): one request per view, whatever the fleet's size. */
export function overviewRoutes(app: FastifyInstance, reg: Registry): void {
  app.get('/overview', { config: { fleet: { scope: 'read' } }, handler: async () => fleetOverview(reg) });

  app.get<{ Querystring: DeviceStatusQuery }>('/device-status', {
    config: { fleet: { scope: 'read' } },
    schema: {
      querystring: {
        type: 'object',
        additionalProperties: false,
        properties: {
          group: { type: 'string', maxLength: 128 },
          health: { type: 'string', enum: ['ok', 'failed', 'pending'] },
          search: { type: 'string', maxLength: 200 },
          offset: { type: 'integer', minimum: 0 },
          limit: { type: 'integer', minimum: 1, maximum: MAX_PAGE },
        },
      },
    },
    handler: async (req) => deviceStatusPage(reg, req.query),
  });
}
