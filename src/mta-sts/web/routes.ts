import { Controller, Type } from '@nestjs/common';
import { DnsPublishingApiController } from './dns-publishing-api.controller';
import { DomainsApiController } from './domains-api.controller';
import { JobsApiController } from './jobs-api.controller';
import { ClusterApiController } from './cluster-api.controller';
import { ReportsApiController } from './reports-api.controller';
import { OperationsController } from './operations.controller';
import { TlsReportsController } from './tls-reports.controller';
import { DomainsPageController } from './pages/domains-page.controller';
import { PageAssetsController } from './pages/page-assets.controller';
import { ReportsPageController } from './pages/reports-page.controller';
import { ResolvedMtaStsRoutes } from './route-prefixes';

/** `a` + `b` as a route path: `join('api', 'domains')` is `api/domains`, `join('', 'healthz')` is `healthz`. */
function join(...parts: string[]): string {
  return parts.filter((part) => part !== '').join('/');
}

/**
 * A subclass of `controller` routed at `path`. Guards, filters, pipes and the handlers'
 * own routes are inherited; only the controller's path differs, and each `forRoot` gets
 * its own classes, so two module instances never share one.
 */
function routedAt<T extends Type>(controller: T, path: string): T {
  const routed = class extends controller {};
  Object.defineProperty(routed, 'name', { value: controller.name });
  Controller(path)(routed);
  return routed;
}

/** The module's controllers at the given prefixes. */
export function routedControllers(routes: ResolvedMtaStsRoutes): Type[] {
  return [
    routedAt(DomainsApiController, join(routes.api, 'domains')),
    routedAt(DnsPublishingApiController, join(routes.api, 'domains')),
    routedAt(JobsApiController, routes.api),
    routedAt(ClusterApiController, routes.api),
    routedAt(ReportsApiController, routes.api),
    routedAt(PageAssetsController, join(routes.pages, 'assets')),
    routedAt(ReportsPageController, routes.pages),
    routedAt(DomainsPageController, routes.pages),
    routedAt(OperationsController, routes.operations),
    routedAt(TlsReportsController, routes.operations),
  ];
}
